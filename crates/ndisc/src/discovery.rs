//! Peer discovery on one point-to-point interface, sans-IO: inputs and
//! `now` in, outputs out (peer events and "send an RA now"), the next
//! deadline polled by the shell. No sockets, no clock, no tokio.
//!
//! ```text
//!  LinkUp / LinkDown ─┐
//!  Advertisement{A}  ─┼─► Discovery ──► Event(Found | Changed | Lost | Conflict | ConflictCleared)
//!  Neighbours[..]    ─┤       ▲     └─► SendRa(ra)   (at link up, then every interval − jitter,
//!  Solicitation      ─┤       │                      sooner when solicited)
//!  tick(now)         ─┘       └── next_deadline(): our next RA, the first peer expiry
//! ```
//!
//! Who the peer is: the link-local sources of RAs heard and not expired.
//! When no RA source is live, the link-local routers of the last
//! neighbour-table snapshot — except addresses already heard by RA since
//! the link came up (their RA expiry governs, so a STALE entry the kernel
//! keeps for ever cannot revive a peer that stopped advertising). One
//! candidate is the peer; more than one is a [`PeerEvent::Conflict`] and no
//! peer at all until it resolves: a point-to-point link has one neighbour,
//! and picking one of two would be a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{
    ADVERTISED_HOP_LIMIT, DiscoveryConfig, Jitter, MAX_RA_DELAY, MIN_DELAY_BETWEEN_RAS,
};
use crate::error::ConfigError;
use crate::neighbour::NeighbourEntry;
use crate::option::{LinkLayerAddr, RaOptions};
use crate::ra::RouterAdvertisement;

/// What the shell tells the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// The interface is up with carrier.
    LinkUp,
    /// The interface went down or lost carrier.
    LinkDown,
    /// A Router Advertisement from `source` that passed the shell's checks
    /// (hop limit 255, arrived on this interface).
    Advertisement {
        source: Ipv6Addr,
        ra: RouterAdvertisement,
    },
    /// A full snapshot of the interface's IPv6 neighbour table.
    Neighbours(Vec<NeighbourEntry>),
    /// A Router Solicitation from `source` (hop limit 255 checked; the
    /// source may be `::` before the sender has an address): our next RA
    /// comes forward (RFC 4861 §6.2.6). It never names a peer.
    Solicitation { source: Ipv6Addr },
}

/// How a peer was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    RouterAdvertisement,
    NeighbourTable,
}

/// Why a peer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossReason {
    /// The link went down.
    LinkDown,
    /// The peer sent an RA with router lifetime 0 (RFC 4861 §6.2.5: a
    /// router leaving the link).
    Withdrawn,
    /// Its advertised router lifetime passed without a new RA.
    LifetimeExpired,
    /// Our own timeout passed without a new RA (shorter than its lifetime).
    Timeout,
    /// It left the neighbour table (or stopped being a live router there).
    NeighbourGone,
    /// A second source appeared on the link.
    Conflict,
}

/// What the daemon learns about the link's peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerEvent {
    Found {
        peer: Ipv6Addr,
        source: Source,
    },
    /// The peer's address changed in one step (the old one went as the new
    /// one came, e.g. a neighbour-table peer then heard by RA elsewhere).
    Changed {
        old: Ipv6Addr,
        new: Ipv6Addr,
        source: Source,
    },
    Lost {
        peer: Ipv6Addr,
        reason: LossReason,
    },
    /// More than one distinct source on the link (sorted); no peer until
    /// one is left. Reported again whenever the set changes.
    Conflict {
        sources: Vec<Ipv6Addr>,
    },
    /// The conflicting sources are all gone, and no peer is left.
    ConflictCleared,
}

/// What the core asks of the shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    Event(PeerEvent),
    /// Send this RA to ff02::1 on the interface now.
    SendRa(RouterAdvertisement),
}

/// What discovery currently concludes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerState {
    #[default]
    None,
    Peer(Ipv6Addr, Source),
    Conflict(Vec<Ipv6Addr>),
}

/// Counts for operators (and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub ra_received: u64,
    pub ra_sent: u64,
    /// Router Solicitations heard (each brings our next RA forward).
    pub rs_received: u64,
    /// RAs from a source that is not link-local (RFC 4861 §6.1.2).
    pub rejected_source: u64,
    /// RAs the shell refused for their IPv6 hop limit (not 255).
    pub rejected_hop_limit: u64,
    /// Messages that did not decode.
    pub malformed: u64,
    /// RAs heard while we consider the link down.
    pub ignored_link_down: u64,
}

/// When a heard source expires, and which timer that is.
#[derive(Debug, Clone, Copy)]
struct Heard {
    expiry: Instant,
    reason: LossReason,
}

/// Discovery on one interface.
#[derive(Debug, Clone)]
pub struct Discovery {
    cfg: DiscoveryConfig,
    jitter: Jitter,
    link_up: bool,
    link_layer: Option<LinkLayerAddr>,
    heard: BTreeMap<Ipv6Addr, Heard>,
    ra_managed: BTreeSet<Ipv6Addr>,
    neighbours: BTreeSet<Ipv6Addr>,
    reported: PeerState,
    next_ra: Option<Instant>,
    last_ra: Option<Instant>,
    counters: Counters,
}

impl Discovery {
    /// A discovery that starts with the link down.
    pub fn new(cfg: DiscoveryConfig) -> Result<Discovery, ConfigError> {
        cfg.validate()?;
        Ok(Discovery {
            jitter: Jitter::new(cfg.seed),
            cfg,
            link_up: false,
            link_layer: None,
            heard: BTreeMap::new(),
            ra_managed: BTreeSet::new(),
            neighbours: BTreeSet::new(),
            reported: PeerState::None,
            next_ra: None,
            last_ra: None,
            counters: Counters::default(),
        })
    }

    pub fn config(&self) -> &DiscoveryConfig {
        &self.cfg
    }

    pub fn state(&self) -> &PeerState {
        &self.reported
    }

    /// The peer, when there is exactly one.
    pub fn peer(&self) -> Option<Ipv6Addr> {
        match self.reported {
            PeerState::Peer(a, _) => Some(a),
            _ => None,
        }
    }

    pub fn link_up(&self) -> bool {
        self.link_up
    }

    /// Whether a neighbour-table snapshot would be read now: only while
    /// the link is up and no RA source is live (the shell may skip its
    /// dumps otherwise).
    pub fn consults_neighbours(&self) -> bool {
        self.link_up && self.heard.is_empty()
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Our MAC, carried in our RAs' source link-layer address option.
    pub fn set_link_layer(&mut self, mac: Option<LinkLayerAddr>) {
        self.link_layer = mac;
    }

    /// The shell refused a message for its hop limit.
    pub fn note_bad_hop_limit(&mut self) {
        self.counters.rejected_hop_limit += 1;
    }

    /// The shell could not decode a message.
    pub fn note_malformed(&mut self) {
        self.counters.malformed += 1;
    }

    /// When [`Discovery::tick`] must next run.
    pub fn next_deadline(&self) -> Option<Instant> {
        let expiry = self.heard.values().map(|h| h.expiry).min();
        match (self.next_ra, expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Feeds one input at `now`.
    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        let expired = self.expire(now);
        let reason = match input {
            Input::LinkUp => {
                if !self.link_up {
                    self.link_up = true;
                    self.next_ra = self.cfg.send_ra.then_some(now);
                }
                None
            }
            Input::LinkDown => {
                self.link_up = false;
                self.heard.clear();
                self.ra_managed.clear();
                self.neighbours.clear();
                self.next_ra = None;
                self.last_ra = None;
                Some(LossReason::LinkDown)
            }
            Input::Advertisement { source, ra } => self.advertisement(now, source, &ra),
            Input::Solicitation { source } => {
                self.solicitation(now, source);
                None
            }
            // A snapshot taken while we consider the link down is stale
            // by the time it arrives (the link-down forgot everything).
            Input::Neighbours(_) if !self.link_up => None,
            Input::Neighbours(entries) => {
                self.neighbours = entries
                    .iter()
                    .filter(|e| e.is_peer_candidate())
                    .map(|e| e.address)
                    .collect();
                Some(LossReason::NeighbourGone)
            }
        };
        // The peer's own expiry happened before this input arrived.
        self.evaluate(expired.or(reason).unwrap_or(LossReason::Timeout), &mut out);
        self.maybe_send(now, &mut out);
        out
    }

    /// Runs the timers: expiries, then our RA when due.
    pub fn tick(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let expired = self.expire(now);
        self.evaluate(expired.unwrap_or(LossReason::Timeout), &mut out);
        self.maybe_send(now, &mut out);
        out
    }

    /// The final RA of an interface we stop serving (router lifetime 0,
    /// RFC 4861 §6.2.5), if we were advertising on it.
    pub fn shutdown(&mut self) -> Option<RouterAdvertisement> {
        let send = self.link_up && self.cfg.send_ra;
        self.next_ra = None;
        send.then(|| {
            self.counters.ra_sent += 1;
            RouterAdvertisement {
                router_lifetime: 0,
                ..self.our_ra()
            }
        })
    }

    fn advertisement(
        &mut self,
        now: Instant,
        source: Ipv6Addr,
        ra: &RouterAdvertisement,
    ) -> Option<LossReason> {
        if !source.is_unicast_link_local() {
            self.counters.rejected_source += 1;
            return None;
        }
        if !self.link_up {
            self.counters.ignored_link_down += 1;
            return None;
        }
        self.counters.ra_received += 1;
        self.ra_managed.insert(source);
        if ra.router_lifetime == 0 {
            self.heard.remove(&source);
            return Some(LossReason::Withdrawn);
        }
        let lifetime = Duration::from_secs(u64::from(ra.router_lifetime));
        let heard = if lifetime <= self.cfg.peer_timeout {
            Heard {
                expiry: now + lifetime,
                reason: LossReason::LifetimeExpired,
            }
        } else {
            Heard {
                expiry: now + self.cfg.peer_timeout,
                reason: LossReason::Timeout,
            }
        };
        self.heard.insert(source, heard);
        // The table is not consulted while RAs are heard; when they stop,
        // only a snapshot taken after that may name a peer.
        self.neighbours.clear();
        None
    }

    /// Brings our next RA forward to a random moment within
    /// [`MAX_RA_DELAY`], but no closer than [`MIN_DELAY_BETWEEN_RAS`] to
    /// the last one.
    fn solicitation(&mut self, now: Instant, source: Ipv6Addr) {
        if !(source.is_unspecified() || source.is_unicast_link_local()) {
            self.counters.rejected_source += 1;
            return;
        }
        if !self.link_up {
            self.counters.ignored_link_down += 1;
            return;
        }
        self.counters.rs_received += 1;
        let Some(next) = self.next_ra else { return };
        let mut at = now + self.jitter.delay_below(MAX_RA_DELAY);
        if let Some(last) = self.last_ra {
            at = at.max(last + MIN_DELAY_BETWEEN_RAS);
        }
        self.next_ra = Some(next.min(at));
    }

    /// Drops expired sources; returns the reported peer's expiry reason
    /// if it was among them.
    fn expire(&mut self, now: Instant) -> Option<LossReason> {
        let peer = self.peer();
        let mut reason = None;
        self.heard.retain(|a, h| {
            let live = h.expiry > now;
            if !live && peer == Some(*a) {
                reason = Some(h.reason);
            }
            live
        });
        reason
    }

    fn view(&self) -> PeerState {
        let (cands, source): (Vec<Ipv6Addr>, Source) = if self.heard.is_empty() {
            let n = self
                .neighbours
                .iter()
                .filter(|a| !self.ra_managed.contains(a))
                .copied()
                .collect();
            (n, Source::NeighbourTable)
        } else {
            (
                self.heard.keys().copied().collect(),
                Source::RouterAdvertisement,
            )
        };
        match cands.as_slice() {
            [] => PeerState::None,
            [one] => PeerState::Peer(*one, source),
            _ => PeerState::Conflict(cands),
        }
    }

    fn evaluate(&mut self, reason: LossReason, out: &mut Vec<Output>) {
        use PeerState as S;
        let view = self.view();
        let mut ev = |e| out.push(Output::Event(e));
        match (&self.reported, &view) {
            (S::None, S::Peer(a, s)) | (S::Conflict(_), S::Peer(a, s)) => ev(PeerEvent::Found {
                peer: *a,
                source: *s,
            }),
            (S::Peer(a, _), S::None) => ev(PeerEvent::Lost { peer: *a, reason }),
            (S::Peer(a, _), S::Peer(b, s)) if a != b => ev(PeerEvent::Changed {
                old: *a,
                new: *b,
                source: *s,
            }),
            (S::Peer(a, _), S::Conflict(v)) => {
                ev(PeerEvent::Lost {
                    peer: *a,
                    reason: LossReason::Conflict,
                });
                ev(PeerEvent::Conflict { sources: v.clone() });
            }
            (S::None, S::Conflict(v)) => ev(PeerEvent::Conflict { sources: v.clone() }),
            (S::Conflict(old), S::Conflict(v)) if old != v => {
                ev(PeerEvent::Conflict { sources: v.clone() })
            }
            (S::Conflict(_), S::None) => ev(PeerEvent::ConflictCleared),
            _ => {}
        }
        self.reported = view;
    }

    fn maybe_send(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(at) = self.next_ra else { return };
        if !self.link_up || now < at {
            return;
        }
        self.next_ra = Some(now + self.jitter.next_interval(self.cfg.ra_interval));
        self.last_ra = Some(now);
        self.counters.ra_sent += 1;
        out.push(Output::SendRa(self.our_ra()));
    }

    fn our_ra(&self) -> RouterAdvertisement {
        RouterAdvertisement {
            cur_hop_limit: ADVERTISED_HOP_LIMIT,
            flags: 0,
            router_lifetime: self.cfg.advertised_lifetime_secs(),
            reachable_time: 0,
            retrans_timer: 0,
            options: RaOptions {
                source_link_layer: self.link_layer,
                mtu: self.cfg.mtu,
            },
        }
    }
}
