//! Kernel notifications in the linux task: neighbours and FDB entries
//! (ours, local MACs and neighbours), links, addresses, routes, port VLANs.

use super::*;

impl Task {
    /// A neighbour message: from a scan's dump (`scan`) or a notification.
    pub(super) async fn neighbour(&mut self, m: &NeighbourMessage, present: bool, scan: bool) {
        let n = kernel::parse_neigh(m);
        let seen = kernel::classify(&n, &self.layout, &self.links);
        debug!(?n, ?seen, present, scan, "neighbour");
        // What a scan shows of a local MAC or neighbour stands unless a
        // notification during the scan said something newer.
        let fresh = match (&seen, &mut self.local_scan) {
            (Seen::LocalMac { vni, mac, .. } | Seen::NotLocalMac { vni, mac }, Some(s))
                if s.scope.local_macs && s.scope.vnis.contains(vni) =>
            {
                if scan {
                    s.macs.see((*vni, *mac))
                } else {
                    s.macs.touch((*vni, *mac));
                    true
                }
            }
            (Seen::LocalNeigh { vni, ip, .. } | Seen::NotLocalNeigh { vni, ip }, Some(s))
                if s.scope.neigh && s.scope.vnis.contains(vni) =>
            {
                if scan {
                    s.neigh.see((*vni, *ip))
                } else {
                    s.neigh.touch((*vni, *ip));
                    true
                }
            }
            // A scan that does not cover local MACs (or neighbours) is not
            // theirs to judge: a VXLAN device's dump also shows the bridge
            // entries of our own remote MACs, maybe older than a local learn
            // notified since.
            (
                Seen::LocalMac { .. }
                | Seen::NotLocalMac { .. }
                | Seen::LocalNeigh { .. }
                | Seen::NotLocalNeigh { .. },
                _,
            ) if scan => false,
            _ => true,
        };
        if !fresh {
            return;
        }
        match seen {
            Seen::Ours(k, v) if scan => self.rec.scan_seen(k, v),
            Seen::Ours(k, v) => self.ours(k, v, present),
            Seen::Flood { vni, vtep } if self.flood.contains(vni, vtep) => {
                let k = Key::Flood { vni, vtep };
                if scan {
                    self.rec.scan_seen(k, crate::reconcile::Value::Flood);
                } else {
                    self.ours(k, crate::reconcile::Value::Flood, present);
                }
            }
            Seen::Flood { .. } => {}
            Seen::LocalMac { vni, mac, sticky } => {
                if present {
                    if self.local_macs.insert((vni, mac), sticky) != Some(sticky) {
                        self.emit(LocalEvent::Mac { vni, mac, sticky }).await;
                    }
                } else if self.local_macs.remove(&(vni, mac)).is_some() {
                    self.emit(LocalEvent::MacGone { vni, mac }).await;
                }
            }
            Seen::NotLocalMac { vni, mac } => {
                if present && self.local_macs.remove(&(vni, mac)).is_some() {
                    self.emit(LocalEvent::MacGone { vni, mac }).await;
                }
            }
            Seen::LocalNeigh { vni, ip, mac } => {
                if present {
                    if self.local_neigh.insert((vni, ip), mac) != Some(mac) {
                        self.emit(LocalEvent::Neigh { vni, ip, mac }).await;
                    }
                } else if self.local_neigh.remove(&(vni, ip)).is_some() {
                    self.emit(LocalEvent::NeighGone { vni, ip }).await;
                }
            }
            Seen::NotLocalNeigh { vni, ip } => {
                if self.local_neigh.remove(&(vni, ip)).is_some() {
                    self.emit(LocalEvent::NeighGone { vni, ip }).await;
                }
            }
            Seen::Other => {}
        }
    }

    pub(super) async fn notification(&mut self, msg: NetlinkMessage<RouteNetlinkMessage>) {
        let m = match msg.payload {
            NetlinkPayload::InnerMessage(m) => m,
            NetlinkPayload::Overrun(_) => {
                // The kernel dropped notifications (the socket's buffer was
                // full): what they said is unknown, so the devices are
                // re-read, a few at a time (`crate::repair`).
                self.notifications_lost();
                return;
            }
            _ => return,
        };
        match m {
            // AF_BRIDGE link messages are the bridge's view of a port (port
            // state, flags), sent e.g. when a port starts forwarding; they
            // carry no IFLA_LINKINFO and must not replace the link, nor does
            // an AF_BRIDGE delete (the port left a bridge) delete the device.
            // The device's own AF_UNSPEC message follows such changes.
            RouteNetlinkMessage::NewLink(l)
                if l.header.interface_family == AddressFamily::Bridge =>
            {
                let vlans = kernel::parse_tunnels(&l).zip(kernel::parse_pvid(&l));
                self.port_vlans(&l, vlans).await;
            }
            RouteNetlinkMessage::DelLink(l)
                if l.header.interface_family == AddressFamily::Bridge =>
            {
                self.port_vlans(&l, Some((Vec::new(), None))).await;
            }
            RouteNetlinkMessage::NewLink(l) => {
                let mut l = kernel::parse_link(&l);
                if let Some(old) = self.links.get(&l.index) {
                    l.tunnels = old.tunnels.clone();
                    l.pvid = old.pvid;
                } else if let Some((t, pvid)) = self.early_ports.remove(&l.index) {
                    (l.tunnels, l.pvid) = (t, pvid);
                }
                if self.links.get(&l.index) != Some(&l) {
                    self.links.insert(l.index, l);
                    self.links_changed().await;
                }
            }
            RouteNetlinkMessage::DelLink(l) if self.links.remove(&l.header.index).is_some() => {
                self.early_ports.remove(&l.header.index);
                self.links_changed().await;
            }
            RouteNetlinkMessage::NewNeighbour(n) => self.neighbour(&n, true, false).await,
            RouteNetlinkMessage::DelNeighbour(n) => self.neighbour(&n, false, false).await,
            RouteNetlinkMessage::NewAddress(a) => self.address(&a, true).await,
            RouteNetlinkMessage::DelAddress(a) => self.address(&a, false).await,
            RouteNetlinkMessage::NewRoute(r) => self.route_notified(&r, true).await,
            RouteNetlinkMessage::DelRoute(r) => self.route_notified(&r, false).await,
            _ => {}
        }
    }

    /// A bridge port's VLAN→VNI mappings and PVID as an AF_BRIDGE link
    /// message states them (every such message lists them all); `None`
    /// leaves them as they were. For a link not known yet they are kept
    /// until its own message comes.
    pub(super) async fn port_vlans(&mut self, m: &LinkMessage, vlans: Option<PortVlans>) {
        let Some((t, pvid)) = vlans else { return };
        let Some(l) = self.links.get_mut(&m.header.index) else {
            if self.early_ports.len() < 4096 {
                self.early_ports.insert(m.header.index, (t, pvid));
            }
            return;
        };
        if l.tunnels != t || l.pvid != pvid {
            l.tunnels = t;
            l.pvid = pvid;
            self.links_changed().await;
        }
    }
}
