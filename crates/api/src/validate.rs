//! Request validation: text and numbers from the wire into typed values, or
//! `INVALID_ARGUMENT` with a reason that names the offending field.

use std::net::IpAddr;
use std::str::FromStr;

use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;
use tonic::Status;

use crate::pb;
use crate::types::{LocalRoute, Origin, RouteCursor, RouteFilter, View};

/// `INVALID_ARGUMENT` naming `field`.
pub(crate) fn invalid(field: &str, why: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("{field}: {why}"))
}

/// A required VNI (1..=16777215).
pub(crate) fn vni(field: &str, v: u32) -> Result<Vni, Status> {
    if v == 0 {
        return Err(invalid(field, "VNI 0 is not valid (1..=16777215)"));
    }
    Vni::new(v).ok_or_else(|| invalid(field, format!("VNI {v} out of range (1..=16777215)")))
}

/// An optional VNI.
pub(crate) fn opt_vni(field: &str, v: Option<u32>) -> Result<Option<Vni>, Status> {
    v.map(|v| vni(field, v)).transpose()
}

/// An optional MAC: empty text is `None`.
pub(crate) fn opt_mac(field: &str, s: &str) -> Result<Option<MacAddr>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    MacAddr::from_str(s)
        .map(Some)
        .map_err(|e| invalid(field, e))
}

/// A required MAC.
pub(crate) fn mac(field: &str, s: &str) -> Result<MacAddr, Status> {
    opt_mac(field, s)?.ok_or_else(|| invalid(field, "a MAC address is required"))
}

/// An optional IP address.
pub(crate) fn opt_ip(field: &str, s: &str) -> Result<Option<IpAddr>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    IpAddr::from_str(s)
        .map(Some)
        .map_err(|_| invalid(field, format!("invalid IP address {s:?}")))
}

/// A required IP address.
pub(crate) fn ip(field: &str, s: &str) -> Result<IpAddr, Status> {
    opt_ip(field, s)?.ok_or_else(|| invalid(field, "an IP address is required"))
}

/// An IP prefix; a bare address means a host prefix.
pub(crate) fn opt_net(field: &str, s: &str) -> Result<Option<IpNet>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = IpNet::from_str(s) {
        return Ok(Some(n));
    }
    IpAddr::from_str(s)
        .map(|a| Some(IpNet::from(a)))
        .map_err(|_| invalid(field, format!("invalid IP address or prefix {s:?}")))
}

/// An optional route distinguisher.
pub(crate) fn opt_rd(field: &str, s: &str) -> Result<Option<Rd>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    Rd::from_str(s).map(Some).map_err(|e| invalid(field, e))
}

/// An optional route target.
pub(crate) fn opt_rt(field: &str, s: &str) -> Result<Option<RouteTarget>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    RouteTarget::from_str(s)
        .map(Some)
        .map_err(|e| invalid(field, e))
}

/// A RIB view; unspecified means the Loc-RIB.
pub(crate) fn view(v: i32) -> Result<View, Status> {
    match pb::RibView::try_from(v) {
        Ok(pb::RibView::Unspecified | pb::RibView::LocRib) => Ok(View::LocRib),
        Ok(pb::RibView::AdjRibIn) => Ok(View::AdjRibIn),
        Ok(pb::RibView::AdjRibOut) => Ok(View::AdjRibOut),
        Err(_) => Err(invalid("view", format!("unknown RIB view {v}"))),
    }
}

/// A route filter; `None` matches everything.
pub(crate) fn filter(f: Option<&pb::RouteFilter>) -> Result<RouteFilter, Status> {
    let Some(f) = f else {
        return Ok(RouteFilter::default());
    };
    let route_type = match pb::RouteType::try_from(f.route_type) {
        Ok(pb::RouteType::Unspecified) => None,
        Ok(_) => u8::try_from(f.route_type).ok(),
        Err(_) => {
            return Err(invalid(
                "filter.route_type",
                format!("unknown route type {}", f.route_type),
            ));
        }
    };
    Ok(RouteFilter {
        route_type,
        rd: opt_rd("filter.rd", &f.rd)?,
        route_target: opt_rt("filter.route_target", &f.route_target)?,
        vni: opt_vni("filter.vni", f.vni)?,
        mac: opt_mac("filter.mac", &f.mac)?,
        ip: opt_net("filter.ip", &f.ip)?,
        peer: opt_ip("filter.peer", &f.peer)?,
        best_only: f.best_only,
    })
}

/// An entry origin filter.
pub(crate) fn origin(field: &str, v: i32) -> Result<Option<Origin>, Status> {
    match pb::EntryOrigin::try_from(v) {
        Ok(pb::EntryOrigin::Unspecified) => Ok(None),
        Ok(pb::EntryOrigin::Local) => Ok(Some(Origin::Local)),
        Ok(pb::EntryOrigin::Remote) => Ok(Some(Origin::Remote)),
        Err(_) => Err(invalid(field, format!("unknown origin {v}"))),
    }
}

/// A local route to add or delete.
pub(crate) fn local_route(r: Option<&pb::LocalRoute>) -> Result<LocalRoute, Status> {
    use pb::local_route::Route;
    match r.and_then(|r| r.route.as_ref()) {
        None => Err(invalid(
            "route",
            "one of mac_ip, imet, ip_prefix is required",
        )),
        Some(Route::MacIp(m)) => Ok(LocalRoute::MacIp {
            vni: vni("route.mac_ip.vni", m.vni)?,
            mac: mac("route.mac_ip.mac", &m.mac)?,
            ip: opt_ip("route.mac_ip.ip", &m.ip)?,
            sticky: m.sticky,
        }),
        Some(Route::Imet(i)) => Ok(LocalRoute::Imet {
            vni: vni("route.imet.vni", i.vni)?,
        }),
        Some(Route::IpPrefix(p)) => {
            let field = "route.ip_prefix.prefix";
            let prefix = IpNet::from_str(&p.prefix)
                .map_err(|_| invalid(field, format!("invalid IP prefix {:?}", p.prefix)))?;
            Ok(LocalRoute::IpPrefix {
                vni: vni("route.ip_prefix.vni", p.vni)?,
                prefix,
            })
        }
    }
}

/// An EVPN route in FRR notation: bracketed fields, the first the type.
pub(crate) fn route_prefix(field: &str, s: &str) -> Result<String, Status> {
    let t = s
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map(|(t, _)| t);
    match t.and_then(|t| t.parse::<u8>().ok()) {
        Some(1..=5) if s.ends_with(']') => Ok(s.to_string()),
        _ => Err(invalid(
            field,
            format!("{s:?} is not an EVPN route like [2]:[0]:[48]:[aa:bb:cc:dd:ee:ff]"),
        )),
    }
}

const TOKEN_PREFIX: &str = "p1.";

/// A fingerprint of the query a token belongs to (FNV-1a over its debug
/// form): a token replayed with another view or filter is refused instead of
/// silently continuing elsewhere. Tokens need not survive an upgrade.
fn fingerprint(view: View, filter: &RouteFilter) -> [u8; 8] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{view:?}{filter:?}").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.to_be_bytes()
}

/// The page token for a cursor of the query (`view`, `filter`): a version
/// tag and hex of the query fingerprint and the cursor.
pub(crate) fn page_token(view: View, filter: &RouteFilter, c: &RouteCursor) -> String {
    let mut s = String::with_capacity(TOKEN_PREFIX.len() + (8 + c.0.len()) * 2);
    s.push_str(TOKEN_PREFIX);
    for b in fingerprint(view, filter).iter().chain(&c.0) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The cursor in a page token of the query (`view`, `filter`); empty means
/// the first page.
pub(crate) fn cursor(
    token: &str,
    view: View,
    filter: &RouteFilter,
) -> Result<Option<RouteCursor>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || invalid("page_token", "not a token this server issued");
    let hex = token.strip_prefix(TOKEN_PREFIX).ok_or_else(bad)?;
    if hex.len() % 2 != 0 || !hex.is_ascii() || hex.len() < 16 {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let (fp, rest) = bytes.split_at(8);
    if fp != fingerprint(view, filter) {
        return Err(invalid(
            "page_token",
            "issued for another view or filter; repeat the same request to page on",
        ));
    }
    Ok(Some(RouteCursor(rest.to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip_and_garbage() {
        let c = RouteCursor(vec![0, 1, 0xfe, 0xff]);
        let f = RouteFilter::default();
        let t = page_token(View::LocRib, &f, &c);
        assert_eq!(cursor(&t, View::LocRib, &f).ok().flatten(), Some(c));
        let other = RouteFilter {
            best_only: true,
            ..Default::default()
        };
        assert!(cursor(&t, View::LocRib, &other).is_err());
        assert!(cursor(&t, View::AdjRibIn, &f).is_err());
        for bad in ["x", "p1.0", "p1.zz", "p2.00", "p1.é0", "p1.00"] {
            let e = cursor(bad, View::LocRib, &f)
                .err()
                .map(|s| s.message().to_string());
            assert!(e.is_some_and(|m| m.starts_with("page_token:")), "{bad}");
        }
    }

    #[test]
    fn route_prefixes() {
        assert!(route_prefix("prefix", "[3]:[0]:[32]:[10.0.0.1]").is_ok());
        assert!(route_prefix("prefix", "[9]:[0]").is_err());
        assert!(route_prefix("prefix", "10.0.0.0/8").is_err());
    }
}
