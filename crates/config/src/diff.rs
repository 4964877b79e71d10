//! What changed between two configurations, for SIGHUP reload.
//!
//! Comparisons are on *effective* values: a neighbour that inherits
//! `[bgp].hold_time` changes when that does, a VNI with auto RTs changes when
//! `[evpn].auto_rt` does, and moving a block in the file changes nothing.
//!
//! * neighbours (by address, or interface for BGP unnumbered): added,
//!   removed, and changed — split into those whose change
//!   needs a session reset (AS, password, timers, capabilities...) and those
//!   applied live (description, max_prefix, route_reflector_client);
//! * VNIs: added, removed, changed (anything about the routes they originate
//!   or import);
//! * global keys: applied on reload (`global_changed`) or only after a restart
//!   (`restart_required`: asn, router_id, listeners...).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use evpnd_wire::{Rd, RouteTarget, Vni};
use ipnet::IpNet;
use serde::Serialize;

use crate::PeerKey;
use crate::derive::RtMatch;
use crate::model::{Config, Neighbor, StaticMac, VniConfig, VrfConfig};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ConfigDiff {
    /// Neighbours by their key (address, or interface for BGP unnumbered):
    /// a neighbour moved to another address or interface is removed and added.
    pub neighbors_added: Vec<PeerKey>,
    pub neighbors_removed: Vec<PeerKey>,
    /// Changed neighbours whose session must be reset to apply the change.
    pub neighbors_reset: Vec<PeerKey>,
    /// Changed neighbours whose change applies to the live session.
    pub neighbors_updated: Vec<PeerKey>,
    /// What changed for each neighbour in `neighbors_reset` and `neighbors_updated`.
    pub neighbor_changes: Vec<NeighborChange>,
    pub vnis_added: Vec<Vni>,
    pub vnis_removed: Vec<Vni>,
    /// VNIs whose originated routes or import rules change (RD, RTs, MACs,
    /// prefixes, VTEP address, gateway flags). Device pins need a restart.
    pub vnis_changed: Vec<Vni>,
    /// Changed global keys that take effect on reload (their effect on
    /// neighbours and VNIs is already in the lists above).
    pub global_changed: Vec<&'static str>,
    /// Changed keys that only take effect after a restart.
    pub restart_required: Vec<&'static str>,
}

/// One changed neighbour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeighborChange {
    /// The neighbour's address or interface.
    pub peer: PeerKey,
    /// The changed keys, as written in the file (`hold_time` also when inherited).
    pub keys: Vec<&'static str>,
    /// Whether the session must be reset (any key needing it).
    pub reset: bool,
}

impl ConfigDiff {
    pub fn is_empty(&self) -> bool {
        *self == ConfigDiff::default()
    }
}

/// The settings of a neighbour as the session sees them, key by key:
/// (key, needs a reset, value rendered for comparison).
fn neighbor_view(c: &Config, n: &Neighbor) -> Vec<(&'static str, bool, String)> {
    let gr = c
        .graceful_restart(n)
        .then_some(c.bgp.graceful_restart.restart_time);
    vec![
        ("remote_asn", true, n.remote_asn.to_string()),
        (
            "extended_nexthop",
            true,
            format!("{:?}", c.extended_next_hop(n)),
        ),
        ("password", true, format!("{:?}", n.password)),
        (
            "ttl_security",
            true,
            format!("{:?}", n.ttl_security.as_ref().map(|t| *t.get_ref())),
        ),
        ("ebgp_multihop", true, format!("{:?}", n.ebgp_multihop)),
        ("passive", true, n.passive.to_string()),
        ("hold_time", true, c.hold_time(n).to_string()),
        ("keepalive", true, c.effective_keepalive(n).to_string()),
        ("update_source", true, format!("{:?}", n.update_source)),
        ("port", true, n.port.to_string()),
        ("families", true, format!("{:?}", n.families)),
        ("add_path_receive", true, n.add_path_receive.to_string()),
        ("graceful_restart", true, format!("{gr:?}")),
        ("enabled", true, n.enabled.to_string()),
        ("description", false, format!("{:?}", n.description)),
        ("max_prefix", false, format!("{:?}", n.max_prefix)),
        (
            "route_reflector_client",
            false,
            n.route_reflector_client.to_string(),
        ),
        ("import_policy", false, format!("{:?}", n.import_policy)),
        ("export_policy", false, format!("{:?}", n.export_policy)),
    ]
}

/// A VNI as the EVPN core sees it.
#[derive(PartialEq)]
struct VniView {
    rd: Rd,
    import: Vec<RtMatch>,
    export: Vec<RouteTarget>,
    macs: Vec<(StaticMac, bool)>,
    prefixes: Vec<IpNet>,
    vtep: IpAddr,
    policies: [Option<String>; 2],
}

fn vni_view(c: &Config, v: &VniConfig) -> VniView {
    VniView {
        rd: c.rd(v),
        import: c.import_rts(v),
        export: c.export_rts(v),
        macs: v
            .macs
            .iter()
            .map(|m| {
                let m = *m.get_ref();
                (m, c.evpn.default_gateway_macs.contains(&m.mac))
            })
            .collect(),
        prefixes: v.prefixes.clone(),
        vtep: c.vtep_ip(),
        policies: [v.import_policy.clone(), v.export_policy.clone()],
    }
}

impl Config {
    pub fn diff(old: &Config, new: &Config) -> ConfigDiff {
        let mut d = ConfigDiff::default();
        globals(old, new, &mut d);

        let by_addr = |c: &Config| -> BTreeMap<PeerKey, Neighbor> {
            c.neighbor.iter().map(|n| (n.key(), n.clone())).collect()
        };
        let (a, b) = (by_addr(old), by_addr(new));
        for (addr, nb) in &b {
            let Some(na) = a.get(addr) else {
                d.neighbors_added.push(addr.clone());
                continue;
            };
            let changed: Vec<(&'static str, bool)> = neighbor_view(old, na)
                .into_iter()
                .zip(neighbor_view(new, nb))
                .filter(|(x, y)| x.2 != y.2)
                .map(|(x, _)| (x.0, x.1))
                .collect();
            if changed.is_empty() {
                continue;
            }
            let reset = changed.iter().any(|(_, r)| *r);
            if reset {
                d.neighbors_reset.push(addr.clone());
            } else {
                d.neighbors_updated.push(addr.clone());
            }
            d.neighbor_changes.push(NeighborChange {
                peer: addr.clone(),
                keys: changed.into_iter().map(|(k, _)| k).collect(),
                reset,
            });
        }
        d.neighbors_removed = a.keys().filter(|k| !b.contains_key(k)).cloned().collect();

        let by_vni = |c: &Config| -> BTreeMap<Vni, VniConfig> {
            c.evpn
                .vni
                .iter()
                .map(|v| (*v.vni.get_ref(), v.clone()))
                .collect()
        };
        let (va, vb) = (by_vni(old), by_vni(new));
        for (vni, v) in &vb {
            match va.get(vni) {
                None => d.vnis_added.push(*vni),
                Some(o) if vni_view(old, o) != vni_view(new, v) => d.vnis_changed.push(*vni),
                Some(_) => {}
            }
        }
        d.vnis_removed = va.keys().filter(|k| !vb.contains_key(k)).copied().collect();
        d
    }
}

/// The devices each VNI is pinned to (read by the linux task at start).
fn device_pins(c: &Config) -> HashMap<Vni, [Option<String>; 3]> {
    c.evpn
        .vni
        .iter()
        .map(|v| {
            (
                *v.vni.get_ref(),
                [v.bridge.clone(), v.vxlan_device.clone(), v.svi.clone()],
            )
        })
        .collect()
}

/// The tenants as they take effect (by name, so moving a block changes
/// nothing): the EVPN domain builds them once, so any change — including of
/// the effective RD, route targets or VTEP address — needs a restart.
type VrfEffect = (VrfConfig, Rd, Vec<RtMatch>, Vec<RouteTarget>, IpAddr);

fn vrf_views(c: &Config) -> BTreeMap<String, VrfEffect> {
    c.evpn
        .vrf
        .iter()
        .map(|v| {
            let view = (
                v.clone(),
                c.vrf_rd(v),
                c.vrf_import_rts(v),
                c.vrf_export_rts(v),
                c.vtep_ip(),
            );
            (v.name.clone(), view)
        })
        .collect()
}

/// Each configured VNI's `ethernet_tag`: the EVPN domain reads it when the
/// VNI's instance is created.
fn vni_tags(c: &Config) -> BTreeMap<Vni, crate::model::EthernetTag> {
    c.evpn
        .vni
        .iter()
        .map(|v| (*v.vni.get_ref(), v.ethernet_tag))
        .collect()
}

/// Each configured VNI's `static_vteps` (applied on reload).
fn vni_static_vteps(c: &Config) -> BTreeMap<Vni, Vec<IpAddr>> {
    c.evpn
        .vni
        .iter()
        .map(|v| (*v.vni.get_ref(), v.static_vteps.clone()))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

/// Which tenant each configured L2VNI routes in (`[[evpn.vni]] vrf`).
fn vni_vrfs(c: &Config) -> BTreeMap<Vni, Option<String>> {
    c.evpn
        .vni
        .iter()
        .map(|v| (*v.vni.get_ref(), v.vrf.clone()))
        .collect()
}

fn globals(old: &Config, new: &Config, d: &mut ConfigDiff) {
    let (o, n) = (&old.bgp, &new.bgp);
    let restart = [
        ("bgp.asn", old.asn() != new.asn()),
        ("bgp.router_id", o.router_id != n.router_id),
        ("bgp.listen", o.listen != n.listen),
        ("bgp.cluster_id", old.cluster_id() != new.cluster_id()),
        ("api.socket", old.api.socket != new.api.socket),
        (
            "bgp.graceful_restart.state_file",
            o.graceful_restart.state_file != n.graceful_restart.state_file,
        ),
        (
            "evpn.vni.bridge, vxlan_device, svi",
            device_pins(old) != device_pins(new),
        ),
        (
            "evpn.flood_state_file",
            old.evpn.flood_state_file != new.evpn.flood_state_file,
        ),
        (
            "evpn.netlink_buffer",
            old.evpn.netlink_buffer != new.evpn.netlink_buffer,
        ),
        ("evpn.vrf", vrf_views(old) != vrf_views(new)),
        ("evpn.vni.vrf", vni_vrfs(old) != vni_vrfs(new)),
        ("evpn.vni.ethernet_tag", vni_tags(old) != vni_tags(new)),
        ("api.listen", old.api.listen != new.api.listen),
        ("api.tls_cert", old.api.tls_cert != new.api.tls_cert),
        ("api.tls_key", old.api.tls_key != new.api.tls_key),
        ("api.client_ca", old.api.client_ca != new.api.client_ca),
        (
            "api.socket_group, socket_mode, readonly_socket*",
            (
                &old.api.socket_group,
                old.api.socket_mode,
                &old.api.readonly_socket,
            ) != (
                &new.api.socket_group,
                new.api.socket_mode,
                &new.api.readonly_socket,
            ) || (&old.api.readonly_socket_group, old.api.readonly_socket_mode)
                != (&new.api.readonly_socket_group, new.api.readonly_socket_mode),
        ),
        ("metrics.listen", old.metrics.listen != new.metrics.listen),
        ("log.level", old.log.level != new.log.level),
        ("log.format", old.log.format != new.log.format),
    ];
    let (eo, en) = (&old.evpn, &new.evpn);
    let (go, gn) = (&o.graceful_restart, &n.graceful_restart);
    let live = [
        ("bgp.hold_time", o.hold_time != n.hold_time),
        ("bgp.keepalive", o.keepalive != n.keepalive),
        ("bgp.connect_retry", o.connect_retry != n.connect_retry),
        ("bgp.graceful_restart.enabled", go.enabled != gn.enabled),
        (
            "bgp.graceful_restart.restart_time",
            go.restart_time != gn.restart_time,
        ),
        (
            "bgp.graceful_restart.stale_routes_time",
            go.stale_routes_time != gn.stale_routes_time,
        ),
        (
            "bgp.graceful_restart.select_defer_time",
            go.select_defer_time != gn.select_defer_time,
        ),
        (
            "bgp.graceful_restart.on_shutdown",
            go.on_shutdown != gn.on_shutdown,
        ),
        ("evpn.vtep_ip", eo.vtep_ip != en.vtep_ip),
        (
            "evpn.learn_from_kernel",
            eo.learn_from_kernel != en.learn_from_kernel,
        ),
        ("evpn.auto_rt", eo.auto_rt != en.auto_rt),
        (
            "evpn.default_gateway_macs",
            eo.default_gateway_macs != en.default_gateway_macs,
        ),
        (
            "evpn.flush_on_shutdown",
            eo.flush_on_shutdown != en.flush_on_shutdown,
        ),
        (
            "evpn.duplicate_detection",
            eo.duplicate_detection != en.duplicate_detection,
        ),
        ("evpn.vtep_allow", eo.vtep_allow != en.vtep_allow),
        (
            "evpn.strict_rt_import",
            eo.strict_rt_import != en.strict_rt_import,
        ),
        (
            "evpn.vni.static_vteps",
            vni_static_vteps(old) != vni_static_vteps(new),
        ),
        ("policy", old.policy != new.policy),
        ("bmp", old.bmp != new.bmp),
    ];
    d.restart_required = restart
        .iter()
        .filter(|(_, c)| *c)
        .map(|(k, _)| *k)
        .collect();
    d.global_changed = live.iter().filter(|(_, c)| *c).map(|(k, _)| *k).collect();
}
