//! Turning Adj-RIB-Out batches into UPDATE messages: withdrawal NLRI built
//! from route keys, and packing routes that share attributes into as few
//! UPDATEs as the session's message size allows.

use std::net::{IpAddr, Ipv4Addr};

use evpnd_wire::Context;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnNlri, evpn_nlri_len};
use evpnd_wire::update::Update;

/// The NLRI that withdraws `key` (labels zero, as FRR sends them).
pub fn key_to_nlri(key: &EvpnKey) -> Option<EvpnNlri> {
    use evpnd_wire::nlri::evpn::*;
    use evpnd_wire::{Esi, Label3};
    let route = match key.clone() {
        EvpnKey::MacIp {
            rd,
            ethernet_tag,
            mac,
            ip,
        } => EvpnRoute::MacIp(MacIp {
            rd,
            esi: Esi::ZERO,
            ethernet_tag,
            mac,
            ip,
            label1: Label3::default(),
            label2: None,
        }),
        EvpnKey::Imet {
            rd,
            ethernet_tag,
            originator,
        } => EvpnRoute::Imet(Imet {
            rd,
            ethernet_tag,
            originator,
        }),
        EvpnKey::IpPrefix {
            rd,
            ethernet_tag,
            prefix,
        } => {
            let gateway = if prefix.addr().is_ipv4() {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
            };
            EvpnRoute::IpPrefix(IpPrefix {
                rd,
                esi: Esi::ZERO,
                ethernet_tag,
                prefix,
                gateway,
                label: Label3::default(),
            })
        }
        EvpnKey::EthernetAd {
            rd,
            esi,
            ethernet_tag,
        } => EvpnRoute::EthernetAd(EthernetAd {
            rd,
            esi,
            ethernet_tag,
            label: Label3::default(),
        }),
        EvpnKey::EthernetSegment {
            rd,
            esi,
            originator,
        } => EvpnRoute::EthernetSegment(EthernetSegment {
            rd,
            esi,
            originator,
        }),
        EvpnKey::Unknown { route_type, value } => EvpnRoute::Unknown { route_type, value },
    };
    Some(EvpnNlri {
        path_id: None,
        route,
    })
}

/// Splits EVPN `routes` into UPDATEs that fit the session's message size.
pub fn pack(
    routes: Vec<EvpnNlri>,
    ctx: &Context,
    make: impl Fn(Vec<EvpnNlri>) -> Update,
) -> Vec<Update> {
    pack_with(routes, ctx, evpn_nlri_len, make)
}

/// Splits `items` (NLRI of `len` octets each) into UPDATEs made by `make`
/// that fit the session's message size.
pub fn pack_with<T>(
    items: Vec<T>,
    ctx: &Context,
    len: impl Fn(&T) -> usize,
    make: impl Fn(Vec<T>) -> Update,
) -> Vec<Update> {
    let max = ctx.max_message_len();
    let overhead = 19 + make(Vec::new()).body_len(ctx) + 8;
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut size = overhead;
    for r in items {
        let l = len(&r);
        if size + l > max && !cur.is_empty() {
            out.push(make(std::mem::take(&mut cur)));
            size = overhead;
        }
        size += l;
        cur.push(r);
    }
    if !cur.is_empty() {
        out.push(make(cur));
    }
    out
}
