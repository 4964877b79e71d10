//! Management commands ([`Command`]): reload's peer changes, a peer's
//! enabled state, soft resets, API routes, duplicate clearing.

use std::net::IpAddr;

use evpnd_config::Neighbor;
use evpnd_session::messages::PeerIndex;

use crate::io::{Command, CoreError, Reply};
use crate::peer::PeerSlot;
use crate::{Core, origin};

impl Core {
    pub(crate) fn command(&mut self, c: Command) -> Result<Reply, CoreError> {
        match c {
            Command::AddPeer { neighbor } => Ok(Reply::PeerAdded {
                peer: self.add_peer(*neighbor),
            }),
            Command::RemovePeer { peer } => {
                self.remove_peer(peer);
                Ok(Reply::Done)
            }
            Command::UpdatePeer { peer, neighbor } => {
                self.update_peer(peer, *neighbor);
                Ok(Reply::Done)
            }
            Command::Reconfigure { config } => {
                self.cfg = std::sync::Arc::new(*config);
                self.bmp = !self.cfg.bmp.is_empty();
                self.bmp_post = crate::bmp::wants_post_policy(&self.cfg);
                self.own_addresses = crate::own_addresses(&self.cfg);
                self.own_addresses
                    .extend(self.evpn.instances().map(|i| i.vtep));
                let routes = origin::config_routes(&self.cfg);
                self.set_config_routes(routes);
                self.set_unicast_origins();
                let policies = crate::policy::compile(&self.cfg);
                self.policies_changed(policies);
                // `static_vteps` apply live: flood entries added / removed.
                self.evpn.set_static_vteps(&self.cfg);
                self.apply(Vec::new());
                Ok(Reply::Done)
            }
            Command::BumpGeneration => {
                self.generation += 1;
                Ok(Reply::Done)
            }
            Command::BeginRestart { defer } => {
                self.begin_restart(defer);
                Ok(Reply::Done)
            }
            Command::SetEnabled { address, enabled } => {
                let i = self.live_peer(address)?;
                self.peers[i].cfg.enabled = enabled;
                Ok(Reply::Done)
            }
            Command::CheckRefreshIn { address } => {
                let i = self.live_peer(address)?;
                match self.peers[i].negotiated() {
                    None => Err(CoreError::NotEstablished(address)),
                    Some(n) if !n.route_refresh => Err(CoreError::NoRouteRefresh(address)),
                    Some(_) => Ok(Reply::Done),
                }
            }
            Command::ResendTo { address } => {
                let i = self.live_peer(address)?;
                if self.peers[i].up.is_none() {
                    return Err(CoreError::NotEstablished(address));
                }
                self.advertiser.requeue_all(i as PeerIndex);
                self.flush(i as PeerIndex);
                Ok(Reply::Done)
            }
            Command::AddRoute { route } => Ok(Reply::RouteAdded {
                route: self.api_add_route(&route),
            }),
            Command::DeleteRoute { route } => {
                self.api_delete_route(&route)?;
                Ok(Reply::Done)
            }
            Command::ClearDuplicate { vni, mac } => {
                let now = self.now_secs();
                if !self.evpn.clear_duplicate(vni, mac, now) {
                    return Err(CoreError::NotDuplicate { vni, mac });
                }
                self.apply(Vec::new());
                Ok(Reply::Done)
            }
        }
    }

    /// The index of the configured (not removed) neighbour `address`.
    fn live_peer(&self, address: IpAddr) -> Result<usize, CoreError> {
        self.peers
            .iter()
            .position(|s| !s.removed && s.address() == address)
            .ok_or(CoreError::NoSuchPeer(address))
    }

    fn add_peer(&mut self, n: Neighbor) -> PeerIndex {
        self.peers.push(PeerSlot::new(n, self.cfg.asn()));
        self.advertiser.add_peer();
        (self.peers.len() - 1) as PeerIndex
    }

    /// A neighbour removed (or about to be replaced): its routes go now.
    /// The slot stays (indices are stable) but is never used again.
    fn remove_peer(&mut self, peer: PeerIndex) {
        self.bmp_peer_down(peer, None, true);
        self.peer_down(peer, "neighbor removed from the configuration", false, None);
        if let Some(slot) = self.peers.get_mut(peer as usize) {
            slot.cfg.enabled = false;
            slot.removed = true;
        }
    }

    /// Settings that apply to a live session (description, max-prefix,
    /// route-reflector client); what the peer should have is re-evaluated.
    fn update_peer(&mut self, peer: PeerIndex, n: Neighbor) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        slot.cfg = n;
        self.export_all_to(peer);
        self.flush(peer);
    }
}
