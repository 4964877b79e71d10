//! The tokio shell around [`Fsm`]: owns the TCP connection, frames and
//! decodes messages, arms timers, and reports to the core over a bounded
//! channel. It decides nothing the FSM does not tell it to.
//!
//! Connection collision (RFC 4271 §6.8): a connection accepted while ours is
//! in OpenSent is held until the peer's BGP identifier is known; then the
//! connection initiated by the speaker with the higher identifier is kept and
//! the other is closed with Cease / Connection Collision Resolution. An
//! accepted connection while Established is refused the same way.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::BytesMut;
use evpnd_wire::error::{code, subcode};
use evpnd_wire::framing::decode_frame;
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::notification::Notification;
use evpnd_wire::route_refresh::RouteRefresh;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, NotifyError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::collision::Resolution;
use crate::fsm::{Action, Event, Fsm, FsmConfig, State, Timer};
use crate::negotiate::{LocalPolicy, PeerOpen};

pub use crate::messages::{Notified, PeerCommand, PeerEvent, PeerIndex, Transport};

#[derive(Debug, Clone)]
pub struct PeerConfig {
    pub remote: SocketAddr,
    /// Local address to connect from (`update_source`).
    pub local: Option<IpAddr>,
    pub fsm: FsmConfig,
    pub policy: LocalPolicy,
    pub restart_time: u16,
    /// TCP MD5 key (RFC 2385).
    pub password: Option<String>,
    /// GTSM hops (RFC 5082); otherwise `ttl` is the outgoing TTL.
    pub ttl_security: Option<u8>,
    pub ttl: Option<u8>,
    /// BGP unnumbered: `remote` is not known from the configuration but
    /// comes with [`SessionInput::Remote`] (the peer's discovered
    /// link-local address, with the interface as scope id); until then, and
    /// whenever it is withdrawn, the session stays Idle.
    pub discovered: bool,
}

impl PeerConfig {
    /// Applies MD5, GTSM or TTL to a socket of this session.
    fn secure(&self, fd: &impl std::os::fd::AsRawFd) -> std::io::Result<()> {
        let v6 = self.remote.is_ipv6();
        if let Some(pw) = &self.password {
            crate::sockopt::set_md5(fd, self.remote.ip(), pw)?;
        }
        match (self.ttl_security, self.ttl) {
            (Some(h), _) => crate::sockopt::set_gtsm(fd, v6, h),
            (None, Some(t)) => crate::sockopt::set_ttl(fd, v6, t),
            (None, None) => Ok(()),
        }
    }
}

/// What a session task receives: the core's commands, and connections the
/// listener accepted for this neighbour (a socket is never part of the
/// core's messages).
#[derive(Debug)]
pub enum SessionInput {
    Command(PeerCommand),
    Incoming(TcpStream),
    /// Where the peer is now (BGP unnumbered): a new address resets the
    /// session and starts it towards the new one (when started); `None`
    /// (the link went down, the peer left or two peers answer) stops the
    /// session at once — a Cease if it was up — so its routes go now, not
    /// at hold expiry.
    Remote(Option<SocketAddr>),
}

impl From<PeerCommand> for SessionInput {
    fn from(c: PeerCommand) -> Self {
        SessionInput::Command(c)
    }
}

struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    outbound: bool,
}

impl Conn {
    fn accepted(stream: TcpStream) -> Self {
        Conn {
            stream,
            buf: BytesMut::with_capacity(65536),
            outbound: false,
        }
    }
}

struct Session {
    id: PeerIndex,
    cfg: PeerConfig,
    fsm: Fsm,
    conn: Option<Conn>,
    /// An accepted connection waiting for collision resolution; our OPEN has
    /// already been sent on it (so the peer's side of it can progress too).
    /// It is read into its buffer while held: its closing drops it, and it
    /// is only preferred once the peer's OPEN has arrived on it.
    held: Option<Conn>,
    /// When a connection was held while ours was still in OpenSent: if ours
    /// gets no OPEN by [`HELD_PATIENCE`] later, ours is presumed dead (e.g.
    /// a half-open TCP connection whose peer restarted) and the held one is
    /// adopted, instead of waiting out the OpenSent hold time (240 s).
    held_since: Option<Instant>,
    /// The next SendOpen is already done (an adopted held connection).
    skip_open: bool,
    timers: HashMap<Timer, Instant>,
    rx_ctx: Context,
    tx_ctx: Context,
    events: mpsc::Sender<PeerEvent>,
    /// The last NOTIFICATION sent or received, reported with the session's end.
    last_notification: Option<Notified>,
    /// The last OPEN written and the last one read, whole messages: the
    /// session's [`Transport`] when it is established (BMP Peer Up).
    sent_open: Vec<u8>,
    received_open: Vec<u8>,
    /// The core asked for the session to run (Start, not yet Stop): with a
    /// discovered remote, it starts once the remote is known.
    wanted: bool,
    /// `cfg.remote` is usable (always, unless [`PeerConfig::discovered`]).
    remote_known: bool,
}

pub async fn run_peer(
    id: PeerIndex,
    cfg: PeerConfig,
    mut cmds: mpsc::Receiver<SessionInput>,
    events: mpsc::Sender<PeerEvent>,
) {
    let fsm = Fsm::new(cfg.fsm.clone(), cfg.policy.clone());
    let remote_known = !cfg.discovered;
    let mut s = Session {
        wanted: false,
        remote_known,
        id,
        cfg,
        fsm,
        conn: None,
        held: None,
        held_since: None,
        skip_open: false,
        timers: HashMap::new(),
        rx_ctx: Context::default(),
        tx_ctx: Context::default(),
        events,
        last_notification: None,
        sent_open: Vec::new(),
        received_open: Vec::new(),
    };
    let mut connecting: Option<tokio::task::JoinHandle<std::io::Result<TcpStream>>> = None;
    loop {
        let deadline = s.timers.values().min().copied();
        let held_deadline = s.held_since.map(|t| t + HELD_PATIENCE);
        let held_wait = async {
            match held_deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let (conn, held) = (&mut s.conn, &mut s.held);
        let read = async move {
            match conn.as_mut() {
                Some(c) => c.stream.read_buf(&mut c.buf).await,
                None => std::future::pending().await,
            }
        };
        let held_read = async move {
            match held.as_mut() {
                Some(c) => c.stream.read_buf(&mut c.buf).await,
                None => std::future::pending().await,
            }
        };
        let connect = async {
            match connecting.as_mut() {
                Some(h) => h.await,
                None => std::future::pending().await,
            }
        };
        let ev = tokio::select! {
            cmd = cmds.recv() => match cmd {
                None => break,
                Some(SessionInput::Command(PeerCommand::Send { updates })) => {
                    s.send_updates(updates).await;
                    continue;
                }
                Some(SessionInput::Incoming(stream)) => {
                    s.incoming(stream).await;
                    continue;
                }
                Some(SessionInput::Remote(remote)) => {
                    s.set_remote(remote, &mut connecting).await;
                    continue;
                }
                Some(SessionInput::Command(PeerCommand::RouteRefresh { family })) => {
                    if s.fsm.state() == State::Established {
                        s.write(&Message::RouteRefresh(RouteRefresh::request(family))).await;
                    }
                    continue;
                }
                Some(SessionInput::Command(PeerCommand::Start)) => {
                    s.wanted = true;
                    if !s.remote_known {
                        debug!(peer = %s.cfg.remote, "start: waiting for the peer's address to be discovered");
                        continue;
                    }
                    Event::Start
                }
                Some(SessionInput::Command(PeerCommand::Stop)) => {
                    s.wanted = false;
                    Event::Stop
                }
                Some(SessionInput::Command(PeerCommand::GracefulStop)) => {
                    s.wanted = false;
                    Event::GracefulStop
                }
                Some(SessionInput::Command(PeerCommand::Shutdown { notify, restart_after })) => Event::Shutdown { notify, restart_after },
            },
            () = held_wait => {
                s.held_since = None;
                if s.fsm.state() == State::OpenSent && s.held.is_some() {
                    warn!(peer = %s.cfg.remote, "no OPEN on our connection while the peer's is waiting: taking the peer's");
                    s.write(&collision_notification()).await;
                    s.conn = None;
                    s.timers.clear();
                    s.fsm = Fsm::new(s.cfg.fsm.clone(), s.fsm.policy().clone());
                    if let Some(held) = s.held.take() {
                        s.skip_open = true;
                        s.adopt(held, &mut connecting).await;
                    }
                }
                continue;
            }
            r = held_read => {
                match r {
                    Ok(0) | Err(_) => {
                        debug!(peer = %s.cfg.remote, "the held connection closed before the collision was resolved");
                        s.held = None;
                        s.held_since = None;
                    }
                    Ok(_) if s.fsm.state() == State::OpenConfirm => {
                        s.resolve_collision(&mut connecting).await;
                    }
                    Ok(_) => {}
                }
                continue;
            }
            () = sleep => {
                let now = Instant::now();
                let due: Vec<Timer> = s.timers.iter().filter(|(_, d)| **d <= now).map(|(t, _)| *t).collect();
                for t in due {
                    s.timers.remove(&t);
                    s.step(Event::TimerExpired(t), &mut connecting).await;
                }
                continue;
            }
            r = connect => {
                connecting = None;
                match r {
                    Ok(Ok(stream)) if s.conn.is_none() => {
                        s.conn = Some(Conn { stream, buf: BytesMut::with_capacity(65536), outbound: true });
                        Event::TcpConnected
                    }
                    Ok(Ok(_)) => continue, // an accepted connection won meanwhile
                    Ok(Err(e)) => {
                        debug!(peer = %s.cfg.remote, "connect failed: {e}");
                        Event::TcpConnectFailed
                    }
                    Err(_) => Event::TcpConnectFailed,
                }
            }
            r = read => match r {
                Ok(0) | Err(_) => {
                    s.conn = None;
                    Event::TcpClosed
                }
                Ok(_) => {
                    s.drain_input(&mut connecting).await;
                    continue;
                }
            },
        };
        s.step(ev, &mut connecting).await;
    }
}

impl Session {
    async fn step(
        &mut self,
        ev: Event,
        connecting: &mut Option<tokio::task::JoinHandle<std::io::Result<TcpStream>>>,
    ) {
        let was = self.fsm.state();
        let actions = self.fsm.handle(ev);
        for a in actions {
            match a {
                Action::Connect => {
                    debug!(peer = %self.cfg.remote, "connecting");
                    *connecting = Some(tokio::spawn(connect(self.cfg.clone())));
                }
                Action::CloseConnection => {
                    if let Some(mut c) = self.conn.take() {
                        let _ = c.stream.shutdown().await;
                    }
                    if let Some(h) = connecting.take() {
                        h.abort();
                    }
                }
                Action::SendOpen if self.skip_open => self.skip_open = false,
                Action::SendOpen => {
                    // The FSM's copy: it clears the Restart State bit once a
                    // session after the restart is established.
                    let open = Message::Open(self.fsm.policy().open(self.cfg.restart_time));
                    self.sent_open = open.to_bytes(&self.tx_ctx).to_vec();
                    self.write(&open).await;
                }
                Action::SendKeepalive => self.write(&Message::Keepalive).await,
                Action::SendNotification(n) => {
                    self.last_notification = Some(Notified {
                        notify: n.clone(),
                        sent: true,
                    });
                    warn!(peer = %self.cfg.remote, code = n.code, subcode = n.subcode, "sending NOTIFICATION: {}", n.reason);
                    self.write(&Message::Notification(Notification::from(&n)))
                        .await;
                }
                Action::SetTimer(t, d) => {
                    self.timers.insert(t, Instant::now() + d);
                }
                Action::CancelTimer(t) => {
                    self.timers.remove(&t);
                }
                Action::Established(n) => {
                    info!(peer = %self.cfg.remote, asn = n.peer_asn, hold = n.hold_time, "session established");
                    self.rx_ctx = n.rx_context();
                    self.tx_ctx = n.tx_context();
                    let transport = self.transport();
                    let _ = self
                        .events
                        .send(PeerEvent::Up {
                            peer: self.id,
                            negotiated: n,
                            transport,
                        })
                        .await;
                }
                Action::SessionDown {
                    reason,
                    keep_routes,
                } => {
                    info!(peer = %self.cfg.remote, "session down: {reason}");
                    let _ = self
                        .events
                        .send(PeerEvent::Down {
                            peer: self.id,
                            reason,
                            keep_routes,
                            notification: self.last_notification.take(),
                        })
                        .await;
                }
            }
        }
        // A held connection: resolve the collision once the peer's identifier is known,
        // or adopt it if ours went away.
        if self.held.is_some() {
            match self.fsm.state() {
                State::OpenConfirm => self.resolve_collision(connecting).await,
                // RFC 4271 6.8: an Established session wins over any other connection.
                State::Established => {
                    if let Some(mut h) = self.held.take() {
                        reject(&mut h.stream).await;
                    }
                    self.held_since = None;
                }
                State::Idle | State::Connect | State::Active if self.conn.is_none() => {
                    if let Some(held) = self.held.take() {
                        self.skip_open = true;
                        self.adopt(held, connecting).await;
                    }
                }
                _ => {}
            }
        }
        if was != State::Idle && self.fsm.state() == State::Idle && self.conn.is_none() {
            self.rx_ctx = Context::default();
            self.tx_ctx = Context::default();
        }
        if was != self.fsm.state() {
            // For the API; a full channel must not stall the session.
            let _ = self.events.try_send(PeerEvent::State {
                peer: self.id,
                state: self.fsm.state(),
            });
        }
    }

    /// A discovered peer address: found, changed, or gone (`None`).
    async fn set_remote(
        &mut self,
        remote: Option<SocketAddr>,
        connecting: &mut Option<tokio::task::JoinHandle<std::io::Result<TcpStream>>>,
    ) {
        if remote == Some(self.cfg.remote) && self.remote_known {
            return;
        }
        if self.fsm.state() != State::Idle || self.conn.is_some() || connecting.is_some() {
            let why = match remote {
                Some(r) => format!("the peer moved to {r}"),
                None => "the peer is no longer on the link".to_string(),
            };
            info!(peer = %self.cfg.remote, "stopping the session at once: {why}");
            self.step(Event::Stop, connecting).await;
        }
        if let Some(mut h) = self.held.take() {
            reject(&mut h.stream).await;
        }
        self.held_since = None;
        match remote {
            Some(r) => {
                self.cfg.remote = r;
                self.remote_known = true;
                if self.wanted {
                    self.step(Event::Start, connecting).await;
                }
            }
            None => self.remote_known = false,
        }
    }

    async fn resolve_collision(
        &mut self,
        connecting: &mut Option<tokio::task::JoinHandle<std::io::Result<TcpStream>>>,
    ) {
        let Some(peer_id) = self.fsm.negotiated().map(|n| n.peer_router_id) else {
            return;
        };
        let current_outbound = self.conn.as_ref().is_some_and(|c| c.outbound);
        let held_has_bytes = self.held.as_ref().is_some_and(|h| !h.buf.is_empty());
        let decision = crate::collision::resolve(
            self.cfg.policy.router_id,
            peer_id,
            current_outbound,
            held_has_bytes,
        );
        if decision == Resolution::KeepCurrent {
            if let Some(mut h) = self.held.take() {
                reject(&mut h.stream).await;
            }
            self.held_since = None;
        } else if decision == Resolution::WaitForHeldOpen {
            // Nothing from the peer on the held connection yet: it may be one
            // the peer abandoned (it took ours as its own first). The peer's
            // OPEN or its closing decides; until then ours waits in
            // OpenConfirm, where the peer sends no KEEPALIVE unless ours is
            // its session too.
            debug!(peer = %self.cfg.remote, "collision: waiting for the peer's OPEN on the held connection");
        } else if let Some(held) = self.held.take() {
            self.held_since = None;
            self.write(&collision_notification()).await;
            self.conn = None;
            self.timers.clear();
            self.fsm = Fsm::new(self.cfg.fsm.clone(), self.fsm.policy().clone());
            self.skip_open = true;
            self.adopt(held, connecting).await;
        }
    }

    /// Makes an accepted connection the session's; bytes already read from
    /// it (while it was held) are kept.
    async fn adopt(
        &mut self,
        conn: Conn,
        connecting: &mut Option<tokio::task::JoinHandle<std::io::Result<TcpStream>>>,
    ) {
        if let Some(h) = connecting.take() {
            h.abort();
        }
        self.conn = Some(conn);
        if self.fsm.state() == State::Idle {
            Box::pin(self.step(Event::Start, connecting)).await;
            // Start in active mode issued a Connect; the adopted stream replaces it.
            if let Some(h) = connecting.take() {
                h.abort();
            }
        }
        Box::pin(self.step(Event::TcpConnected, connecting)).await;
    }

    async fn incoming(&mut self, mut stream: TcpStream) {
        if !self.remote_known {
            // BGP unnumbered before discovery has concluded: the listener
            // only hands over link-local peers on our interface; the one
            // that connected is the peer (discovery confirms or moves it).
            match stream.peer_addr() {
                Ok(SocketAddr::V6(from)) if self.cfg.discovered && self.wanted => {
                    let mut r = from;
                    r.set_port(self.cfg.remote.port());
                    r.set_flowinfo(0);
                    info!(peer = %r, "unnumbered peer connected before discovery found it: taking it");
                    self.cfg.remote = SocketAddr::V6(r);
                    self.remote_known = true;
                }
                _ => {
                    debug!(peer = %self.cfg.remote, "closing a connection accepted while the peer is unknown");
                    return;
                }
            }
        }
        if let Err(e) = self.cfg.secure(&stream) {
            warn!(peer = %self.cfg.remote, "cannot set TTL security on an accepted connection: {e}");
            return;
        }
        match self.fsm.state() {
            State::Established => reject(&mut stream).await,
            State::OpenSent | State::OpenConfirm => {
                // Answer it like a second FSM would (Active -> OpenSent), then decide.
                let open = Message::Open(self.fsm.policy().open(self.cfg.restart_time))
                    .to_bytes(&Context::default());
                self.sent_open = open.to_vec();
                if stream.write_all(&open).await.is_err() {
                    return;
                }
                if let Some(mut old) = self.held.replace(Conn::accepted(stream)) {
                    reject(&mut old.stream).await;
                }
                if self.fsm.state() == State::OpenSent {
                    self.held_since = Some(Instant::now());
                }
                if self.fsm.state() == State::OpenConfirm {
                    self.resolve_collision(&mut None).await;
                }
            }
            _ => self.adopt(Conn::accepted(stream), &mut None).await,
        }
    }

    async fn drain_input(
        &mut self,
        connecting: &mut Option<tokio::task::JoinHandle<std::io::Result<TcpStream>>>,
    ) {
        loop {
            let max = self.rx_ctx.max_message_len();
            let frame = match self.conn.as_mut() {
                Some(c) => decode_frame(&mut c.buf, max),
                None => return,
            };
            let ev = match frame {
                Ok(None) => return,
                Err(e) => Event::MessageError(e),
                Ok(Some(f)) => match decode_message(&f, &self.rx_ctx) {
                    Err(e) => Event::MessageError(e),
                    Ok(Message::Open(o)) => {
                        self.received_open = f.to_vec();
                        Event::OpenReceived(PeerOpen::from_wire(&o))
                    }
                    Ok(Message::Keepalive) => Event::KeepaliveReceived,
                    Ok(Message::Notification(n)) => {
                        warn!(peer = %self.cfg.remote, "received NOTIFICATION: {n}");
                        self.last_notification = Some(Notified {
                            notify: NotifyError::new(
                                n.code,
                                n.subcode,
                                n.data.clone(),
                                n.to_string(),
                            ),
                            sent: false,
                        });
                        Event::NotificationReceived {
                            code: n.code,
                            subcode: n.subcode,
                        }
                    }
                    Ok(Message::RouteRefresh(r)) => {
                        if self.fsm.state() == State::Established {
                            let _ = self
                                .events
                                .send(PeerEvent::RouteRefresh {
                                    peer: self.id,
                                    family: r.family,
                                    subtype: r.subtype,
                                })
                                .await;
                        }
                        Event::RouteRefreshReceived
                    }
                    Ok(Message::Update(u)) => {
                        if self.fsm.state() == State::Established {
                            if let Some(v) = u.verdict() {
                                for i in &u.issues {
                                    warn!(peer = %self.cfg.remote, action = ?i.action, "malformed UPDATE: {}", i.reason);
                                }
                                debug!(peer = %self.cfg.remote, verdict = ?v, "applying RFC 7606 verdict");
                            }
                            let _ = self
                                .events
                                .send(PeerEvent::Update {
                                    peer: self.id,
                                    update: u,
                                })
                                .await;
                        }
                        Event::UpdateReceived
                    }
                },
            };
            let fatal = matches!(ev, Event::MessageError(_));
            self.step(ev, connecting).await;
            if fatal {
                return;
            }
        }
    }

    /// The established connection's addresses and OPENs.
    fn transport(&self) -> Option<Box<Transport>> {
        let c = self.conn.as_ref()?;
        Some(Box::new(Transport {
            local: c.stream.local_addr().ok()?,
            remote: c.stream.peer_addr().ok()?,
            sent_open: self.sent_open.clone(),
            received_open: self.received_open.clone(),
        }))
    }

    async fn write(&mut self, m: &Message) {
        let Some(c) = self.conn.as_mut() else { return };
        let bytes = m.to_bytes(&self.tx_ctx);
        if let Err(e) = c.stream.write_all(&bytes).await {
            debug!(peer = %self.cfg.remote, "write failed: {e}");
        }
    }

    async fn send_updates(&mut self, updates: Vec<Update>) {
        if self.fsm.state() == State::Established
            && let Some(c) = self.conn.as_mut()
        {
            let mut out = BytesMut::new();
            for u in updates {
                Message::Update(u).encode(&self.tx_ctx, &mut out);
            }
            if let Err(e) = c.stream.write_all(&out).await {
                debug!(peer = %self.cfg.remote, "write failed: {e}");
            }
        }
        let _ = self.events.send(PeerEvent::Drained { peer: self.id }).await;
    }
}

/// How long a held connection waits for ours to show signs of life.
const HELD_PATIENCE: Duration = Duration::from_secs(3);

fn collision_notification() -> Message {
    Message::Notification(Notification::from(&NotifyError::new(
        code::CEASE,
        subcode::CONNECTION_COLLISION_RESOLUTION,
        Vec::new(),
        "connection collision",
    )))
}

async fn reject(stream: &mut TcpStream) {
    let bytes = collision_notification().to_bytes(&Context::default());
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

async fn connect(cfg: PeerConfig) -> std::io::Result<TcpStream> {
    let remote = cfg.remote;
    let sock = if remote.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    cfg.secure(&sock)?;
    if let Some(l) = cfg.local {
        sock.bind(SocketAddr::new(l, 0))?;
    }
    tokio::time::timeout(Duration::from_secs(10), sock.connect(remote))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
}
