//! The `--json` shapes: stable field names, independent of the proto's
//! generated code (documented in docs/evpnctl.md). Enums are lower-case
//! words without their proto prefix, e.g. `"established"`, `"soft_in"`.

use evpnd_api::pb;
use serde_json::{Value, json};

/// A proto enum name without its prefix, lower-cased.
pub fn enum_word(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_lowercase()
}

/// The FSM state as a word.
pub fn state(p: &pb::Peer) -> String {
    enum_word(p.state().as_str_name(), "FSM_STATE_")
}

/// The status.
pub fn status(s: &pb::GetStatusResponse) -> Value {
    let c = s.counters.unwrap_or_default();
    json!({
        "version": s.version, "uptime_seconds": s.uptime_seconds, "router_id": s.router_id,
        "asn": s.asn, "config_generation": s.config_generation,
        "counters": {
            "peers_configured": c.peers_configured, "peers_established": c.peers_established,
            "loc_rib_routes": c.loc_rib_routes, "adj_rib_in_paths": c.adj_rib_in_paths,
            "adj_rib_out_routes": c.adj_rib_out_routes, "vnis": c.vnis,
            "local_macs": c.local_macs, "remote_macs": c.remote_macs,
            "updates_received": c.updates_received, "updates_sent": c.updates_sent,
        }
    })
}

/// One peer, in full.
pub fn peer(p: &pb::Peer) -> Value {
    let families: Vec<Value> = p
        .families
        .iter()
        .map(|f| {
            json!({
                "family": enum_word(f.family().as_str_name(), "ADDRESS_FAMILY_"),
                "received": f.received, "accepted": f.accepted, "advertised": f.advertised,
            })
        })
        .collect();
    let last_error = p.last_error.as_ref().map(|e| {
        json!({
            "message": e.message,
            "at_unix_seconds": e.at_unix_seconds,
            "notification": e.notification.as_ref().map(|n| json!({
                "code": n.code, "subcode": n.subcode, "text": n.text, "sent": n.sent,
            })),
        })
    });
    let mut v = json!({
        "address": p.address, "remote_asn": p.remote_asn, "description": p.description,
        "state": state(p), "enabled": p.enabled, "uptime_seconds": p.uptime_seconds,
        "capabilities": p.capabilities, "hold_time_seconds": p.hold_time_seconds,
        "keepalive_seconds": p.keepalive_seconds, "families": families, "last_error": last_error,
    });
    // BGP unnumbered: only for interface neighbours, so that address
    // neighbours' output stays as it was.
    if !p.interface.is_empty()
        && let Some(o) = v.as_object_mut()
    {
        o.insert("interface".into(), json!(p.interface));
        o.insert("discovered_address".into(), json!(p.discovered_address));
        o.insert("discovery".into(), json!(p.discovery));
        o.insert("remote_as".into(), json!(p.remote_as));
    }
    v
}

/// A route key.
pub fn key(k: Option<&pb::RouteKey>) -> Value {
    let Some(k) = k else { return Value::Null };
    json!({
        "prefix": k.prefix, "rd": k.rd,
        "type": enum_word(k.route_type().as_str_name(), "ROUTE_TYPE_"),
    })
}

/// One path.
pub fn path(p: &pb::Path) -> Value {
    json!({
        "peer": p.peer, "next_hop": p.next_hop, "best": p.best, "route_targets": p.route_targets,
        "vni": p.vni, "l3_vni": p.l3_vni, "sequence": p.mac_mobility_sequence, "sticky": p.sticky,
        "router_mac": p.router_mac, "as_path": p.as_path, "local_pref": p.local_pref,
        "med": p.med, "age_seconds": p.age_seconds, "local": p.local,
    })
}

/// One route and its paths.
pub fn route(r: &pb::Route) -> Value {
    let mut v = key(r.key.as_ref());
    if let Value::Object(m) = &mut v {
        m.insert("paths".into(), r.paths.iter().map(path).collect());
    }
    v
}

/// One VNI.
pub fn vni(v: &pb::Vni) -> Value {
    json!({
        "vni": v.vni, "kind": enum_word(v.kind().as_str_name(), "VNI_KIND_"), "rd": v.rd,
        "import_rts": v.import_rts, "export_rts": v.export_rts, "bridge": v.bridge,
        "vlan": v.vlan, "svi": v.svi, "vtep_ip": v.vtep_ip, "flood_list": v.flood_list,
        "vxlan_device": v.vxlan_device, "vrf": v.vrf, "flood_mode": v.flood_mode,
        "static_vteps": v.static_vteps, "ethernet_tag": v.ethernet_tag,
        "remote_vteps": v.remote_vteps.iter().map(remote_vtep).collect::<Vec<_>>(),
    })
}

/// A remote VTEP of a VNI: `evpn`, `static`, `evpn+static`, or `none` with
/// the reason.
fn remote_vtep(r: &pb::RemoteVtep) -> Value {
    json!({
        "vtep": r.vtep,
        "source": enum_word(r.source().as_str_name(), "FLOOD_SOURCE_").replace("_and_", "+"),
        "reason": r.reason,
    })
}

/// Local / remote.
pub fn origin(o: pb::EntryOrigin) -> String {
    enum_word(o.as_str_name(), "ENTRY_ORIGIN_")
}

/// One MAC entry.
pub fn mac(m: &pb::Mac) -> Value {
    json!({
        "vni": m.vni, "mac": m.mac, "origin": origin(m.origin()), "vtep_ip": m.vtep_ip,
        "interface": m.interface, "sequence": m.sequence, "sticky": m.sticky,
        "duplicate": m.duplicate,
    })
}

/// One neighbour.
pub fn neighbor(n: &pb::Neighbor) -> Value {
    json!({
        "vni": n.vni, "ip": n.ip, "mac": n.mac, "origin": origin(n.origin()), "vtep_ip": n.vtep_ip,
    })
}

/// One VTEP.
pub fn vtep(v: &pb::Vtep) -> Value {
    json!({ "ip": v.ip, "vnis": v.vnis, "macs": v.macs })
}

/// A tenant route's source as a word: `ip_prefix`, `connected`, ...
pub fn tenant_source(s: pb::TenantRouteSource) -> String {
    enum_word(s.as_str_name(), "TENANT_ROUTE_SOURCE_")
}

/// One L3 tenant.
pub fn vrf(v: &pb::Vrf) -> Value {
    json!({
        "name": v.name, "l3vni": v.l3vni, "mode": enum_word(v.mode().as_str_name(), "VRF_MODE_"),
        "table": v.table, "vrf_device": v.vrf_device, "rd": v.rd, "import_rts": v.import_rts,
        "export_rts": v.export_rts, "router_mac": v.router_mac, "vxlan_device": v.vxlan_device,
        "svi": v.svi, "l2vnis": v.l2vnis, "up": v.up, "routes_installed": v.routes_installed,
        "routes_held": v.routes_held, "routes_originated": v.routes_originated,
    })
}

/// One tenant route; `local_source` is null for a remote route.
pub fn vrf_route(r: &pb::VrfRoute) -> Value {
    let hops: Vec<Value> = r
        .next_hops
        .iter()
        .map(|h| {
            json!({
                "vtep_ip": h.vtep_ip, "router_mac": h.router_mac,
                "source": tenant_source(h.source()), "route": h.route,
            })
        })
        .collect();
    let local = match r.local_source() {
        pb::TenantRouteSource::Unspecified => Value::Null,
        s => Value::String(tenant_source(s)),
    };
    json!({
        "vrf": r.vrf, "prefix": r.prefix, "next_hops": hops, "local_source": local,
        "installed": r.installed, "not_installed_reason": r.not_installed_reason,
    })
}

/// One remote Router's MAC.
pub fn router_mac(m: &pb::RouterMac) -> Value {
    json!({ "vrf": m.vrf, "vtep_ip": m.vtep_ip, "router_mac": m.router_mac, "routes": m.routes })
}

fn counts(c: Option<&pb::DataplaneCounts>) -> Value {
    let c = c.copied().unwrap_or_default();
    json!({ "fdb": c.fdb, "flood": c.flood, "neighbors": c.neighbors, "routes": c.routes })
}

/// The dataplane state of one VNI.
pub fn dataplane(d: &pb::VniDataplane) -> Value {
    let errors: Vec<Value> = d
        .last_errors
        .iter()
        .map(|e| json!({ "object": e.object, "message": e.message, "at_unix_seconds": e.at_unix_seconds }))
        .collect();
    json!({
        "vni": d.vni, "desired": counts(d.desired.as_ref()), "programmed": counts(d.programmed.as_ref()),
        "drift": d.drift, "last_errors": errors,
    })
}

/// One watch event.
pub fn event(e: &pb::watch_response::Event) -> Value {
    use pb::watch_response::Event;
    match e {
        Event::Peer(p) => json!({ "event": "peer", "peer": p.peer.as_ref().map(peer) }),
        Event::Route(r) => json!({
            "event": "route",
            "change": enum_word(r.change().as_str_name(), "ROUTE_CHANGE_"),
            "route": r.route.as_ref().map(route),
        }),
        Event::EndOfSnapshot(_) => json!({ "event": "end_of_snapshot" }),
        Event::ResyncRequired(r) => {
            json!({ "event": "resync_required", "missed_events": r.missed_events })
        }
    }
}
