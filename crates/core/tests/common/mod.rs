//! A core driven by hand with virtual time: inputs in, outputs collected.

#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::sync::Arc;

use evpnd_core::{Core, Input, Output, Time};
use evpnd_session::{PeerCommand, PeerEvent};
use evpnd_wire::Family;
use evpnd_wire::nlri::evpn::EvpnNlri;
use evpnd_wire::update::Update;

pub use evpnd_core::test_negotiated;

pub struct Rig {
    pub core: Core,
    pub now: Time,
    /// Commands handed to each peer's session since the last look.
    pub sent: Vec<Vec<PeerCommand>>,
    /// BMP events since the last look.
    pub bmp: Vec<evpnd_core::BmpEvent>,
}

impl Rig {
    pub fn new(config: &str) -> Rig {
        let cfg = evpnd_config::parse(config, "test.toml").expect("test config");
        let peers = cfg.neighbor.len();
        Rig {
            core: Core::new(Arc::new(cfg), Time::ZERO),
            now: Time::ZERO,
            sent: vec![Vec::new(); peers],
            bmp: Vec::new(),
        }
    }

    pub fn input(&mut self, input: Input) {
        self.core.handle(self.now, input).expect("input accepted");
        while let Some(o) = self.core.poll_output() {
            match o {
                Output::Peer { peer, command } => self.sent[peer as usize].push(command),
                Output::Bmp(ev) => self.bmp.push(ev),
                Output::Watch(_) => {}
            }
        }
    }

    pub fn peer(&mut self, ev: PeerEvent) {
        self.input(Input::Peer(ev));
    }

    pub fn up(&mut self, peer: u32, router_id: &str, gr: Option<bool>) {
        let rid: Ipv4Addr = router_id.parse().expect("router id");
        self.peer(PeerEvent::Up {
            peer,
            negotiated: test_negotiated(rid, gr),
            transport: None,
        });
    }

    pub fn down(&mut self, peer: u32, keep_routes: bool) {
        self.peer(PeerEvent::Down {
            peer,
            reason: "test".into(),
            keep_routes,
            notification: None,
        });
    }

    pub fn drained(&mut self, peer: u32) {
        self.peer(PeerEvent::Drained { peer });
    }

    pub fn update(&mut self, peer: u32, update: Update) {
        self.peer(PeerEvent::Update { peer, update });
    }

    pub fn eor(&mut self, peer: u32) {
        self.update(peer, Update::end_of_rib(Family::L2VPN_EVPN));
    }

    /// The UPDATE batches a peer was handed since the last look.
    pub fn batches(&mut self, peer: u32) -> Vec<Vec<Update>> {
        std::mem::take(&mut self.sent[peer as usize])
            .into_iter()
            .filter_map(|c| match c {
                PeerCommand::Send { updates } => Some(updates),
                _ => None,
            })
            .collect()
    }

    /// (routes announced, routes withdrawn, batches) since the last look.
    pub fn counts(&mut self, peer: u32) -> (usize, usize, usize) {
        let (mut a, mut w, mut n) = (0, 0, 0);
        for us in self.batches(peer) {
            n += 1;
            for (_, reach) in us.iter().flat_map(|u| u.evpn_routes()) {
                if reach { a += 1 } else { w += 1 }
            }
        }
        (a, w, n)
    }

    pub fn advertised(&self, peer: u32) -> u64 {
        self.core.peers()[peer as usize].advertised
    }
}

/// A route reflector (10.0.0.1) with two iBGP clients, 10.0.0.2 and 10.0.0.3.
pub const RR_TWO_CLIENTS: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000
route_reflector_client = true

[[neighbor]]
address = "10.0.0.3"
remote_asn = 65000
route_reflector_client = true

[evpn]
learn_from_kernel = false
"#;

/// A leaf (10.0.0.2) with VNI 100 and two static MACs (:0a, :0b).
pub const LEAF_TWO_MACS: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.2"
[evpn]
learn_from_kernel = false
[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:00:0a" }, { mac = "02:00:00:00:00:0b" }]
"#;

/// A core for `config` whose peers 0 (10.0.0.2) and 1 (10.0.0.3) are up,
/// each past its initial End-of-RIB, with nothing sent yet to look at.
pub fn two_peers_up(config: &str) -> Rig {
    let mut r = Rig::new(config);
    for (peer, rid) in [(0, "10.0.0.2"), (1, "10.0.0.3")] {
        r.up(peer, rid, None);
        r.drained(peer); // the End-of-RIB
    }
    for p in 0..2 {
        r.batches(p);
    }
    r
}

/// An UPDATE announcing `routes` (all with the first one's next hop and attributes).
pub fn reach(routes: &[evpnd_core::RouteEntry]) -> Update {
    let nlri = routes
        .iter()
        .map(|r| EvpnNlri {
            path_id: None,
            route: r.route.clone(),
        })
        .collect();
    Update::evpn_reach(routes[0].next_hop, nlri, (*routes[0].attrs).clone())
}

pub fn withdraw(routes: &[evpnd_core::RouteEntry]) -> Update {
    Update::evpn_withdraw(
        routes
            .iter()
            .map(|r| EvpnNlri {
                path_id: None,
                route: r.route.clone(),
            })
            .collect(),
    )
}

/// The routes a leaf with `config` originates.
pub fn leaf_routes(config: &str) -> Vec<evpnd_core::RouteEntry> {
    let cfg = evpnd_config::parse(config, "leaf.toml").expect("leaf config");
    evpnd_core::origin::config_routes(&cfg)
}

/// What `explain` says of `route` (shown as "RD PREFIX").
pub fn explain_route(core: &Core, route: &impl std::fmt::Display) -> evpnd_core::view::ExplainView {
    let shown = route.to_string();
    let (rd, prefix) = shown.split_once(' ').expect("rd and prefix");
    core.explain(rd.parse().expect("rd"), prefix)
        .expect("explained")
}
