//! Helpers shared by the wire integration tests: where the public vectors
//! live and how to read them. A missing vector directory FAILS the test.
#![allow(dead_code)]

use std::path::PathBuf;

use evpnd_wire::nlri::evpn::EvpnRoute;

/// `$EVPND_VECTORS`, else `shared/vectors` beside the repository.
pub fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("EVPND_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
    assert!(
        dir.is_dir(),
        "BGP test vectors not found at {} — set EVPND_VECTORS to the shared/vectors directory",
        dir.display()
    );
    dir
}

pub fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Every `NAME.hex` vector: (name, bytes, expect.txt text).
pub fn all_vectors() -> Vec<(String, Vec<u8>, String)> {
    let dir = vectors_dir();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("read vectors dir") {
        let p = e.expect("dir entry").path();
        if p.extension().and_then(|x| x.to_str()) != Some("hex") {
            continue;
        }
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf8 name")
            .to_string();
        let bytes = unhex(&std::fs::read_to_string(&p).expect("read hex"));
        let expect =
            std::fs::read_to_string(dir.join(format!("{name}.expect.txt"))).unwrap_or_default();
        out.push((name, bytes, expect));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 40,
        "expected the 45 public vectors, found {}",
        out.len()
    );
    out
}

pub fn first_word(v: &str) -> &str {
    v.split_whitespace().next().unwrap_or_default()
}

/// The collector shows a label as `0x18a971 (…; as 24-bit VNI=1616241)`.
pub fn vni_of(v: &str) -> u32 {
    v.rsplit("VNI=")
        .next()
        .and_then(|x| x.trim_end_matches(')').parse().ok())
        .expect("VNI in label text")
}

pub fn check_route(name: &str, route: &EvpnRoute, fields: &[(String, String)]) {
    for (k, v) in fields {
        // An unknown RD type is shown as `raw 0101…` by the collector, `raw:0101…` by us.
        let rd_text = v
            .split(" (type")
            .next()
            .unwrap_or_default()
            .replacen("raw ", "raw:", 1);
        let want = if k == "rd" {
            rd_text.as_str()
        } else {
            first_word(v)
        };
        let got: Option<String> = match (k.as_str(), route) {
            ("route_type", r) => Some(r.route_type().to_string()),
            ("rd", r) => r.rd().map(|rd| rd.to_string()),
            ("esi", EvpnRoute::EthernetAd(r)) => Some(r.esi.to_string()),
            ("esi", EvpnRoute::MacIp(r)) => Some(r.esi.to_string()),
            ("esi", EvpnRoute::EthernetSegment(r)) => Some(r.esi.to_string()),
            ("esi", EvpnRoute::IpPrefix(r)) => Some(r.esi.to_string()),
            ("eth_tag", EvpnRoute::EthernetAd(r)) => Some(r.ethernet_tag.to_string()),
            ("eth_tag", EvpnRoute::MacIp(r)) => Some(r.ethernet_tag.to_string()),
            ("eth_tag", EvpnRoute::Imet(r)) => Some(r.ethernet_tag.to_string()),
            ("eth_tag", EvpnRoute::IpPrefix(r)) => Some(r.ethernet_tag.to_string()),
            ("mac", EvpnRoute::MacIp(r)) => Some(r.mac.to_string()),
            ("ip", EvpnRoute::MacIp(r)) => Some(r.ip.map_or("(none)".into(), |i| i.to_string())),
            ("orig_ip", EvpnRoute::Imet(r)) => Some(r.originator.to_string()),
            ("orig_ip", EvpnRoute::EthernetSegment(r)) => Some(r.originator.to_string()),
            ("ip_prefix_len", EvpnRoute::IpPrefix(r)) => Some(r.prefix.prefix_len().to_string()),
            ("prefix", EvpnRoute::IpPrefix(r)) => Some(r.prefix.addr().to_string()),
            ("gw_ip", EvpnRoute::IpPrefix(r)) => Some(r.gateway.to_string()),
            ("label1", EvpnRoute::MacIp(r)) => {
                assert_eq!(r.label1.vni().get(), vni_of(v), "{name}: label1");
                None
            }
            ("label2", EvpnRoute::MacIp(r)) => {
                assert_eq!(
                    r.label2.map(|l| l.vni().get()),
                    Some(vni_of(v)),
                    "{name}: label2"
                );
                None
            }
            ("label", EvpnRoute::EthernetAd(r)) => {
                assert_eq!(r.label.vni().get(), vni_of(v), "{name}: label");
                None
            }
            ("label", EvpnRoute::IpPrefix(r)) => {
                assert_eq!(r.label.vni().get(), vni_of(v), "{name}: label");
                None
            }
            _ => None,
        };
        if let Some(got) = got {
            assert_eq!(got, want, "{name}: field {k}");
        }
    }
}
