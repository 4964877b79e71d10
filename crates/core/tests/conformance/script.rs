//! Recording a scenario's inputs from Rust values.
//!
//! A scenario is written once as a script (`scenarios.rs`) against a real
//! core, which plays the sessions' part: every batch the core hands a peer
//! is answered with `Drained` at once (as a session that wrote it would),
//! unless the script turns that off to show flow control. Every input, the
//! `Drained`s included, is recorded with its virtual time and written to
//! `events.jsonl`; the outputs of the recording run are thrown away. The
//! replay (`conformance.rs`) feeds the recorded lines to a fresh core and
//! compares what it does with the goldens, so a recording is a plain file
//! that a review reads and that no later change of the core rewrites
//! unless someone records again (`EVPND_RECORD=1`).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use evpnd_core::origin::VniOrigin;
use evpnd_core::{Command, Core, Input, Output, RouteEntry, Time, test_negotiated};
use evpnd_evpn::{LocalEvent, VniInfo};
use evpnd_session::{PeerCommand, PeerEvent};
use evpnd_wire::attr::{AttrValue, ExtCommunity, PathAttribute, PmsiTunnel};
use evpnd_wire::nlri::evpn::EvpnNlri;
use evpnd_wire::update::Update;
use evpnd_wire::{Family, MacAddr, Vni};
use serde::{Deserialize, Serialize};

/// The AS every scenario's fabric is in (iBGP everywhere).
pub const ASN: u32 = 65000;
/// The VXLAN UDP port the recorded VNIs report.
const VXLAN_PORT: u16 = 4789;

/// One line of `events.jsonl`: an input and the virtual time (ms) it came at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    pub t: u64,
    pub input: Input,
}

pub struct Script {
    core: Core,
    now: Time,
    lines: Vec<Line>,
    /// Answer each batch sent with `Drained` at once.
    pub auto_drain: bool,
}

impl Script {
    pub fn new(config: &str) -> Script {
        let cfg = evpnd_config::parse(config, "config.toml").expect("scenario config");
        Script {
            core: Core::new(Arc::new(cfg), Time::ZERO),
            now: Time::ZERO,
            lines: Vec::new(),
            auto_drain: true,
        }
    }

    /// Virtual time moves to `secs` seconds after the start.
    pub fn at(&mut self, secs: u64) -> &mut Self {
        self.now = self.now.max(Time::from_secs(secs));
        self
    }

    pub fn input(&mut self, input: Input) -> &mut Self {
        self.lines.push(Line {
            t: self.now.0,
            input: input.clone(),
        });
        // A refused command is part of the scenario (the replay records it).
        let _ = self.core.handle(self.now, input);
        self.core.take_dataplane();
        let mut drained = Vec::new();
        while let Some(o) = self.core.poll_output() {
            if let Output::Peer {
                peer,
                command: PeerCommand::Send { .. },
            } = o
                && self.auto_drain
            {
                drained.push(peer);
            }
        }
        for peer in drained {
            self.peer(PeerEvent::Drained { peer });
        }
        self
    }

    pub fn peer(&mut self, ev: PeerEvent) -> &mut Self {
        self.input(Input::Peer(ev))
    }

    pub fn local(&mut self, ev: LocalEvent) -> &mut Self {
        self.input(Input::Local(ev))
    }

    pub fn command(&mut self, c: Command) -> &mut Self {
        self.input(Input::Command(c))
    }

    pub fn tick(&mut self) -> &mut Self {
        self.input(Input::Tick)
    }

    /// The session to `peer` (router id `rid`) came up; `gr`: the peer's
    /// graceful restart capability with that Restart State bit, or none.
    pub fn up(&mut self, peer: u32, rid: &str, gr: Option<bool>) -> &mut Self {
        let rid: Ipv4Addr = rid.parse().expect("router id");
        self.peer(PeerEvent::Up {
            peer,
            negotiated: test_negotiated(rid, gr),
            transport: None,
        })
    }

    pub fn down(&mut self, peer: u32, keep_routes: bool) -> &mut Self {
        self.peer(PeerEvent::Down {
            peer,
            reason: "hold timer expired".into(),
            keep_routes,
            notification: None,
        })
    }

    pub fn update(&mut self, peer: u32, update: Update) -> &mut Self {
        self.peer(PeerEvent::Update { peer, update })
    }

    pub fn eor(&mut self, peer: u32) -> &mut Self {
        self.update(peer, Update::end_of_rib(Family::L2VPN_EVPN))
    }

    /// The kernel reports VNI `vni` on `vxlan<vni>` with VTEP `vtep`.
    pub fn vni(&mut self, vni: u32, vtep: &str) -> &mut Self {
        self.local(LocalEvent::Vni(vni_info(vni, vtep)))
    }

    pub fn mac(&mut self, vni: u32, mac: &str, sticky: bool) -> &mut Self {
        self.local(LocalEvent::Mac {
            vni: vni_of(vni),
            mac: mac_of(mac),
            sticky,
        })
    }

    pub fn mac_gone(&mut self, vni: u32, mac: &str) -> &mut Self {
        self.local(LocalEvent::MacGone {
            vni: vni_of(vni),
            mac: mac_of(mac),
        })
    }

    pub fn neigh(&mut self, vni: u32, ip: &str, mac: &str) -> &mut Self {
        self.local(LocalEvent::Neigh {
            vni: vni_of(vni),
            ip: ip.parse().expect("ip"),
            mac: mac_of(mac),
        })
    }

    /// Writes the recording to `dir/events.jsonl`.
    pub fn save(&self, dir: &Path) {
        let mut text = String::new();
        for l in &self.lines {
            text += &serde_json::to_string(l).expect("event serializes");
            text.push('\n');
        }
        std::fs::write(dir.join("events.jsonl"), text).expect("write events.jsonl");
    }
}

pub fn vni_of(v: u32) -> Vni {
    Vni::new(v).expect("vni")
}

pub fn mac_of(s: &str) -> MacAddr {
    s.parse().expect("mac")
}

/// A per-VNI VXLAN device `vxlan<vni>` on bridge `br<vni>` with an SVI,
/// learning off and ARP/ND suppression on (every prerequisite met).
pub fn vni_info(vni: u32, vtep: &str) -> VniInfo {
    VniInfo {
        vni: vni_of(vni),
        vxlan_ifindex: 1000 + vni,
        vxlan_name: format!("vxlan{vni}"),
        local_ip: Some(vtep.parse().expect("vtep")),
        dstport: VXLAN_PORT,
        learning: false,
        group: None,
        bridge_ifindex: Some(2000 + vni),
        bridge_name: Some(format!("br{vni}")),
        vlan: None,
        single_device: false,
        svi_ifindex: Some(3000 + vni),
        svi_name: Some(format!("br{vni}")),
        neigh_suppress: true,
        svi_mac: None,
        vrf_master: None,
        up: true,
    }
}

/// What a remote leaf (VTEP `vtep`, RD `vtep:vni`) originates for `vni`,
/// with the auto route target `ASN:vni`.
pub fn leaf(vni: u32, vtep: &str) -> VniOrigin {
    let vtep: IpAddr = vtep.parse().expect("vtep");
    VniOrigin {
        vni: vni_of(vni),
        rd: format!("{vtep}:{vni}").parse().expect("rd"),
        rts: vec![format!("{ASN}:{vni}").parse().expect("rt")],
        vtep,
        ethernet_tag: 0,
    }
}

/// A type 2 of `o` for `mac` (and `ip`) with a MAC Mobility community
/// (`seq`, `sticky`) when either is set.
pub fn mac_route(o: &VniOrigin, mac: &str, ip: Option<&str>, seq: u32, sticky: bool) -> RouteEntry {
    let extra = if seq > 0 || sticky {
        vec![ExtCommunity::MacMobility {
            sticky,
            sequence: seq,
        }]
    } else {
        Vec::new()
    };
    o.mac_ip(mac_of(mac), ip.map(|i| i.parse().expect("ip")), &extra)
}

/// `o`'s type 3 with `pmsi` as its PMSI tunnel attribute.
pub fn imet_with(o: &VniOrigin, pmsi: PmsiTunnel) -> RouteEntry {
    let r = o.imet();
    let attrs = r
        .attrs
        .iter()
        .map(|a| match a.value {
            AttrValue::PmsiTunnel(_) => PathAttribute::new(AttrValue::PmsiTunnel(pmsi.clone())),
            _ => a.clone(),
        })
        .collect();
    RouteEntry {
        route: r.route,
        next_hop: r.next_hop,
        attrs: Arc::new(attrs),
    }
}

/// `r` as a route reflector passed it on: ORIGINATOR_ID and CLUSTER_LIST.
pub fn reflected(r: &RouteEntry, originator: &str, clusters: &[&str]) -> RouteEntry {
    let mut attrs = (*r.attrs).clone();
    attrs.push(PathAttribute::new(AttrValue::OriginatorId(
        originator.parse().expect("originator"),
    )));
    attrs.push(PathAttribute::new(AttrValue::ClusterList(
        clusters
            .iter()
            .map(|c| c.parse().expect("cluster id"))
            .collect(),
    )));
    RouteEntry {
        route: r.route.clone(),
        next_hop: r.next_hop,
        attrs: Arc::new(attrs),
    }
}

/// One UPDATE announcing `routes` (the first one's next hop and attributes).
pub fn reach(routes: &[RouteEntry]) -> Update {
    let nlri = routes
        .iter()
        .map(|r| EvpnNlri {
            path_id: None,
            route: r.route.clone(),
        })
        .collect();
    Update::evpn_reach(routes[0].next_hop, nlri, (*routes[0].attrs).clone())
}

pub fn withdraw(routes: &[RouteEntry]) -> Update {
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
