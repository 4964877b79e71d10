//! Reading the inventory (`evpnd_migrate::Inventory`) over netlink:
//!
//! ```text
//! RTM_GETLINK  dump, AF_UNSPEC      → links: kind, IFF_UP, master, lower, VXLAN
//!                                      and VLAN data, bridge port flags
//! RTM_GETLINK  dump, AF_BRIDGE      → per port (and bridge itself): IFLA_AF_SPEC
//!              IFLA_EXT_MASK BRVLAN    IFLA_BRIDGE_VLAN_INFO { flags, vid } each
//! RTM_GETNEIGH dump, AF_BRIDGE      → all-zero MAC `self` entries on VXLAN devices:
//!                                      the static flood list (the group's own
//!                                      default entry is not one)
//! RTM_GETADDR  dump                 → addresses of bridges and VLAN devices (SVIs)
//! ```
//!
//! Only links that matter to a migration are kept: bridges and their
//! ports, VLAN devices and their parents, VXLAN devices and their underlay
//! devices.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use evpnd_migrate::inventory::VXLAN_PORT;
use evpnd_migrate::{Inventory, Kind, Link, Port, PortVlan, Vxlan};
use futures::TryStreamExt;
use ipnet::IpNet;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::{BridgeVlanInfoFlags, LinkExtentMask, LinkFlags, LinkMessage};
use netlink_packet_route::neighbour::NeighbourFlags;
use rtnetlink::Handle;

use crate::kernel::{self, parse_neigh};

/// One link as read, before names replace indices.
struct Raw {
    link: kernel::Link,
    admin_up: bool,
    vlans: Vec<PortVlan>,
    flood: Vec<IpAddr>,
    addresses: Vec<IpNet>,
}

/// The VLANs of an AF_BRIDGE link message (none without a VLAN list).
fn vlans(m: &LinkMessage) -> Vec<PortVlan> {
    kernel::parse_vlans(m)
        .unwrap_or_default()
        .into_iter()
        .map(|(vid, flags)| PortVlan {
            vid,
            pvid: flags.contains(BridgeVlanInfoFlags::Pvid),
            untagged: flags.contains(BridgeVlanInfoFlags::Untagged),
        })
        .collect()
}

/// Reads the inventory of the namespace `handle` speaks to.
pub async fn inventory(handle: &Handle) -> Result<Inventory, String> {
    let mut raw: BTreeMap<u32, Raw> = BTreeMap::new();
    let mut links = handle.link().get().execute();
    while let Some(m) = links
        .try_next()
        .await
        .map_err(|e| format!("link dump: {e}"))?
    {
        raw.insert(
            m.header.index,
            Raw {
                link: kernel::parse_link(&m),
                admin_up: m.header.flags.contains(LinkFlags::Up),
                vlans: Vec::new(),
                flood: Vec::new(),
                addresses: Vec::new(),
            },
        );
    }
    let mut ports = handle
        .link()
        .get()
        .set_filter_mask(AddressFamily::Bridge, vec![LinkExtentMask::Brvlan])
        .execute();
    while let Some(m) = ports
        .try_next()
        .await
        .map_err(|e| format!("bridge VLAN dump: {e}"))?
    {
        if let Some(r) = raw.get_mut(&m.header.index) {
            r.vlans = vlans(&m);
        }
    }
    let mut fdb = handle
        .neighbours()
        .get()
        .set_address_family(AddressFamily::Bridge)
        .execute();
    while let Some(m) = fdb.try_next().await.map_err(|e| format!("fdb dump: {e}"))? {
        let n = parse_neigh(&m);
        let (Some(mac), Some(dst)) = (n.mac, n.dst) else {
            continue;
        };
        if mac.0 != [0; 6] || !n.flags.contains(NeighbourFlags::Own) {
            continue;
        }
        if let Some(r) = raw.get_mut(&n.ifindex)
            && let Some(x) = &r.link.vxlan
            && x.group != Some(dst)
        {
            r.flood.push(dst);
        }
    }
    let mut addrs = handle.address().get().execute();
    while let Some(m) = addrs
        .try_next()
        .await
        .map_err(|e| format!("address dump: {e}"))?
    {
        let ip = m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        });
        if let (Some(ip), Some(r)) = (ip, raw.get_mut(&m.header.index))
            && let Ok(net) = IpNet::new(ip, m.header.prefix_len)
        {
            r.addresses.push(net);
        }
    }
    Ok(assemble(&raw))
}

/// Indices to names; keeps the links of interest.
fn assemble(raw: &BTreeMap<u32, Raw>) -> Inventory {
    let name = |i: u32| raw.get(&i).map(|r| r.link.name.clone());
    let kind_of = |r: &Raw| r.link.kind.clone().unwrap_or_default();
    let bridges: BTreeSet<u32> = raw
        .iter()
        .filter(|(_, r)| kind_of(r) == "bridge")
        .map(|(i, _)| *i)
        .collect();
    let mut keep: BTreeSet<u32> = bridges.clone();
    for (i, r) in raw {
        let k = kind_of(r);
        if r.link.master.is_some_and(|m| bridges.contains(&m)) || k == "vxlan" || k == "vlan" {
            keep.insert(*i);
        }
        if k == "vlan" {
            keep.extend(r.link.lower);
        }
        keep.extend(r.link.vxlan.as_ref().and_then(|x| x.dev));
    }
    let mut inv = Inventory::default();
    for i in keep {
        let Some(r) = raw.get(&i) else { continue };
        let l = &r.link;
        let kind = match (kind_of(r).as_str(), &l.vxlan, l.vlan_id) {
            ("bridge", _, _) => Kind::Bridge {
                vlan_filtering: l.vlan_filtering,
                vlans: if l.vlan_filtering {
                    r.vlans.clone()
                } else {
                    Vec::new()
                },
            },
            ("vlan", _, Some(vid)) => Kind::Vlan {
                parent: l.lower.and_then(name).unwrap_or_default(),
                vid,
            },
            (_, Some(x), _) => Kind::Vxlan(Vxlan {
                vni: if x.external { None } else { x.vni },
                local: x.local,
                group: x.group,
                dev: r.link.vxlan.as_ref().and_then(|x| x.dev).and_then(name),
                dstport: if x.port == 0 { VXLAN_PORT } else { x.port },
                learning: x.learning,
                external: x.external,
                vnifilter: x.vnifilter,
                flood: r.flood.clone(),
            }),
            (k, _, _) => Kind::Other {
                kind: (!k.is_empty()).then(|| k.to_string()),
            },
        };
        let master = l.master.filter(|m| bridges.contains(m));
        let aware = master.is_some_and(|m| raw.get(&m).is_some_and(|b| b.link.vlan_filtering));
        let port = master.map(|_| Port {
            learning: l.learning_port,
            neigh_suppress: l.neigh_suppress,
            vlans: if aware { r.vlans.clone() } else { Vec::new() },
        });
        let svi = matches!(kind, Kind::Bridge { .. } | Kind::Vlan { .. });
        inv.links.push(Link {
            name: l.name.clone(),
            kind,
            up: r.admin_up,
            master: master.and_then(name),
            port,
            mac: l.mac.map(|m| m.to_string()),
            addresses: if svi { r.addresses.clone() } else { Vec::new() },
        });
    }
    inv.normalise();
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::{AfSpecBridge, BridgeVlanInfo, LinkAttribute};

    fn msg(index: u32, spec: Vec<AfSpecBridge>) -> LinkMessage {
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.attributes.push(LinkAttribute::AfSpecBridge(spec));
        m
    }

    fn info(vid: u16, flags: BridgeVlanInfoFlags) -> AfSpecBridge {
        AfSpecBridge::VlanInfo(BridgeVlanInfo { vid, flags })
    }

    #[test]
    fn vlans_read_flags_and_ranges() {
        let m = msg(
            3,
            vec![
                info(1, BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged),
                info(10, BridgeVlanInfoFlags::RangeBegin),
                info(12, BridgeVlanInfoFlags::RangeEnd),
            ],
        );
        let v = vlans(&m);
        assert_eq!(v.len(), 4);
        assert_eq!(
            v[0],
            PortVlan {
                vid: 1,
                pvid: true,
                untagged: true
            }
        );
        assert_eq!(
            v[1..].iter().map(|x| (x.vid, x.pvid)).collect::<Vec<_>>(),
            [(10, false), (11, false), (12, false)]
        );
    }

    fn raw(index: u32, name: &str, kind: &str, master: Option<u32>) -> (u32, Raw) {
        (
            index,
            Raw {
                link: kernel::Link {
                    index,
                    name: name.into(),
                    kind: Some(kind.into()),
                    master,
                    ..kernel::Link::default()
                },
                admin_up: true,
                vlans: vec![PortVlan {
                    vid: 1,
                    pvid: true,
                    untagged: true,
                }],
                flood: Vec::new(),
                addresses: vec!["192.168.1.1/24".parse().expect("net")],
            },
        )
    }

    /// Names replace indices; unrelated links and a plain bridge's VLANs
    /// are left out; addresses only on SVIs.
    #[test]
    fn assemble_keeps_bridges_ports_and_names_masters() {
        let raw: BTreeMap<u32, Raw> = [
            raw(1, "lo", "", None),
            raw(2, "br0", "bridge", None),
            raw(3, "acc", "veth", Some(2)),
            raw(4, "docker0x", "veth", None),
        ]
        .into_iter()
        .collect();
        let inv = assemble(&raw);
        let names: Vec<&str> = inv.links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["acc", "br0"]);
        let acc = inv.link("acc").expect("acc");
        assert_eq!(acc.master.as_deref(), Some("br0"));
        assert!(acc.port.as_ref().is_some_and(|p| p.vlans.is_empty()));
        assert!(acc.addresses.is_empty());
        let br = inv.link("br0").expect("br0");
        assert_eq!(br.addresses.len(), 1);
        assert_eq!(
            br.kind,
            Kind::Bridge {
                vlan_filtering: false,
                vlans: vec![]
            }
        );
    }
}
