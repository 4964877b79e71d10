//! BUM flooding per VNI (ADR 0031): which remote VTEPs get a head-end
//! (all-zero MAC) flood entry, and why the others get none.
//!
//! A flood entry towards `(VNI, VTEP)` has two kinds of sources:
//! * **EVPN**: the remote type-3 routes imported into the VNI whose PMSI
//!   tunnel asks for head-end replication towards that VTEP (refcounted by
//!   route key: several RDs of one VTEP, add-path copies);
//! * **static**: the VNI's `static_vteps` (VTEPs that speak no BGP), while
//!   the VNI's instance exists.
//!
//! The entry is wanted while any source is, so one that gains or loses a
//! source while keeping another never blinks: a static VTEP that starts
//! speaking EVPN, or is then removed from `static_vteps`, keeps one entry.
//!
//! Per remote type 3, given our VNI's VXLAN device (RFC 8365 §5.1.3,
//! RFC 6514 §5):
//!
//! | its PMSI tunnel                         | our device    | flood entry          |
//! |-----------------------------------------|---------------|----------------------|
//! | ingress replication (6), endpoint E      | any           | head-end towards E   |
//! | PIM tree (3, 4, 5), group G, sender S    | group G       | none: BUM goes via G |
//! | PIM tree, group G, sender S              | other / none  | head-end towards S   |
//! | another type, or an unreadable id        | any           | none (reason kept)   |
//! | none (no PMSI attribute)                 | any           | none (reason kept)   |

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;

use evpnd_wire::Vni;
use evpnd_wire::attr::pmsi::{self, PmsiTunnel, TunnelId};
use evpnd_wire::nlri::evpn::EvpnKey;
use serde::Serialize;
use tracing::info;

use crate::{DesiredChange, Output};

/// The PMSI tunnel of a remote type-3 route, as flooding needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tunnel {
    /// Ingress replication (type 6) towards `endpoint`.
    IngressReplication { endpoint: IpAddr },
    /// A PIM tree (type 3, 4 or 5) rooted at `sender` with `group`.
    Multicast {
        tunnel_type: u8,
        sender: IpAddr,
        group: IpAddr,
    },
    /// Another tunnel type, or a tunnel id that could not be read.
    Other { tunnel_type: u8 },
}

impl Tunnel {
    /// From the route's PMSI tunnel attribute.
    pub fn of(p: &PmsiTunnel) -> Tunnel {
        match (p.tunnel_type, &p.tunnel_id) {
            (pmsi::INGRESS_REPLICATION, TunnelId::Ip(endpoint)) => Tunnel::IngressReplication {
                endpoint: *endpoint,
            },
            (t, TunnelId::Multicast { sender, group }) if pmsi::is_pim_tree(t) => {
                Tunnel::Multicast {
                    tunnel_type: t,
                    sender: *sender,
                    group: *group,
                }
            }
            (t, _) => Tunnel::Other { tunnel_type: t },
        }
    }
}

impl fmt::Display for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Tunnel::IngressReplication { endpoint } => {
                write!(f, "ingress-replication {endpoint}")
            }
            Tunnel::Multicast {
                tunnel_type,
                sender,
                group,
            } => {
                let name = pmsi::type_name(tunnel_type).unwrap_or("multicast");
                write!(f, "{name} sender {sender} group {group}")
            }
            Tunnel::Other { tunnel_type } => write!(f, "tunnel type {tunnel_type}"),
        }
    }
}

/// Why a remote type 3 gives no flood entry in a VNI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoEntry {
    /// It floods into our VNI's own group: BUM reaches it through the group.
    SameGroup { group: IpAddr },
    /// A tunnel type we cannot send BUM into.
    Unsupported { tunnel_type: u8 },
    /// The route has no PMSI tunnel attribute.
    NoPmsi,
}

impl fmt::Display for NoEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoEntry::SameGroup { group } => {
                write!(f, "same multicast group {group}: no head-end entry")
            }
            NoEntry::Unsupported { tunnel_type } => {
                write!(f, "unsupported tunnel type {tunnel_type}: no entry")
            }
            NoEntry::NoPmsi => f.write_str("no PMSI tunnel attribute: no entry"),
        }
    }
}

/// What one remote type 3 gives a VNI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Decision {
    /// A head-end flood entry towards this VTEP.
    HeadEnd(IpAddr),
    /// No flood entry, for this reason.
    None(NoEntry),
}

/// The decision table above: `group` is our VNI's device's group.
pub fn decide(tunnel: Option<Tunnel>, group: Option<IpAddr>) -> Decision {
    match tunnel {
        Some(Tunnel::IngressReplication { endpoint }) => Decision::HeadEnd(endpoint),
        Some(Tunnel::Multicast {
            group: theirs,
            sender,
            ..
        }) => {
            if group == Some(theirs) {
                Decision::None(NoEntry::SameGroup { group: theirs })
            } else {
                Decision::HeadEnd(sender)
            }
        }
        Some(Tunnel::Other { tunnel_type }) => Decision::None(NoEntry::Unsupported { tunnel_type }),
        None => Decision::None(NoEntry::NoPmsi),
    }
}

/// Where a remote VTEP's flood entry in a VNI comes from, or why it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FloodSource {
    /// Type-3 routes only.
    Evpn,
    /// `static_vteps` only.
    Static,
    /// Both (the static entry is redundant).
    EvpnAndStatic,
    /// A type 3 that gives no entry.
    NoEntry(NoEntry),
}

impl fmt::Display for FloodSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FloodSource::Evpn => f.write_str("evpn"),
            FloodSource::Static => f.write_str("static"),
            FloodSource::EvpnAndStatic => f.write_str("evpn+static"),
            FloodSource::NoEntry(n) => n.fmt(f),
        }
    }
}

/// A type 3 imported into a VNI: its tunnel, its VTEP (originator) and
/// the decision taken (what removing it undoes).
#[derive(Debug, Clone, Copy)]
struct Imported {
    tunnel: Option<Tunnel>,
    originator: IpAddr,
    decision: Decision,
}

#[derive(Debug, Default)]
pub struct Flood {
    imets: HashMap<Vni, BTreeMap<EvpnKey, Imported>>,
    /// The EVPN sources of each head-end entry.
    evpn: HashMap<(Vni, IpAddr), BTreeSet<EvpnKey>>,
    /// The static sources, of VNIs whose instance exists.
    statics: HashMap<Vni, BTreeSet<IpAddr>>,
}

fn push(out: &mut Vec<Output>, c: DesiredChange) {
    out.push(Output::Dataplane(c));
}

impl Flood {
    fn is_static(&self, vni: Vni, vtep: IpAddr) -> bool {
        self.statics.get(&vni).is_some_and(|s| s.contains(&vtep))
    }

    fn wanted(&self, vni: Vni, vtep: IpAddr) -> bool {
        self.evpn.contains_key(&(vni, vtep)) || self.is_static(vni, vtep)
    }

    /// The flood entries wanted now, sorted.
    pub fn entries(&self) -> BTreeSet<(Vni, IpAddr)> {
        let mut all: BTreeSet<(Vni, IpAddr)> = self.evpn.keys().copied().collect();
        for (vni, s) in &self.statics {
            all.extend(s.iter().map(|v| (*vni, *v)));
        }
        all
    }

    /// A remote type 3 imported into `vni`, whose device floods to `group`.
    pub fn add_route(
        &mut self,
        vni: Vni,
        key: &EvpnKey,
        tunnel: Option<Tunnel>,
        originator: IpAddr,
        group: Option<IpAddr>,
        out: &mut Vec<Output>,
    ) {
        let decision = decide(tunnel, group);
        let old = self.imets.entry(vni).or_default().insert(
            key.clone(),
            Imported {
                tunnel,
                originator,
                decision,
            },
        );
        let old = old.map(|o| o.decision);
        if old == Some(decision) {
            return;
        }
        // Decided anew (a changed route or group): the new entry is put in
        // before the old one goes.
        if let Decision::HeadEnd(vtep) = decision {
            self.add_evpn(vni, vtep, key, out);
        }
        if let Some(Decision::HeadEnd(vtep)) = old {
            self.remove_evpn(vni, vtep, key, out);
        }
    }

    /// A type 3 no longer imported into `vni`.
    pub fn remove_route(&mut self, vni: Vni, key: &EvpnKey, out: &mut Vec<Output>) {
        let Some(per) = self.imets.get_mut(&vni) else {
            return;
        };
        let Some(old) = per.remove(key) else { return };
        if per.is_empty() {
            self.imets.remove(&vni);
        }
        if let Decision::HeadEnd(vtep) = old.decision {
            self.remove_evpn(vni, vtep, key, out);
        }
    }

    /// Our device's group in `vni` is now `group`: every type 3 of it is
    /// decided again (a new head-end entry is put in before an old one goes).
    pub fn regroup(&mut self, vni: Vni, group: Option<IpAddr>, out: &mut Vec<Output>) {
        let Some(per) = self.imets.get(&vni) else {
            return;
        };
        let changed: Vec<(EvpnKey, Imported)> = per
            .iter()
            .filter(|(_, i)| decide(i.tunnel, group) != i.decision)
            .map(|(k, i)| (k.clone(), *i))
            .collect();
        for (key, i) in changed {
            self.add_route(vni, &key, i.tunnel, i.originator, group, out);
        }
    }

    fn add_evpn(&mut self, vni: Vni, vtep: IpAddr, key: &EvpnKey, out: &mut Vec<Output>) {
        let before = self.wanted(vni, vtep);
        let keys = self.evpn.entry((vni, vtep)).or_default();
        let first = keys.is_empty();
        keys.insert(key.clone());
        if !before {
            push(out, DesiredChange::Flood { vni, vtep });
        } else if first && self.is_static(vni, vtep) {
            info!(%vni, %vtep, "static VTEP now advertises a type-3 route: its static_vteps entry is redundant (the flood entry stays)");
        }
    }

    fn remove_evpn(&mut self, vni: Vni, vtep: IpAddr, key: &EvpnKey, out: &mut Vec<Output>) {
        let Some(keys) = self.evpn.get_mut(&(vni, vtep)) else {
            return;
        };
        keys.remove(key);
        if !keys.is_empty() {
            return;
        }
        self.evpn.remove(&(vni, vtep));
        if !self.is_static(vni, vtep) {
            push(out, DesiredChange::FloodGone { vni, vtep });
        }
    }

    /// `vni`'s static sources are now `vteps` (empty: its instance went).
    pub fn set_static(&mut self, vni: Vni, vteps: BTreeSet<IpAddr>, out: &mut Vec<Output>) {
        let old = if vteps.is_empty() {
            self.statics.remove(&vni).unwrap_or_default()
        } else {
            self.statics.insert(vni, vteps.clone()).unwrap_or_default()
        };
        for vtep in vteps.difference(&old) {
            if self.evpn.contains_key(&(vni, *vtep)) {
                info!(%vni, %vtep, "static VTEP already advertises a type-3 route: its static_vteps entry is redundant");
            } else {
                push(out, DesiredChange::Flood { vni, vtep: *vtep });
            }
        }
        for vtep in old.difference(&vteps) {
            if self.evpn.contains_key(&(vni, *vtep)) {
                info!(%vni, %vtep, "VTEP removed from static_vteps keeps its flood entry: it advertises a type-3 route");
            } else {
                push(out, DesiredChange::FloodGone { vni, vtep: *vtep });
            }
        }
    }

    /// The static VTEPs of `vni` in effect.
    pub fn statics(&self, vni: Vni) -> impl Iterator<Item = IpAddr> + '_ {
        self.statics.get(&vni).into_iter().flatten().copied()
    }

    /// Each remote VTEP of `vni` with its flood source (those with an
    /// entry) or why its type 3 gives none, sorted by address.
    pub fn sources(&self, vni: Vni) -> Vec<(IpAddr, FloodSource)> {
        let mut by: BTreeMap<IpAddr, FloodSource> = BTreeMap::new();
        for (v, vtep) in self.evpn.keys() {
            if *v == vni {
                by.insert(*vtep, FloodSource::Evpn);
            }
        }
        for vtep in self.statics(vni) {
            let e = by.entry(vtep).or_insert(FloodSource::Static);
            if *e == FloodSource::Evpn {
                *e = FloodSource::EvpnAndStatic;
            }
        }
        let mut out: Vec<(IpAddr, FloodSource)> = by.into_iter().collect();
        let mut none: BTreeMap<IpAddr, NoEntry> = BTreeMap::new();
        for i in self.imets.get(&vni).into_iter().flat_map(|m| m.values()) {
            if let Decision::None(why) = i.decision {
                none.entry(i.originator).or_insert(why);
            }
        }
        out.extend(
            none.into_iter()
                .filter(|(vtep, _)| !self.wanted(vni, *vtep))
                .map(|(vtep, why)| (vtep, FloodSource::NoEntry(why))),
        );
        out.sort_by_key(|(vtep, _)| *vtep);
        out
    }

    /// Why a type 3 gives `vni` no flood entry, if it gives none.
    pub fn no_entry(&self, vni: Vni, key: &EvpnKey) -> Option<NoEntry> {
        match self.imets.get(&vni)?.get(key)?.decision {
            Decision::None(why) => Some(why),
            Decision::HeadEnd(_) => None,
        }
    }
}
