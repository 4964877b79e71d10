//! One BMP collector as a sans-IO state machine: what the core tells it
//! (peer up/down, UPDATEs of a RIB, statistics) becomes bytes in a
//! **bounded** queue that the transport drains; the connection's life
//! (connect, lost, reconnect with backoff) is driven by calls with `now`.
//!
//! ```text
//!            connecting()        connected()              lost() / overflow
//!   Down ───────────────► Connecting ───────► Up{epoch} ───────────────────► Down{retry_at}
//!     ▲   connect_failed()      │               │ shutdown(), queue drained
//!     └─────────────────────────┘               ▼
//!                                             Closed
//! ```
//!
//! On every connection: Initiation, the Loc-RIB's Peer Up (RFC 9069), a Peer
//! Up for every peer that is up, then [`Request::Dump`]: the owner feeds the
//! whole table through [`Feed::route_monitoring`] as [`Feed::dump_room`]
//! allows, and ends it with [`Feed::dump_done`] (End-of-RIB per RIB).
//! Nothing is queued while the collector is away: the dump on reconnect
//! carries the state. When the queue would pass `queue_bytes`, it is
//! dropped, the connection is abandoned (a half-sent stream cannot be
//! patched) and the next connection resyncs from scratch (ADR 0020).

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use evpnd_wire::capability::Capability;
use evpnd_wire::message::Message as BgpMessage;
use evpnd_wire::open::Open;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};
use serde::{Deserialize, Serialize};

use crate::backoff::{Backoff, STABLE_AFTER};
use crate::header::{PeerHeader, Timestamp, flags};
use crate::initiation::Initiation;
use crate::peer_down::{PeerDown, PeerDownReason};
use crate::peer_up::PeerUp;
use crate::route_monitoring;
use crate::stats::{self, Stat};
use crate::termination::Termination;
use crate::tlv::{Tlv, info_type};

/// Default queue budget per collector: 16 MiB of encoded messages.
pub const DEFAULT_QUEUE_BYTES: usize = 16 * 1024 * 1024;
/// Smallest budget accepted: room for a few extended-length UPDATEs.
pub const MIN_QUEUE_BYTES: usize = 256 * 1024;
/// Largest chunk handed to the transport per write.
pub const MAX_WRITE_CHUNK: usize = 64 * 1024;
/// Default Statistics Report interval.
pub const DEFAULT_STATS_INTERVAL: Duration = Duration::from_secs(60);
/// The table dump may fill the queue up to budget / `DUMP_SHARE`; the rest
/// stays free for live changes during the dump.
pub const DUMP_SHARE: usize = 2;
/// A paused dump is asked for more once the queue is below budget / `DUMP_RESUME`.
pub const DUMP_RESUME: usize = 4;
/// The Loc-RIB's table name in its Peer Up (RFC 9069 §5.3).
pub const LOC_RIB_TABLE_NAME: &str = "global";

/// The RIBs a collector can monitor (`route_monitoring` in `[[bmp]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rib {
    /// Adj-RIB-In as received (peer type 0, L clear).
    PrePolicy,
    /// Adj-RIB-In after import policy (peer type 0, L set).
    PostPolicy,
    /// The best paths (peer type 3, RFC 9069).
    LocRib,
}

/// Where an UPDATE or a statistics report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Source {
    PrePolicy(IpAddr),
    PostPolicy(IpAddr),
    LocRib,
}

impl Source {
    pub fn rib(self) -> Rib {
        match self {
            Source::PrePolicy(_) => Rib::PrePolicy,
            Source::PostPolicy(_) => Rib::PostPolicy,
            Source::LocRib => Rib::LocRib,
        }
    }
}

/// A peer is known by its address (one `[[neighbor]]` per address).
pub type PeerKey = IpAddr;

/// An established BGP session, as the core reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerSession {
    pub address: IpAddr,
    pub asn: u32,
    pub bgp_id: Ipv4Addr,
    pub local_address: IpAddr,
    pub local_port: u16,
    pub remote_port: u16,
    /// The OPEN evpnd sent, whole BGP message.
    pub sent_open: Vec<u8>,
    /// The OPEN the peer sent, whole BGP message.
    pub received_open: Vec<u8>,
    /// UPDATEs given for this peer use 2-octet AS numbers (the A flag).
    /// Leave false and encode them with a 4-octet-AS `Context`.
    pub legacy_as_path: bool,
    /// When the session came up.
    pub up_since: Timestamp,
}

/// One collector's settings (from `[[bmp]]` and `[bgp]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    /// Initiation sysName (the router id or host name).
    pub sys_name: String,
    /// Initiation sysDescr (`evpnd <version>`).
    pub sys_descr: String,
    /// Local AS and router id: the Loc-RIB peer's AS and BGP ID.
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// The RIBs to send.
    pub monitor: Vec<Rib>,
    /// Statistics Report interval; `None`: never.
    pub stats_interval: Option<Duration>,
    /// The queue budget in octets (at least [`MIN_QUEUE_BYTES`]).
    pub queue_bytes: usize,
    pub backoff: Backoff,
}

impl FeedConfig {
    /// The defaults: pre-policy Adj-RIB-In and Loc-RIB, stats every minute,
    /// a 16 MiB queue.
    pub fn new(sys_name: &str, asn: u32, router_id: Ipv4Addr) -> FeedConfig {
        FeedConfig {
            sys_name: sys_name.to_string(),
            sys_descr: format!("evpnd {}", env!("CARGO_PKG_VERSION")),
            asn,
            router_id,
            monitor: vec![Rib::PrePolicy, Rib::LocRib],
            stats_interval: Some(DEFAULT_STATS_INTERVAL),
            queue_bytes: DEFAULT_QUEUE_BYTES,
            backoff: Backoff::default(),
        }
    }
}

impl FeedConfig {
    /// The settings of one `[[bmp]]` collector; `sys_name` is the
    /// Initiation's sysName (the host name, or the router id).
    pub fn from_config(
        cfg: &evpnd_config::Config,
        b: &evpnd_config::Bmp,
        sys_name: &str,
    ) -> FeedConfig {
        let mut f = FeedConfig::new(sys_name, cfg.asn(), cfg.bgp.router_id);
        f.monitor = b
            .route_monitoring
            .iter()
            .map(|r| match r {
                evpnd_config::BmpRib::PrePolicy => Rib::PrePolicy,
                evpnd_config::BmpRib::PostPolicy => Rib::PostPolicy,
                evpnd_config::BmpRib::LocRib => Rib::LocRib,
            })
            .collect();
        f.stats_interval =
            (b.stats_interval > 0).then(|| Duration::from_secs(u64::from(b.stats_interval)));
        f.queue_bytes = usize::try_from(b.queue_bytes).unwrap_or(usize::MAX);
        f
    }
}

/// The connection as the transport should see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Not connected; connect at `retry_at`.
    Down { retry_at: Instant },
    /// A connection attempt is under way.
    Connecting,
    /// Connected; `epoch` names this connection in [`Feed::transmit`] / [`Feed::written`].
    Up { epoch: u64 },
    /// Shut down (Termination sent, or never connected): nothing more to do.
    Closed,
}

/// What the feed asks of its owner (the core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Request {
    /// A new connection: send the whole table (every up peer's Adj-RIB-In
    /// and the Loc-RIB, as monitored) while [`Feed::dump_room`] allows,
    /// then call [`Feed::dump_done`] with this epoch.
    Dump { epoch: u64 },
    /// The dump paused for room: there is room again.
    DumpMore { epoch: u64 },
    /// Time for a Statistics Report per peer and for the Loc-RIB
    /// ([`Feed::statistics`]).
    Stats,
}

/// What happened to a message handed to the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Push {
    Queued,
    /// The collector is not connected; the next connection's dump carries it.
    NotConnected,
    /// This collector does not monitor that RIB.
    NotMonitored,
    /// No Peer Up for that peer (call [`Feed::peer_up`] first).
    UnknownPeer,
    /// The queue budget was exceeded: queue dropped, connection abandoned,
    /// resync on the next connection.
    Overflow,
    /// Shutting down.
    Closing,
}

/// Counters for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FeedCounters {
    pub connects: u64,
    pub connect_failures: u64,
    pub connections_lost: u64,
    /// Queue overflows, each one a resync.
    pub overflows: u64,
    pub messages_queued: u64,
    pub bytes_written: u64,
    /// Messages not queued because the collector was away.
    pub not_connected: u64,
    /// The largest queue seen (queued + in flight), octets.
    pub queue_high_water: usize,
}

#[derive(Debug)]
struct Dump {
    epoch: u64,
    paused: bool,
}

/// One collector. See the module documentation.
#[derive(Debug)]
pub struct Feed {
    cfg: FeedConfig,
    link: Link,
    epoch: u64,
    up_at: Option<Instant>,
    buf: BytesMut,
    in_flight: usize,
    peers: BTreeMap<PeerKey, PeerSession>,
    dump: Option<Dump>,
    requests: VecDeque<Request>,
    next_stats: Option<Instant>,
    closing: bool,
    counters: FeedCounters,
}

impl Feed {
    /// A feed that connects at once.
    pub fn new(mut cfg: FeedConfig, now: Instant) -> Feed {
        cfg.queue_bytes = cfg.queue_bytes.max(MIN_QUEUE_BYTES);
        Feed {
            cfg,
            link: Link::Down { retry_at: now },
            epoch: 0,
            up_at: None,
            buf: BytesMut::new(),
            in_flight: 0,
            peers: BTreeMap::new(),
            dump: None,
            requests: VecDeque::new(),
            next_stats: None,
            closing: false,
            counters: FeedCounters::default(),
        }
    }

    pub fn config(&self) -> &FeedConfig {
        &self.cfg
    }
    pub fn link(&self) -> Link {
        self.link
    }
    pub fn counters(&self) -> FeedCounters {
        self.counters
    }
    /// Octets queued or in flight: never above the budget, except right
    /// after [`Feed::connected`], whose start-up messages (Initiation, one
    /// Peer Up per session) are queued whatever their size.
    pub fn queued_bytes(&self) -> usize {
        self.buf.len() + self.in_flight
    }
    /// The established sessions the feed knows (the peers a table dump covers).
    pub fn peers(&self) -> impl Iterator<Item = &PeerSession> {
        self.peers.values()
    }

    pub fn monitors(&self, rib: Rib) -> bool {
        self.cfg.monitor.contains(&rib)
    }
    /// Whether an UPDATE from `source` would be queued now (lets the owner
    /// skip encoding it).
    pub fn wants(&self, source: Source) -> bool {
        matches!(self.link, Link::Up { .. })
            && !self.closing
            && self.monitors(source.rib())
            && match source {
                Source::PrePolicy(p) | Source::PostPolicy(p) => self.peers.contains_key(&p),
                Source::LocRib => true,
            }
    }

    // ---- the transport's side ----

    /// The next instant at which [`Feed::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.link {
            Link::Down { retry_at } => Some(retry_at),
            Link::Up { .. } => self.next_stats,
            _ => None,
        }
    }

    /// Timers: statistics due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let (Link::Up { .. }, Some(at), Some(every)) =
            (self.link, self.next_stats, self.cfg.stats_interval)
            && now >= at
        {
            if !self.requests.contains(&Request::Stats) {
                self.requests.push_back(Request::Stats);
            }
            // Skip missed ticks rather than bursting.
            let mut next = at + every;
            while next <= now {
                next += every;
            }
            self.next_stats = Some(next);
        }
    }

    /// Whether the transport should open a connection now.
    pub fn should_connect(&self, now: Instant) -> bool {
        matches!(self.link, Link::Down { retry_at } if now >= retry_at) && !self.closing
    }

    pub fn connecting(&mut self) {
        if matches!(self.link, Link::Down { .. }) {
            self.link = Link::Connecting;
        }
    }

    pub fn connect_failed(&mut self, now: Instant) {
        self.counters.connect_failures += 1;
        self.link = self.down_or_closed(now);
    }

    /// The connection is up: queues Initiation, Peer Ups and asks for a dump.
    /// Returns the connection's epoch. `wall` stamps the Loc-RIB Peer Up.
    pub fn connected(&mut self, now: Instant, wall: Timestamp) -> u64 {
        self.epoch += 1;
        let epoch = self.epoch;
        self.link = Link::Up { epoch };
        self.up_at = Some(now);
        self.counters.connects += 1;
        self.buf = BytesMut::new();
        self.in_flight = 0;
        Initiation::new(&self.cfg.sys_name, &self.cfg.sys_descr).encode(&mut self.buf);
        let mut queued = 1;
        if self.monitors(Rib::LocRib) {
            self.loc_rib_peer_up(wall);
            queued += 1;
        }
        if self.monitors_adj_in() {
            let peers: Vec<PeerSession> = self.peers.values().cloned().collect();
            for p in &peers {
                self.encode_peer_up(p);
            }
            queued += peers.len() as u64;
        }
        self.counters.messages_queued += queued;
        self.note_high_water();
        self.dump = Some(Dump {
            epoch,
            paused: false,
        });
        self.requests.retain(|r| *r == Request::Stats);
        self.requests.push_back(Request::Dump { epoch });
        self.next_stats = self.cfg.stats_interval.map(|d| now + d);
        epoch
    }

    /// The connection failed (write error, collector closed it).
    pub fn lost(&mut self, epoch: u64, now: Instant) {
        if self.link != (Link::Up { epoch }) {
            return;
        }
        self.counters.connections_lost += 1;
        self.drop_connection(now);
    }

    /// The next chunk to write on connection `epoch`, at most
    /// [`MAX_WRITE_CHUNK`] octets. It stays counted in the budget until
    /// [`Feed::written`].
    pub fn transmit(&mut self, epoch: u64) -> Option<Bytes> {
        if self.link != (Link::Up { epoch }) || self.buf.is_empty() {
            return None;
        }
        let n = self.buf.len().min(MAX_WRITE_CHUNK);
        self.in_flight += n;
        Some(self.buf.split_to(n).freeze())
    }

    /// `n` octets of the chunks handed out were written.
    pub fn written(&mut self, epoch: u64, n: usize) {
        if self.link != (Link::Up { epoch }) {
            return;
        }
        self.in_flight = self.in_flight.saturating_sub(n);
        self.counters.bytes_written += n as u64;
        let low = self.queued_bytes() <= self.cfg.queue_bytes / DUMP_RESUME;
        if let Some(d) = &mut self.dump
            && d.paused
            && low
        {
            d.paused = false;
            self.requests
                .push_back(Request::DumpMore { epoch: d.epoch });
        }
        if self.closing && self.queued_bytes() == 0 {
            self.link = Link::Closed;
        }
    }

    // ---- the owner's side ----

    /// What the feed asks of its owner, oldest first.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// A peer's session is established.
    pub fn peer_up(&mut self, now: Instant, session: PeerSession) -> Push {
        let key = session.address;
        self.peers.insert(key, session);
        if !self.monitors_adj_in() {
            return Push::NotMonitored;
        }
        if let Some(p) = self.ready() {
            return p;
        }
        let Some(s) = self.peers.get(&key).cloned() else {
            return Push::UnknownPeer;
        };
        let mut b = BytesMut::new();
        peer_up_message(&s).encode(&mut b);
        self.push(now, &b)
    }

    /// A peer's session is down.
    pub fn peer_down(
        &mut self,
        now: Instant,
        peer: PeerKey,
        reason: PeerDownReason,
        wall: Timestamp,
    ) -> Push {
        let Some(s) = self.peers.remove(&peer) else {
            return Push::UnknownPeer;
        };
        if !self.monitors_adj_in() {
            return Push::NotMonitored;
        }
        if let Some(p) = self.ready() {
            return p;
        }
        let mut b = BytesMut::new();
        PeerDown {
            peer: self.header(&s, 0, wall),
            reason,
        }
        .encode(&mut b);
        self.push(now, &b)
    }

    /// One UPDATE (a whole BGP message) of `source`'s RIB; `received` is
    /// when it was received or installed (zero if unknown).
    pub fn route_monitoring(
        &mut self,
        now: Instant,
        source: Source,
        received: Timestamp,
        update: &[u8],
    ) -> Push {
        let Some(peer) = self.source_header(source, received) else {
            return self.refuse(source);
        };
        let start = self.buf.len();
        if let Some(p) = self.reserve(now, route_monitoring::encoded_len(update.len())) {
            return p;
        }
        route_monitoring::encode(&mut self.buf, &peer, update);
        debug_assert_eq!(
            self.buf.len() - start,
            route_monitoring::encoded_len(update.len())
        );
        self.queued_one();
        Push::Queued
    }

    /// A Statistics Report for `source` (a peer, or the Loc-RIB).
    pub fn statistics(
        &mut self,
        now: Instant,
        source: Source,
        wall: Timestamp,
        stats: &[Stat],
    ) -> Push {
        let Some(peer) = self.source_header(source, wall) else {
            return self.refuse(source);
        };
        let mut b = BytesMut::new();
        stats::encode(&mut b, &peer, stats);
        self.push(now, &b)
    }

    /// Room the table dump may use now (0: wait for [`Request::DumpMore`]).
    pub fn dump_room(&mut self) -> usize {
        let limit = self.cfg.queue_bytes / DUMP_SHARE;
        let queued = self.queued_bytes();
        match &mut self.dump {
            Some(d) if queued < limit => limit - queued,
            Some(d) => {
                d.paused = true;
                0
            }
            None => 0,
        }
    }

    /// The dump of connection `epoch` is complete: End-of-RIB (L2VPN EVPN)
    /// for each monitored RIB.
    pub fn dump_done(&mut self, now: Instant, epoch: u64, wall: Timestamp) {
        if !matches!(&self.dump, Some(d) if d.epoch == epoch) {
            return;
        }
        self.dump = None;
        let eor = end_of_rib();
        let mut sources = Vec::new();
        if self.monitors(Rib::LocRib) {
            sources.push(Source::LocRib);
        }
        for p in self.peers.keys() {
            if self.monitors(Rib::PrePolicy) {
                sources.push(Source::PrePolicy(*p));
            }
            if self.monitors(Rib::PostPolicy) {
                sources.push(Source::PostPolicy(*p));
            }
        }
        for s in sources {
            if self.route_monitoring(now, s, wall, &eor) == Push::Overflow {
                return;
            }
        }
    }

    /// Ends the feed: Termination (reason, text) after what is queued; the
    /// link becomes [`Link::Closed`] once written (at once if not connected).
    pub fn shutdown(&mut self, reason: u16, text: &str) {
        if self.closing {
            return;
        }
        self.closing = true;
        self.dump = None;
        if matches!(self.link, Link::Up { .. }) {
            Termination::new(reason, text).encode(&mut self.buf);
        } else {
            self.link = Link::Closed;
        }
    }

    // ---- internals ----

    fn monitors_adj_in(&self) -> bool {
        self.monitors(Rib::PrePolicy) || self.monitors(Rib::PostPolicy)
    }

    /// `Some(why not)` when nothing can be queued now.
    fn ready(&mut self) -> Option<Push> {
        if self.closing {
            return Some(Push::Closing);
        }
        if !matches!(self.link, Link::Up { .. }) {
            self.counters.not_connected += 1;
            return Some(Push::NotConnected);
        }
        None
    }

    fn refuse(&mut self, source: Source) -> Push {
        if !self.monitors(source.rib()) {
            return Push::NotMonitored;
        }
        if let Some(p) = self.ready() {
            return p;
        }
        Push::UnknownPeer
    }

    /// The Per-Peer Header for `source`, if it can be sent now.
    fn source_header(&mut self, source: Source, ts: Timestamp) -> Option<PeerHeader> {
        if !self.wants(source) {
            return None;
        }
        match source {
            Source::LocRib => Some(PeerHeader::loc_rib(self.cfg.asn, self.cfg.router_id, ts)),
            Source::PrePolicy(p) => self.peers.get(&p).map(|s| self.header(s, 0, ts)),
            Source::PostPolicy(p) => self.peers.get(&p).map(|s| self.header(s, flags::L, ts)),
        }
    }

    fn header(&self, s: &PeerSession, extra: u8, ts: Timestamp) -> PeerHeader {
        let a = if s.legacy_as_path { flags::A } else { 0 };
        PeerHeader::global(s.address, s.asn, s.bgp_id, extra | a, ts)
    }

    fn encode_peer_up(&mut self, s: &PeerSession) {
        peer_up_message(s).encode(&mut self.buf);
    }

    fn loc_rib_peer_up(&mut self, wall: Timestamp) {
        let open = loc_rib_open(self.cfg.asn, self.cfg.router_id);
        PeerUp {
            peer: PeerHeader::loc_rib(self.cfg.asn, self.cfg.router_id, wall),
            local_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            local_port: 0,
            remote_port: 0,
            sent_open: open.clone(),
            received_open: open,
            info: vec![Tlv::text(info_type::VRF_TABLE_NAME, LOC_RIB_TABLE_NAME)],
        }
        .encode(&mut self.buf);
    }

    /// Checks the budget for `len` more octets; on overflow drops the queue
    /// and the connection.
    fn reserve(&mut self, now: Instant, len: usize) -> Option<Push> {
        if let Some(p) = self.ready() {
            return Some(p);
        }
        if self.queued_bytes() + len > self.cfg.queue_bytes {
            self.counters.overflows += 1;
            self.drop_connection(now);
            return Some(Push::Overflow);
        }
        None
    }

    fn push(&mut self, now: Instant, msg: &[u8]) -> Push {
        if let Some(p) = self.reserve(now, msg.len()) {
            return p;
        }
        self.buf.extend_from_slice(msg);
        self.queued_one();
        Push::Queued
    }

    fn queued_one(&mut self) {
        self.counters.messages_queued += 1;
        self.note_high_water();
    }

    fn note_high_water(&mut self) {
        let q = self.queued_bytes();
        if q > self.counters.queue_high_water {
            self.counters.queue_high_water = q;
        }
    }

    /// Forgets the connection and its queue; schedules the next attempt.
    fn drop_connection(&mut self, now: Instant) {
        self.buf = BytesMut::new();
        self.in_flight = 0;
        self.dump = None;
        self.requests.retain(|r| *r == Request::Stats);
        self.next_stats = None;
        if self.up_at.take().is_some_and(|t| now >= t + STABLE_AFTER) {
            self.cfg.backoff.reset();
        }
        self.link = self.down_or_closed(now);
    }

    fn down_or_closed(&mut self, now: Instant) -> Link {
        if self.closing {
            Link::Closed
        } else {
            Link::Down {
                retry_at: self.cfg.backoff.after_failure(now),
            }
        }
    }
}

/// The Peer Up of an established session.
fn peer_up_message(s: &PeerSession) -> PeerUp {
    let a = if s.legacy_as_path { flags::A } else { 0 };
    PeerUp {
        peer: PeerHeader::global(s.address, s.asn, s.bgp_id, a, s.up_since),
        local_address: s.local_address,
        local_port: s.local_port,
        remote_port: s.remote_port,
        sent_open: s.sent_open.clone(),
        received_open: s.received_open.clone(),
        info: Vec::new(),
    }
}

/// The fabricated OPEN of the Loc-RIB peer (RFC 9069 §5.3): 4-octet AS,
/// L2VPN EVPN and extended messages (RFC 8654), the capabilities its Route
/// Monitoring UPDATEs ([`update_pdu`]) need.
pub fn loc_rib_open(asn: u32, router_id: Ipv4Addr) -> Vec<u8> {
    let open = Open::new(
        asn,
        0,
        router_id,
        vec![
            Capability::Multiprotocol {
                family: Family::L2VPN_EVPN,
                reserved: 0,
            },
            Capability::FourOctetAs { asn },
            Capability::ExtendedMessage,
        ],
    );
    BgpMessage::Open(open)
        .to_bytes(&Context::default())
        .to_vec()
}

/// An UPDATE as a whole BGP message for Route Monitoring: 4-octet AS
/// numbers (the A flag clear), path identifiers for the families in
/// `add_path` (as the peer's OPENs negotiated them; empty for the Loc-RIB).
pub fn update_pdu(update: &Update, add_path: &[Family]) -> Vec<u8> {
    let ctx = Context {
        four_octet_as: true,
        add_path: add_path.to_vec(),
        extended_message: true,
        ibgp: true,
    };
    BgpMessage::Update(update.clone()).to_bytes(&ctx).to_vec()
}

/// The End-of-RIB UPDATE of L2VPN EVPN, as a whole BGP message.
pub fn end_of_rib() -> Vec<u8> {
    BgpMessage::Update(Update::end_of_rib(Family::L2VPN_EVPN))
        .to_bytes(&Context::default())
        .to_vec()
}
