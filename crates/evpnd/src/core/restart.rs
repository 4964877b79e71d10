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

use evpnd_session::driver::PeerIndex;
use tokio::time::{Duration, Instant};
use tracing::info;

use super::{Core, PeerSlot};

/// The Selection_Deferral_Timer and what it waits for.
#[derive(Debug, Clone)]
pub(super) struct Deferral {
    /// Advertise anyway from then on.
    until: Instant,
    /// Some peer came up since the start: before that, "every peer that came
    /// up has sent End-of-RIB" holds vacuously and must not end the deferral.
    any_up: bool,
}

impl Core {
    /// This run is a restart (the caller decided, ADR 0011): defer
    /// advertisement for at most `defer` (0: no deferral).
    pub fn begin_restart(&mut self, defer: Duration, now: Instant) {
        if defer.is_zero() {
            return;
        }
        info!(
            select_defer_time = defer.as_secs(),
            "restarting: advertisement deferred until End-of-RIB from every graceful-restart peer"
        );
        self.deferral = Some(Deferral {
            until: now + defer,
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
        p.up.as_ref()
            .and_then(|n| n.graceful_restart.as_ref())
            .is_some_and(|g| !g.restarting)
    }

    /// A peer came up.
    pub(super) fn deferral_peer_up(&mut self) {
        if let Some(d) = &mut self.deferral {
            d.any_up = true;
        }
    }

    /// Ends the deferral when its condition holds, then sends every peer
    /// what it should have and End-of-RIB.
    pub(super) async fn check_deferral(&mut self, now: Instant) {
        let Some(d) = &self.deferral else { return };
        let expired = now >= d.until;
        let waiting: Vec<String> = self
            .peers
            .iter()
            .filter(|p| Self::waited_for(p) && !p.eor_rx)
            .map(|p| p.cfg.address.get_ref().to_string())
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
        for i in 0..self.peers.len() {
            self.flush(i as PeerIndex).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use evpnd_session::driver::{PeerCommand, PeerEvent};
    use evpnd_session::negotiate::Negotiated;
    use evpnd_wire::Family;
    use evpnd_wire::update::Update;
    use tokio::sync::mpsc;

    use super::*;

    fn config() -> evpnd_config::Config {
        let text = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000

[[neighbor]]
address = "10.0.0.3"
remote_asn = 65000

[[neighbor]]
address = "10.0.0.4"
remote_asn = 65000

[evpn]
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:00:0a" }]
"#;
        evpnd_config::parse(text, "test.toml").expect("test config")
    }

    fn negotiated(gr: Option<bool>) -> Negotiated {
        super::super::test_negotiated("10.0.0.9", gr)
    }

    /// What the core has handed a session so far (UPDATE batches).
    fn sent(rx: &mut mpsc::Receiver<PeerCommand>) -> Vec<Vec<Update>> {
        let mut out = Vec::new();
        while let Ok(c) = rx.try_recv() {
            if let PeerCommand::Send(u) = c {
                out.push(u);
            }
        }
        out
    }

    struct Rig {
        core: Core,
        rx: Vec<mpsc::Receiver<PeerCommand>>,
    }

    fn rig() -> Rig {
        let cfg = config();
        let mut core = Core::new(Arc::new(cfg.clone()), Vec::new());
        let mut rx = Vec::new();
        for n in &cfg.neighbor {
            let (tx, r) = mpsc::channel(64);
            core.add_peer(n.clone(), tx);
            rx.push(r);
        }
        core.originate(crate::origin::routes(&cfg));
        Rig { core, rx }
    }

    async fn eor(core: &mut Core, peer: u32) {
        core.handle(PeerEvent::Update {
            peer,
            update: Update::end_of_rib(Family::L2VPN_EVPN),
        })
        .await;
    }

    #[tokio::test]
    async fn nothing_is_advertised_until_every_gr_peer_sent_end_of_rib() {
        let mut r = rig();
        let now = Instant::now();
        r.core.begin_restart(Duration::from_secs(300), now);
        // 0: GR helper (waited for), 1: no GR (not waited for), 2: restarting itself (not waited for).
        for (i, gr) in [Some(false), None, Some(true)].into_iter().enumerate() {
            r.core
                .handle(PeerEvent::Up {
                    peer: i as u32,
                    negotiated: negotiated(gr),
                })
                .await;
        }
        assert!(r.core.deferring(), "peer 0 has not sent End-of-RIB");
        for rx in &mut r.rx {
            assert!(sent(rx).is_empty(), "nothing may go out while deferring");
        }
        // The non-GR and the restarting peer's End-of-RIB change nothing.
        eor(&mut r.core, 1).await;
        assert!(r.core.deferring());
        eor(&mut r.core, 0).await;
        assert!(!r.core.deferring());
        for rx in &mut r.rx {
            let batches = sent(rx);
            let first = batches.first().expect("the routes after the deferral");
            assert!(
                first.iter().all(|u| u.is_end_of_rib().is_none()),
                "routes before End-of-RIB: {first:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_timer_ends_the_deferral_and_a_start_without_peers_waits() {
        let mut r = rig();
        let now = Instant::now();
        r.core.begin_restart(Duration::from_secs(300), now);
        // No peer up yet: not over (vacuous truth does not count).
        r.core.check_deferral(now + Duration::from_secs(1)).await;
        assert!(r.core.deferring());
        r.core
            .handle(PeerEvent::Up {
                peer: 0,
                negotiated: negotiated(Some(false)),
            })
            .await;
        r.core.check_deferral(now + Duration::from_secs(299)).await;
        assert!(r.core.deferring());
        r.core.check_deferral(now + Duration::from_secs(300)).await;
        assert!(!r.core.deferring());
        assert!(!sent(&mut r.rx[0]).is_empty());
    }

    #[tokio::test]
    async fn a_waited_for_peer_going_down_is_no_longer_waited_for() {
        let mut r = rig();
        let now = Instant::now();
        r.core.begin_restart(Duration::from_secs(300), now);
        for i in 0..2 {
            r.core
                .handle(PeerEvent::Up {
                    peer: i,
                    negotiated: negotiated(Some(false)),
                })
                .await;
        }
        eor(&mut r.core, 0).await;
        assert!(r.core.deferring());
        r.core
            .handle(PeerEvent::Down {
                peer: 1,
                reason: "gone".into(),
                keep_routes: false,
            })
            .await;
        assert!(!r.core.deferring());
        assert!(!sent(&mut r.rx[0]).is_empty());
    }

    #[tokio::test]
    async fn without_a_restart_routes_go_out_at_once() {
        let mut r = rig();
        r.core
            .handle(PeerEvent::Up {
                peer: 0,
                negotiated: negotiated(Some(false)),
            })
            .await;
        assert!(!sent(&mut r.rx[0]).is_empty());
    }
}
