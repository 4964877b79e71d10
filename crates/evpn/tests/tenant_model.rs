//! L3 tenants, a model test: any sequence of type-5 paths coming and
//! going, with the L3VNI going down and up, leaves exactly the kernel
//! state the final paths call for.

mod tenant_common;
use tenant_common::*;

mod model {
    //! Any sequence of type-5 paths coming and going, with the L3VNI going
    //! down and up, leaves exactly the kernel state the final paths call
    //! for: the desired changes, folded, equal the model.

    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Announce { vtep: u8, prefix: u8, rmac: bool },
        Withdraw { vtep: u8, prefix: u8 },
        L3 { up: bool },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (2u8..6, 0u8..4, any::<bool>())
                .prop_map(|(vtep, prefix, rmac)| Op::Announce { vtep, prefix, rmac }),
            4 => (2u8..6, 0u8..4).prop_map(|(vtep, prefix)| Op::Withdraw { vtep, prefix }),
            1 => any::<bool>().prop_map(|up| Op::L3 { up }),
        ]
    }

    /// The kernel state the changes build.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Kernel {
        routes: BTreeMap<IpNet, RouteVia>,
        macs: BTreeMap<MacAddr, IpAddr>,
        neighs: BTreeMap<IpAddr, MacAddr>,
    }

    impl Kernel {
        fn fold(&mut self, d: DesiredChange) {
            match d {
                DesiredChange::Route { prefix, via, .. } => {
                    self.routes.insert(prefix, via);
                }
                DesiredChange::RouteGone { prefix, .. } => {
                    self.routes.remove(&prefix);
                }
                DesiredChange::RemoteMac { mac, vtep, .. } => {
                    self.macs.insert(mac, vtep);
                }
                DesiredChange::RemoteMacGone { mac, .. } => {
                    self.macs.remove(&mac);
                }
                DesiredChange::RemoteNeigh { ip, mac, .. } => {
                    self.neighs.insert(ip, mac);
                }
                DesiredChange::RemoteNeighGone { ip, .. } => {
                    self.neighs.remove(&ip);
                }
                _ => {}
            }
        }
    }

    /// Prefixes 0..=2 IPv4, 3 IPv6 (over IPv4 VTEPs: the mapped neighbour).
    fn prefix(n: u8) -> String {
        if n == 3 {
            "2001:db8:9::/48".to_string()
        } else {
            format!("10.9.{n}.0/24")
        }
    }

    proptest! {
        #[test]
        fn the_kernel_state_matches_the_paths(ops in proptest::collection::vec(op(), 1..60)) {
            let text = TENANT_TABLE.replace("table = 1000", "table = \"main\"");
            let mut e = synced(cfg(&text));
            let mut k = Kernel::default();
            let mut up = true;
            ev(&mut e, LocalEvent::Vni(l3_info()));
            // (vtep, prefix) → carries a Router's MAC
            let mut paths: BTreeMap<(u8, u8), bool> = BTreeMap::new();
            for o in ops {
                match o {
                    Op::Announce { vtep, prefix: p, rmac: with } => {
                        announce(&mut e, &remote_t5(vtep, &prefix(p), with.then(|| rmac(vtep))));
                        paths.insert((vtep, p), with);
                    }
                    Op::Withdraw { vtep, prefix: p } => {
                        withdraw(&mut e, &remote_t5(vtep, &prefix(p), None));
                        paths.remove(&(vtep, p));
                    }
                    Op::L3 { up: u } => {
                        e.local_event(LocalEvent::Vni(VniInfo { up: u, ..l3_info() }), 0);
                        up = u;
                    }
                }
                for d in dataplane(&e.take_outputs()) {
                    k.fold(d);
                }
            }
            let mut want = Kernel::default();
            if up {
                let mut by_prefix: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::new();
                for ((vtep, p), with) in &paths {
                    if *with {
                        by_prefix.entry(*p).or_default().insert(*vtep);
                    }
                }
                for (p, vs) in by_prefix {
                    let list: Vec<u8> = vs.iter().copied().collect();
                    want.routes.insert(net(&prefix(p)), vteps(&list));
                    for v in vs {
                        want.macs.insert(rmac(v), ip(v));
                        want.neighs.insert(ip(v), rmac(v));
                        if p == 3 && let IpAddr::V4(a) = ip(v) {
                            want.neighs.insert(IpAddr::V6(a.to_ipv6_mapped()), rmac(v));
                        }
                    }
                }
            }
            prop_assert_eq!(k, want);
        }
    }
}
