//! Restarting speaker (RFC 4724 §4.1, ADR 0011): after evpnd itself
//! restarted, route selection is deferred. Routes received are stored and
//! best path runs as usual (the dataplane keeps following it), but nothing
//! is advertised to any peer until End-of-RIB has come from every peer that
//! came up with graceful restart — peers without the capability, and peers
//! that set their own Restart State bit, are not waited for — or until
//! `select_defer_time` has passed since the start. Then every peer gets its
//! whole Adj-RIB-Out, followed by End-of-RIB.
//!
//! Why it matters: the helpers still hold our routes from before the
//! restart as stale and sweep whatever our End-of-RIB does not re-confirm.
//! Advertising a half-built table (or End-of-RIB before the peers' routes
//! are in) would withdraw routes that are about to come back.

use std::time::Duration;

use tracing::info;

use crate::Core;
use crate::peer::{EorSeen, PeerSlot};
use crate::time::Time;

/// The Selection_Deferral_Timer and what it waits for.
#[derive(Debug, Clone)]
pub(crate) struct Deferral {
    /// Advertise anyway from then on.
    pub until: Time,
    /// Some peer came up since the start: before that, "every peer that came
    /// up has sent End-of-RIB" holds vacuously and must not end the deferral.
    any_up: bool,
}

impl Core {
    /// This run is a restart (the caller decided, ADR 0011): defer
    /// advertisement for at most `defer` (0: no deferral).
    pub(crate) fn begin_restart(&mut self, defer: Duration) {
        self.restarted = true;
        if defer.is_zero() {
            return;
        }
        info!(
            select_defer_time = defer.as_secs(),
            "restarting: advertisement deferred until End-of-RIB from every graceful-restart peer"
        );
        self.deferral = Some(Deferral {
            until: self.now + defer,
            any_up: false,
        });
    }

    /// Whether advertisement to peers is held back.
    pub fn deferring(&self) -> bool {
        self.deferral.is_some()
    }

    /// A peer whose End-of-RIB ends the deferral: up with graceful restart
    /// negotiated and not restarting itself (RFC 4724 §4.1 excludes both).
    fn waited_for(p: &PeerSlot) -> bool {
        p.negotiated()
            .and_then(|n| n.graceful_restart.as_ref())
            .is_some_and(|g| !g.restarting)
    }

    /// A peer came up.
    pub(crate) fn deferral_peer_up(&mut self) {
        if let Some(d) = &mut self.deferral {
            d.any_up = true;
        }
    }

    /// Ends the deferral when its condition holds, then sends every peer
    /// what it should have and End-of-RIB.
    pub(crate) fn check_deferral(&mut self) {
        let Some(d) = &self.deferral else { return };
        let expired = self.now >= d.until;
        let waiting: Vec<String> = self
            .peers
            .iter()
            .filter(|p| Self::waited_for(p) && p.eor != EorSeen::ThisSession)
            .map(|p| p.address().to_string())
            .collect();
        if !(expired || d.any_up && waiting.is_empty()) {
            return;
        }
        self.deferral = None;
        info!(
            timer_expired = expired,
            still_waiting = ?waiting,
            "route selection deferral over: advertising to peers, then End-of-RIB"
        );
        self.flush_all();
    }
}
