//! Change events for management watchers: peer state changes and best-path
//! changes, as [`Output::Watch`](crate::Output::Watch). Built only while
//! someone watches (`Core::set_watching`); the driver broadcasts them and
//! tells a watcher that falls behind to resynchronise.

use evpnd_rib::BestChange;
use evpnd_wire::nlri::evpn::EvpnKey;

use crate::io::{Output, WatchEvent};
use crate::route::RouteEntry;
use crate::{Core, view::RouteView};

impl Core {
    /// A best-path change, for watchers.
    pub(crate) fn emit_route(&mut self, k: &EvpnKey, c: &BestChange<RouteEntry>) {
        if !self.watching {
            return;
        }
        let route = match c {
            BestChange::Unchanged => return,
            BestChange::NewBest(p) => Some(Box::new(RouteView {
                route: p.attrs.route.clone(),
                paths: vec![self.path_view(&p.attrs, p, true)],
            })),
            BestChange::Withdrawn => None,
        };
        self.outputs.push_back(Output::Watch(WatchEvent::Route {
            key: k.clone(),
            route,
        }));
    }

    /// A peer changed state, for watchers.
    pub(crate) fn emit_peer(&mut self, index: usize) {
        if !self.watching {
            return;
        }
        if let Some(p) = self.peer_view_of(index) {
            self.outputs
                .push_back(Output::Watch(WatchEvent::Peer(Box::new(p))));
        }
    }
}
