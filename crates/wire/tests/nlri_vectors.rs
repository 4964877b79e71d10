//! Every EVPN NLRI fragment in `shared/vectors/nlri-only.md` decodes to the
//! fields the collector's independent decode lists, and re-encodes to the
//! same bytes. The label is checked in its VNI reading (RFC 8365).

mod common;

use bytes::BytesMut;
use evpnd_wire::nlri::evpn::{EvpnRoute, decode_evpn_nlris, encode_evpn_nlris};

/// One `## name` section: hex and the list of decoded routes (key → value).
fn sections(md: &str) -> Vec<(String, String, Vec<Vec<(String, String)>>)> {
    let mut out = Vec::new();
    for sec in md.split("\n## ").skip(1) {
        let name = sec.lines().next().unwrap_or_default().trim().to_string();
        let Some(hex) = sec
            .lines()
            .find_map(|l| l.strip_prefix("- hex: `").and_then(|h| h.strip_suffix('`')))
        else {
            continue;
        };
        let block = sec.split("```").nth(1).unwrap_or_default();
        let routes = block
            .split("--")
            .map(|r| {
                r.lines()
                    .filter_map(|l| l.trim().split_once(": "))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .filter(|r| !r.is_empty())
            .collect();
        out.push((name, hex.to_string(), routes));
    }
    out
}

fn first_word(v: &str) -> &str {
    v.split_whitespace().next().unwrap_or_default()
}

/// The collector shows a label as `0x18a971 (…; as 24-bit VNI=1616241)`.
fn vni_of(v: &str) -> u32 {
    v.rsplit("VNI=")
        .next()
        .and_then(|x| x.trim_end_matches(')').parse().ok())
        .expect("VNI in label text")
}

fn check(name: &str, route: &EvpnRoute, fields: &[(String, String)]) {
    for (k, v) in fields {
        let want = first_word(v);
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

#[test]
fn nlri_only_fragments_decode_and_round_trip() {
    let md =
        std::fs::read_to_string(common::vectors_dir().join("nlri-only.md")).expect("nlri-only.md");
    let secs = sections(&md);
    assert!(
        secs.len() >= 13,
        "expected 13 NLRI fragments, parsed {}",
        secs.len()
    );
    for (name, hex, routes) in secs {
        let bytes = common::unhex(&hex);
        let decoded = decode_evpn_nlris(&bytes, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded.len(), routes.len(), "{name}: route count");
        for (d, fields) in decoded.iter().zip(&routes) {
            check(&name, &d.route, fields);
        }
        let mut out = BytesMut::new();
        encode_evpn_nlris(&decoded, &mut out);
        assert_eq!(&out[..], &bytes[..], "{name}: re-encode");
    }
}
