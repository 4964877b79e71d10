//! Tenant routes, rules and SVI addresses on the wire: the messages for an
//! [`L3Op`], and what route, rule and address messages from the kernel say.
//!
//! ```text
//! route    RTM_NEWROUTE rtmsg { family, dst_len, table (≥ 256: RT_TABLE_COMPAT),
//!                               protocol 245, scope, type }
//!          RTA_DST prefix, RTA_TABLE table, RTA_PRIORITY 20,
//!          then RTA_NH_ID id                       (VTEPs: nexthop object / group)
//!            or RTA_OIF svi, scope link            (connected)
//!            or type RTN_UNREACHABLE, RTA_PRIORITY 4278198272
//!          NLM_F_CREATE | NLM_F_REPLACE (ours there) or NLM_F_EXCL (never an
//!          operator's route replaced)
//!          RTM_DELROUTE with the same family, dst, table, metric, protocol 245:
//!          the kernel only deletes a route of that protocol
//! nexthop  crate::nexthop (RTM_NEWNEXTHOP / RTM_DELNEXTHOP, raw)
//! rule     RTM_NEWRULE fib_rule_hdr { family, action FR_ACT_TO_TBL }
//!          FRA_IIFNAME svi, FRA_TABLE table, FRA_PRIORITY pref, FRA_PROTOCOL 245
//!          NLM_F_CREATE | NLM_F_EXCL; RTM_DELRULE with the same attributes
//! ```

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkMessage,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::batch::Message;
use crate::l3::{Hop, L3Op, RouteKey, RuleKey, Target};
use crate::nexthop::{self, Body, Nexthop, RTNH_F_ONLINK};

/// `RT_TABLE_COMPAT`: the `rtm_table` of a table id above 255.
const RT_TABLE_COMPAT: u8 = 252;

fn family(prefix: &IpNet) -> AddressFamily {
    match prefix {
        IpNet::V4(_) => AddressFamily::Inet,
        IpNet::V6(_) => AddressFamily::Inet6,
    }
}

fn table_byte(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(RT_TABLE_COMPAT)
}

fn wrap(payload: RouteNetlinkMessage, flags: u16) -> Message {
    let mut msg = NetlinkMessage::from(payload);
    msg.header.flags = flags;
    Message::Route(msg)
}

fn route_message(key: &RouteKey, metric: u32, target: Target) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = family(&key.prefix);
    m.header.destination_prefix_length = key.prefix.prefix_len();
    m.header.table = table_byte(key.table);
    m.header.protocol = RouteProtocol::from(crate::PROTOCOL);
    m.header.scope = match target {
        Target::Dev(_) => RouteScope::Link,
        _ => RouteScope::Universe,
    };
    m.header.kind = match target {
        Target::Unreachable => RouteType::Unreachable,
        _ => RouteType::Unicast,
    };
    m.attributes = vec![
        RouteAttribute::Destination(RouteAddress::from(key.prefix.network())),
        RouteAttribute::Table(key.table),
        RouteAttribute::Priority(metric),
    ];
    match target {
        Target::Nh(id) => m.attributes.push(RouteAttribute::NhId(id)),
        Target::Dev(oif) => m.attributes.push(RouteAttribute::Oif(oif)),
        Target::Unreachable | Target::Other => {}
    }
    m
}

fn rule_message(k: &RuleKey) -> RuleMessage {
    let mut m = RuleMessage::default();
    m.header.family = if k.v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    m.header.table = table_byte(k.table);
    m.header.action = RuleAction::ToTable;
    m.attributes = vec![
        RuleAttribute::Iifname(k.iif.clone()),
        RuleAttribute::Table(k.table),
        RuleAttribute::Priority(k.priority),
        RuleAttribute::Protocol(RouteProtocol::from(crate::PROTOCOL)),
    ];
    m
}

fn hop(id: u32, h: &Hop) -> Nexthop {
    Nexthop {
        id,
        protocol: crate::PROTOCOL,
        flags: if h.onlink { RTNH_F_ONLINK } else { 0 },
        body: Body::Hop {
            gateway: h.gateway,
            oif: h.oif,
        },
    }
}

fn group(id: u32, members: &[u32]) -> Nexthop {
    Nexthop {
        id,
        protocol: crate::PROTOCOL,
        flags: 0,
        body: Body::Group(members.to_vec()),
    }
}

/// The request for `op`; whether it is a delete (gone already = done).
pub fn request(op: &L3Op) -> (Message, bool) {
    let ack = NLM_F_REQUEST | NLM_F_ACK;
    let raw = |kind, flags, payload| Message::Raw {
        kind,
        flags,
        payload,
    };
    match op {
        L3Op::NhNew { id, hop: h } => (
            raw(
                nexthop::RTM_NEWNEXTHOP,
                ack | NLM_F_CREATE | NLM_F_EXCL,
                nexthop::encode_new(&hop(*id, h)),
            ),
            false,
        ),
        L3Op::GroupNew { id, members } => (
            raw(
                nexthop::RTM_NEWNEXTHOP,
                ack | NLM_F_CREATE | NLM_F_EXCL,
                nexthop::encode_new(&group(*id, members)),
            ),
            false,
        ),
        L3Op::GroupReplace { id, members } => (
            raw(
                nexthop::RTM_NEWNEXTHOP,
                ack | NLM_F_REPLACE,
                nexthop::encode_new(&group(*id, members)),
            ),
            false,
        ),
        L3Op::NhDel { id } => (
            raw(nexthop::RTM_DELNEXTHOP, ack, nexthop::encode_del(*id)),
            true,
        ),
        L3Op::RouteSet {
            key,
            metric,
            target,
            replace,
        } => {
            let flags = ack | NLM_F_CREATE | if *replace { NLM_F_REPLACE } else { NLM_F_EXCL };
            let m = route_message(key, *metric, *target);
            (wrap(RouteNetlinkMessage::NewRoute(m), flags), false)
        }
        L3Op::RouteDel {
            key,
            metric,
            target,
        } => {
            let mut m = route_message(key, *metric, *target);
            m.header.scope = RouteScope::NoWhere;
            m.attributes
                .retain(|a| !matches!(a, RouteAttribute::NhId(_) | RouteAttribute::Oif(_)));
            (wrap(RouteNetlinkMessage::DelRoute(m), ack), true)
        }
        L3Op::RuleSet(k) => (
            wrap(
                RouteNetlinkMessage::NewRule(rule_message(k)),
                ack | NLM_F_CREATE | NLM_F_EXCL,
            ),
            false,
        ),
        L3Op::RuleDel(k) => (
            wrap(RouteNetlinkMessage::DelRule(rule_message(k)), ack),
            true,
        ),
    }
}

/// A route message, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub key: RouteKey,
    pub metric: u32,
    pub protocol: u8,
    /// `RTN_UNICAST`.
    pub unicast: bool,
    pub target: Target,
}

fn ip_of(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v) => Some(IpAddr::V4(*v)),
        RouteAddress::Inet6(v) => Some(IpAddr::V6(*v)),
        _ => None,
    }
}

/// The table of a route message (`RTA_TABLE`, else `rtm_table`): cheap, to
/// drop what is not a tenant's before reading the rest.
pub fn route_table(m: &RouteMessage) -> u32 {
    m.attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(m.header.table))
}

/// Reads a route message; `None` for what is neither IPv4 nor IPv6.
pub fn parse_route(m: &RouteMessage) -> Option<Route> {
    let len = m.header.destination_prefix_length;
    let mut dst = match m.header.address_family {
        AddressFamily::Inet => IpAddr::from([0u8; 4]),
        AddressFamily::Inet6 => IpAddr::from([0u8; 16]),
        _ => return None,
    };
    let (mut metric, mut nh, mut oif, mut gw, mut multipath) = (0, None, None, false, false);
    for a in &m.attributes {
        match a {
            RouteAttribute::Destination(d) => dst = ip_of(d)?,
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::NhId(i) => nh = Some(*i),
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::Gateway(_) | RouteAttribute::Via(_) => gw = true,
            RouteAttribute::MultiPath(_) => multipath = true,
            _ => {}
        }
    }
    let prefix = IpNet::new(dst, len).ok()?;
    let target = match (m.header.kind, nh, oif) {
        (RouteType::Unreachable, _, _) => Target::Unreachable,
        (RouteType::Unicast, Some(id), _) => Target::Nh(id),
        (RouteType::Unicast, None, Some(i)) if !gw && !multipath => Target::Dev(i),
        _ => Target::Other,
    };
    Some(Route {
        key: RouteKey {
            table: route_table(m),
            prefix,
        },
        metric,
        protocol: u8::from(m.header.protocol),
        unicast: m.header.kind == RouteType::Unicast,
        target,
    })
}

/// Reads a rule message: its protocol and key, when it is an `iif … lookup
/// TABLE` rule (others are never ours).
pub fn parse_rule(m: &RuleMessage) -> Option<(u8, RuleKey)> {
    let v6 = match m.header.family {
        AddressFamily::Inet => false,
        AddressFamily::Inet6 => true,
        _ => return None,
    };
    if m.header.action != RuleAction::ToTable {
        return None;
    }
    let (mut iif, mut table, mut priority, mut protocol) =
        (None, u32::from(m.header.table), 0, 0u8);
    for a in &m.attributes {
        match a {
            RuleAttribute::Iifname(n) => iif = Some(n.clone()),
            RuleAttribute::Table(t) => table = *t,
            RuleAttribute::Priority(p) => priority = *p,
            RuleAttribute::Protocol(p) => protocol = u8::from(*p),
            _ => {}
        }
    }
    Some((
        protocol,
        RuleKey {
            v6,
            table,
            iif: iif?,
            priority,
        },
    ))
}

/// Reads an address message: the device and the address with its prefix
/// length. IPv6 link-local addresses (every interface has one) are no
/// tenant subnet and are left out.
pub fn parse_addr(m: &AddressMessage) -> Option<(u32, IpNet)> {
    let mut addr = None;
    for a in &m.attributes {
        match a {
            // IFA_LOCAL is the address itself (IFA_ADDRESS the peer's on a
            // point-to-point link).
            AddressAttribute::Local(ip) => addr = Some(*ip),
            AddressAttribute::Address(ip) if addr.is_none() => addr = Some(*ip),
            _ => {}
        }
    }
    if m.header.scope == AddressScope::Link || m.header.scope == AddressScope::Host {
        return None;
    }
    let net = IpNet::new(addr?, m.header.prefix_len).ok()?;
    Some((m.header.index, net))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NetlinkPayload;

    fn inner(m: &Message) -> RouteNetlinkMessage {
        match m {
            Message::Route(n) => match &n.payload {
                NetlinkPayload::InnerMessage(i) => i.clone(),
                other => panic!("{other:?}"),
            },
            Message::Raw { .. } => panic!("raw"),
        }
    }

    /// What we write reads back as what we meant (the dump side sees the
    /// kernel's copy of the same fields).
    #[test]
    fn our_routes_and_rules_read_back() {
        let key = RouteKey {
            table: 1000,
            prefix: "10.1.0.0/16".parse().expect("prefix"),
        };
        for (metric, target) in [
            (20, Target::Nh(245_000_001)),
            (20, Target::Dev(7)),
            (crate::l3::UNREACHABLE_METRIC, Target::Unreachable),
        ] {
            let (m, delete) = request(&L3Op::RouteSet {
                key,
                metric,
                target,
                replace: false,
            });
            assert!(!delete);
            let RouteNetlinkMessage::NewRoute(r) = inner(&m) else {
                panic!("not a route");
            };
            assert_eq!(r.header.table, RT_TABLE_COMPAT);
            let got = parse_route(&r).expect("parses");
            assert_eq!((got.key, got.metric, got.target), (key, metric, target));
            assert_eq!(got.protocol, crate::PROTOCOL);
        }
        let k = RuleKey {
            v6: true,
            table: 1000,
            iif: "br100".into(),
            priority: 1000,
        };
        let RouteNetlinkMessage::NewRule(r) = inner(&request(&L3Op::RuleSet(k.clone())).0) else {
            panic!("not a rule");
        };
        assert_eq!(parse_rule(&r), Some((crate::PROTOCOL, k)));
    }
}
