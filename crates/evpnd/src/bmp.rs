//! The `[[bmp]]` collectors (RFC 7854, RFC 9069): one `evpnd_bmp` client
//! task per collector, fed from the core's [`BmpEvent`] outputs; the
//! feeds' requests (table dump, more dump, statistics) are answered from
//! the core on the main loop (ADR 0020).
//!
//! ```text
//! Core ──Output::Bmp──► Collectors::event ──Client::with──► Feed (bounded) ──► collector
//!   ▲                                                          │ Request (Dump, DumpMore, Stats)
//!   └──── bmp_page / bmp_stats ◄── Collectors::answer ◄─ Notice┘
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use evpnd_bmp::driver::{Client, Notice};
use evpnd_bmp::feed::{Feed, FeedConfig, Push, Request, Rib, Source};
use evpnd_bmp::termination::reason;
use evpnd_bmp::{PeerSession, Timestamp};
use evpnd_config::Config;
use evpnd_core::{BmpEvent, Core};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Routes read from the core per page of a table dump (the feed's room is
/// checked between pages).
const DUMP_PAGE: usize = 256;
/// How long a Termination may take to be written at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Where a collector's table dump is.
struct Dump {
    epoch: u64,
    sources: Vec<Source>,
    at: usize,
    /// The route id the next page starts after.
    after: Option<u32>,
}

/// The running collectors and the established sessions they are told about.
pub struct Collectors {
    /// (id, client): ids are never reused, so a request of a collector a
    /// reload replaced is not taken for its successor's.
    clients: Vec<(usize, Client)>,
    dumps: Vec<Option<Dump>>,
    next_id: usize,
    /// Sessions up now: a collector started by a reload learns them.
    sessions: BTreeMap<IpAddr, PeerSession>,
    config: Vec<evpnd_config::Bmp>,
    notices: mpsc::UnboundedSender<Notice>,
}

fn wall() -> Timestamp {
    Timestamp::from_system(SystemTime::now())
}

impl Collectors {
    /// Starts a client per `[[bmp]]`; their requests arrive on the receiver.
    pub fn start(cfg: &Config) -> (Collectors, mpsc::UnboundedReceiver<Notice>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut c = Collectors {
            clients: Vec::new(),
            dumps: Vec::new(),
            next_id: 0,
            sessions: BTreeMap::new(),
            config: Vec::new(),
            notices: tx,
        };
        c.spawn_all(cfg);
        (c, rx)
    }

    fn spawn_all(&mut self, cfg: &Config) {
        let sys_name = cfg.bgp.router_id.to_string();
        for b in &cfg.bmp {
            let id = self.next_id;
            self.next_id += 1;
            let now = Instant::now();
            let mut feed = Feed::new(FeedConfig::from_config(cfg, b, &sys_name), now);
            for s in self.sessions.values() {
                feed.peer_up(now, s.clone());
            }
            let address = b.address.get_ref().clone();
            info!(collector = %address, "BMP collector configured");
            let client = Client::spawn(id, address, feed, self.notices.clone());
            self.clients.push((id, client));
            self.dumps.push(None);
        }
        self.config = cfg.bmp.clone();
    }

    /// A reload: when `[[bmp]]` changed, every collector is closed
    /// (Termination) and the new ones start from scratch.
    pub async fn reload(&mut self, cfg: &Config) {
        if cfg.bmp == self.config {
            return;
        }
        self.close().await;
        self.spawn_all(cfg);
    }

    /// Termination to every collector, then their tasks end.
    pub async fn close(&mut self) {
        for (_, c) in self.clients.drain(..) {
            c.shutdown(
                reason::ADMIN_CLOSE,
                "evpnd is shutting down",
                SHUTDOWN_GRACE,
            )
            .await;
        }
        self.dumps.clear();
    }

    /// An event of the core, for every collector.
    pub fn event(&mut self, ev: BmpEvent) {
        let now = Instant::now();
        match ev {
            BmpEvent::PeerUp(mut s) => {
                s.up_since = wall();
                self.sessions.insert(s.address, (*s).clone());
                for (_, c) in &self.clients {
                    c.with(|f| f.peer_up(now, (*s).clone()));
                }
            }
            BmpEvent::PeerDown { address, reason } => {
                self.sessions.remove(&address);
                let ts = wall();
                for (_, c) in &self.clients {
                    c.with(|f| f.peer_down(now, address, reason.clone(), ts));
                }
            }
            BmpEvent::RouteMonitoring { source, update } => {
                let ts = wall();
                for (_, c) in &self.clients {
                    c.with(|f| f.route_monitoring(now, source, ts, &update));
                }
            }
        }
    }

    /// A collector's request, answered from the core.
    pub fn answer(&mut self, core: &Core, n: Notice) {
        let Some(i) = self.clients.iter().position(|(id, _)| *id == n.collector) else {
            return;
        };
        let client = &self.clients[i].1;
        match n.request {
            Request::Dump { epoch } => {
                let sources = client.with(|f| {
                    core.bmp_sources()
                        .into_iter()
                        .filter(|s| f.monitors(s.rib()))
                        .collect()
                });
                self.dumps[i] = Some(Dump {
                    epoch,
                    sources,
                    at: 0,
                    after: None,
                });
                self.pump(core, i);
            }
            Request::DumpMore { epoch } => {
                if self.dumps[i].as_ref().is_some_and(|d| d.epoch == epoch) {
                    self.pump(core, i);
                }
            }
            Request::Stats => {
                let ts = wall();
                let now = Instant::now();
                for s in core.bmp_sources() {
                    // One report per peer: post-policy only when pre-policy
                    // is not monitored.
                    if matches!(s, Source::PostPolicy(_))
                        && client.with(|f| f.monitors(Rib::PrePolicy))
                    {
                        continue;
                    }
                    let stats = core.bmp_stats(s);
                    // A RIB the collector does not monitor is refused by the feed.
                    client.with(|f| f.statistics(now, s, ts, &stats));
                }
            }
        }
    }

    /// Sends the dump while the feed has room; it asks for more
    /// ([`Request::DumpMore`]) once the collector has read enough.
    fn pump(&mut self, core: &Core, i: usize) {
        let (Some((_, client)), Some(slot)) = (self.clients.get(i), self.dumps.get_mut(i)) else {
            return;
        };
        let Some(d) = slot.as_mut() else {
            return;
        };
        let now = Instant::now();
        let ts = wall();
        loop {
            let Some(&source) = d.sources.get(d.at) else {
                client.with(|f| f.dump_done(now, d.epoch, ts));
                *slot = None;
                return;
            };
            if client.with(|f| f.dump_room()) == 0 {
                return;
            }
            let page = core.bmp_page(source, d.after, DUMP_PAGE);
            let pushed = client.with(|f| {
                for u in &page.updates {
                    match f.route_monitoring(now, source, ts, u) {
                        Push::Queued | Push::NotMonitored | Push::UnknownPeer => {}
                        other => return Err(other),
                    }
                }
                Ok(())
            });
            if let Err(why) = pushed {
                // Overflow or the connection went: the next one dumps again.
                warn!(collector = i, ?why, "BMP table dump abandoned");
                *slot = None;
                return;
            }
            match page.next_after {
                Some(k) => d.after = Some(k),
                None => {
                    d.at += 1;
                    d.after = None;
                }
            }
        }
    }
}
