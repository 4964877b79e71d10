//! Workload generators shared by the benchmarks.

pub mod speaker;
pub mod tally;
pub mod type5;
pub mod unicast;

use std::net::{IpAddr, Ipv4Addr};

use bytes::BytesMut;
use evpnd_wire::attr::{AsPath, AttrValue, ExtCommunity, Origin, PathAttribute};
use evpnd_wire::message::Message;
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, MacIp};
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Esi, Label3, MacAddr, Rd, RouteTarget};

/// The first VNI of the workloads; `--vnis K` spreads routes over
/// `FIRST_VNI .. FIRST_VNI + K`.
pub const FIRST_VNI: u32 = 100;

/// Type-2 MAC+IPv4 route number `i` of a leaf with VTEP 10.0.0.1 in VNI 100.
pub fn mac_ip_route(i: u32) -> EvpnNlri {
    mac_ip_route_in(i, FIRST_VNI)
}

/// Route number `i` in `vni` (RD 10.0.0.1:`vni`, label `vni`); its MAC is
/// 02:00 followed by `i`, whatever the VNI.
pub fn mac_ip_route_in(i: u32, vni: u32) -> EvpnNlri {
    let b = i.to_be_bytes();
    EvpnNlri {
        path_id: None,
        route: EvpnRoute::MacIp(MacIp {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, 1),
                number: vni as u16,
            },
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: MacAddr([0x02, 0, b[0], b[1], b[2], b[3]]),
            ip: Some(IpAddr::V4(Ipv4Addr::new(10, b[1], b[2], b[3]))),
            label1: Label3::from_raw(vni),
            label2: None,
        }),
    }
}

/// The attributes an iBGP leaf puts on a type-2 route: ORIGIN, empty AS_PATH,
/// LOCAL_PREF (FRR withdraws iBGP routes without it), RT, encapsulation.
pub fn evpn_attrs() -> Vec<PathAttribute> {
    evpn_attrs_in(FIRST_VNI)
}

/// As [`evpn_attrs`], with the route target 65001:`vni`.
pub fn evpn_attrs_in(vni: u32) -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        PathAttribute::new(AttrValue::LocalPref(100)),
        PathAttribute::new(AttrValue::ExtCommunities(vec![
            ExtCommunity::RouteTarget {
                value: RouteTarget::As2 {
                    asn: 65001,
                    value: vni,
                },
            },
            ExtCommunity::VXLAN,
        ])),
    ]
}

/// UPDATEs packed with as many type-2 routes as fit in `max_len` octets,
/// `total` routes in all, encoded back to back as on the wire.
pub fn packed_updates(total: u32, max_len: usize) -> (BytesMut, usize) {
    packed_updates_via(total, max_len, Ipv4Addr::new(10, 0, 0, 1))
}

/// As [`packed_updates`], with `next_hop` as the routes' VTEP.
pub fn packed_updates_via(total: u32, max_len: usize, next_hop: Ipv4Addr) -> (BytesMut, usize) {
    packed_updates_opts(total, max_len, next_hop, false)
}

/// As [`packed_updates_via`]; `mac_only` drops the IP (MAC-only type 2, one
/// FDB entry each and no neighbour).
pub fn packed_updates_opts(
    total: u32,
    max_len: usize,
    next_hop: Ipv4Addr,
    mac_only: bool,
) -> (BytesMut, usize) {
    packed_updates_vnis(total, max_len, next_hop, mac_only, 1)
}

/// As [`packed_updates_opts`], the routes spread over `vnis` VNIs from
/// [`FIRST_VNI`] in contiguous blocks (route `i` in VNI
/// `FIRST_VNI + i / ceil(total / vnis)`), each UPDATE of one VNI.
pub fn packed_updates_vnis(
    total: u32,
    max_len: usize,
    next_hop: Ipv4Addr,
    mac_only: bool,
    vnis: u32,
) -> (BytesMut, usize) {
    let per_vni = total.div_ceil(vnis.max(1)).max(1);
    let ctx = Context {
        extended_message: max_len > 4096,
        ..Context::default()
    };
    let mut out = BytesMut::new();
    let mut messages = 0;
    let mut i = 0;
    while i < total {
        let vni = FIRST_VNI + i / per_vni;
        let block_end = (i / per_vni + 1).saturating_mul(per_vni).min(total);
        let mut routes = Vec::new();
        let mut u = Update::evpn_reach(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            Vec::new(),
            evpn_attrs_in(vni),
        );
        let base = 19 + u.body_len(&ctx);
        // A MAC+IPv4 type-2 NLRI is 39 octets.
        let fit = (max_len - base) / 39;
        while i < block_end && routes.len() < fit {
            let mut r = mac_ip_route_in(i, vni);
            if mac_only && let EvpnRoute::MacIp(m) = &mut r.route {
                m.ip = None;
            }
            routes.push(r);
            i += 1;
        }
        u = Update::evpn_reach(IpAddr::V4(next_hop), routes, evpn_attrs_in(vni));
        Message::Update(u).encode(&ctx, &mut out);
        messages += 1;
    }
    (out, messages)
}

/// One UPDATE moving route number `i` of VNI `vni` to the VTEP `next_hop`
/// (RD `next_hop`:`vni`, another route key) with MAC mobility sequence
/// `seq` (RFC 7432 §7.7), MAC-only.
pub fn move_update(i: u32, vni: u32, next_hop: Ipv4Addr, seq: u32) -> BytesMut {
    let mut r = mac_ip_route_in(i, vni);
    if let EvpnRoute::MacIp(m) = &mut r.route {
        m.ip = None;
        m.rd = Rd::Ipv4 {
            addr: next_hop,
            number: vni as u16,
        };
    }
    let mut attrs = evpn_attrs_in(vni);
    for a in &mut attrs {
        if let AttrValue::ExtCommunities(c) = &mut a.value {
            c.push(ExtCommunity::MacMobility {
                sticky: false,
                sequence: seq,
            });
        }
    }
    let mut out = BytesMut::new();
    Message::Update(Update::evpn_reach(IpAddr::V4(next_hop), vec![r], attrs))
        .encode(&Context::default(), &mut out);
    out
}

/// A command-line flag's value parsed, or an error naming the flag and the
/// value (the bench binaries' argument parsing).
pub fn parse_flag<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| format!("{flag} {v}: {e}"))
}
