//! One interface's task: wait for the socket, a timer, the link poll or a
//! command; feed the core; carry out its outputs.

use std::io;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::netlink::{self, LinkInfo};
use super::socket::{ND_HOP_LIMIT, RaSocket, Received, SocketError};
use super::{Command, DriverEvent};
use crate::discovery::{Discovery, Input, Output, PeerEvent};
use crate::ra::RouterAdvertisement;
use crate::rs::{ICMPV6_ROUTER_SOLICITATION, RouterSolicitation};

/// Receive buffer: larger than any RA on a jumbo-frame link.
const RECV_BUFFER: usize = 9216;

pub(super) struct Task {
    pub name: String,
    pub discovery: Discovery,
    pub netlink: rtnetlink::Handle,
    pub dumps: rtnetlink::Handle,
    /// Notified on a link or address change of this interface.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    pub events: mpsc::Sender<DriverEvent>,
    pub commands: mpsc::Receiver<Command>,
    pub poll: Duration,
}

/// What woke the task.
enum Wake {
    Command(Option<Command>),
    Poll,
    Packet(Result<Received, SocketError>),
    Timer,
}

/// The socket and the link it was opened on.
struct Bound {
    socket: RaSocket,
    index: u32,
}

struct State {
    t: Task,
    bound: Option<Bound>,
    /// The last open/send error logged, to log a repeating one once.
    last_error: Option<(&'static str, io::ErrorKind)>,
}

pub(super) async fn run(t: Task) {
    let mut poll = tokio::time::interval(t.poll);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut s = State {
        t,
        bound: None,
        last_error: None,
    };
    let mut buf = vec![0u8; RECV_BUFFER];
    loop {
        let deadline = s.t.discovery.next_deadline();
        let wake = tokio::select! {
            c = s.t.commands.recv() => Wake::Command(c),
            _ = poll.tick() => Wake::Poll,
            _ = s.t.wake.notified() => Wake::Poll,
            r = recv(s.bound.as_ref(), &mut buf) => Wake::Packet(r),
            _ = sleep(deadline) => Wake::Timer,
        };
        let outputs = match wake {
            Wake::Command(None | Some(Command::Stop)) => {
                s.goodbye();
                return;
            }
            Wake::Command(Some(Command::Counters(tx))) => {
                let _ = tx.send(s.t.discovery.counters());
                continue;
            }
            Wake::Command(Some(Command::State(tx))) => {
                let _ = tx.send(s.t.discovery.state().clone());
                continue;
            }
            Wake::Command(Some(Command::Feed(input))) => s.feed(input),
            Wake::Poll => s.poll().await,
            Wake::Packet(Ok(r)) => s.packet(r, &buf),
            Wake::Packet(Err(e)) => {
                tracing::warn!(interface = %s.t.name, error = %e, "receive failed; reopening the socket");
                s.bound = None;
                Vec::new()
            }
            Wake::Timer => s.t.discovery.tick(Instant::now()),
        };
        if !s.carry_out(outputs).await {
            tracing::info!(interface = %s.t.name, "event receiver gone; discovery ends");
            return;
        }
    }
}

async fn recv(bound: Option<&Bound>, buf: &mut [u8]) -> Result<Received, SocketError> {
    match bound {
        Some(b) => b.socket.recv(buf).await,
        None => std::future::pending().await,
    }
}

async fn sleep(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

impl State {
    /// Reads the link and (when up) its neighbours, and feeds the changes.
    async fn poll(&mut self) -> Vec<Output> {
        let info = match netlink::link(&self.t.netlink, &self.t.name).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(interface = %self.t.name, error = %e, "cannot read the link");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let now = Instant::now();
        match info {
            None => {
                self.bound = None;
                if self.t.discovery.link_up() {
                    out.extend(self.t.discovery.handle(now, Input::LinkDown));
                }
            }
            Some(LinkInfo { index, up, mac }) => {
                if self.bound.as_ref().is_some_and(|b| b.index != index) {
                    // Deleted and recreated under the same name.
                    self.bound = None;
                    if self.t.discovery.link_up() {
                        out.extend(self.t.discovery.handle(now, Input::LinkDown));
                    }
                }
                if self.bound.is_none() {
                    self.open(index);
                }
                self.t.discovery.set_link_layer(mac);
                let usable = up && self.bound.is_some() && self.has_link_local(index).await;
                if usable != self.t.discovery.link_up() {
                    let input = if usable {
                        Input::LinkUp
                    } else {
                        Input::LinkDown
                    };
                    tracing::debug!(interface = %self.t.name, up = usable, "link state");
                    out.extend(self.t.discovery.handle(now, input));
                }
                if self.t.discovery.consults_neighbours() {
                    match netlink::neighbours(&self.t.dumps, index).await {
                        Ok(n) => out.extend(self.t.discovery.handle(now, Input::Neighbours(n))),
                        Err(e) => {
                            tracing::warn!(interface = %self.t.name, error = %e, "cannot read neighbours")
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether the link has a link-local address past DAD (a read error
    /// counts as yes: the send will tell).
    async fn has_link_local(&self, index: u32) -> bool {
        match netlink::usable_link_local(&self.t.netlink, index).await {
            Ok(a) => a.is_some(),
            Err(e) => {
                tracing::warn!(interface = %self.t.name, error = %e, "cannot read addresses");
                true
            }
        }
    }

    /// An outside input; link up only counts once the socket is open.
    fn feed(&mut self, input: Input) -> Vec<Output> {
        if input == Input::LinkUp && self.bound.is_none() {
            return Vec::new();
        }
        self.t.discovery.handle(Instant::now(), input)
    }

    fn open(&mut self, index: u32) {
        match RaSocket::open(&self.t.name, index) {
            Ok(socket) => {
                self.last_error = None;
                self.bound = Some(Bound { socket, index });
            }
            Err(e) => self.log_error("open", &e),
        }
    }

    fn packet(&mut self, r: Received, buf: &[u8]) -> Vec<Output> {
        let d = &mut self.t.discovery;
        if r.hop_limit != Some(ND_HOP_LIMIT) {
            // RFC 4861 §6.1.2: not from this link (or unprovable).
            d.note_bad_hop_limit();
            tracing::debug!(interface = %self.t.name, source = %r.source, hop_limit = ?r.hop_limit, "ND message dropped: hop limit is not 255");
            return Vec::new();
        }
        if r.truncated {
            d.note_malformed();
            tracing::debug!(interface = %self.t.name, source = %r.source, "ND message dropped: truncated");
            return Vec::new();
        }
        let msg = &buf[..r.len];
        let input = match msg.first() {
            Some(&ICMPV6_ROUTER_SOLICITATION) => {
                RouterSolicitation::decode(msg).map(|_| Input::Solicitation { source: r.source })
            }
            _ => RouterAdvertisement::decode(msg).map(|ra| Input::Advertisement {
                source: r.source,
                ra,
            }),
        };
        match input {
            Ok(input) => d.handle(Instant::now(), input),
            Err(e) => {
                d.note_malformed();
                tracing::debug!(interface = %self.t.name, source = %r.source, error = %e, "ND message dropped: malformed");
                Vec::new()
            }
        }
    }

    /// Sends RAs and forwards events; false when the receiver is gone.
    async fn carry_out(&mut self, outputs: Vec<Output>) -> bool {
        for o in outputs {
            match o {
                Output::SendRa(ra) => self.send(&ra),
                Output::Event(event) => {
                    log_event(&self.t.name, &event);
                    let ev = DriverEvent {
                        interface: self.t.name.clone(),
                        event,
                    };
                    if self.t.events.send(ev).await.is_err() {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn send(&mut self, ra: &RouterAdvertisement) {
        let Some(b) = &self.bound else { return };
        match b.socket.send_all_nodes(&ra.encode()) {
            Ok(()) => {
                if self.last_error.is_some_and(|(op, _)| op == "send") {
                    self.last_error = None;
                }
            }
            // Before DAD has finished the link has no usable link-local
            // address; the next RA will go.
            Err(e) => self.log_error("send", &e),
        }
    }

    fn goodbye(&mut self) {
        if let Some(ra) = self.t.discovery.shutdown() {
            self.send(&ra);
        }
    }

    fn log_error(&mut self, op: &'static str, e: &SocketError) {
        let key = (op, e.source.kind());
        if self.last_error != Some(key) {
            tracing::warn!(interface = %self.t.name, error = %e, "RA socket {op} failed (repeats are not logged)");
            self.last_error = Some(key);
        }
    }
}

fn log_event(name: &str, e: &PeerEvent) {
    match e {
        PeerEvent::Conflict { sources } => {
            tracing::warn!(
                interface = name,
                ?sources,
                "more than one router on an unnumbered link; no peer until one is left"
            )
        }
        PeerEvent::Found { peer, source } => {
            tracing::info!(interface = name, %peer, ?source, "unnumbered peer found")
        }
        PeerEvent::Changed { old, new, source } => {
            tracing::info!(interface = name, %old, %new, ?source, "unnumbered peer changed")
        }
        PeerEvent::Lost { peer, reason } => {
            tracing::info!(interface = name, %peer, ?reason, "unnumbered peer lost")
        }
        PeerEvent::ConflictCleared => {
            tracing::info!(interface = name, "conflict cleared; no router on the link")
        }
    }
}
