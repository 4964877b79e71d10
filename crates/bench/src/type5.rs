//! The L3 benchmark's workload (issue 11): N type-5 IPv4 prefixes of one
//! VTEP into one tenant, as a leaf with symmetric IRB advertises them, and
//! the `ip -batch` file that installs the same routes the way evpnd does.
//!
//! Each route (RFC 9136 §3.1) is RD `vtep`:`l3vni`, ESI 0, Ethernet tag 0,
//! prefix [`prefix`]`(i)`, gateway IP 0, label = the L3VNI; attributes:
//! ORIGIN, empty AS_PATH, LOCAL_PREF, and the extended communities RT
//! `asn`:`l3vni`, encapsulation VXLAN and Router's MAC (RFC 9135 §8.1).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use bytes::BytesMut;
use evpnd_wire::attr::{AsPath, AttrValue, ExtCommunity, Origin, PathAttribute};
use evpnd_wire::message::Message;
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, IpPrefix};
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Esi, Label3, MacAddr, Rd, RouteTarget};
use ipnet::{IpNet, Ipv4Net};

/// First address of the prefixes: 20.0.0.0/24, 20.0.1.0/24, … (100,000 of
/// them end at 21.134.159.0/24).
pub const FIRST_PREFIX: u32 = 0x1400_0000;
/// Octets of one IPv4 type-5 NLRI: type (1) + length (1) + 34.
const TYPE5_V4_NLRI: usize = 36;

/// The tenant the workload targets.
#[derive(Debug, Clone, Copy)]
pub struct Tenant {
    pub asn: u32,
    pub l3vni: u32,
    pub vtep: Ipv4Addr,
    pub router_mac: MacAddr,
}

/// Prefix number `i`: the `i`-th /24 from [`FIRST_PREFIX`].
pub fn prefix(i: u32) -> Ipv4Net {
    let addr = Ipv4Addr::from(FIRST_PREFIX.wrapping_add(i << 8));
    Ipv4Net::new(addr, 24).unwrap_or_default()
}

/// Type-5 route number `i` of `t`.
pub fn type5_route(t: &Tenant, i: u32) -> EvpnNlri {
    EvpnNlri {
        path_id: None,
        route: EvpnRoute::IpPrefix(IpPrefix {
            rd: Rd::Ipv4 {
                addr: t.vtep,
                number: t.l3vni as u16,
            },
            esi: Esi::ZERO,
            ethernet_tag: 0,
            prefix: IpNet::V4(prefix(i)),
            gateway: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            label: Label3::from_raw(t.l3vni),
        }),
    }
}

/// The attributes of every route of `t` (iBGP: LOCAL_PREF present).
pub fn type5_attrs(t: &Tenant) -> Vec<PathAttribute> {
    let rt = match u16::try_from(t.asn) {
        Ok(asn) => RouteTarget::As2 {
            asn,
            value: t.l3vni,
        },
        Err(_) => RouteTarget::As4 {
            asn: t.asn,
            value: t.l3vni as u16,
        },
    };
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        PathAttribute::new(AttrValue::LocalPref(100)),
        PathAttribute::new(AttrValue::ExtCommunities(vec![
            ExtCommunity::RouteTarget { value: rt },
            ExtCommunity::VXLAN,
            ExtCommunity::RouterMac { mac: t.router_mac },
        ])),
    ]
}

/// UPDATEs of at most `max_len` octets carrying routes 0..`total` of `t`,
/// encoded back to back; and how many messages.
pub fn packed_type5_updates(t: &Tenant, total: u32, max_len: usize) -> (BytesMut, usize) {
    let ctx = Context::default();
    let attrs = type5_attrs(t);
    let base =
        19 + Update::evpn_reach(IpAddr::V4(t.vtep), Vec::new(), attrs.clone()).body_len(&ctx);
    let fit = (max_len.saturating_sub(base) / TYPE5_V4_NLRI).max(1) as u32;
    let mut out = BytesMut::new();
    let mut messages = 0;
    let mut i = 0;
    while i < total {
        let end = (i + fit).min(total);
        let routes = (i..end).map(|k| type5_route(t, k)).collect();
        Message::Update(Update::evpn_reach(
            IpAddr::V4(t.vtep),
            routes,
            attrs.clone(),
        ))
        .encode(&ctx, &mut out);
        messages += 1;
        i = end;
    }
    (out, messages)
}

/// The `ip -batch` lines installing routes 0..`total` as evpnd does: one
/// nexthop object `nhid` (`via vtep dev svi onlink`, protocol `proto`), then
/// `route add PREFIX nhid ID table T proto P metric 20` per prefix.
pub fn ip_batch(t: &Tenant, total: u32, svi: &str, table: u32, proto: u8, nhid: u32) -> String {
    let mut s = String::with_capacity(total as usize * 64);
    let _ = writeln!(
        s,
        "nexthop add id {nhid} via {} dev {svi} onlink proto {proto}",
        t.vtep
    );
    for i in 0..total {
        let _ = writeln!(
            s,
            "route add {} nhid {nhid} table {table} proto {proto} metric 20",
            prefix(i)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use evpnd_wire::framing::decode_frame;
    use evpnd_wire::message::decode_message;

    fn tenant() -> Tenant {
        Tenant {
            asn: 65000,
            l3vni: 4000,
            vtep: Ipv4Addr::new(10, 9, 0, 2),
            router_mac: MacAddr([2, 0, 0, 0, 0xbe, 1]),
        }
    }

    #[test]
    fn prefixes_are_distinct_24s() {
        assert_eq!(prefix(0).to_string(), "20.0.0.0/24");
        assert_eq!(prefix(99_999).to_string(), "21.134.159.0/24");
    }

    #[test]
    fn the_updates_decode_to_every_route_once_with_the_router_mac() {
        let t = tenant();
        let (mut bytes, messages) = packed_type5_updates(&t, 1000, 4096);
        let ctx = Context::default();
        let mut seen = 0usize;
        let mut got = 0;
        while let Some(f) = decode_frame(&mut bytes, 4096).expect("frame") {
            let Message::Update(u) = decode_message(&f, &ctx).expect("message") else {
                panic!("not an UPDATE");
            };
            seen += u.mp_reach().map_or(0, |m| match &m.nlri {
                evpnd_wire::attr::MpNlri::Evpn(v) => v.len(),
                _ => 0,
            });
            let rmac = u.attributes.iter().any(|a| {
                matches!(&a.value, AttrValue::ExtCommunities(c)
                    if c.contains(&ExtCommunity::RouterMac { mac: t.router_mac }))
            });
            assert!(rmac, "every UPDATE carries the Router's MAC");
            got += 1;
        }
        assert_eq!((seen, got), (1000, messages));
        assert!(messages < 1000 / 50, "packed: {messages} messages");
    }

    #[test]
    fn the_batch_has_one_nexthop_and_a_route_per_prefix() {
        let b = ip_batch(&tenant(), 3, "br4000", 1000, 245, 7);
        assert_eq!(
            b,
            "nexthop add id 7 via 10.9.0.2 dev br4000 onlink proto 245\n\
             route add 20.0.0.0/24 nhid 7 table 1000 proto 245 metric 20\n\
             route add 20.0.1.0/24 nhid 7 table 1000 proto 245 metric 20\n\
             route add 20.0.2.0/24 nhid 7 table 1000 proto 245 metric 20\n"
        );
    }
}
