//! Per-peer state: the configured neighbour, its session as the core sees
//! it and its graceful-restart phases. What it was sent is the
//! advertiser's (`advertise.rs`).

use evpnd_config::Neighbor;
use evpnd_session::fsm::State;
use evpnd_session::negotiate::Negotiated;

use crate::time::Time;
use crate::view::PeerErrorView;

/// An Established session.
#[derive(Debug)]
pub(crate) struct Up {
    pub negotiated: Negotiated,
    pub since: Time,
}

/// Graceful restart helper (RFC 4724 §4.2): the peer's routes kept as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stale {
    /// Nothing stale.
    None,
    /// The session is down; the stale routes go at `until` (the restart time
    /// the peer advertised) unless it comes back.
    Restarting { until: Time },
    /// The peer is back; its stale routes go at its End-of-RIB, or at `until`
    /// (`stale_routes_time`) if that never comes.
    AwaitingEor { until: Time },
}

impl Stale {
    pub fn deadline(self) -> Option<Time> {
        match self {
            Stale::None => None,
            Stale::Restarting { until } | Stale::AwaitingEor { until } => Some(until),
        }
    }
}

/// End-of-RIB from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EorSeen {
    /// Never since evpnd started (the dataplane sweep waits for it).
    Never,
    /// In an earlier session, not yet in this one.
    Earlier,
    /// In the current session (restart deferral waits for it).
    ThisSession,
}

pub(crate) struct PeerSlot {
    pub cfg: Neighbor,
    pub ibgp: bool,
    pub up: Option<Up>,
    pub stale: Stale,
    pub eor: EorSeen,
    /// max-prefix already tripped for this session.
    pub over_limit: bool,
    /// Removed from the configuration (the slot stays: indices are stable).
    pub removed: bool,
    /// The session's FSM state as last reported.
    pub fsm_state: State,
    /// Why the session last went down.
    pub last_error: Option<PeerErrorView>,
    /// Our end of the session (next hop self), when the driver said.
    pub local: Option<std::net::IpAddr>,
    /// Families whose End-of-RIB came in this session.
    pub eor_families: Vec<evpnd_wire::Family>,
    /// The remote address of the last established session (an interface
    /// neighbour's discovered link-local address).
    pub remote: Option<std::net::IpAddr>,
}

impl PeerSlot {
    pub fn new(cfg: Neighbor, local_asn: u32) -> PeerSlot {
        PeerSlot {
            ibgp: cfg.remote_asn.is_ibgp(local_asn),
            cfg,
            up: None,
            stale: Stale::None,
            eor: EorSeen::Never,
            over_limit: false,
            removed: false,
            fsm_state: State::Idle,
            last_error: None,
            local: None,
            eor_families: Vec::new(),
            remote: None,
        }
    }

    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.up.as_ref().map(|u| &u.negotiated)
    }

    /// The configured address; for an interface (unnumbered) neighbour the
    /// address of its last session, unspecified before the first.
    pub fn address(&self) -> std::net::IpAddr {
        self.cfg
            .ip()
            .or(self.remote)
            .unwrap_or(std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
    }
}
