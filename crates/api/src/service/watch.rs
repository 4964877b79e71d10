//! WatchService: snapshot, END_OF_SNAPSHOT, live events; RESYNC_REQUIRED
//! (and the end of the stream) when the client falls behind.
//!
//! What one watcher can make the daemon hold is bounded: the snapshot is
//! not built whole but read from the backend a page of routes at a time
//! (the route listing's own paging), each page sent before the next is
//! asked for, so a watcher costs at most one page plus [`WATCH_BUFFER`]
//! events however large the table. Live events wait in the backend's
//! broadcast ring (shared, bounded); a watcher that falls further behind is
//! told RESYNC_REQUIRED. A client that stops reading altogether is dropped
//! after [`WATCH_STALL`], and at most [`MAX_WATCHERS`] watch at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::error::SendTimeoutError;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::ApiService;
use crate::pb::{self, watch_response::Event, watch_service_server::WatchService};
use crate::validate::invalid;
use crate::{Backend, RouteQuery, View};

/// Events buffered per watcher between this task and the transport.
pub const WATCH_BUFFER: usize = 64;
/// Routes read from the backend per snapshot page.
pub const SNAPSHOT_PAGE: usize = 256;
/// A watcher whose stream accepts nothing for this long is dropped.
pub const WATCH_STALL: Duration = Duration::from_secs(60);
/// Watch streams open at once in this process.
pub const MAX_WATCHERS: usize = 128;

static WATCHERS: AtomicUsize = AtomicUsize::new(0);

/// One open watch stream; counted while alive.
struct Slot;

impl Slot {
    fn take() -> Result<Slot, Status> {
        let n = WATCHERS.fetch_add(1, Ordering::SeqCst);
        if n >= MAX_WATCHERS {
            WATCHERS.fetch_sub(1, Ordering::SeqCst);
            return Err(Status::resource_exhausted(format!(
                "{MAX_WATCHERS} watch streams are open already; close one first"
            )));
        }
        Ok(Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        WATCHERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Which topics a watcher asked for.
#[derive(Clone, Copy)]
struct Topics {
    peers: bool,
    routes: bool,
}

impl Topics {
    fn wants(&self, e: &Event) -> bool {
        match e {
            Event::Peer(_) => self.peers,
            Event::Route(_) => self.routes,
            Event::EndOfSnapshot(_) | Event::ResyncRequired(_) => true,
        }
    }
}

fn topics(list: &[i32]) -> Result<Topics, Status> {
    if list.is_empty() {
        return Ok(Topics {
            peers: true,
            routes: true,
        });
    }
    let mut t = Topics {
        peers: false,
        routes: false,
    };
    for &v in list {
        match pb::WatchTopic::try_from(v) {
            Ok(pb::WatchTopic::Peers) => t.peers = true,
            Ok(pb::WatchTopic::Routes) => t.routes = true,
            _ => return Err(invalid("topics", format!("unknown topic {v}"))),
        }
    }
    Ok(t)
}

type Tx = tokio::sync::mpsc::Sender<Result<pb::WatchResponse, Status>>;

/// Sends one event; `false` when the watcher is gone or stalled.
async fn send(tx: &Tx, e: Event) -> bool {
    let m = Ok(pb::WatchResponse { event: Some(e) });
    match tx.send_timeout(m, WATCH_STALL).await {
        Ok(()) => true,
        Err(SendTimeoutError::Timeout(_)) => {
            tracing::info!(
                stall_s = WATCH_STALL.as_secs(),
                "a watcher read nothing for too long: dropped"
            );
            false
        }
        Err(SendTimeoutError::Closed(_)) => false,
    }
}

/// The Loc-RIB, a page at a time, as route events.
async fn send_routes<B: Backend>(backend: &B, tx: &Tx) -> Result<bool, Status> {
    let mut after = None;
    loop {
        let page = backend
            .list_routes(RouteQuery {
                view: View::LocRib,
                filter: Default::default(),
                after,
                limit: SNAPSHOT_PAGE,
            })
            .await?;
        for route in page.routes {
            let e = Event::Route(pb::RouteEvent {
                change: pb::RouteChange::Updated.into(),
                route: Some(route),
            });
            if !send(tx, e).await {
                return Ok(false);
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(true),
        }
    }
}

#[tonic::async_trait]
impl<B: Backend> WatchService for ApiService<B> {
    type WatchStream = ReceiverStream<Result<pb::WatchResponse, Status>>;

    async fn watch(
        &self,
        req: Request<pb::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let t = topics(&req.into_inner().topics)?;
        let slot = Slot::take()?;
        // Subscribed before the first page is read: no change falls between.
        let start = self.backend().watch().await?;
        let backend = self.backend_arc();
        let (tx, rx) = tokio::sync::mpsc::channel(WATCH_BUFFER);
        tokio::spawn(async move {
            let _slot = slot;
            let mut events = start.events;
            for e in start.snapshot.into_iter().filter(|e| t.wants(e)) {
                if !send(&tx, e).await {
                    return;
                }
            }
            if t.routes {
                match send_routes(&*backend, &tx).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                }
            }
            if !send(&tx, Event::EndOfSnapshot(pb::EndOfSnapshot {})).await {
                return;
            }
            loop {
                // Also wake when the client goes away, so an idle feed does
                // not keep this task alive until the next event.
                let got = tokio::select! {
                    r = events.recv() => r,
                    () = tx.closed() => return,
                };
                match got {
                    Ok(e) if t.wants(&e) => {
                        if !send(&tx, e).await {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        let e = Event::ResyncRequired(pb::ResyncRequired { missed_events: n });
                        let _ = send(&tx, e).await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
