//! Our own unicast prefixes: `[bgp] networks` and, unless `[bgp]
//! advertise_vtep = false`, the VTEP address as a host route (the RFC 7938
//! leaf's loopback). Originated unconditionally — nothing checks that the
//! prefix is reachable or in the kernel — with ORIGIN IGP and an empty
//! AS_PATH; sent with next hop self, never installed (ours).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use evpnd_config::Config;
use evpnd_rib::{BestChange, Path, PeerId, Rank};
use evpnd_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
use ipnet::IpNet;

use super::UnicastEntry;
use super::receive::UniChanges;
use crate::{Core, path_id};

/// The prefixes `cfg` originates into unicast, without repeats.
pub fn unicast_origins(cfg: &Config) -> Vec<IpNet> {
    let mut out: Vec<IpNet> = Vec::new();
    let mut seen = HashSet::new();
    let vtep = cfg.bgp.advertise_vtep.then(|| IpNet::from(cfg.vtep_ip()));
    for p in cfg.bgp.networks.iter().copied().chain(vtep) {
        if seen.insert(p) {
            out.push(p);
        }
    }
    out
}

impl Core {
    /// A local unicast path for `prefix`.
    fn local_unicast_path(&mut self, prefix: IpNet) -> Path<UnicastEntry> {
        let attrs = self.interner.intern(vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        ]);
        let next_hop = match prefix {
            IpNet::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpNet::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        Path {
            peer: PeerId::LOCAL,
            path_id: path_id::CONFIG,
            attrs: Arc::new(UnicastEntry {
                prefix,
                next_hop,
                link_local: None,
                attrs,
            }),
            rank: Arc::new(Rank {
                local: true,
                originator_id: self.cfg.bgp.router_id,
                ..Rank::default()
            }),
        }
    }

    /// The configuration's unicast prefixes, at start.
    pub(crate) fn originate_unicast(&mut self) {
        for p in unicast_origins(&self.cfg) {
            let path = self.local_unicast_path(p);
            self.uni.rib.insert(p, path);
        }
    }

    /// Reload: our unicast prefixes become those of the new configuration;
    /// the multipath settings apply to every installed route.
    pub(crate) fn set_unicast_origins(&mut self) {
        self.uni.multipath = super::multipath_of(&self.cfg);
        let want = unicast_origins(&self.cfg);
        let keep: HashSet<IpNet> = want.iter().copied().collect();
        let gone: Vec<IpNet> = self
            .uni
            .rib
            .iter_paths()
            .filter(|(k, p, _)| p.peer == PeerId::LOCAL && !keep.contains(k))
            .map(|(k, _, _)| k)
            .collect();
        let mut ch = UniChanges::default();
        for k in gone {
            ch.best
                .push((k, self.uni.rib.remove(&k, PeerId::LOCAL, path_id::CONFIG)));
            ch.touched.push(k);
        }
        for p in want {
            let path = self.local_unicast_path(p);
            let c = self.uni.rib.insert(p, path);
            if !matches!(c, BestChange::Unchanged) {
                ch.touched.push(p);
            }
            ch.best.push((p, c));
        }
        self.apply_unicast(ch);
        self.install_all();
    }
}
