//! Flood sources through the core (ADR 0031): a reload changes the static
//! VTEPs live; the configuration's routes of a VLAN-aware bundle member
//! carry its VNI as Ethernet Tag (ADR 0032).

mod common;

use common::Rig;
use evpnd_core::{Command, Input};
use evpnd_evpn::{DesiredChange, LocalEvent, VniInfo};
use evpnd_wire::Vni;
use evpnd_wire::nlri::evpn::EvpnRoute;

const BASE: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.11"

[evpn]
learn_from_kernel = true
"#;

fn config(vni_extra: &str) -> String {
    format!("{BASE}\n[[evpn.vni]]\nvni = 100\n{vni_extra}\n")
}

fn vni() -> Vni {
    Vni::try_from(100).expect("vni")
}

fn info() -> VniInfo {
    VniInfo {
        vni: vni(),
        vxlan_ifindex: 10,
        vxlan_name: "vxlan100".into(),
        local_ip: Some("10.0.0.11".parse().expect("ip")),
        dstport: 4789,
        learning: true,
        group: None,
        bridge_ifindex: Some(11),
        bridge_name: Some("br100".into()),
        vlan: None,
        single_device: false,
        svi_ifindex: None,
        svi_name: None,
        neigh_suppress: true,
        svi_mac: None,
        vrf_master: None,
        up: true,
    }
}

fn flood(vtep: &str) -> DesiredChange {
    DesiredChange::Flood {
        vni: vni(),
        vtep: vtep.parse().expect("vtep"),
    }
}

fn gone(vtep: &str) -> DesiredChange {
    DesiredChange::FloodGone {
        vni: vni(),
        vtep: vtep.parse().expect("vtep"),
    }
}

fn reload(r: &mut Rig, text: &str) {
    let cfg = evpnd_config::parse(text, "reload.toml").expect("config");
    r.input(Input::Command(Command::Reconfigure {
        config: Box::new(cfg),
    }));
}

#[test]
fn a_reload_changes_the_static_vteps_live() {
    let mut r = Rig::new(&config(r#"static_vteps = ["10.0.0.21", "10.0.0.22"]"#));
    r.input(Input::Local(LocalEvent::Vni(info())));
    assert_eq!(
        r.core.take_dataplane(),
        [flood("10.0.0.21"), flood("10.0.0.22")]
    );
    reload(
        &mut r,
        &config(r#"static_vteps = ["10.0.0.22", "10.0.0.23"]"#),
    );
    assert_eq!(
        r.core.take_dataplane(),
        [flood("10.0.0.23"), gone("10.0.0.21")]
    );
    let v = r.core.vnis(None);
    assert_eq!(
        v[0].static_vteps,
        [
            "10.0.0.22".parse::<std::net::IpAddr>().expect("ip"),
            "10.0.0.23".parse().expect("ip")
        ]
    );
    // The same again: nothing.
    reload(
        &mut r,
        &config(r#"static_vteps = ["10.0.0.22", "10.0.0.23"]"#),
    );
    assert!(r.core.take_dataplane().is_empty());
    reload(&mut r, &config(""));
    assert_eq!(
        r.core.take_dataplane(),
        [gone("10.0.0.22"), gone("10.0.0.23")]
    );
}

#[test]
fn configured_routes_of_a_bundle_member_carry_the_vni_as_tag() {
    let text = config(
        "rd = \"10.0.0.11:1\"\nethernet_tag = \"vni\"\nmacs = [{ mac = \"02:00:00:00:00:01\" }]",
    );
    assert_eq!(tags(&text), [100]);
    let off = text.replace("learn_from_kernel = true", "learn_from_kernel = false");
    assert_eq!(tags(&off), [100, 100], "type 3 and type 2");
}

/// The Ethernet tags of the routes a leaf on `text` originates (type 2
/// and 3; `u32::MAX` for any other type).
fn tags(text: &str) -> Vec<u32> {
    common::leaf_routes(text)
        .iter()
        .map(|r| match &r.route {
            EvpnRoute::MacIp(m) => m.ethernet_tag,
            EvpnRoute::Imet(i) => i.ethernet_tag,
            _ => u32::MAX,
        })
        .collect()
}

#[test]
fn explain_says_why_a_type_3_gives_no_flood_entry() {
    use evpnd_core::origin::VniOrigin;
    use evpnd_wire::attr::{AttrValue, PathAttribute, PmsiTunnel};
    let text = format!(
        "{}\n[[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65000\n",
        config("")
    );
    let mut r = Rig::new(&text);
    let group: std::net::IpAddr = "239.1.1.100".parse().expect("group");
    r.input(Input::Local(LocalEvent::Vni(VniInfo {
        group: Some(group),
        ..info()
    })));
    r.up(0, "10.0.0.1", None);
    let leaf = VniOrigin {
        vni: vni(),
        rd: "10.0.0.12:100".parse().expect("rd"),
        rts: vec!["65000:100".parse().expect("rt")],
        vtep: "10.0.0.12".parse().expect("vtep"),
        ethernet_tag: 0,
    };
    let mut imet = leaf.imet();
    let pim = PmsiTunnel::multicast(vni(), leaf.vtep, group);
    imet.attrs = std::sync::Arc::new(
        imet.attrs
            .iter()
            .map(|a| match a.value {
                AttrValue::PmsiTunnel(_) => PathAttribute::new(AttrValue::PmsiTunnel(pim.clone())),
                _ => a.clone(),
            })
            .collect(),
    );
    r.update(0, common::reach(std::slice::from_ref(&imet)));
    assert!(r.core.take_dataplane().is_empty(), "no head-end entry");
    let e = common::explain_route(&r.core, &imet.route);
    assert_eq!(
        e.not_programmed.as_deref(),
        Some("VNI 100: same multicast group 239.1.1.100: no head-end entry")
    );
}
