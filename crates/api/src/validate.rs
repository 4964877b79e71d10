//! Request validation: text and numbers from the wire into typed values, or
//! `INVALID_ARGUMENT` with a reason that names the offending field.

use std::net::IpAddr;
use std::str::FromStr;

use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;
use tonic::Status;

use crate::pb;
use crate::types::{LocalRoute, Origin, RouteFilter, View};

// Page tokens live in their own module (verified with a per-process key).
pub(crate) use crate::page_token::{cursor, page_token, vrf_cursor, vrf_page_token};

/// The longest tenant name, as `[[evpn.vrf]] name` allows
/// (`evpnd_config`'s `MAX_VRF_NAME`; this crate does not depend on it).
pub const MAX_VRF_NAME: usize = 64;

/// An optional tenant name: empty text is `None`; else 1 to
/// [`MAX_VRF_NAME`] letters, digits, `-`, `_` or `.`, as the configuration
/// allows (a name that could never be configured is a malformed request,
/// not an unknown tenant).
pub(crate) fn opt_vrf(field: &str, s: &str) -> Result<Option<String>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    let ok = s.len() <= MAX_VRF_NAME
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        // The name is echoed only when short: never a megabyte of input.
        let shown: String = s.chars().take(MAX_VRF_NAME).collect();
        return Err(invalid(
            field,
            format!(
                "{shown:?} is not a vrf name (1 to {MAX_VRF_NAME} characters: letters, digits, '-', '_', '.')"
            ),
        ));
    }
    Ok(Some(s.to_string()))
}

/// An optional exact prefix: empty text is `None`, a bare address is its
/// host prefix, host bits must be clear (`10.1.0.5/24` is refused with the
/// prefix it probably means).
pub(crate) fn opt_exact_prefix(field: &str, s: &str) -> Result<Option<IpNet>, Status> {
    let Some(n) = opt_net(field, s)? else {
        return Ok(None);
    };
    if n.trunc() != n {
        return Err(invalid(
            field,
            format!("{s:?} has host bits set (the prefix is {})", n.trunc()),
        ));
    }
    Ok(Some(n))
}

/// A page size: 0 means `default`; above `max` is refused.
pub(crate) fn page_size(field: &str, n: u32, default: usize, max: usize) -> Result<usize, Status> {
    match usize::try_from(n) {
        Ok(0) => Ok(default),
        Ok(n) if n <= max => Ok(n),
        _ => Err(invalid(
            field,
            format!("{n} is out of range (1 to {max}; 0 for {default})"),
        )),
    }
}

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

/// Linux's limit on interface names (IFNAMSIZ - 1).
const MAX_IFNAME: usize = 15;

/// A peer: an IP address, or an interface name (BGP unnumbered: 1 to 15
/// bytes, no '/', ':' or whitespace).
pub(crate) fn peer_ref(field: &str, s: &str) -> Result<crate::PeerRef, Status> {
    if s.is_empty() {
        return Err(invalid(
            field,
            "an IP address or an interface name is required",
        ));
    }
    if let Ok(a) = IpAddr::from_str(s) {
        return Ok(crate::PeerRef::Address(a));
    }
    let name_ok = s.len() <= MAX_IFNAME
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace());
    if !name_ok {
        return Err(invalid(
            field,
            format!("{s:?} is neither an IP address nor an interface name"),
        ));
    }
    Ok(crate::PeerRef::Interface(s.to_string()))
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

#[cfg(test)]
mod tests {

    #[test]
    fn a_peer_is_an_address_or_an_interface_name() {
        use crate::PeerRef;
        assert_eq!(
            peer_ref("address", "10.0.0.2").ok(),
            Some(PeerRef::Address(IpAddr::from([10, 0, 0, 2])))
        );
        assert_eq!(
            peer_ref("address", "swp1").ok(),
            Some(PeerRef::Interface("swp1".into()))
        );
        for bad in ["", "no/pe", "sw p1", "a:b", "swp1234567890123"] {
            let e = peer_ref("address", bad).expect_err(bad);
            assert_eq!(e.code(), tonic::Code::InvalidArgument, "{bad}");
            assert!(e.message().starts_with("address:"), "{}", e.message());
        }
    }

    use super::*;

    fn message<T: std::fmt::Debug>(r: Result<T, Status>) -> String {
        r.err().map(|s| s.message().to_string()).unwrap_or_default()
    }

    #[test]
    fn vrf_names() {
        assert_eq!(opt_vrf("vrf", "").ok(), Some(None));
        assert_eq!(
            opt_vrf("vrf", "blue-1.a_b").ok().flatten().as_deref(),
            Some("blue-1.a_b")
        );
        assert!(message(opt_vrf("vrf", "a b")).starts_with("vrf: \"a b\" is not a vrf name"));
        assert!(opt_vrf("vrf", "x/y").is_err());
        assert!(opt_vrf("vrf", &"a".repeat(MAX_VRF_NAME)).is_ok());
        let long = message(opt_vrf("vrf", &"a".repeat(100_000)));
        assert!(long.len() < 2 * MAX_VRF_NAME + 100, "{long}");
    }

    #[test]
    fn exact_prefixes() {
        let p = |s| opt_exact_prefix("prefix", s);
        assert_eq!(p("").ok(), Some(None));
        assert_eq!(
            p("10.1.0.0/24")
                .ok()
                .flatten()
                .map(|n| n.to_string())
                .as_deref(),
            Some("10.1.0.0/24")
        );
        assert_eq!(
            p("10.1.0.7")
                .ok()
                .flatten()
                .map(|n| n.to_string())
                .as_deref(),
            Some("10.1.0.7/32")
        );
        assert_eq!(
            p("2001:db8::/32").ok().flatten().map(|n| n.prefix_len()),
            Some(32)
        );
        assert_eq!(
            message(p("10.1.0.5/24")),
            "prefix: \"10.1.0.5/24\" has host bits set (the prefix is 10.1.0.0/24)"
        );
        assert!(message(p("10.1.0.0/33")).starts_with("prefix: invalid"));
        assert!(message(p("blue")).starts_with("prefix: invalid"));
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size("page_size", 0, 100, 1000).ok(), Some(100));
        assert_eq!(page_size("page_size", 1, 100, 1000).ok(), Some(1));
        assert_eq!(page_size("page_size", 1000, 100, 1000).ok(), Some(1000));
        assert_eq!(
            message(page_size("page_size", 1001, 100, 1000)),
            "page_size: 1001 is out of range (1 to 1000; 0 for 100)"
        );
    }

    #[test]
    fn route_prefixes() {
        assert!(route_prefix("prefix", "[3]:[0]:[32]:[10.0.0.1]").is_ok());
        assert!(route_prefix("prefix", "[9]:[0]").is_err());
        assert!(route_prefix("prefix", "10.0.0.0/8").is_err());
    }
}
