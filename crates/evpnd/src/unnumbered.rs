//! BGP unnumbered in the daemon (ADR 0028): an `[[neighbor]] interface`
//! session's peer is found by `evpnd-ndisc` on the link — RAs sent and
//! heard, the neighbour table read — and followed:
//!
//! ```text
//!   ndisc Driver ── DriverEvent ──► main loop: Unnumbered::apply
//!        Found / Changed  ──► SessionInput::Remote(Some([fe80::…%ifindex]:179))
//!                             + the listeners accept that (address, ifindex)
//!        Lost / Conflict  ──► SessionInput::Remote(None): stopped at once
//! ```
//!
//! Before discovery has found anyone, a connection from any link-local
//! address on the interface is taken (the peer found us by our RAs first:
//! FRR connects within milliseconds of our first RA, and its next RA may be
//! 10 s away); discovery's verdict then confirms it (same address), moves
//! the session (another one) or stops it (conflict, loss).
//!
//! The state kept here per interface is what the API shows (searching,
//! found via RA or neighbour table, conflict).

use std::collections::HashMap;
use std::ffi::CString;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};

use evpnd_ndisc::driver::{Driver, DriverEvent};
use evpnd_ndisc::{DiscoveryConfig, PeerEvent, Source};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Discovery events waiting for the main loop (bounded: a stalled loop
/// stalls the interface tasks, never loses a state change).
pub const EVENT_QUEUE: usize = 64;

/// What discovery concludes on one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// No peer (yet): the link is down, or nobody answered.
    Searching,
    /// One peer, at `peer` on the interface with index `ifindex`.
    Found {
        peer: Ipv6Addr,
        source: Source,
        ifindex: u32,
    },
    /// More than one router on the link: no session until one is left.
    Conflict(Vec<Ipv6Addr>),
}

impl LinkState {
    /// As the API shows it: `searching`, `found (router advertisement)`,
    /// `found (neighbour table)`, `conflict fe80::1 fe80::2`.
    pub fn describe(&self) -> String {
        match self {
            LinkState::Searching => "searching".into(),
            LinkState::Found {
                source: Source::RouterAdvertisement,
                ..
            } => "found (router advertisement)".into(),
            LinkState::Found {
                source: Source::NeighbourTable,
                ..
            } => "found (neighbour table)".into(),
            LinkState::Conflict(s) => {
                let s: Vec<String> = s.iter().map(ToString::to_string).collect();
                format!("conflict {}", s.join(" "))
            }
        }
    }

    pub fn peer(&self) -> Option<Ipv6Addr> {
        match self {
            LinkState::Found { peer, .. } => Some(*peer),
            _ => None,
        }
    }
}

/// The discovery driver (started with the first interface neighbour) and
/// what it found per interface.
pub struct Unnumbered {
    driver: Option<Driver>,
    tx: mpsc::Sender<DriverEvent>,
    links: HashMap<String, LinkState>,
}

impl Unnumbered {
    /// The receiver is the main loop's to read.
    pub fn new() -> (Unnumbered, mpsc::Receiver<DriverEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let u = Unnumbered {
            driver: None,
            tx,
            links: HashMap::new(),
        };
        (u, rx)
    }

    /// Starts discovery (and our RAs) on `ifname`; a second call for the
    /// same interface keeps the running one (a session reset).
    pub fn add(&mut self, ifname: &str) -> Result<(), String> {
        if self.links.contains_key(ifname) {
            return Ok(());
        }
        if self.driver.is_none() {
            let d = Driver::new(self.tx.clone())
                .map_err(|e| format!("unnumbered discovery cannot start: {e}"))?;
            self.driver = Some(d);
        }
        if let Some(d) = self.driver.as_mut() {
            d.add_interface(ifname, DiscoveryConfig::default())
                .map_err(|e| format!("unnumbered discovery on {ifname}: {e}"))?;
        }
        self.links.insert(ifname.to_string(), LinkState::Searching);
        Ok(())
    }

    /// Stops discovery on `ifname` (a goodbye RA tells the peer).
    pub async fn remove(&mut self, ifname: &str) {
        if self.links.remove(ifname).is_none() {
            return;
        }
        if let Some(d) = self.driver.as_mut()
            && let Err(e) = d.remove_interface(ifname).await
        {
            warn!(interface = ifname, "stopping unnumbered discovery: {e}");
        }
    }

    pub fn state(&self, ifname: &str) -> Option<&LinkState> {
        self.links.get(ifname)
    }

    /// Where the session on `ifname` should connect now (port `port`), if
    /// a peer is found.
    pub fn remote(&self, ifname: &str, port: u16) -> Option<SocketAddr> {
        match self.links.get(ifname)? {
            LinkState::Found { peer, ifindex, .. } => {
                Some(SocketAddr::V6(SocketAddrV6::new(*peer, port, 0, *ifindex)))
            }
            _ => None,
        }
    }

    /// Takes in one discovery event. `Some(remote)`: the session's peer
    /// changed (`None`: it has none now, stop it); `None`: nothing for the
    /// session to do.
    pub fn apply(&mut self, ev: &DriverEvent) -> Option<Option<(Ipv6Addr, u32)>> {
        let name = ev.interface.as_str();
        let link = self.links.get_mut(name)?;
        let before = link.peer();
        *link = match &ev.event {
            PeerEvent::Found { peer, source }
            | PeerEvent::Changed {
                new: peer, source, ..
            } => match ifindex(name) {
                Some(ifindex) => {
                    info!(interface = name, %peer, ?source, ifindex, "unnumbered peer: connecting over the link-local address");
                    LinkState::Found {
                        peer: *peer,
                        source: *source,
                        ifindex,
                    }
                }
                None => {
                    warn!(interface = name, %peer, "unnumbered peer found, but the interface has no index (deleted meanwhile?)");
                    LinkState::Searching
                }
            },
            PeerEvent::Lost { peer, reason } => {
                info!(interface = name, %peer, ?reason, "unnumbered peer lost: the session stops now");
                LinkState::Searching
            }
            PeerEvent::Conflict { sources } => LinkState::Conflict(sources.clone()),
            PeerEvent::ConflictCleared => LinkState::Searching,
        };
        let now = match link {
            LinkState::Found { peer, ifindex, .. } => Some((*peer, *ifindex)),
            _ => None,
        };
        // The session ignores a repeat; a conflict stops even a session
        // that came up from an accepted connection before any discovery.
        if now.is_none() && before.is_none() && matches!(ev.event, PeerEvent::ConflictCleared) {
            return None;
        }
        Some(now)
    }

    /// Brings our next RA on `ifname` forward (within 0.5 s, RFC 4861
    /// §6.2.6 pacing), as a solicitation from the newly found `peer` would:
    /// a peer that just came up (or whose link just did) missed our last
    /// RA and cannot accept our connection until it has heard one — FRR
    /// would otherwise wait up to our 10 s interval.
    pub async fn answer(&self, ifname: &str, peer: Ipv6Addr) {
        let Some(d) = self.driver.as_ref() else {
            return;
        };
        let input = evpnd_ndisc::Input::Solicitation { source: peer };
        if let Err(e) = d.feed(ifname, input).await {
            warn!(interface = ifname, "bringing our RA forward: {e}");
        }
    }

    /// Goodbye RAs on every interface.
    pub async fn shutdown(&mut self) {
        if let Some(d) = self.driver.take() {
            d.shutdown().await;
        }
    }
}

/// The kernel's index of `name` (the scope id of its link-local addresses).
pub fn ifindex(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string for the call's duration.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use evpnd_ndisc::LossReason;

    fn ev(interface: &str, event: PeerEvent) -> DriverEvent {
        DriverEvent {
            interface: interface.into(),
            event,
        }
    }

    #[tokio::test]
    async fn found_lost_and_conflict_drive_the_session() {
        let (mut u, _rx) = Unnumbered::new();
        // "lo" exists everywhere: its index stands in for a real link's.
        u.links.insert("lo".into(), LinkState::Searching);
        let a: Ipv6Addr = "fe80::1".parse().expect("ip");
        let b: Ipv6Addr = "fe80::2".parse().expect("ip");
        let found = u.apply(&ev(
            "lo",
            PeerEvent::Found {
                peer: a,
                source: Source::RouterAdvertisement,
            },
        ));
        let idx = ifindex("lo").expect("lo has an index");
        assert_eq!(found, Some(Some((a, idx))));
        assert_eq!(
            u.remote("lo", 179),
            Some(SocketAddr::V6(SocketAddrV6::new(a, 179, 0, idx)))
        );
        assert_eq!(
            u.state("lo").map(LinkState::describe).as_deref(),
            Some("found (router advertisement)")
        );
        let lost = u.apply(&ev(
            "lo",
            PeerEvent::Lost {
                peer: a,
                reason: LossReason::LinkDown,
            },
        ));
        assert_eq!(lost, Some(None));
        assert_eq!(u.remote("lo", 179), None);
        let conflict = u.apply(&ev(
            "lo",
            PeerEvent::Conflict {
                sources: vec![a, b],
            },
        ));
        assert_eq!(conflict, Some(None), "stopped (again)");
        assert_eq!(
            u.state("lo").map(LinkState::describe).as_deref(),
            Some("conflict fe80::1 fe80::2")
        );
        let changed = u.apply(&ev(
            "lo",
            PeerEvent::Found {
                peer: b,
                source: Source::NeighbourTable,
            },
        ));
        assert_eq!(changed, Some(Some((b, idx))));
        assert_eq!(
            u.apply(&ev(
                "lo",
                PeerEvent::Lost {
                    peer: b,
                    reason: LossReason::Withdrawn
                }
            )),
            Some(None)
        );
        assert_eq!(u.apply(&ev("lo", PeerEvent::ConflictCleared)), None);
        // Events for interfaces nobody configured are ignored.
        assert_eq!(u.apply(&ev("swp9", PeerEvent::ConflictCleared)), None);
    }
}
