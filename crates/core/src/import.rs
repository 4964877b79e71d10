//! Between the RIB and the EVPN domain: remote best paths go in (import by
//! route target, mobility, the desired dataplane), the domain's own routes
//! (originated from kernel state) and dataplane changes come back, and the
//! kernel's reports are handed over.

use std::sync::Arc;

use evpnd_evpn::{DesiredChange, LocalEvent, Output as EvpnOutput, RemoteRoute, Tunnel};

use evpnd_rib::{BestChange, PeerId, Rank};
use evpnd_wire::attr::{AttrValue, ExtCommunity};
use evpnd_wire::nlri::evpn::EvpnKey;
use tracing::{debug, info};

use crate::policy::NotProgrammed;
use crate::route::RouteEntry;
use crate::{CONVERGE_DEADLINE, Core, path_id};

/// What the EVPN domain needs of a remote best path.
pub(crate) fn remote_route(e: &RouteEntry, rank: &Rank) -> RemoteRoute {
    let mut rts = Vec::new();
    let mut tunnel = None;
    let mut router_mac = None;
    for a in e.attrs.iter() {
        match &a.value {
            AttrValue::ExtCommunities(c) => {
                for c in c {
                    match c {
                        ExtCommunity::RouteTarget { value } => rts.push(*value),
                        // The first one counts (RFC 9135 §8.1 allows one).
                        ExtCommunity::RouterMac { mac } if router_mac.is_none() => {
                            router_mac = Some(*mac)
                        }
                        _ => {}
                    }
                }
            }
            // What flood entry it gives is the EVPN domain's decision
            // (per VNI, by the tunnel type and group: evpnd_evpn::flood).
            AttrValue::PmsiTunnel(p) => tunnel = Some(Tunnel::of(p)),
            _ => {}
        }
    }
    RemoteRoute {
        route: e.route.clone(),
        next_hop: e.next_hop,
        rts,
        seq: rank.mobility_seq,
        sticky: rank.sticky,
        tunnel,
        router_mac,
    }
}

impl Core {
    /// Hands the EVPN domain the new best path of `key` (when remote).
    pub(crate) fn import(&mut self, key: &EvpnKey) {
        // Without EVPN instances (a reflector) nothing is programmed: no
        // per-route work unless a held route must be forgotten.
        if !self.evpn.has_instances() && self.held.routes.is_empty() {
            return;
        }
        let checked = self
            .rib
            .best(key)
            .filter(|p| p.peer != PeerId::LOCAL)
            .map(|p| {
                (
                    remote_route(&p.attrs, &p.rank),
                    self.dataplane_check(&p.attrs),
                )
            });
        let remote = self.hold_back(key, checked);
        if !self.evpn.has_instances() {
            return;
        }
        let now = self.now_secs();
        self.evpn.remote_best(key, remote, now);
    }

    /// What may keep a remote best path out of the kernel: the import
    /// policy of a VNI whose import rules take it, then `[evpn] vtep_allow`
    /// on its next hop and PMSI tunnel endpoint (ADR 0021).
    fn dataplane_check(&self, e: &RouteEntry) -> Result<(), NotProgrammed> {
        let enforced = self.policies.vtep_allow().is_enforced();
        if !enforced && self.vni_imports.is_empty() {
            return Ok(());
        }
        let view = crate::policy::route_view(&e.route, e.next_hop, &e.attrs);
        for (vni, rules, policy) in &self.vni_imports {
            if evpnd_policy::rt::imported_by(rules, &view).is_none() {
                continue;
            }
            let o = evpnd_policy::evaluate(policy, &view);
            if !o.accepted() {
                return Err(NotProgrammed::VniPolicy {
                    vni: *vni,
                    outcome: o.to_string(),
                });
            }
        }
        self.policies.vtep_check(&view).map_err(NotProgrammed::Vtep)
    }

    /// A best path that may not reach the kernel is held back from the
    /// EVPN domain (as if withdrawn for the dataplane) and remembered for
    /// `explain`; it stays in the RIB and is advertised as usual.
    fn hold_back(
        &mut self,
        key: &EvpnKey,
        checked: Option<(RemoteRoute, Result<(), NotProgrammed>)>,
    ) -> Option<RemoteRoute> {
        match checked {
            Some((_, Err(why))) => {
                if self.held.routes.get(key) != Some(&why) {
                    match why {
                        NotProgrammed::Vtep(_) => self.held.by_vtep += 1,
                        NotProgrammed::VniPolicy { .. } => self.held.by_vni_policy += 1,
                    }
                    // Once at info while none is held, then at debug: a
                    // peer sending many such routes does not flood the log.
                    if self.held.routes.is_empty() {
                        info!(route = ?key, "best path kept, not programmed: {why} (further ones logged at debug)");
                    } else {
                        debug!(route = ?key, "best path kept, not programmed: {why}");
                    }
                    self.held.routes.insert(key.clone(), why);
                }
                None
            }
            Some((r, Ok(()))) => {
                if !self.held.routes.is_empty() {
                    self.held.routes.remove(key);
                }
                Some(r)
            }
            None => {
                if !self.held.routes.is_empty() {
                    self.held.routes.remove(key);
                }
                None
            }
        }
    }

    /// Turns the EVPN domain's outputs into RIB changes (its routes) and
    /// queued dataplane changes.
    pub(crate) fn evpn_outputs(&mut self) -> Vec<(EvpnKey, BestChange<RouteEntry>)> {
        let mut changes = Vec::new();
        loop {
            let outs = self.evpn.take_outputs();
            if outs.is_empty() {
                return changes;
            }
            for o in outs {
                match o {
                    EvpnOutput::Originate(o) => {
                        let entry = RouteEntry {
                            route: o.route,
                            next_hop: o.next_hop,
                            attrs: Arc::new(o.attrs),
                        };
                        let (key, path) =
                            self.local_path(entry, path_id::KERNEL, (o.seq, o.sticky));
                        changes.push((key.clone(), self.rib.insert(key, path)));
                    }
                    EvpnOutput::Withdraw(key) => {
                        let c = self.rib.remove(&key, PeerId::LOCAL, path_id::KERNEL);
                        changes.push((key, c));
                    }
                    EvpnOutput::Dataplane(d) => self.dataplane.push(d),
                    EvpnOutput::Reimport => {
                        let now = self.now_secs();
                        let remote: Vec<(EvpnKey, RemoteRoute)> = self
                            .rib
                            .iter_best()
                            .filter(|(_, p)| p.peer != PeerId::LOCAL)
                            .filter(|(_, p)| self.dataplane_check(&p.attrs).is_ok())
                            .map(|(k, p)| (k, remote_route(&p.attrs, &p.rank)))
                            .collect();
                        for (k, r) in remote {
                            self.evpn.remote_best(&k, Some(r), now);
                        }
                    }
                }
            }
        }
    }

    /// Kernel state from the linux task.
    pub(crate) fn local_event(&mut self, ev: LocalEvent) {
        let now = self.now_secs();
        let synced = ev == LocalEvent::Synced;
        if let LocalEvent::Vni(v) = &ev
            && let Some(ip) = v.local_ip
        {
            self.own_addresses.insert(ip);
        }
        self.evpn.local_event(ev, now);
        self.apply(Vec::new());
        if synced && !self.local_synced {
            // Everything local is in the Adj-RIB-Outs now: End-of-RIB may go.
            self.local_synced = true;
            // Underlay routes learned meanwhile go to the main table now.
            self.install_all();
            self.flush_all();
            self.check_converged();
        }
    }

    /// Once every enabled peer has sent End-of-RIB (or the deadline passed),
    /// the kernel side may sweep leftovers of a previous run.
    pub(crate) fn check_converged(&mut self) {
        if self.converged {
            return;
        }
        let all_eor = self
            .peers
            .iter()
            .filter(|p| p.cfg.enabled)
            .all(|p| p.eor != crate::peer::EorSeen::Never);
        // The kernel's own state must be known too: what is desired before
        // the dump ends is not the whole picture (tenant routes wait for it).
        let ready = all_eor && self.local_synced;
        if ready || self.now.since(self.started) >= CONVERGE_DEADLINE {
            info!(
                all_eor,
                local_synced = self.local_synced,
                "BGP converged: the dataplane may sweep entries not re-learned"
            );
            self.converged = true;
            if self.restarted {
                // Held back since the restart: the converged main table,
                // before the kernel side sweeps what it does not re-confirm.
                self.install_all();
            }
            self.dataplane.push(DesiredChange::Converged);
        }
    }
}
