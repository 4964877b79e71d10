//! A simulated fabric (feature `sim`): many cores in one process, joined by
//! in-memory sessions, with virtual time and no sockets.
//!
//! ```text
//!   core A ── Output::Peer{Send} ──▶ queue ──▶ core B: PeerEvent::Update (A's index at B)
//!          ◀── PeerEvent::Drained ── queue          (the session wrote the batch)
//!   link up:   PeerEvent::Up (a Negotiated with graceful restart) on both sides
//!   link down: PeerEvent::Down (keep_routes as asked) on both sides
//!   take_dataplane() ──▶ a model FDB per core (remote MACs, flood lists, neighbours)
//! ```
//!
//! Each time a link comes up it is a new session (a number shared by both
//! ends); a message carries its session's number and is dropped when the
//! receiving core has moved on to another (as TCP would: nothing of an old
//! connection arrives on a new one), and a core's writes to a session it
//! still thinks is up, but the link no longer carries, are lost.
//!
//! One FIFO queue of (core, input) carries everything, so an interleaving
//! is decided by the order inputs are enqueued and by how far the queue is
//! run between a test's own steps ([`Fabric::step`]). UPDATEs travel as
//! values: nothing is encoded, so the figures measure the core alone.
//! A core's peers are resolved by address: neighbour `X` of a core is the
//! core whose router id is `X`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_config::Config;
use evpnd_evpn::{DesiredChange, LocalEvent};
use evpnd_session::messages::{PeerCommand, PeerEvent, PeerIndex};
use evpnd_wire::{MacAddr, Vni};

use crate::{Core, Input, Output, Time, test_negotiated};

/// How many timer rounds [`Fabric::settle`] runs before it gives up.
const MAX_TIMER_ROUNDS: usize = 10_000;
/// What a simulated link's sessions say their peer's subtype-0 refresh is.
const ROUTE_REFRESH_REQUEST: u8 = 0;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("neighbor {address} of node {node} is no node's router id")]
    UnknownNeighbor { node: usize, address: IpAddr },
    #[error("nodes {0} and {1} are not neighbours")]
    NotNeighbors(usize, usize),
    #[error("a generated configuration does not parse: {0}")]
    Config(String),
    #[error("still not quiet after {0} timer rounds")]
    NotQuiescent(usize),
}

/// The desired dataplane of one core, as its changes built it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fdb {
    /// Remote MACs and the VTEP each is behind.
    pub macs: BTreeMap<(Vni, MacAddr), IpAddr>,
    /// Flood (BUM) entries.
    pub flood: BTreeSet<(Vni, IpAddr)>,
    /// Remote neighbours (ARP/ND suppression).
    pub neighbors: BTreeMap<(Vni, IpAddr), MacAddr>,
    /// Tenant routes: (table, prefix) → where.
    pub routes: BTreeMap<(u32, ipnet::IpNet), evpnd_evpn::dataplane::RouteVia>,
    /// Table-mode rules: (table, iif, priority).
    pub rules: BTreeSet<(u32, String, u32)>,
    /// `DesiredChange::Converged` was seen.
    pub converged: bool,
}

impl Fdb {
    fn apply(&mut self, c: DesiredChange) {
        match c {
            DesiredChange::RemoteMac { vni, mac, vtep, .. } => {
                self.macs.insert((vni, mac), vtep);
            }
            DesiredChange::RemoteMacGone { vni, mac } => {
                self.macs.remove(&(vni, mac));
            }
            DesiredChange::Flood { vni, vtep } => {
                self.flood.insert((vni, vtep));
            }
            DesiredChange::FloodGone { vni, vtep } => {
                self.flood.remove(&(vni, vtep));
            }
            DesiredChange::RemoteNeigh { vni, ip, mac } => {
                self.neighbors.insert((vni, ip), mac);
            }
            DesiredChange::RemoteNeighGone { vni, ip } => {
                self.neighbors.remove(&(vni, ip));
            }
            DesiredChange::Route { table, prefix, via } => {
                self.routes.insert((table, prefix), via);
            }
            DesiredChange::RouteGone { table, prefix } => {
                self.routes.remove(&(table, prefix));
            }
            DesiredChange::Rule {
                table,
                iif,
                priority,
            } => {
                self.rules.insert((table, iif, priority));
            }
            DesiredChange::RuleGone {
                table,
                iif,
                priority,
            } => {
                self.rules.remove(&(table, iif, priority));
            }
            DesiredChange::Converged => self.converged = true,
        }
    }
}

/// One core of the fabric and its side of its links.
pub struct Node {
    pub core: Core,
    pub router_id: Ipv4Addr,
    /// `[bgp] asn`: a session between two nodes of different ASes is eBGP.
    pub asn: u32,
    /// Per peer index: the families configured for it (a session carries
    /// those both ends have).
    families: Vec<Vec<evpnd_wire::Family>>,
    /// Per peer index: the node at the other end and our index there.
    remote: Vec<(usize, PeerIndex)>,
    /// Per peer index: the session the link carries now (0: down).
    session: Vec<u64>,
    /// Per peer index: the session this core was last told is up (0: none).
    seen: Vec<u64>,
    pub fdb: Fdb,
}

pub struct Fabric {
    pub nodes: Vec<Node>,
    now: Time,
    /// (core, input, session the input belongs to or 0).
    queue: VecDeque<(usize, Input, u64)>,
    last_session: u64,
    /// Inputs handled so far (every UPDATE, drain, up/down, tick, local event).
    pub inputs: u64,
    /// Messages lost because their session had gone (written to it, or
    /// arriving after it).
    pub dropped: u64,
}

impl Fabric {
    /// A fabric of one core per configuration, all links down, at time 0.
    pub fn new(configs: Vec<Config>) -> Result<Fabric, SimError> {
        let ids: Vec<Ipv4Addr> = configs.iter().map(|c| c.bgp.router_id).collect();
        let mut nodes = Vec::with_capacity(configs.len());
        for (n, cfg) in configs.iter().enumerate() {
            let mut remote = Vec::with_capacity(cfg.neighbor.len());
            for nb in &cfg.neighbor {
                let address = nb
                    .key()
                    .address()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                let other = ids
                    .iter()
                    .position(|id| IpAddr::V4(*id) == address)
                    .ok_or(SimError::UnknownNeighbor { node: n, address })?;
                let back = configs[other]
                    .neighbor
                    .iter()
                    .position(|b| b.ip() == Some(IpAddr::V4(cfg.bgp.router_id)))
                    .ok_or(SimError::UnknownNeighbor {
                        node: other,
                        address: IpAddr::V4(cfg.bgp.router_id),
                    })?;
                remote.push((other, back as PeerIndex));
            }
            let families = cfg.neighbor.iter().map(|nb| nb.families.clone()).collect();
            nodes.push((remote, cfg.bgp.router_id, cfg.asn(), families));
        }
        let nodes = configs
            .into_iter()
            .zip(nodes)
            .map(|(cfg, (remote, router_id, asn, families))| Node {
                asn,
                families,
                session: vec![0; remote.len()],
                seen: vec![0; remote.len()],
                remote,
                router_id,
                core: Core::new(Arc::new(cfg), Time::ZERO),
                fdb: Fdb::default(),
            })
            .collect();
        Ok(Fabric {
            nodes,
            now: Time::ZERO,
            queue: VecDeque::new(),
            last_session: 0,
            inputs: 0,
            dropped: 0,
        })
    }

    pub fn now(&self) -> Time {
        self.now
    }

    /// Virtual time moves on (never back).
    pub fn advance(&mut self, d: std::time::Duration) {
        self.now = self.now + d;
    }

    /// Inputs waiting to be handled.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    fn peer_index(&self, a: usize, b: usize) -> Result<PeerIndex, SimError> {
        self.nodes
            .get(a)
            .and_then(|n| n.remote.iter().position(|(o, _)| *o == b))
            .map(|i| i as PeerIndex)
            .ok_or(SimError::NotNeighbors(a, b))
    }

    /// The session between `a` and `b` comes up (both ends negotiate
    /// graceful restart as helpers, with forwarding preserved, for the
    /// families both configured); nothing if it is up.
    pub fn link_up(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let ia = self.peer_index(a, b)?;
        let ib = self.peer_index(b, a)?;
        if self.nodes[a].session[ia as usize] != 0 {
            return Ok(());
        }
        self.last_session += 1;
        let s = self.last_session;
        for (x, ix, y, iy) in [(a, ia, b, ib), (b, ib, a, ia)] {
            self.nodes[x].session[ix as usize] = s;
            let mut negotiated = test_negotiated(self.nodes[y].router_id, Some(false));
            let theirs = &self.nodes[y].families[iy as usize];
            negotiated.families = self.nodes[x].families[ix as usize]
                .iter()
                .filter(|f| theirs.contains(f))
                .copied()
                .collect();
            negotiated.peer_asn = self.nodes[y].asn;
            negotiated.ibgp = self.nodes[x].asn == self.nodes[y].asn;
            if let Some(g) = &mut negotiated.graceful_restart {
                g.families = negotiated.families.iter().map(|f| (*f, true)).collect();
            }
            self.queue.push_back((
                x,
                Input::Peer(PeerEvent::Up {
                    peer: ix,
                    negotiated,
                    transport: None,
                }),
                s,
            ));
        }
        Ok(())
    }

    /// The session between `a` and `b` goes down; `keep_routes`: as after a
    /// graceful restart (both ends keep the other's routes as stale).
    pub fn link_down(&mut self, a: usize, b: usize, keep_routes: bool) -> Result<(), SimError> {
        let ia = self.peer_index(a, b)?;
        let ib = self.peer_index(b, a)?;
        if self.nodes[a].session[ia as usize] == 0 {
            return Ok(());
        }
        for (x, ix) in [(a, ia), (b, ib)] {
            self.down(x, ix, keep_routes);
        }
        Ok(())
    }

    fn down(&mut self, x: usize, ix: PeerIndex, keep_routes: bool) {
        self.nodes[x].session[ix as usize] = 0;
        self.queue.push_back((
            x,
            Input::Peer(PeerEvent::Down {
                peer: ix,
                reason: "simulated link down".into(),
                keep_routes,
                notification: None,
            }),
            0,
        ));
    }

    /// Every configured session comes up.
    pub fn all_links_up(&mut self) {
        for a in 0..self.nodes.len() {
            for i in 0..self.nodes[a].remote.len() {
                let b = self.nodes[a].remote[i].0;
                if a < b {
                    // Both ends were resolved in `new`.
                    let _ = self.link_up(a, b);
                }
            }
        }
    }

    /// A local (kernel) event at `node`.
    pub fn local(&mut self, node: usize, ev: LocalEvent) {
        self.queue.push_back((node, Input::Local(ev), 0));
    }

    /// Handles up to `n` queued inputs (and whatever they cause, queued
    /// behind); returns how many it handled.
    pub fn step(&mut self, n: usize) -> usize {
        let mut done = 0;
        while done < n {
            let Some((node, input, session)) = self.queue.pop_front() else {
                break;
            };
            self.handle(node, input, session);
            done += 1;
        }
        done
    }

    /// Runs the queue until it is empty.
    pub fn run(&mut self) -> u64 {
        let before = self.inputs;
        while self.step(usize::MAX) > 0 {}
        self.inputs - before
    }

    /// Runs until quiet, then moves time to each pending timer and ticks
    /// every core until no timer is left (graceful restart, deferral, the
    /// convergence deadline).
    pub fn settle(&mut self) -> Result<u64, SimError> {
        let before = self.inputs;
        self.run();
        for _ in 0..MAX_TIMER_ROUNDS {
            let Some(next) = self
                .nodes
                .iter()
                .filter_map(|n| n.core.poll_timeout())
                .min()
            else {
                return Ok(self.inputs - before);
            };
            self.now = self.now.max(next);
            for n in 0..self.nodes.len() {
                self.queue.push_back((n, Input::Tick, 0));
            }
            self.run();
        }
        Err(SimError::NotQuiescent(MAX_TIMER_ROUNDS))
    }

    fn handle(&mut self, node: usize, input: Input, session: u64) {
        let n = &mut self.nodes[node];
        if let Input::Peer(ev) = &input {
            let Some(seen) = n.seen.get_mut(ev.peer() as usize) else {
                return;
            };
            match ev {
                PeerEvent::Up { .. } => *seen = session,
                PeerEvent::Down { .. } => *seen = 0,
                _ if *seen == 0 || *seen != session => {
                    self.dropped += 1;
                    return;
                }
                _ => {}
            }
        }
        self.inputs += 1;
        let now = self.now;
        // Inputs of the fabric are never management commands: no reply.
        let _ = n.core.handle(now, input);
        for c in n.core.take_dataplane() {
            n.fdb.apply(c);
        }
        while let Some(o) = self.nodes[node].core.poll_output() {
            let Output::Peer { peer, command } = o else {
                continue;
            };
            self.deliver(node, peer, command);
        }
    }

    /// What a session does with a command of its core.
    fn deliver(&mut self, node: usize, peer: PeerIndex, command: PeerCommand) {
        let n = &self.nodes[node];
        let Some(&(other, back)) = n.remote.get(peer as usize) else {
            return;
        };
        // The session the core writes to, if the link still carries it.
        let s = n.seen[peer as usize];
        let up = s != 0 && n.session[peer as usize] == s;
        match command {
            PeerCommand::Send { updates } if up => {
                for update in updates {
                    self.queue.push_back((
                        other,
                        Input::Peer(PeerEvent::Update { peer: back, update }),
                        s,
                    ));
                }
                self.queue
                    .push_back((node, Input::Peer(PeerEvent::Drained { peer }), s));
            }
            PeerCommand::RouteRefresh { family } if up => {
                self.queue.push_back((
                    other,
                    Input::Peer(PeerEvent::RouteRefresh {
                        peer: back,
                        family,
                        subtype: ROUTE_REFRESH_REQUEST,
                    }),
                    s,
                ));
            }
            PeerCommand::Shutdown { .. } | PeerCommand::Stop if up => {
                self.down(node, peer, false);
                self.down(other, back, false);
            }
            PeerCommand::GracefulStop if up => {
                self.down(node, peer, true);
                self.down(other, back, true);
            }
            PeerCommand::Send { .. } | PeerCommand::RouteRefresh { .. } => self.dropped += 1,
            // Starts are the test's to decide (link_up).
            _ => {}
        }
    }
}

/// A leaf-and-spine EVPN fabric: `reflectors` route reflectors (router ids
/// 10.0.0.1..) and `leaves` leaves (router id = VTEP = 10.1.x.y), every
/// leaf an iBGP route-reflector client of every reflector, leaves learning
/// from the kernel, duplicate detection off unless `dad`.
pub struct Clos {
    pub leaves: usize,
    pub reflectors: usize,
    pub dad: bool,
}

impl Clos {
    pub fn reflector_id(i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, 0, 1 + i as u8)
    }

    pub fn leaf_id(i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, 1, (i / 250) as u8, 1 + (i % 250) as u8)
    }

    /// Node index of leaf `i` (reflectors come first).
    pub fn leaf(&self, i: usize) -> usize {
        self.reflectors + i
    }

    fn reflector_config(&self, r: usize) -> String {
        let mut s = format!(
            "[bgp]\nasn = 65000\nrouter_id = \"{}\"\n[evpn]\nlearn_from_kernel = false\n",
            Self::reflector_id(r)
        );
        for l in 0..self.leaves {
            s += &format!(
                "[[neighbor]]\naddress = \"{}\"\nremote_asn = 65000\nroute_reflector_client = true\n",
                Self::leaf_id(l)
            );
        }
        s
    }

    fn leaf_config(&self, l: usize) -> String {
        let mut s = format!(
            "[bgp]\nasn = 65000\nrouter_id = \"{}\"\n[evpn]\nlearn_from_kernel = true\n[evpn.duplicate_detection]\nenabled = {}\n",
            Self::leaf_id(l),
            self.dad
        );
        for r in 0..self.reflectors {
            s += &format!(
                "[[neighbor]]\naddress = \"{}\"\nremote_asn = 65000\n",
                Self::reflector_id(r)
            );
        }
        s
    }

    /// The fabric, all links down: reflectors are nodes 0.., leaves follow.
    pub fn build(&self) -> Result<Fabric, SimError> {
        let texts = (0..self.reflectors)
            .map(|r| self.reflector_config(r))
            .chain((0..self.leaves).map(|l| self.leaf_config(l)));
        let configs = texts
            .map(|t| evpnd_config::parse(&t, "sim.toml"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SimError::Config(e.to_string()))?;
        Fabric::new(configs)
    }
}

/// The kernel's report of `vni` on a leaf with VTEP `vtep` (a per-VNI
/// VXLAN device with every prerequisite met).
pub fn vni_info(vni: Vni, vtep: Ipv4Addr) -> evpnd_evpn::VniInfo {
    let v = vni.get();
    evpnd_evpn::VniInfo {
        vni,
        vxlan_ifindex: 100_000 + v,
        vxlan_name: format!("vx{v}"),
        local_ip: Some(IpAddr::V4(vtep)),
        dstport: 4789,
        learning: false,
        group: None,
        bridge_ifindex: Some(200_000 + v),
        bridge_name: Some(format!("br{v}")),
        vlan: None,
        single_device: false,
        svi_ifindex: Some(300_000 + v),
        svi_name: Some(format!("br{v}")),
        neigh_suppress: true,
        svi_mac: None,
        vrf_master: None,
        up: true,
    }
}
