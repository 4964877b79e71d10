//! The kernel fabric of the overlay tests: an evpnd route reflector and two
//! evpnd leaves, each in its own namespace with `br100`/`vxlan100` and a host
//! behind an access port; underlay routes are static, nothing else is.

use serde_json::Value;

use super::{Netns, link, vtep};

pub fn leaf_conf(i: u8) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.{i}\"\nhold_time = 9\n\
         [[neighbor]]\naddress = \"10.0.{i}.2\"\nremote_asn = 65000\n"
    )
}

pub const RR_CONF: &str = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.254\"\n\
    [[neighbor]]\naddress = \"10.0.1.1\"\nremote_asn = 65000\nroute_reflector_client = true\n\
    [[neighbor]]\naddress = \"10.0.2.1\"\nremote_asn = 65000\nroute_reflector_client = true\n\
    [evpn]\nlearn_from_kernel = false\n";

pub struct Fabric {
    pub rr: Netns,
    pub leaves: Vec<Netns>,
    pub hosts: Vec<Netns>,
}

pub fn fabric(tag: &str) -> Fabric {
    let mut rr = Netns::new(&format!("{tag}r"));
    rr.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        .expect("forwarding");
    let mut leaves = Vec::new();
    let mut hosts = Vec::new();
    for i in 1..=2u8 {
        let l = Netns::new(&format!("{tag}l{i}"));
        let h = Netns::new(&format!("{tag}h{i}"));
        link(
            &l,
            "u0",
            &format!("10.0.{i}.1/30"),
            &rr,
            &format!("d{i}"),
            &format!("10.0.{i}.2/30"),
        );
        rr.exec(&[
            "ip",
            "route",
            "add",
            &format!("10.0.0.{i}/32"),
            "via",
            &format!("10.0.{i}.1"),
        ])
        .expect("rr route");
        vtep(&l, &h, i);
        l.exec(&[
            "ip",
            "route",
            "add",
            "10.0.0.0/24",
            "via",
            &format!("10.0.{i}.2"),
        ])
        .expect("underlay route");
        leaves.push(l);
        hosts.push(h);
    }
    rr.start_evpnd("evpnd", RR_CONF);
    for (i, l) in leaves.iter_mut().enumerate() {
        l.start_evpnd("evpnd", &leaf_conf(i as u8 + 1));
    }
    Fabric { rr, leaves, hosts }
}

pub fn fdb(ns: &Netns) -> Vec<Value> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", "vxlan100"])
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&out).unwrap_or_default()
}

pub fn has_flag(e: &Value, flag: &str) -> bool {
    e["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == flag))
}

/// Two pings from `from` to `to`, 200 ms apart.
pub fn ping(from: &Netns, to: &str) -> Result<String, String> {
    from.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "1", to])
}
