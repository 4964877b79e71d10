//! Everything policy-related in a configuration, compiled once per load or
//! reload and looked up by neighbour or VNI.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use evpnd_config::Config;
use evpnd_config::model::Policy;
use evpnd_wire::Vni;
use serde::Serialize;

use crate::eval::{Outcome, evaluate};
use crate::route::RouteView;
use crate::vtep::{VtepAllow, VtepRejection};

/// Import (routes coming in) or export (routes going out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Import,
    Export,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Import => "import_policy",
            Direction::Export => "export_policy",
        })
    }
}

/// A reference to a policy that is not defined (validation reports it with
/// its position first; this is for configurations built in code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{owner}: {direction} {name:?} is not defined")]
pub struct UndefinedPolicy {
    pub owner: String,
    pub direction: Direction,
    pub name: String,
}

/// The bound policy names of one neighbour or VNI: [import, export].
type Bindings = [Option<String>; 2];

fn slot(d: Direction) -> usize {
    match d {
        Direction::Import => 0,
        Direction::Export => 1,
    }
}

#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: HashMap<String, Policy>,
    neighbors: HashMap<IpAddr, Bindings>,
    vnis: HashMap<Vni, Bindings>,
    vtep: VtepAllow,
}

impl PolicySet {
    pub fn from_config(cfg: &Config) -> Result<PolicySet, UndefinedPolicy> {
        let policies: HashMap<String, Policy> = cfg
            .policy
            .iter()
            .map(|p| (p.name.clone(), p.clone()))
            .collect();
        let check = |owner: String, b: Bindings| -> Result<Bindings, UndefinedPolicy> {
            for (d, name) in [Direction::Import, Direction::Export].iter().zip(&b) {
                if let Some(n) = name
                    && !policies.contains_key(n)
                {
                    return Err(UndefinedPolicy {
                        owner,
                        direction: *d,
                        name: n.clone(),
                    });
                }
            }
            Ok(b)
        };
        let mut neighbors = HashMap::new();
        for n in &cfg.neighbor {
            let b = [n.import_policy.clone(), n.export_policy.clone()];
            // Interface neighbours cannot bind policies (refused by the
            // configuration's validation): bindings are by address.
            if b.iter().any(Option::is_some)
                && let Some(addr) = n.ip()
            {
                neighbors.insert(addr, check(format!("neighbor {addr}"), b)?);
            }
        }
        let mut vnis = HashMap::new();
        for v in &cfg.evpn.vni {
            let b = [v.import_policy.clone(), v.export_policy.clone()];
            if b.iter().any(Option::is_some) {
                let vni = *v.vni.get_ref();
                vnis.insert(vni, check(format!("vni {vni}"), b)?);
            }
        }
        Ok(PolicySet {
            vtep: VtepAllow::new(&cfg.evpn.vtep_allow),
            policies,
            neighbors,
            vnis,
        })
    }

    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.get(name)
    }

    /// The policy bound to a neighbour in a direction, if any.
    pub fn neighbor_policy(&self, peer: IpAddr, d: Direction) -> Option<&Policy> {
        self.bound(self.neighbors.get(&peer), d)
    }

    /// The policy bound to a VNI in a direction, if any.
    pub fn vni_policy(&self, vni: Vni, d: Direction) -> Option<&Policy> {
        self.bound(self.vnis.get(&vni), d)
    }

    fn bound(&self, b: Option<&Bindings>, d: Direction) -> Option<&Policy> {
        b.and_then(|b| b[slot(d)].as_ref())
            .and_then(|n| self.policies.get(n))
    }

    /// A neighbour's import (routes from it) or export (routes to it) policy
    /// on `r`; accepted unchanged when none is bound.
    pub fn neighbor(&self, peer: IpAddr, d: Direction, r: &RouteView<'_>) -> Outcome {
        match self.neighbor_policy(peer, d) {
            Some(p) => evaluate(p, r),
            None => Outcome::no_policy(),
        }
    }

    /// A VNI's import (remote routes into it) or export (its local routes)
    /// policy on `r`; accepted unchanged when none is bound.
    pub fn vni(&self, vni: Vni, d: Direction, r: &RouteView<'_>) -> Outcome {
        match self.vni_policy(vni, d) {
            Some(p) => evaluate(p, r),
            None => Outcome::no_policy(),
        }
    }

    pub fn vtep_allow(&self) -> &VtepAllow {
        &self.vtep
    }

    /// Whether `r` may be programmed into the kernel.
    pub fn vtep_check(&self, r: &RouteView<'_>) -> Result<(), VtepRejection> {
        self.vtep.check(r)
    }
}
