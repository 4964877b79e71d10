//! The tokio client task of one collector: connects to `address`
//! (`HOST:PORT`, resolved on every attempt), writes what the [`Feed`] queues,
//! notices a lost connection (write error, EOF from the collector) and
//! reconnects when the feed says so. All decisions are the feed's; this
//! module only moves bytes and reads the clock.
//!
//! The owner (the core) calls the feed through [`Client::with`]: a short
//! critical section that encodes into the bounded queue and wakes the task,
//! never an await, so a slow collector cannot block the core. What the feed
//! asks of the owner ([`Request`]: dump the table, more dump, statistics)
//! arrives as [`Notice`]s on the channel given to [`Client::spawn`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::feed::{Feed, FeedCounters, Link, Request};
use crate::header::Timestamp;

/// How long one connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Octets read (and discarded) at a time: collectors send nothing, but a
/// read is how EOF is noticed.
const READ_BUF: usize = 512;

/// A request of collector number `collector` (its index in `[[bmp]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub collector: usize,
    pub request: Request,
}

struct Shared {
    feed: Mutex<Feed>,
    wake: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Feed> {
        // A panic while holding the lock leaves a consistent feed (every
        // method completes its state change before returning).
        self.feed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One running collector client.
pub struct Client {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Client {
    /// Starts the task; it connects at once.
    pub fn spawn(
        collector: usize,
        address: String,
        feed: Feed,
        notices: mpsc::UnboundedSender<Notice>,
    ) -> Client {
        let shared = Arc::new(Shared {
            feed: Mutex::new(feed),
            wake: Notify::new(),
        });
        let task = Task {
            collector,
            address,
            shared: shared.clone(),
            notices,
        };
        Client {
            shared,
            task: tokio::spawn(task.run()),
        }
    }

    /// Runs `f` on the feed (encode a message, answer a request) and wakes
    /// the task to write it.
    pub fn with<R>(&self, f: impl FnOnce(&mut Feed) -> R) -> R {
        let r = f(&mut self.shared.lock());
        self.shared.wake.notify_one();
        r
    }

    pub fn counters(&self) -> FeedCounters {
        self.shared.lock().counters()
    }

    pub fn queued_bytes(&self) -> usize {
        self.shared.lock().queued_bytes()
    }

    pub fn link(&self) -> Link {
        self.shared.lock().link()
    }

    /// Sends Termination (`reason`, `text`) after what is queued and waits
    /// up to `deadline` for it to be written; then stops the task.
    pub async fn shutdown(self, reason: u16, text: &str, deadline: Duration) -> FeedCounters {
        self.with(|f| f.shutdown(reason, text));
        let mut task = self.task;
        if tokio::time::timeout(deadline, &mut task).await.is_err() {
            task.abort();
        }
        self.shared.lock().counters()
    }
}

struct Task {
    collector: usize,
    address: String,
    shared: Arc<Shared>,
    notices: mpsc::UnboundedSender<Notice>,
}

/// What one turn of the connected loop found.
enum Turn {
    Continue,
    /// This connection is over: `graceful` closes it with a FIN after the
    /// Termination, otherwise it is just dropped.
    End {
        graceful: bool,
    },
}

impl Task {
    /// Timers and requests: run on every turn.
    fn tick(&self, f: &mut Feed) {
        f.handle_timeout(Instant::now().into_std());
        while let Some(request) = f.poll_request() {
            // The owner may be gone (shutdown): nothing to tell then.
            let _ = self.notices.send(Notice {
                collector: self.collector,
                request,
            });
        }
    }

    async fn run(self) {
        loop {
            let (link, timeout) = {
                let mut f = self.shared.lock();
                self.tick(&mut f);
                (f.link(), f.poll_timeout())
            };
            match link {
                Link::Closed => return,
                Link::Down { .. } | Link::Up { .. } => {
                    let now = Instant::now().into_std();
                    let ready = {
                        let mut f = self.shared.lock();
                        let ready = f.should_connect(now);
                        if ready {
                            f.connecting();
                        }
                        ready
                    };
                    if !ready {
                        self.wait(timeout).await;
                    }
                }
                Link::Connecting => self.connect().await,
            }
        }
    }

    async fn wait(&self, until: Option<std::time::Instant>) {
        match until {
            Some(t) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(Instant::from_std(t)) => {}
                    _ = self.shared.wake.notified() => {}
                }
            }
            None => self.shared.wake.notified().await,
        }
    }

    async fn connect(&self) {
        let attempt = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.address));
        match attempt.await {
            Ok(Ok(stream)) => {
                let epoch = {
                    let mut f = self.shared.lock();
                    let wall = Timestamp::from_system(SystemTime::now());
                    let e = f.connected(Instant::now().into_std(), wall);
                    self.tick(&mut f);
                    e
                };
                tracing::info!(collector = %self.address, "BMP collector connected");
                self.serve(stream, epoch).await;
            }
            Ok(Err(e)) => {
                tracing::debug!(collector = %self.address, error = %e, "BMP connect failed");
                self.shared.lock().connect_failed(Instant::now().into_std());
            }
            Err(_) => {
                tracing::debug!(collector = %self.address, "BMP connect timed out");
                self.shared.lock().connect_failed(Instant::now().into_std());
            }
        }
    }

    async fn serve(&self, stream: TcpStream, epoch: u64) {
        let (mut rd, mut wr) = stream.into_split();
        let mut chunk: Option<(bytes::Bytes, usize)> = None;
        loop {
            match self.turn(&mut rd, &mut wr, &mut chunk, epoch).await {
                Turn::Continue => {}
                Turn::End { graceful } => {
                    if graceful {
                        // Termination is written: FIN, best effort.
                        let _ = wr.shutdown().await;
                    }
                    tracing::info!(collector = %self.address, graceful, "BMP connection closed");
                    return;
                }
            }
        }
    }

    async fn turn(
        &self,
        rd: &mut OwnedReadHalf,
        wr: &mut OwnedWriteHalf,
        chunk: &mut Option<(bytes::Bytes, usize)>,
        epoch: u64,
    ) -> Turn {
        let timeout = {
            let mut f = self.shared.lock();
            self.tick(&mut f);
            match f.link() {
                Link::Up { epoch: e } if e == epoch => {}
                Link::Closed => return Turn::End { graceful: true },
                _ => return Turn::End { graceful: false },
            }
            if chunk.is_none() {
                *chunk = f.transmit(epoch).map(|b| (b, 0));
            }
            f.poll_timeout()
        };
        let far = Instant::now() + Duration::from_secs(3600);
        let sleep_until = timeout.map_or(far, Instant::from_std);
        let mut sink = [0u8; READ_BUF];
        let lost = |why: String| {
            tracing::warn!(collector = %self.address, "BMP connection lost: {why}");
            self.shared.lock().lost(epoch, Instant::now().into_std());
            Turn::End { graceful: false }
        };
        match chunk {
            Some((bytes, off)) => {
                tokio::select! {
                    r = wr.write(&bytes[*off..]) => match r {
                        Ok(0) => return lost("write returned 0".into()),
                        Ok(n) => {
                            *off += n;
                            let done = *off == bytes.len();
                            if done {
                                *chunk = None;
                            }
                            self.shared.lock().written(epoch, n);
                        }
                        Err(e) => return lost(e.to_string()),
                    },
                    r = rd.read(&mut sink) => match r {
                        Ok(0) => return lost("closed by the collector".into()),
                        Ok(_) => {}
                        Err(e) => return lost(e.to_string()),
                    },
                    _ = self.shared.wake.notified() => {}
                    _ = tokio::time::sleep_until(sleep_until) => {}
                }
            }
            None => {
                tokio::select! {
                    r = rd.read(&mut sink) => match r {
                        Ok(0) => return lost("closed by the collector".into()),
                        Ok(_) => {}
                        Err(e) => return lost(e.to_string()),
                    },
                    _ = self.shared.wake.notified() => {}
                    _ = tokio::time::sleep_until(sleep_until) => {}
                }
            }
        }
        Turn::Continue
    }
}
