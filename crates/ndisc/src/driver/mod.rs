//! The tokio shell around [`Discovery`]: one task per interface with a raw
//! ICMPv6 socket ([`socket`]) and a poll of the link and its neighbour
//! table over rtnetlink ([`netlink`]). Peer events go to the daemon on a
//! bounded channel; interfaces are added and removed at run time.
//!
//! Everything runs on the tokio runtime it is created on, and its sockets
//! live in the network namespace of the thread that creates them (tests
//! run one driver per namespace, each on its own thread).

mod interface;
pub mod netlink;
pub mod socket;
mod watch;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use thiserror::Error;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::DiscoveryConfig;
use crate::discovery::{Counters, Discovery, Input, PeerEvent, PeerState};
use crate::error::ConfigError;

/// How often each interface's link state and neighbour table are read
/// (besides at once on a link or IPv6 address notification).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Commands queued to one interface task.
const COMMAND_QUEUE: usize = 8;
/// How long a stop or a question may wait for an interface task. A task
/// only stalls when the daemon stops reading the (bounded) event channel;
/// the daemon must then not wait for ever.
const TASK_GRACE: Duration = Duration::from_secs(1);

/// A peer event on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverEvent {
    pub interface: String,
    pub event: PeerEvent,
}

#[derive(Debug, Error)]
pub enum DriverError {
    #[error("netlink connection: {0}")]
    Netlink(#[source] std::io::Error),
    #[error("interface {0} is already served")]
    Duplicate(String),
    #[error("interface {0} is not served")]
    Unknown(String),
    #[error("interface {interface}: {source}")]
    Config {
        interface: String,
        #[source]
        source: ConfigError,
    },
    #[error("the task of interface {0} has ended")]
    TaskGone(String),
    #[error("the task of interface {0} did not answer in time (is the event channel read?)")]
    Busy(String),
    #[error("the driver must be created inside a tokio runtime")]
    NoRuntime,
}

/// Asks of one interface task.
#[derive(Debug)]
enum Command {
    /// Send the goodbye RA and end.
    Stop,
    Counters(oneshot::Sender<Counters>),
    State(oneshot::Sender<PeerState>),
    /// An input from outside (the daemon's own link events or neighbour
    /// table), handled as if the task had seen it.
    Feed(Input),
}

#[derive(Debug)]
struct Served {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
}

/// Discovery on a set of interfaces.
#[derive(Debug)]
pub struct Driver {
    netlink: rtnetlink::Handle,
    /// Strict-checking connection for the filtered neighbour dumps.
    dumps: rtnetlink::Handle,
    /// Netlink connections and the notification watcher.
    background: Vec<JoinHandle<()>>,
    /// Wakes an interface's task for a link or address change.
    wakers: watch::Wakers,
    events: mpsc::Sender<DriverEvent>,
    poll: Duration,
    served: HashMap<String, Served>,
}

impl Driver {
    /// A driver sending its events to `events`; call inside a tokio
    /// runtime (it spawns its netlink connection there). The daemon must
    /// keep reading `events`: a full channel stalls the interface tasks
    /// (and their RAs) rather than losing a state change.
    pub fn new(events: mpsc::Sender<DriverEvent>) -> Result<Driver, DriverError> {
        Driver::with_poll_interval(events, DEFAULT_POLL_INTERVAL)
    }

    pub fn with_poll_interval(
        events: mpsc::Sender<DriverEvent>,
        poll: Duration,
    ) -> Result<Driver, DriverError> {
        tokio::runtime::Handle::try_current().map_err(|_| DriverError::NoRuntime)?;
        let (conn, netlink, _) = rtnetlink::new_connection().map_err(DriverError::Netlink)?;
        let (strict, dumps) = netlink::strict_connection().map_err(DriverError::Netlink)?;
        let (notify_conn, notifications) = watch::subscribe().map_err(DriverError::Netlink)?;
        let wakers = watch::Wakers::default();
        Ok(Driver {
            netlink,
            dumps,
            background: vec![
                tokio::spawn(conn),
                tokio::spawn(strict),
                tokio::spawn(notify_conn),
                tokio::spawn(watch::run(notifications, wakers.clone())),
            ],
            wakers,
            events,
            poll,
            served: HashMap::new(),
        })
    }

    /// Starts discovery on `name`. The interface need not exist yet: the
    /// task waits for it (and follows it if it is deleted and recreated).
    pub fn add_interface(
        &mut self,
        name: &str,
        mut cfg: DiscoveryConfig,
    ) -> Result<(), DriverError> {
        if self.served.contains_key(name) {
            return Err(DriverError::Duplicate(name.to_string()));
        }
        if cfg.seed == 0 {
            cfg.seed = seed_for(name);
        }
        let discovery = Discovery::new(cfg).map_err(|source| DriverError::Config {
            interface: name.to_string(),
            source,
        })?;
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let wake = Arc::new(Notify::new());
        self.wakers.insert(name, wake.clone());
        let task = tokio::spawn(interface::run(interface::Task {
            name: name.to_string(),
            discovery,
            netlink: self.netlink.clone(),
            dumps: self.dumps.clone(),
            wake,
            events: self.events.clone(),
            commands: rx,
            poll: self.poll,
        }));
        self.served
            .insert(name.to_string(), Served { commands: tx, task });
        tracing::info!(interface = name, "unnumbered discovery started");
        Ok(())
    }

    /// Stops discovery on `name`: a final RA with router lifetime 0 tells
    /// the peer we are gone, then the task ends.
    pub async fn remove_interface(&mut self, name: &str) -> Result<(), DriverError> {
        let mut s = self
            .served
            .remove(name)
            .ok_or_else(|| DriverError::Unknown(name.to_string()))?;
        self.wakers.remove(name);
        let _ = s.commands.try_send(Command::Stop);
        if tokio::time::timeout(TASK_GRACE, &mut s.task).await.is_err() {
            s.task.abort();
            tracing::warn!(
                interface = name,
                "discovery task stalled (event channel full?); stopped without a goodbye RA"
            );
        }
        tracing::info!(interface = name, "unnumbered discovery stopped");
        Ok(())
    }

    /// The interfaces served.
    pub fn interfaces(&self) -> impl Iterator<Item = &str> {
        self.served.keys().map(String::as_str)
    }

    pub async fn counters(&self, name: &str) -> Result<Counters, DriverError> {
        self.ask(name, Command::Counters).await
    }

    pub async fn state(&self, name: &str) -> Result<PeerState, DriverError> {
        self.ask(name, Command::State).await
    }

    /// Feeds an input the daemon learnt itself — a link event from its
    /// netlink subscription (faster than the driver's poll), or a
    /// neighbour-table snapshot. The driver's next poll still reconciles
    /// link state with the kernel.
    pub async fn feed(&self, name: &str, input: Input) -> Result<(), DriverError> {
        let s = self
            .served
            .get(name)
            .ok_or_else(|| DriverError::Unknown(name.to_string()))?;
        tokio::time::timeout(TASK_GRACE, s.commands.send(Command::Feed(input)))
            .await
            .map_err(|_| DriverError::Busy(name.to_string()))?
            .map_err(|_| DriverError::TaskGone(name.to_string()))
    }

    async fn ask<T>(
        &self,
        name: &str,
        cmd: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, DriverError> {
        let s = self
            .served
            .get(name)
            .ok_or_else(|| DriverError::Unknown(name.to_string()))?;
        let (tx, rx) = oneshot::channel();
        let busy = || DriverError::Busy(name.to_string());
        let gone = || DriverError::TaskGone(name.to_string());
        tokio::time::timeout(TASK_GRACE, s.commands.send(cmd(tx)))
            .await
            .map_err(|_| busy())?
            .map_err(|_| gone())?;
        tokio::time::timeout(TASK_GRACE, rx)
            .await
            .map_err(|_| busy())?
            .map_err(|_| gone())
    }

    /// Stops every interface (goodbye RAs), then the netlink connection.
    pub async fn shutdown(mut self) {
        let names: Vec<String> = self.served.keys().cloned().collect();
        for n in names {
            let _ = self.remove_interface(&n).await;
        }
    }
}

impl Drop for Driver {
    /// Dropping the driver closes every task's command channel: each sends
    /// its goodbye RA and ends on its own. The netlink connection goes.
    fn drop(&mut self) {
        for c in &self.background {
            c.abort();
        }
    }
}

/// A jitter seed that differs per interface and per start.
fn seed_for(name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    name.hash(&mut h);
    std::process::id().hash(&mut h);
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_runtime_is_an_error_not_a_panic() {
        let (tx, _rx) = mpsc::channel(1);
        assert!(matches!(Driver::new(tx), Err(DriverError::NoRuntime)));
    }

    #[test]
    fn seeds_differ_per_interface() {
        assert_ne!(seed_for("swp1"), seed_for("swp2"));
    }
}
