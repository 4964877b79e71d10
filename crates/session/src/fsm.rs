//! The BGP finite state machine (RFC 4271 §8) for one peer, sans-IO.
//!
//! ```text
//!            Start                 TCP up / send OPEN
//!   Idle ───────────► Connect ─────────────────────────► OpenSent
//!    ▲  passive start    │ TCP failed          ▲            │ OPEN ok / send KEEPALIVE
//!    │ ────────────► Active ── inbound TCP ────┘            ▼
//!    │                                               OpenConfirm
//!    │   any error: NOTIFICATION, close,                    │ KEEPALIVE
//!    └── idle hold (exponential backoff) ◄──── Established ◄┘
//! ```
//!
//! [`Fsm::handle`] takes an [`Event`] and returns [`Action`]s for the driver:
//! connect, send, close, arm or cancel a timer. Timers are the driver's job;
//! their expiry comes back as [`Event::TimerExpired`]. Jitter (×0.75..1.0 on
//! connect-retry and keepalive, RFC 4271 §10) comes from a seeded generator.

use std::time::Duration;

use evpnd_wire::NotifyError;
use evpnd_wire::error::{code, subcode};
use serde::{Deserialize, Serialize};

use crate::negotiate::{LocalPolicy, Negotiated, PeerOpen, negotiate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    ConnectRetry,
    Hold,
    Keepalive,
    /// Delay before an automatic restart after an error (peer oscillation damping).
    IdleHold,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Administrative start (or automatic start at boot).
    Start,
    /// Administrative stop: Cease / Administrative Shutdown if a session is up
    /// (as Hard Reset when the N bit was negotiated: the peer flushes our routes).
    Stop,
    /// Administrative stop before a planned restart: the peer is to keep our
    /// routes as stale (RFC 4724 §4.2, RFC 8538 §4): Cease / Administrative
    /// Shutdown when the N bit was negotiated, else no NOTIFICATION at all
    /// (without the N bit any NOTIFICATION makes the peer flush).
    GracefulStop,
    /// Close with this NOTIFICATION (e.g. Cease / Maximum Number of Prefixes);
    /// restart automatically after `restart_after`, or stay down until `Start`.
    Shutdown {
        notify: NotifyError,
        restart_after: Option<Duration>,
    },
    /// A TCP connection to the peer is up (our connect succeeded, or we accepted one).
    TcpConnected,
    /// Our outbound connect failed.
    TcpConnectFailed,
    /// The connection closed under us.
    TcpClosed,
    OpenReceived(PeerOpen),
    KeepaliveReceived,
    UpdateReceived,
    RouteRefreshReceived,
    NotificationReceived {
        code: u8,
        subcode: u8,
    },
    /// A received message could not be decoded: send this NOTIFICATION.
    MessageError(NotifyError),
    TimerExpired(Timer),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Connect,
    CloseConnection,
    SendOpen,
    SendKeepalive,
    SendNotification(NotifyError),
    SetTimer(Timer, Duration),
    CancelTimer(Timer),
    /// The session is up with these parameters (send routes, then End-of-RIB).
    Established(Negotiated),
    /// The session went down. `keep_routes`: the peer negotiated graceful
    /// restart and the way it went down allows helper mode (RFC 4724 §4.2,
    /// RFC 8538): mark its routes stale instead of flushing them.
    SessionDown {
        reason: String,
        keep_routes: bool,
    },
}

/// Timer settings for the FSM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsmConfig {
    /// Wait for the peer to connect to us; never connect out.
    pub passive: bool,
    pub connect_retry: Duration,
    /// Hold timer while waiting for the peer's OPEN (RFC 4271 suggests 4 minutes).
    pub open_hold: Duration,
    pub idle_hold_initial: Duration,
    pub idle_hold_max: Duration,
    /// Seed for timer jitter; replaying with the same seed gives the same actions.
    pub jitter_seed: u64,
}

impl Default for FsmConfig {
    fn default() -> Self {
        FsmConfig {
            passive: false,
            connect_retry: Duration::from_secs(30),
            open_hold: Duration::from_secs(240),
            idle_hold_initial: Duration::from_secs(1),
            idle_hold_max: Duration::from_secs(120),
            jitter_seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// One peer's state machine.
#[derive(Debug, Clone)]
pub struct Fsm {
    cfg: FsmConfig,
    policy: LocalPolicy,
    state: State,
    negotiated: Option<Negotiated>,
    idle_hold: Duration,
    rng: u64,
    /// Set by `Stop`: stay in Idle until the next `Start`.
    stopped: bool,
}

impl Fsm {
    pub fn new(cfg: FsmConfig, policy: LocalPolicy) -> Self {
        let rng = cfg.jitter_seed | 1;
        let idle_hold = cfg.idle_hold_initial;
        Fsm {
            cfg,
            policy,
            state: State::Idle,
            negotiated: None,
            idle_hold,
            rng,
            stopped: true,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The negotiated parameters while in OpenConfirm or Established.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    pub fn policy(&self) -> &LocalPolicy {
        &self.policy
    }

    /// Multiplies by a factor in [0.75, 1.0] (xorshift64, deterministic per seed).
    fn jitter(&mut self, d: Duration) -> Duration {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let f = 0.75 + (self.rng % 1000) as f64 / 4000.0;
        d.mul_f64(f)
    }

    pub fn handle(&mut self, ev: Event) -> Vec<Action> {
        use State::*;
        let mut out = Vec::new();
        match (self.state, ev) {
            (_, Event::Stop) => self.stop(false, &mut out),
            (_, Event::GracefulStop) => self.stop(true, &mut out),
            (Idle, Event::Shutdown { .. }) => {}
            (
                _,
                Event::Shutdown {
                    notify,
                    restart_after,
                },
            ) => {
                let reason = notify.reason.clone();
                self.fail(reason, Some(notify), &mut out);
                match restart_after {
                    Some(d) => out.push(Action::SetTimer(Timer::IdleHold, d)),
                    None => {
                        out.push(Action::CancelTimer(Timer::IdleHold));
                        self.stopped = true;
                    }
                }
            }
            (Idle, Event::Start) => {
                self.stopped = false;
                self.start(&mut out);
            }
            (Idle, Event::TimerExpired(Timer::IdleHold)) if !self.stopped => self.start(&mut out),
            (Idle, Event::TcpConnected) => out.push(Action::CloseConnection),
            (Idle, _) => {}
            (_, Event::Start) => {}

            (Connect | Active, Event::TcpConnected) => {
                out.push(Action::CancelTimer(Timer::ConnectRetry));
                out.push(Action::SendOpen);
                out.push(Action::SetTimer(Timer::Hold, self.cfg.open_hold));
                self.state = OpenSent;
            }
            (Connect, Event::TcpConnectFailed | Event::TcpClosed) => {
                let d = self.jitter(self.cfg.connect_retry);
                out.push(Action::SetTimer(Timer::ConnectRetry, d));
                self.state = Active;
            }
            (Connect | Active, Event::TimerExpired(Timer::ConnectRetry)) => {
                let d = self.jitter(self.cfg.connect_retry);
                if self.cfg.passive {
                    self.state = Active;
                } else {
                    out.push(Action::CloseConnection);
                    out.push(Action::Connect);
                    self.state = Connect;
                }
                out.push(Action::SetTimer(Timer::ConnectRetry, d));
            }
            (Active, Event::TcpConnectFailed | Event::TcpClosed) => {}
            (Connect | Active, Event::TimerExpired(_)) => {}

            (OpenSent, Event::OpenReceived(open)) => match negotiate(&self.policy, &open) {
                Ok(n) => {
                    out.push(Action::SendKeepalive);
                    self.arm_session_timers(&n, &mut out);
                    self.negotiated = Some(n);
                    self.state = OpenConfirm;
                }
                Err(e) => self.fail(e.reason.clone(), Some(e), &mut out),
            },
            (OpenSent, Event::TcpClosed) => {
                // RFC 4271 §8.2.2: back to Active, wait for the peer or the retry timer.
                out.push(Action::CloseConnection);
                out.push(Action::CancelTimer(Timer::Hold));
                let d = self.jitter(self.cfg.connect_retry);
                out.push(Action::SetTimer(Timer::ConnectRetry, d));
                self.state = Active;
            }
            (OpenConfirm, Event::KeepaliveReceived) => {
                if let Some(n) = self.negotiated.clone() {
                    self.restart_hold(&n, &mut out);
                    self.idle_hold = self.cfg.idle_hold_initial;
                    // RFC 4724 §4.1: R only in the OPENs of the first session
                    // after the restart; later resets keep forwarding (F).
                    self.policy.restarting = false;
                    self.policy.forwarding_preserved = true;
                    out.push(Action::Established(n));
                    self.state = Established;
                }
            }
            (
                Established,
                Event::KeepaliveReceived | Event::UpdateReceived | Event::RouteRefreshReceived,
            ) => {
                if let Some(n) = self.negotiated.clone() {
                    self.restart_hold(&n, &mut out);
                }
            }
            (OpenConfirm | Established, Event::TimerExpired(Timer::Keepalive)) => {
                out.push(Action::SendKeepalive);
                if let Some(n) = &self.negotiated {
                    let d = self.jitter(Duration::from_secs(u64::from(n.keepalive)));
                    out.push(Action::SetTimer(Timer::Keepalive, d));
                }
            }
            (OpenSent | OpenConfirm | Established, Event::TimerExpired(Timer::Hold)) => {
                let e = NotifyError::new(
                    code::HOLD_TIMER_EXPIRED,
                    0,
                    Vec::new(),
                    "hold timer expired",
                );
                self.fail(e.reason.clone(), Some(e), &mut out);
            }
            (OpenSent | OpenConfirm | Established, Event::TimerExpired(_)) => {}
            (
                OpenSent | OpenConfirm | Established,
                Event::NotificationReceived { code, subcode },
            ) => {
                // RFC 8538: routes survive a NOTIFICATION only with the N bit, never a Hard Reset.
                let hard = code == code::CEASE && subcode == subcode::HARD_RESET;
                let n_bit = self
                    .negotiated
                    .as_ref()
                    .and_then(|n| n.graceful_restart.as_ref())
                    .is_some_and(|g| g.notification);
                self.down(
                    format!("peer sent NOTIFICATION {code}/{subcode}"),
                    n_bit && !hard,
                    &mut out,
                );
            }
            (OpenConfirm | Established, Event::TcpClosed) => {
                self.down("connection closed by peer".to_string(), true, &mut out);
            }
            (OpenSent | OpenConfirm | Established, Event::MessageError(e)) => {
                self.fail(e.reason.clone(), Some(e), &mut out);
            }
            (
                OpenSent | OpenConfirm | Established,
                Event::TcpConnected | Event::TcpConnectFailed,
            ) => {}
            (s @ (OpenSent | OpenConfirm | Established), ev) => {
                // RFC 4271 §6.6: a message not expected in this state.
                let sub = match s {
                    OpenSent => 1,
                    OpenConfirm => 2,
                    _ => 3,
                };
                let e = NotifyError::new(
                    code::FSM,
                    sub,
                    Vec::new(),
                    format!("unexpected {ev:?} in state {s:?}"),
                );
                self.fail(e.reason.clone(), Some(e), &mut out);
            }
            (Connect | Active, _) => {}
        }
        out
    }

    fn start(&mut self, out: &mut Vec<Action>) {
        let d = self.jitter(self.cfg.connect_retry);
        if self.cfg.passive {
            self.state = State::Active;
        } else {
            out.push(Action::Connect);
            self.state = State::Connect;
        }
        out.push(Action::SetTimer(Timer::ConnectRetry, d));
    }

    fn arm_session_timers(&mut self, n: &Negotiated, out: &mut Vec<Action>) {
        self.restart_hold(n, out);
        if n.keepalive > 0 {
            let d = self.jitter(Duration::from_secs(u64::from(n.keepalive)));
            out.push(Action::SetTimer(Timer::Keepalive, d));
        }
    }

    fn restart_hold(&self, n: &Negotiated, out: &mut Vec<Action>) {
        if n.hold_time > 0 {
            out.push(Action::SetTimer(
                Timer::Hold,
                Duration::from_secs(u64::from(n.hold_time)),
            ));
        } else {
            out.push(Action::CancelTimer(Timer::Hold));
        }
    }

    fn cancel_all(out: &mut Vec<Action>) {
        for t in [
            Timer::ConnectRetry,
            Timer::Hold,
            Timer::Keepalive,
            Timer::IdleHold,
        ] {
            out.push(Action::CancelTimer(t));
        }
    }

    /// `graceful`: the peer is to keep our routes (see [`Event::GracefulStop`]).
    fn stop(&mut self, graceful: bool, out: &mut Vec<Action>) {
        self.stopped = true;
        // RFC 8538 §4: with the N bit negotiated a plain Cease would leave our
        // routes stale at the peer; a deliberate stop is a Hard Reset wrapping
        // the real reason, so the peer flushes them at once (ADR 0006). A
        // graceful stop wants exactly the stale routes (ADR 0011).
        let n_bit = self
            .negotiated
            .as_ref()
            .and_then(|n| n.graceful_restart.as_ref())
            .is_some_and(|g| g.notification);
        let talking = matches!(
            self.state,
            State::OpenSent | State::OpenConfirm | State::Established
        );
        if graceful {
            if talking && n_bit {
                out.push(Action::SendNotification(NotifyError::new(
                    code::CEASE,
                    subcode::ADMINISTRATIVE_SHUTDOWN,
                    Vec::new(),
                    "administrative shutdown (graceful: routes kept for the restart time)",
                )));
            }
        } else if talking {
            out.push(Action::SendNotification(if n_bit {
                NotifyError::new(
                    code::CEASE,
                    subcode::HARD_RESET,
                    vec![code::CEASE, subcode::ADMINISTRATIVE_SHUTDOWN],
                    "administrative shutdown (hard reset)",
                )
            } else {
                NotifyError::new(
                    code::CEASE,
                    subcode::ADMINISTRATIVE_SHUTDOWN,
                    Vec::new(),
                    "administrative shutdown",
                )
            }));
        }
        let was_up = self.state == State::Established;
        Self::cancel_all(out);
        out.push(Action::CloseConnection);
        if was_up {
            out.push(Action::SessionDown {
                reason: "administrative shutdown".into(),
                keep_routes: false,
            });
        }
        self.negotiated = None;
        self.state = State::Idle;
    }

    /// An error we detected: NOTIFICATION (if any), then down without GR
    /// helper mode (we reset the session, RFC 4724 §4.2 does not apply).
    fn fail(&mut self, reason: String, notify: Option<NotifyError>, out: &mut Vec<Action>) {
        if let Some(n) = notify {
            out.push(Action::SendNotification(n));
        }
        self.down(reason, false, out);
    }

    fn down(&mut self, reason: String, gr_allowed: bool, out: &mut Vec<Action>) {
        let was_up = self.state == State::Established;
        let keep_routes = gr_allowed
            && self
                .negotiated
                .as_ref()
                .is_some_and(|n| n.graceful_restart.is_some());
        Self::cancel_all(out);
        out.push(Action::CloseConnection);
        if was_up {
            out.push(Action::SessionDown {
                reason,
                keep_routes,
            });
        }
        self.negotiated = None;
        self.state = State::Idle;
        out.push(Action::SetTimer(Timer::IdleHold, self.idle_hold));
        self.idle_hold = (self.idle_hold * 2).min(self.cfg.idle_hold_max);
    }
}

#[cfg(test)]
mod tests;
