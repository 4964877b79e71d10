//! WatchService: snapshot, END_OF_SNAPSHOT, live events; RESYNC_REQUIRED
//! (and the end of the stream) when the client falls behind.

use tokio::sync::broadcast::error::RecvError;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::ApiService;
use crate::Backend;
use crate::pb::{self, watch_response::Event, watch_service_server::WatchService};
use crate::validate::invalid;

/// Events buffered per watcher between this task and the transport.
const WATCH_BUFFER: usize = 64;

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

fn msg(e: Event) -> Result<pb::WatchResponse, Status> {
    Ok(pb::WatchResponse { event: Some(e) })
}

#[tonic::async_trait]
impl<B: Backend> WatchService for ApiService<B> {
    type WatchStream = ReceiverStream<Result<pb::WatchResponse, Status>>;

    async fn watch(
        &self,
        req: Request<pb::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let t = topics(&req.into_inner().topics)?;
        let start = self.backend().watch().await?;
        let (tx, rx) = tokio::sync::mpsc::channel(WATCH_BUFFER);
        tokio::spawn(async move {
            let mut events = start.events;
            for e in start.snapshot.into_iter().filter(|e| t.wants(e)) {
                if tx.send(msg(e)).await.is_err() {
                    return;
                }
            }
            if tx
                .send(msg(Event::EndOfSnapshot(pb::EndOfSnapshot {})))
                .await
                .is_err()
            {
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
                        if tx.send(msg(e)).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        let e = Event::ResyncRequired(pb::ResyncRequired { missed_events: n });
                        let _ = tx.send(msg(e)).await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
