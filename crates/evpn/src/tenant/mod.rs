//! L3 tenants (`[[evpn.vrf]]`, RFC 9135 symmetric IRB, RFC 9136 type 5).
//!
//! A tenant is configured; the kernel gives it its L3VNI (a VXLAN device
//! whose VNI is the tenant's `l3vni`: no MAC-VRF, the dataplane anchor of
//! routed traffic) and its L2VNIs (by their SVI's VRF master, or
//! `[[evpn.vni]] vrf`).
//!
//! * [`routes`]: per prefix, every remote path (type 5, type-2 host routes)
//!   and every local source; what is installed (ECMP over the VTEPs), the
//!   Router's MAC entries per VTEP, table-mode rules, connected copies and
//!   the unreachable default.
//! * [`origin`]: what the tenant advertises (type 5; the L3 attributes of
//!   its hosts' MAC+IP routes).
//! * [`events`]: the domain's glue (kernel events, imports).
//! * [`view`]: what the queries show, and why a route is not installed.

pub mod events;
pub mod origin;
pub mod routes;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use evpnd_config::{Config, RtMatch, VrfConfig, VrfTable};
use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;
use serde::Serialize;

use crate::VniInfo;
use crate::dataplane::RouteVia;

/// Where a tenant route comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteSource {
    /// A remote type-2 MAC+IP (a host route, /32 or /128).
    MacIp,
    /// A remote type-5 IP prefix.
    IpPrefix,
    /// Ours: an L2VNI SVI's subnet.
    Connected,
    /// Ours: `[[evpn.vrf]] prefixes`.
    Configured,
    /// Ours: a route of the tenant's table (`redistribute`).
    Redistributed,
}

/// A local source of a prefix (what makes it ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Local {
    /// The subnet of this L2VNI's SVI.
    Connected(Vni),
    /// `[[evpn.vrf]] prefixes`.
    Configured,
    /// A route of the tenant's table (`redistribute`).
    Redistributed,
    /// An address of this L2VNI's SVI (its host route): never a remote
    /// route, never advertised as type 5.
    Address(Vni),
}

impl Local {
    pub fn source(self) -> RouteSource {
        match self {
            Local::Connected(_) | Local::Address(_) => RouteSource::Connected,
            Local::Configured => RouteSource::Configured,
            Local::Redistributed => RouteSource::Redistributed,
        }
    }
}

/// Why a type-5 path cannot be used as it is: it names an RFC 9136 §3.2
/// overlay index (a non-zero gateway IP or ESI), which evpnd does not
/// resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    GatewayIp,
    Esi,
}

/// One remote path for a tenant prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    pub vtep: IpAddr,
    /// From the Router's MAC extended community (`None`: absent).
    pub rmac: Option<MacAddr>,
    pub source: RouteSource,
    pub overlay: Option<Overlay>,
}

impl Path {
    /// Usable for the kernel: no unresolved overlay index, a Router's MAC.
    pub fn usable(&self) -> bool {
        self.overlay.is_none() && self.rmac.is_some()
    }
}

/// A remote VTEP of the tenant: the Router's MAC in use for it (the first
/// one seen while its paths carry it: two at once is a misconfiguration,
/// FRR issue 22577), the usable paths per Router's MAC, and the installed
/// routes through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vtep {
    pub rmac: MacAddr,
    /// Usable paths naming this VTEP, by the Router's MAC they carry.
    pub by_rmac: BTreeMap<MacAddr, u32>,
    /// Installed routes through it (its FDB and neighbour entries exist
    /// while this is not zero).
    pub routes: u32,
    /// Installed IPv6 routes through it when it is an IPv4 VTEP (the
    /// `::ffff:V` neighbour exists while this is not zero).
    pub mapped: u32,
}

/// One tenant and all it holds.
#[derive(Debug)]
pub struct Tenant {
    pub name: String,
    pub l3vni: Vni,
    pub rd: Rd,
    pub export_rts: Vec<RouteTarget>,
    pub import: Vec<RtMatch>,
    pub(crate) cfg: VrfConfig,
    /// `[evpn] vtep_ip`, when configured (else the L3VNI's `local`).
    vtep_ip: Option<IpAddr>,
    router_id: IpAddr,
    /// The L3VNI as the kernel has it (`None`: absent).
    pub l3: Option<VniInfo>,
    /// The L2VNIs routing in this tenant, with their SVI's name.
    pub l2: BTreeMap<Vni, Option<String>>,
    /// Remote paths per prefix, by route key.
    pub(crate) paths: BTreeMap<IpNet, BTreeMap<EvpnKey, Path>>,
    /// Local sources per prefix.
    pub(crate) local: BTreeMap<IpNet, BTreeSet<Local>>,
    /// What we asked the kernel for, per prefix, and in which table.
    pub(crate) installed: BTreeMap<IpNet, RouteVia>,
    pub(crate) installed_table: Option<u32>,
    /// Set while what is installed in an old table is taken out.
    draining: bool,
    /// The kernel's state (SVI subnets, table routes) has been reported in
    /// full (`LocalEvent::Synced`). Until then nothing is installed: a
    /// remote route for a subnet the kernel has not reported yet as
    /// connected would otherwise be installed and then taken back (after
    /// a restart, over the adopted connected copy).
    pub(crate) synced: bool,
    pub(crate) vteps: BTreeMap<IpAddr, Vtep>,
    /// Table mode: the SVIs a rule is installed for.
    pub(crate) rules: BTreeSet<String>,
    /// Type-5 routes we advertise, and the (Router's MAC, VTEP) they carry.
    pub(crate) advertised: BTreeSet<IpNet>,
    pub(crate) advertised_with: Option<(MacAddr, IpAddr)>,
}

impl Tenant {
    pub fn new(cfg: &Config, v: &VrfConfig) -> Tenant {
        let mut local: BTreeMap<IpNet, BTreeSet<Local>> = BTreeMap::new();
        for p in &v.prefixes {
            local
                .entry(p.trunc())
                .or_default()
                .insert(Local::Configured);
        }
        Tenant {
            name: v.name.clone(),
            l3vni: *v.l3vni.get_ref(),
            rd: cfg.vrf_rd(v),
            export_rts: cfg.vrf_export_rts(v),
            import: cfg.vrf_import_rts(v),
            cfg: v.clone(),
            vtep_ip: cfg.evpn.vtep_ip,
            router_id: IpAddr::V4(cfg.bgp.router_id),
            l3: None,
            l2: BTreeMap::new(),
            paths: BTreeMap::new(),
            local,
            installed: BTreeMap::new(),
            installed_table: None,
            draining: false,
            synced: !cfg.evpn.learn_from_kernel,
            vteps: BTreeMap::new(),
            rules: BTreeSet::new(),
            advertised: BTreeSet::new(),
            advertised_with: None,
        }
    }

    /// Whether a route carrying these route targets is imported here.
    pub fn imports(&self, rts: &[RouteTarget]) -> bool {
        rts.iter()
            .any(|rt| self.import.iter().any(|m| m.matches(rt)))
    }

    /// The L3VNI's devices are there and up, with an L3 SVI: remote
    /// routes are installed (else held).
    pub fn up(&self) -> bool {
        self.l3
            .as_ref()
            .is_some_and(|i| i.up && (i.svi_ifindex.is_some() || i.svi_name.is_some()))
    }

    /// The Router's MAC we advertise: configured, else the L3 SVI's; never
    /// all-zero (`None`: not known yet).
    pub fn router_mac(&self) -> Option<MacAddr> {
        self.cfg
            .router_mac
            .or_else(|| self.l3.as_ref().and_then(|i| i.svi_mac))
            .filter(|m| !m.is_zero())
    }

    /// The next hop of our routes: `[evpn] vtep_ip`, else the L3VNI's
    /// `local`, else the router id (as an L2VNI's).
    pub fn vtep(&self) -> IpAddr {
        self.vtep_ip
            .or_else(|| self.l3.as_ref().and_then(|i| i.local_ip))
            .unwrap_or(self.router_id)
    }

    /// The L3 SVI: configured, else discovered with the L3VNI.
    pub fn svi(&self) -> Option<String> {
        self.cfg
            .svi
            .clone()
            .or_else(|| self.l3.as_ref().and_then(|i| i.svi_name.clone()))
    }

    /// VRF mode: the Linux VRF device.
    pub fn vrf_device(&self) -> Option<&String> {
        self.cfg.vrf_device.as_ref()
    }

    /// Table mode with a table of its own (not `main`): rules, connected
    /// copies and the unreachable default are ours to install.
    pub fn table_mode(&self) -> bool {
        matches!(self.cfg.table, Some(VrfTable::Id(_)))
    }

    /// The kernel table of the tenant's routes: configured, or (VRF mode)
    /// the VRF device's, once known.
    pub fn table(&self) -> Option<u32> {
        match self.cfg.table {
            Some(t) => Some(t.id()),
            None => self
                .l3
                .as_ref()
                .and_then(|i| i.vrf_master.as_ref())
                .map(|m| m.table),
        }
    }

    /// We advertise type-5 routes (and the L3 attributes of our hosts'
    /// MAC+IP routes): the L3VNI is up and the Router's MAC known.
    pub fn originating(&self) -> Option<(MacAddr, IpAddr)> {
        if !self.up() {
            return None;
        }
        Some((self.router_mac()?, self.vtep()))
    }

    /// A prefix is ours when a local source has it (connected subnets
    /// count even when not advertised).
    pub fn is_local(&self, prefix: &IpNet) -> bool {
        self.local.get(prefix).is_some_and(|s| !s.is_empty())
    }
}

/// IPv4 169.254/16 or IPv6 fe80::/10: never a tenant route.
pub fn link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => a.is_unicast_link_local(),
    }
}

/// A host route (/32, /128) for an address.
pub fn host(ip: IpAddr) -> IpNet {
    IpNet::from(ip)
}
