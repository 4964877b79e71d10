//! The fake backend's L3 tenants: `blue` (table 100, up, L2VNI 100) with
//! one local connected subnet, one remote host route and `n` remote type-5
//! prefixes over two VTEPs; `red` (VRF device, down) with one held route.

use std::str::FromStr;

use ipnet::IpNet;

use crate::pb;
use crate::types::{VrfRouteCursor, VrfRoutePage, VrfRouteQuery};

/// The Router's MACs of the fake remote VTEPs 10.0.0.2 and 10.0.0.3.
const RMAC_2: &str = "02:00:00:00:00:02";
const RMAC_3: &str = "02:00:00:00:00:03";

/// The two tenants, in configuration order (blue, red).
pub fn vrfs(n: usize) -> Vec<pb::Vrf> {
    vec![
        pb::Vrf {
            name: "blue".into(),
            l3vni: 5000,
            mode: pb::VrfMode::Table.into(),
            table: 100,
            rd: "10.0.0.1:5000".into(),
            import_rts: vec!["*:5000".into()],
            export_rts: vec!["65000:5000".into()],
            router_mac: "02:00:00:00:00:01".into(),
            vxlan_device: "vxlan5000".into(),
            svi: "br5000".into(),
            l2vnis: vec![100],
            up: true,
            routes_installed: n as u64 + 1,
            routes_held: 0,
            routes_originated: 1,
            ..Default::default()
        },
        pb::Vrf {
            name: "red".into(),
            l3vni: 5001,
            mode: pb::VrfMode::Device.into(),
            table: 1001,
            vrf_device: "vrf-red".into(),
            rd: "10.0.0.1:5001".into(),
            import_rts: vec!["65000:5001".into()],
            export_rts: vec!["65000:5001".into()],
            up: false,
            routes_held: 1,
            ..Default::default()
        },
    ]
}

fn hop(vtep: &str, rmac: &str, source: pb::TenantRouteSource, route: String) -> pb::VrfNextHop {
    pb::VrfNextHop {
        vtep_ip: vtep.into(),
        router_mac: rmac.into(),
        source: source.into(),
        route,
    }
}

/// Every tenant route, in (tenant, prefix) order.
pub fn routes(n: usize) -> Vec<pb::VrfRoute> {
    let mut all = vec![
        pb::VrfRoute {
            vrf: "blue".into(),
            prefix: "10.100.0.0/24".into(),
            local_source: pb::TenantRouteSource::Connected.into(),
            installed: true,
            ..Default::default()
        },
        pb::VrfRoute {
            vrf: "blue".into(),
            prefix: "10.100.0.7/32".into(),
            next_hops: vec![hop(
                "10.0.0.3",
                RMAC_3,
                pb::TenantRouteSource::MacIp,
                "[2]:[10.0.0.3:100]:[0]:[48]:[aa:bb:cc:00:00:07]:[32]:[10.100.0.7]".into(),
            )],
            installed: true,
            ..Default::default()
        },
        pb::VrfRoute {
            vrf: "red".into(),
            prefix: "192.168.0.0/16".into(),
            next_hops: vec![hop(
                "10.0.0.2",
                RMAC_2,
                pb::TenantRouteSource::IpPrefix,
                "[5]:[10.0.0.2:5001]:[0]:[16]:[192.168.0.0]".into(),
            )],
            installed: false,
            not_installed_reason: "L3VNI down".into(),
            ..Default::default()
        },
    ];
    all.extend((0..n).map(|i| {
        let net = format!("10.5.{}.{}", (i >> 8) & 0xff, i & 0xff);
        let rd2 = "10.0.0.2:5000";
        let mut next_hops = vec![hop(
            "10.0.0.2",
            RMAC_2,
            pb::TenantRouteSource::IpPrefix,
            format!("[5]:[{rd2}]:[0]:[32]:[{net}]"),
        )];
        if i == 0 {
            // One ECMP route: the same prefix from both VTEPs.
            next_hops.push(hop(
                "10.0.0.3",
                RMAC_3,
                pb::TenantRouteSource::IpPrefix,
                format!("[5]:[10.0.0.3:5000]:[0]:[32]:[{net}]"),
            ));
        }
        pb::VrfRoute {
            vrf: "blue".into(),
            prefix: format!("{net}/32"),
            next_hops,
            installed: true,
            ..Default::default()
        }
    }));
    all.sort_by_key(key);
    all
}

/// The (tenant, prefix) order of a route.
fn key(r: &pb::VrfRoute) -> (String, Option<IpNet>) {
    (r.vrf.clone(), IpNet::from_str(&r.prefix).ok())
}

/// The remote Router's MACs (blue only: red is down).
pub fn router_macs(n: usize) -> Vec<pb::RouterMac> {
    vec![
        pb::RouterMac {
            vrf: "blue".into(),
            vtep_ip: "10.0.0.2".into(),
            router_mac: RMAC_2.into(),
            routes: n as u64,
        },
        pb::RouterMac {
            vrf: "blue".into(),
            vtep_ip: "10.0.0.3".into(),
            router_mac: RMAC_3.into(),
            routes: 1 + u64::from(n > 0),
        },
    ]
}

/// True when `name` is a configured fake tenant.
pub fn known(name: &str) -> bool {
    vrfs(0).iter().any(|v| v.name == name)
}

/// One page of `routes` for `q`: after the cursor, matching, at most
/// `q.limit`; the next cursor only when another matching route follows.
pub fn page(routes: &[pb::VrfRoute], q: &VrfRouteQuery) -> Option<VrfRoutePage> {
    if q.vrf.as_deref().is_some_and(|v| !known(v)) {
        return None;
    }
    let after = q.after.as_ref().map(|c| (c.vrf.clone(), Some(c.prefix)));
    let mut matching = routes
        .iter()
        .filter(|r| q.vrf.as_ref().is_none_or(|v| *v == r.vrf))
        .filter(|r| q.prefix.is_none_or(|p| key(r).1 == Some(p)))
        .filter(|r| after.as_ref().is_none_or(|a| key(r) > *a));
    let routes: Vec<pb::VrfRoute> = matching.by_ref().take(q.limit).cloned().collect();
    let next = match (matching.next(), routes.last()) {
        (Some(_), Some(last)) => key(last).1.map(|prefix| VrfRouteCursor {
            vrf: last.vrf.clone(),
            prefix,
        }),
        _ => None,
    };
    Some(VrfRoutePage { routes, next })
}
