//! Human-readable rendering of decoded messages, and the flat per-route view
//! shared with the JSON output.

use std::fmt::Write;

use evpnd_wire::attr::{AttrValue, MpNlri};
use evpnd_wire::message::Message;
use evpnd_wire::nlri::evpn::EvpnRoute;
use evpnd_wire::notification::describe;
use evpnd_wire::update::Update;
use serde_json::{Value, json};

use super::Outcome;

fn route_line(r: &EvpnRoute) -> String {
    let labels = match r {
        EvpnRoute::MacIp(m) => match m.label2 {
            Some(l2) => format!(" vni {} l3vni {}", m.label1.vni(), l2.vni()),
            None => format!(" vni {}", m.label1.vni()),
        },
        EvpnRoute::EthernetAd(a) => format!(" esi {} vni {}", a.esi, a.label.vni()),
        EvpnRoute::IpPrefix(p) => format!(" gw {} vni {}", p.gateway, p.label.vni()),
        _ => String::new(),
    };
    let esi = match r {
        EvpnRoute::MacIp(m) if !m.esi.is_zero() => format!(" esi {}", m.esi),
        EvpnRoute::IpPrefix(p) if !p.esi.is_zero() => format!(" esi {}", p.esi),
        _ => String::new(),
    };
    format!("{r}{labels}{esi}")
}

/// One JSON object per NLRI announced or withdrawn, with family and next hop.
pub(crate) fn flat_routes(u: &Update) -> Vec<Value> {
    let mut out = Vec::new();
    let nh = u.next_hop().map(|a| a.to_string());
    for (list, action) in [(&u.withdrawn, "withdraw"), (&u.nlri, "announce")] {
        for p in list {
            let mut v =
                json!({ "action": action, "family": "ipv4-unicast", "prefix": p.net.to_string() });
            if action == "announce" {
                v["next_hop"] = json!(nh);
            }
            if let Some(id) = p.path_id {
                v["path_id"] = json!(id);
            }
            out.push(v);
        }
    }
    for a in &u.attributes {
        let (action, family, next_hop, nlri) = match &a.value {
            AttrValue::MpReach(m) => ("announce", m.family, Some(m.next_hop.to_string()), &m.nlri),
            AttrValue::MpUnreach(m) => ("withdraw", m.family, None, &m.nlri),
            _ => continue,
        };
        let base = json!({ "action": action, "family": family.to_string(), "next_hop": next_hop });
        match nlri {
            MpNlri::Evpn(routes) => out.extend(routes.iter().map(|n| {
                let mut v = serde_json::to_value(n).unwrap_or(Value::Null);
                if let (Value::Object(o), Value::Object(b)) = (&mut v, &base) {
                    o.insert("route_type".into(), json!(n.route.route_type()));
                    o.insert("route".into(), json!(n.route.to_string()));
                    for (k, val) in b {
                        o.insert(k.clone(), val.clone());
                    }
                }
                v
            })),
            MpNlri::Prefixes(ps) => out.extend(ps.iter().map(|p| {
                let mut v = base.clone();
                v["prefix"] = json!(p.net.to_string());
                if let Some(id) = p.path_id {
                    v["path_id"] = json!(id);
                }
                v
            })),
            MpNlri::Raw(r) if !r.is_empty() => {
                let mut v = base.clone();
                v["raw_nlri_octets"] = json!(r.len());
                out.push(v);
            }
            MpNlri::Raw(_) => {}
        }
    }
    out
}

pub(crate) fn render(o: &Outcome) -> String {
    let mut s = String::new();
    match o {
        Outcome::Error { bytes, err } => {
            let _ = writeln!(s, "MALFORMED ({} octets): {}", bytes.len(), err.reason);
            let _ = writeln!(
                s,
                "  verdict: session reset, NOTIFICATION {}/{} {}",
                err.code,
                err.subcode,
                describe(err.code, err.subcode)
            );
            if let Some(r) = err.nlri {
                let _ = writeln!(s, "  reason: {r} (RFC 7606 §5.3, ADR 0017)");
            }
        }
        Outcome::Message { bytes, msg } => render_message(&mut s, bytes.len(), msg),
    }
    s.push('\n');
    s
}

fn render_message(s: &mut String, len: usize, msg: &Message) {
    match msg {
        Message::Open(o) => {
            let _ = writeln!(
                s,
                "OPEN ({len} octets): AS {} hold {}s router-id {}{}",
                o.effective_asn(),
                o.hold_time,
                o.router_id,
                if o.extended_params {
                    " (RFC 9072 extended parameters)"
                } else {
                    ""
                }
            );
            for c in o.capabilities() {
                let _ = writeln!(
                    s,
                    "  {c}{}",
                    if c.malformed() {
                        "  [malformed, kept raw]"
                    } else {
                        ""
                    }
                );
            }
        }
        Message::Keepalive => {
            let _ = writeln!(s, "KEEPALIVE ({len} octets)");
        }
        Message::Notification(n) => {
            let _ = writeln!(s, "NOTIFICATION ({len} octets): {n}");
        }
        Message::RouteRefresh(r) => {
            let _ = writeln!(
                s,
                "ROUTE-REFRESH ({len} octets): {} {}",
                r.family,
                r.subtype_name()
            );
        }
        Message::Update(u) => render_update(s, len, u),
    }
}

fn render_update(s: &mut String, len: usize, u: &Update) {
    if let Some(f) = u.is_end_of_rib() {
        let _ = writeln!(s, "UPDATE ({len} octets): End-of-RIB {f}");
        return;
    }
    let _ = writeln!(s, "UPDATE ({len} octets)");
    for p in &u.withdrawn {
        let _ = writeln!(s, "  withdraw {p}");
    }
    for a in &u.attributes {
        let _ = writeln!(s, "  {a}");
        let (verb, nlri) = match &a.value {
            AttrValue::MpReach(m) => ("announce", &m.nlri),
            AttrValue::MpUnreach(m) => ("withdraw", &m.nlri),
            _ => continue,
        };
        match nlri {
            MpNlri::Evpn(routes) => routes.iter().for_each(|n| {
                let id = n
                    .path_id
                    .map(|i| format!(" path-id {i}"))
                    .unwrap_or_default();
                let _ = writeln!(s, "    {verb} {}{id}", route_line(&n.route));
            }),
            MpNlri::Prefixes(ps) => ps.iter().for_each(|p| {
                let _ = writeln!(s, "    {verb} {p}");
            }),
            MpNlri::Raw(r) if !r.is_empty() => {
                let _ = writeln!(
                    s,
                    "    {verb} {} octets of NLRI (family not interpreted)",
                    r.len()
                );
            }
            MpNlri::Raw(_) => {}
        }
    }
    for p in &u.nlri {
        let _ = writeln!(s, "  announce {p}");
    }
    for i in &u.issues {
        let scope = if i.route_only {
            " (this route only)"
        } else {
            ""
        };
        let _ = writeln!(s, "  problem: {}{scope}", i.reason);
    }
    if let Some((v, scope)) = super::update_verdict(u) {
        let scope = if scope == "route" {
            ", the rest of the UPDATE is used"
        } else {
            ""
        };
        let _ = writeln!(s, "  verdict: {} (RFC 7606{scope})", super::action_word(v));
    }
}
