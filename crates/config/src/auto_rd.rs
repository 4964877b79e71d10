//! Auto RD numbers that never collide on one router.
//!
//! A type-1 RD is `router-id:number` with a 16-bit number, and a VNI has 24
//! bits, so `vni mod 65536` alone gives VNIs 100 and 65636 the same RD: their
//! routes would be one NLRI. Configured VNIs are checked by validation; VNIs
//! the kernel reports without a `[[evpn.vni]]` entry go through [`AutoRds`]:
//!
//! * the number is the VNI's low 16 bits (the VNI itself below 65536), unless
//!   that number is already held on this router: by an explicit `rd` with our
//!   router id, by a configured VNI's auto RD, or by a VNI assigned earlier;
//! * then the next free number upward (wrapping at 65535).
//!
//! A VNI keeps its number while it exists, so a VNI appearing never changes
//! another one's RD. Configured VNIs always get the same number; two
//! unconfigured VNIs that fold to the same number get theirs in discovery
//! order (the kernel dump lists devices by ifindex), so a restart over the
//! same kernel state gives the same RDs.

use std::collections::HashMap;

use evpnd_wire::{Rd, Vni};

use crate::derive::auto_rd_number;
use crate::model::{AutoOr, Config};

/// The type-1 RD numbers in use under our router id, and which VNI has each.
#[derive(Debug, Clone)]
pub struct AutoRds {
    router_id: std::net::Ipv4Addr,
    /// Numbers taken by the configuration (explicit RDs and configured VNIs' auto RDs).
    reserved: HashMap<u16, Option<Vni>>,
    /// Numbers given to unconfigured VNIs.
    assigned: HashMap<Vni, u16>,
    held: HashMap<u16, Vni>,
}

impl AutoRds {
    pub fn new(cfg: &Config) -> AutoRds {
        let router_id = cfg.bgp.router_id;
        let mut reserved = HashMap::new();
        for v in &cfg.evpn.vni {
            match v.rd {
                AutoOr::Auto => {
                    reserved.insert(auto_rd_number(*v.vni.get_ref()), Some(*v.vni.get_ref()));
                }
                AutoOr::Value(Rd::Ipv4 { addr, number }) if addr == router_id => {
                    reserved.insert(number, None);
                }
                AutoOr::Value(_) => {}
            }
        }
        AutoRds {
            router_id,
            reserved,
            assigned: HashMap::new(),
            held: HashMap::new(),
        }
    }

    fn free(&self, n: u16, vni: Vni) -> bool {
        !self.held.contains_key(&n)
            && self
                .reserved
                .get(&n)
                .is_none_or(|owner| *owner == Some(vni))
    }

    /// The auto RD of `vni`: the one it has, else a free number (see the
    /// module doc). `None` when all 65536 numbers are taken.
    pub fn assign(&mut self, vni: Vni) -> Option<Rd> {
        if let Some(n) = self.assigned.get(&vni) {
            return Some(self.rd(*n));
        }
        let home = auto_rd_number(vni);
        let n = (0..=u16::MAX)
            .map(|k| home.wrapping_add(k))
            .find(|n| self.free(*n, vni))?;
        self.assigned.insert(vni, n);
        self.held.insert(n, vni);
        Some(self.rd(n))
    }

    /// `vni` is gone: its number is free again.
    pub fn release(&mut self, vni: Vni) {
        if let Some(n) = self.assigned.remove(&vni) {
            self.held.remove(&n);
        }
    }

    fn rd(&self, number: u16) -> Rd {
        Rd::Ipv4 {
            addr: self.router_id,
            number,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vni(n: u32) -> Vni {
        Vni::new(n).expect("vni")
    }

    fn cfg(extra: &str) -> Config {
        let text = format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n{extra}");
        crate::parse(&text, "t.toml").expect("valid")
    }

    #[test]
    fn vnis_equal_modulo_65536_get_different_rds() {
        let mut a = AutoRds::new(&cfg(""));
        let x = a.assign(vni(100)).expect("free");
        let y = a.assign(vni(65_636)).expect("free");
        assert_eq!(x.to_string(), "10.0.0.1:100");
        assert_eq!(y.to_string(), "10.0.0.1:101");
        // Stable while the VNI exists, free again once it is gone.
        assert_eq!(a.assign(vni(65_636)), Some(y));
        a.release(vni(100));
        assert_eq!(
            a.assign(vni(131_172)).map(|r| r.to_string()).as_deref(),
            Some("10.0.0.1:100")
        );
    }

    #[test]
    fn the_configuration_keeps_its_numbers() {
        let c = cfg("[[evpn.vni]]\nvni = 200\n[[evpn.vni]]\nvni = 300\nrd = \"10.0.0.1:201\"\n");
        let mut a = AutoRds::new(&c);
        // 65736 folds to 200 (configured VNI 200), then 201 (explicit RD).
        assert_eq!(
            a.assign(vni(65_736)).map(|r| r.to_string()).as_deref(),
            Some("10.0.0.1:202")
        );
        // The configured VNI itself still gets its own number.
        assert_eq!(
            a.assign(vni(200)).map(|r| r.to_string()).as_deref(),
            Some("10.0.0.1:200")
        );
    }
}
