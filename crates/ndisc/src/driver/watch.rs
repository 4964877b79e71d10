//! Link and IPv6 address notifications wake the interface tasks at once,
//! so a link going down (or its link-local address finishing DAD) is seen
//! in milliseconds rather than at the next poll.
//!
//! ```text
//! RTNLGRP_LINK        RTM_NEWLINK / RTM_DELLINK  IFLA_IFNAME → wake that interface
//! RTNLGRP_IPV6_IFADDR RTM_NEWADDR / RTM_DELADDR             → wake every interface
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt;
use futures::channel::mpsc::UnboundedReceiver;
use rtnetlink::MulticastGroup;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::link::LinkAttribute;
use rtnetlink::sys::SocketAddr;
use tokio::sync::Notify;

pub type Notifications = UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>;

/// The served interfaces' wake-ups, by name.
#[derive(Debug, Clone, Default)]
pub struct Wakers(Arc<Mutex<HashMap<String, Arc<Notify>>>>);

impl Wakers {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        // A poisoned map is still a valid map (inserts and removes only).
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, name: &str, wake: Arc<Notify>) {
        self.lock().insert(name.to_string(), wake);
    }

    pub fn remove(&self, name: &str) {
        self.lock().remove(name);
    }
}

/// A connection subscribed to link and IPv6 address notifications; its
/// future must be spawned.
pub fn subscribe() -> std::io::Result<(
    rtnetlink::proto::Connection<RouteNetlinkMessage>,
    Notifications,
)> {
    let (conn, _, notifications) =
        rtnetlink::new_multicast_connection(&[MulticastGroup::Link, MulticastGroup::Ipv6Ifaddr])?;
    Ok((conn, notifications))
}

/// Wakes the interfaces the notifications concern, until the stream ends.
pub async fn run(mut notifications: Notifications, wakers: Wakers) {
    while let Some((m, _)) = notifications.next().await {
        let target = match &m.payload {
            NetlinkPayload::InnerMessage(
                RouteNetlinkMessage::NewLink(l) | RouteNetlinkMessage::DelLink(l),
            ) => l.attributes.iter().find_map(|a| match a {
                LinkAttribute::IfName(n) => Some(Some(n.clone())),
                _ => None,
            }),
            NetlinkPayload::InnerMessage(
                RouteNetlinkMessage::NewAddress(_) | RouteNetlinkMessage::DelAddress(_),
            ) => Some(None),
            _ => None,
        };
        let w = wakers.lock();
        match target {
            Some(Some(name)) => {
                if let Some(n) = w.get(&name) {
                    n.notify_one();
                }
            }
            Some(None) => w.values().for_each(|n| n.notify_one()),
            None => {}
        }
    }
    tracing::warn!("netlink notifications ended; interfaces are polled only");
}
