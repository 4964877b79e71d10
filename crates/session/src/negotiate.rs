//! Capability negotiation (RFC 5492) and OPEN validation (RFC 4271 §6.2).
//!
//! [`PeerOpen`] is the part of a received OPEN that negotiation needs, so the
//! rules here are tested without building wire messages; the driver fills it
//! from the decoded OPEN.

use std::net::Ipv4Addr;

use evpnd_wire::error::{code, subcode};
use evpnd_wire::{Family, NotifyError};
use serde::{Deserialize, Serialize};

pub use crate::remote_as::RemoteAs;

/// AS_TRANS (RFC 6793): the 2-octet placeholder for a 4-octet AS.
pub const AS_TRANS: u16 = 23456;

/// What a peer's OPEN says, as far as negotiation is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerOpen {
    pub version: u8,
    /// The "My Autonomous System" field (AS_TRANS for 4-octet ASNs).
    pub my_as: u16,
    /// The 4-octet AS capability, when present.
    pub as4: Option<u32>,
    pub hold_time: u16,
    pub router_id: Ipv4Addr,
    /// Multiprotocol capabilities. Empty = the peer sent none: IPv4 unicast only (RFC 4760 §8).
    pub families: Vec<Family>,
    pub route_refresh: bool,
    pub enhanced_route_refresh: bool,
    pub extended_message: bool,
    /// Families the peer can SEND path ids for (ADD-PATH send or both).
    pub add_path_send: Vec<Family>,
    /// Families the peer can RECEIVE path ids for.
    pub add_path_receive: Vec<Family>,
    /// Graceful restart capability: restart time and families with F bit.
    pub graceful_restart: Option<PeerGr>,
    /// RFC 8950 Extended Next Hop capability: the NLRI families the peer
    /// accepts with an IPv6 next hop (next-hop AFI 2 in its tuples).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_next_hop: Vec<Family>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerGr {
    pub restart_time: u16,
    pub restarting: bool,
    pub notification: bool,
    /// (family, forwarding state preserved)
    pub families: Vec<(Family, bool)>,
}

/// Our side of the negotiation, from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalPolicy {
    pub local_asn: u32,
    pub router_id: Ipv4Addr,
    /// The AS the peer must have (from `remote_asn`): a number, or
    /// external / internal.
    pub remote_asn: RemoteAs,
    pub hold_time: u16,
    /// Configured keepalive; `None` = negotiated hold / 3.
    pub keepalive: Option<u16>,
    pub families: Vec<Family>,
    /// Families for which we accept path ids from the peer.
    pub add_path_receive: Vec<Family>,
    pub graceful_restart: bool,
    /// Restarting speaker (RFC 4724 §4.1): our OPEN carries the Restart
    /// State (R) bit. The FSM clears it once a session is established: only
    /// the first session after the restart says so.
    #[serde(default)]
    pub restarting: bool,
    /// The Forwarding State (F) bit of every family in our capability:
    /// the forwarding state (the kernel's entries) survived the restart.
    /// Set again once a session is established (a later session reset
    /// does not touch forwarding).
    #[serde(default = "yes")]
    pub forwarding_preserved: bool,
    /// RFC 8950: NLRI families we send the Extended Next Hop capability
    /// for (next-hop AFI IPv6): IPv4 unicast on unnumbered sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_next_hop: Vec<Family>,
}

fn yes() -> bool {
    true
}

/// The graceful-restart flags nibble (the capability's top 4 bits): Restart State.
const GR_FLAG_R: u8 = 0b1000;
/// ... and Graceful Notification (RFC 8538).
const GR_FLAG_N: u8 = 0b0100;

/// The session parameters both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiated {
    pub peer_asn: u32,
    pub peer_router_id: Ipv4Addr,
    pub hold_time: u16,
    pub keepalive: u16,
    pub four_octet_as: bool,
    pub families: Vec<Family>,
    pub route_refresh: bool,
    pub enhanced_route_refresh: bool,
    pub extended_message: bool,
    /// Families where received NLRI carry path ids.
    pub add_path_rx: Vec<Family>,
    /// RFC 8950: NLRI families (IPv4 unicast) for which both sides sent
    /// the Extended Next Hop capability with next-hop AFI IPv6, so routes
    /// of them may be sent and received with IPv6 next hops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_next_hop: Vec<Family>,
    pub graceful_restart: Option<PeerGr>,
    pub ibgp: bool,
}

impl Negotiated {
    /// The codec context for messages received on this session.
    pub fn rx_context(&self) -> evpnd_wire::Context {
        evpnd_wire::Context {
            four_octet_as: self.four_octet_as,
            add_path: self.add_path_rx.clone(),
            extended_message: self.extended_message,
            ibgp: self.ibgp,
        }
    }

    /// The codec context for messages we send (we never send path ids).
    pub fn tx_context(&self) -> evpnd_wire::Context {
        evpnd_wire::Context {
            add_path: Vec::new(),
            ..self.rx_context()
        }
    }
}

fn open_err(sub: u8, data: impl Into<Vec<u8>>, reason: String) -> NotifyError {
    NotifyError::new(code::OPEN_MESSAGE, sub, data, reason)
}

/// Validates the peer's OPEN against our policy and computes the session
/// parameters, or returns the NOTIFICATION to send (RFC 4271 §6.2, RFC 5492,
/// RFC 6793).
pub fn negotiate(local: &LocalPolicy, peer: &PeerOpen) -> Result<Negotiated, NotifyError> {
    if peer.version != 4 {
        return Err(open_err(
            subcode::UNSUPPORTED_VERSION,
            4u16.to_be_bytes(),
            format!("peer speaks BGP version {}, we support 4", peer.version),
        ));
    }
    let peer_asn = match peer.as4 {
        Some(as4) => {
            if peer.my_as != AS_TRANS && u32::from(peer.my_as) != as4 {
                return Err(open_err(
                    subcode::BAD_PEER_AS,
                    peer.my_as.to_be_bytes(),
                    format!(
                        "OPEN My AS {} disagrees with its 4-octet AS capability {as4}",
                        peer.my_as
                    ),
                ));
            }
            as4
        }
        None => u32::from(peer.my_as),
    };
    if !local.remote_asn.accepts(peer_asn, local.local_asn) {
        let want = match local.remote_asn {
            RemoteAs::Asn(a) => format!("configured remote_asn is {a}"),
            RemoteAs::External => format!(
                "remote_asn \"external\" wants any AS but ours ({})",
                local.local_asn
            ),
            RemoteAs::Internal => format!(
                "remote_asn \"internal\" wants our own AS ({})",
                local.local_asn
            ),
        };
        return Err(open_err(
            subcode::BAD_PEER_AS,
            peer.my_as.to_be_bytes(),
            format!("peer AS is {peer_asn}, {want}"),
        ));
    }
    if peer.hold_time == 1 || peer.hold_time == 2 {
        return Err(open_err(
            subcode::UNACCEPTABLE_HOLD_TIME,
            Vec::new(),
            format!(
                "peer hold time {} is not 0 and less than 3 seconds",
                peer.hold_time
            ),
        ));
    }
    let ibgp = peer_asn == local.local_asn;
    if peer.router_id.is_unspecified() || (ibgp && peer.router_id == local.router_id) {
        return Err(open_err(
            subcode::BAD_BGP_IDENTIFIER,
            peer.router_id.octets(),
            format!("unacceptable peer BGP identifier {}", peer.router_id),
        ));
    }
    let peer_families: Vec<Family> = if peer.families.is_empty() {
        vec![Family::IPV4_UNICAST]
    } else {
        peer.families.clone()
    };
    let families: Vec<Family> = local
        .families
        .iter()
        .copied()
        .filter(|f| peer_families.contains(f))
        .collect();
    if families.is_empty() {
        // RFC 5492 §5: Unsupported Capability, data = the capabilities we need.
        let mut data = Vec::new();
        for f in &local.families {
            data.extend_from_slice(&[1, 4]);
            data.extend_from_slice(&f.afi.0.to_be_bytes());
            data.extend_from_slice(&[0, f.safi.0]);
        }
        let want: Vec<String> = local.families.iter().map(|f| f.to_string()).collect();
        let have: Vec<String> = peer_families.iter().map(|f| f.to_string()).collect();
        return Err(open_err(
            subcode::UNSUPPORTED_CAPABILITY,
            data,
            format!(
                "no common address family: we want {}, peer offers {}",
                want.join(","),
                have.join(",")
            ),
        ));
    }
    let hold_time = local.hold_time.min(peer.hold_time);
    let keepalive = match (hold_time, local.keepalive) {
        (0, _) => 0,
        (h, Some(k)) => k.min(h / 3).max(1),
        (h, None) => (h / 3).max(1),
    };
    let add_path_rx = families
        .iter()
        .copied()
        .filter(|f| local.add_path_receive.contains(f) && peer.add_path_send.contains(f))
        .collect();
    // RFC 8950 §4: IPv6 next hops for a family only when both sides said so.
    let extended_next_hop = families
        .iter()
        .copied()
        .filter(|f| local.extended_next_hop.contains(f) && peer.extended_next_hop.contains(f))
        .collect();
    Ok(Negotiated {
        peer_asn,
        peer_router_id: peer.router_id,
        hold_time,
        keepalive,
        four_octet_as: peer.as4.is_some(),
        families,
        route_refresh: peer.route_refresh,
        enhanced_route_refresh: peer.enhanced_route_refresh,
        extended_message: peer.extended_message,
        add_path_rx,
        extended_next_hop,
        graceful_restart: if local.graceful_restart {
            peer.graceful_restart.clone()
        } else {
            None
        },
        ibgp,
    })
}

impl PeerOpen {
    /// What negotiation needs from a decoded OPEN.
    pub fn from_wire(o: &evpnd_wire::open::Open) -> PeerOpen {
        use evpnd_wire::capability::{AddPathMode, Capability, code};
        PeerOpen {
            version: o.version,
            my_as: o.my_as,
            as4: o.four_octet_asn(),
            hold_time: o.hold_time,
            router_id: o.router_id,
            families: o.families(),
            route_refresh: o.has(code::ROUTE_REFRESH),
            enhanced_route_refresh: o.has(code::ENHANCED_ROUTE_REFRESH),
            extended_message: o.has(code::EXTENDED_MESSAGE),
            add_path_send: o.add_path(AddPathMode::Send),
            add_path_receive: o.add_path(AddPathMode::Receive),
            graceful_restart: o.capabilities().find_map(|c| match c {
                Capability::GracefulRestart(g) => Some(PeerGr {
                    restart_time: g.restart_time,
                    restarting: g.restarting,
                    notification: g.notification,
                    families: g
                        .families
                        .iter()
                        .map(|f| (f.family, f.forwarding))
                        .collect(),
                }),
                _ => None,
            }),
            extended_next_hop: o
                .capabilities()
                .filter_map(|c| match c {
                    Capability::ExtendedNextHop { tuples } => Some(tuples),
                    _ => None,
                })
                .flatten()
                .filter(|t| t.next_hop_afi == evpnd_wire::Afi::IPV6)
                .filter_map(|t| {
                    let safi = u8::try_from(t.safi).ok()?;
                    Some(Family::new(t.afi, evpnd_wire::Safi(safi)))
                })
                .collect(),
        }
    }
}

impl LocalPolicy {
    /// Our OPEN: multiprotocol per family, route refresh (+ enhanced), 4-octet
    /// AS, extended message, graceful restart and ADD-PATH receive where
    /// configured.
    ///
    /// The graceful-restart capability lists every family (a helper keeps
    /// only the families listed, RFC 4724 §4.2) with the F bit when
    /// [`LocalPolicy::forwarding_preserved`], the N bit (RFC 8538) always
    /// and the R bit while [`LocalPolicy::restarting`].
    pub fn open(&self, restart_time: u16) -> evpnd_wire::open::Open {
        use evpnd_wire::capability::{
            AddPathFamily, AddPathMode, Capability, ExtNextHop, GrFamily, GracefulRestart,
        };
        let mut caps: Vec<Capability> = self
            .families
            .iter()
            .map(|f| Capability::multiprotocol(*f))
            .collect();
        caps.push(Capability::RouteRefresh);
        caps.push(Capability::EnhancedRouteRefresh);
        caps.push(Capability::FourOctetAs {
            asn: self.local_asn,
        });
        caps.push(Capability::ExtendedMessage);
        if !self.extended_next_hop.is_empty() {
            caps.push(Capability::ExtendedNextHop {
                tuples: self
                    .extended_next_hop
                    .iter()
                    .map(|f| ExtNextHop {
                        afi: f.afi,
                        safi: u16::from(f.safi.0),
                        next_hop_afi: evpnd_wire::Afi::IPV6,
                    })
                    .collect(),
            });
        }
        if self.graceful_restart {
            let f_flags = if self.forwarding_preserved { 0x80 } else { 0 };
            caps.push(Capability::GracefulRestart(GracefulRestart {
                restarting: self.restarting,
                notification: true,
                restart_time: restart_time & 0x0fff,
                flags: GR_FLAG_N | if self.restarting { GR_FLAG_R } else { 0 },
                families: self
                    .families
                    .iter()
                    .map(|f| GrFamily {
                        family: *f,
                        forwarding: self.forwarding_preserved,
                        flags: f_flags,
                    })
                    .collect(),
            }));
        }
        if !self.add_path_receive.is_empty() {
            caps.push(Capability::AddPath {
                families: self
                    .add_path_receive
                    .iter()
                    .map(|f| AddPathFamily {
                        family: *f,
                        mode: AddPathMode::Receive,
                    })
                    .collect(),
            });
        }
        evpnd_wire::open::Open::new(self.local_asn, self.hold_time, self.router_id, caps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn policy() -> LocalPolicy {
        LocalPolicy {
            local_asn: 65001,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            remote_asn: RemoteAs::Asn(65001),
            hold_time: 90,
            keepalive: None,
            families: vec![Family::L2VPN_EVPN],
            add_path_receive: vec![],
            graceful_restart: true,
            restarting: false,
            forwarding_preserved: true,
            extended_next_hop: vec![],
        }
    }

    pub(crate) fn peer() -> PeerOpen {
        PeerOpen {
            version: 4,
            my_as: 65001,
            as4: Some(65001),
            hold_time: 9,
            router_id: Ipv4Addr::new(10, 0, 0, 2),
            families: vec![Family::L2VPN_EVPN, Family::IPV4_UNICAST],
            route_refresh: true,
            enhanced_route_refresh: false,
            extended_message: false,
            add_path_send: vec![],
            add_path_receive: vec![],
            graceful_restart: None,
            extended_next_hop: vec![],
        }
    }

    #[test]
    fn agrees_on_min_hold_and_common_families() {
        let n = negotiate(&policy(), &peer()).expect("negotiates");
        assert_eq!((n.hold_time, n.keepalive), (9, 3));
        assert_eq!(n.families, vec![Family::L2VPN_EVPN]);
        assert!(n.ibgp && n.four_octet_as);
    }

    #[test]
    fn four_octet_as_through_as_trans() {
        let p = LocalPolicy {
            remote_asn: RemoteAs::Asn(4_200_000_001),
            ..policy()
        };
        let o = PeerOpen {
            my_as: AS_TRANS,
            as4: Some(4_200_000_001),
            ..peer()
        };
        let n = negotiate(&p, &o).expect("negotiates");
        assert!(!n.ibgp);
        assert_eq!(n.peer_asn, 4_200_000_001);
    }

    #[test]
    fn mismatches_give_the_right_notification() {
        let cases = [
            (
                PeerOpen {
                    my_as: 65002,
                    as4: Some(65002),
                    ..peer()
                },
                subcode::BAD_PEER_AS,
            ),
            (
                PeerOpen {
                    hold_time: 2,
                    ..peer()
                },
                subcode::UNACCEPTABLE_HOLD_TIME,
            ),
            (
                PeerOpen {
                    version: 3,
                    ..peer()
                },
                subcode::UNSUPPORTED_VERSION,
            ),
            (
                PeerOpen {
                    router_id: Ipv4Addr::new(10, 0, 0, 1),
                    ..peer()
                },
                subcode::BAD_BGP_IDENTIFIER,
            ),
            (
                PeerOpen {
                    families: vec![Family::IPV6_UNICAST],
                    ..peer()
                },
                subcode::UNSUPPORTED_CAPABILITY,
            ),
            (
                PeerOpen {
                    families: vec![],
                    ..peer()
                },
                subcode::UNSUPPORTED_CAPABILITY,
            ),
        ];
        for (o, sub) in cases {
            let e = negotiate(&policy(), &o).expect_err("must fail");
            assert_eq!(
                (e.code, e.subcode),
                (code::OPEN_MESSAGE, sub),
                "{}",
                e.reason
            );
        }
    }

    #[test]
    fn hold_zero_disables_keepalives_and_add_path_needs_both_sides() {
        let o = PeerOpen {
            hold_time: 0,
            add_path_send: vec![Family::L2VPN_EVPN],
            ..peer()
        };
        let n = negotiate(&policy(), &o).expect("negotiates");
        assert_eq!((n.hold_time, n.keepalive), (0, 0));
        assert!(n.add_path_rx.is_empty());
        let p = LocalPolicy {
            add_path_receive: vec![Family::L2VPN_EVPN],
            ..policy()
        };
        assert_eq!(
            negotiate(&p, &o).expect("ok").add_path_rx,
            vec![Family::L2VPN_EVPN]
        );
    }

    fn gr_of(o: &evpnd_wire::open::Open) -> evpnd_wire::capability::GracefulRestart {
        o.capabilities()
            .find_map(|c| match c {
                evpnd_wire::capability::Capability::GracefulRestart(g) => Some(g.clone()),
                _ => None,
            })
            .expect("graceful restart capability")
    }

    #[test]
    fn open_lists_families_with_f_and_sets_r_only_while_restarting() {
        let p = LocalPolicy {
            families: vec![Family::L2VPN_EVPN, Family::IPV4_UNICAST],
            ..policy()
        };
        let g = gr_of(&p.open(120));
        assert!(!g.restarting && g.notification);
        assert_eq!(g.restart_time, 120);
        let fams: Vec<(Family, bool)> = g
            .families
            .iter()
            .map(|f| (f.family, f.forwarding))
            .collect();
        assert_eq!(
            fams,
            vec![(Family::L2VPN_EVPN, true), (Family::IPV4_UNICAST, true)]
        );
        let r = LocalPolicy {
            restarting: true,
            ..p.clone()
        };
        let bytes = evpnd_wire::message::Message::Open(r.open(120))
            .to_bytes(&evpnd_wire::Context::default());
        let back =
            match evpnd_wire::message::decode_message(&bytes, &evpnd_wire::Context::default()) {
                Ok(evpnd_wire::message::Message::Open(o)) => o,
                other => panic!("not an OPEN: {other:?}"),
            };
        let g = PeerOpen::from_wire(&back)
            .graceful_restart
            .expect("capability survives the wire");
        assert!(g.restarting && g.notification);
        assert_eq!(
            g.families,
            vec![(Family::L2VPN_EVPN, true), (Family::IPV4_UNICAST, true)]
        );
        let lost = LocalPolicy {
            restarting: true,
            forwarding_preserved: false,
            ..p
        };
        let g = gr_of(&lost.open(120));
        assert!(g.restarting && g.families.iter().all(|f| !f.forwarding && f.flags == 0));
    }

    #[test]
    fn external_and_internal_check_the_open_as() {
        let ext = LocalPolicy {
            remote_asn: RemoteAs::External,
            ..policy()
        };
        let other = PeerOpen {
            my_as: 65002,
            as4: Some(65002),
            ..peer()
        };
        let n = negotiate(&ext, &other).expect("any other AS is external");
        assert_eq!(n.peer_asn, 65002);
        assert!(!n.ibgp);
        let e = negotiate(&ext, &peer()).expect_err("our own AS is not external");
        assert_eq!(
            (e.code, e.subcode),
            (code::OPEN_MESSAGE, subcode::BAD_PEER_AS)
        );
        assert!(e.reason.contains("external"), "{}", e.reason);

        let int = LocalPolicy {
            remote_asn: RemoteAs::Internal,
            ..policy()
        };
        let n = negotiate(&int, &peer()).expect("our AS is internal");
        assert!(n.ibgp);
        assert_eq!(n.peer_asn, 65001);
        let e = negotiate(&int, &other).expect_err("another AS is not internal");
        assert_eq!(e.subcode, subcode::BAD_PEER_AS);
        assert!(e.reason.contains("internal"), "{}", e.reason);
    }

    fn decode_open(o: evpnd_wire::open::Open) -> PeerOpen {
        let bytes = evpnd_wire::message::Message::Open(o).to_bytes(&evpnd_wire::Context::default());
        match evpnd_wire::message::decode_message(&bytes, &evpnd_wire::Context::default()) {
            Ok(evpnd_wire::message::Message::Open(o)) => PeerOpen::from_wire(&o),
            other => panic!("not an OPEN: {other:?}"),
        }
    }

    #[test]
    fn extended_next_hop_only_when_both_sides_send_it() {
        let families = vec![Family::IPV4_UNICAST, Family::L2VPN_EVPN];
        let ours = LocalPolicy {
            families: families.clone(),
            extended_next_hop: vec![Family::IPV4_UNICAST],
            ..policy()
        };
        let plain = LocalPolicy {
            families: families.clone(),
            ..policy()
        };
        let plain_peer = LocalPolicy {
            router_id: Ipv4Addr::new(10, 0, 0, 2),
            ..plain.clone()
        };
        let theirs = LocalPolicy {
            router_id: Ipv4Addr::new(10, 0, 0, 2),
            ..ours.clone()
        };
        // Our OPEN carries capability 5 with (IPv4, unicast, IPv6), and it
        // survives the wire.
        let sent = decode_open(ours.open(120));
        assert_eq!(sent.extended_next_hop, vec![Family::IPV4_UNICAST]);
        assert!(decode_open(plain.open(120)).extended_next_hop.is_empty());

        let both = negotiate(&ours, &decode_open(theirs.open(120))).expect("negotiates");
        assert_eq!(both.extended_next_hop, vec![Family::IPV4_UNICAST]);
        // Only the peer sent it, or only we did: no IPv6 next hops.
        let only_peer = negotiate(&plain, &decode_open(theirs.open(120))).expect("negotiates");
        assert!(only_peer.extended_next_hop.is_empty());
        let only_us = negotiate(&ours, &decode_open(plain_peer.open(120))).expect("negotiates");
        assert!(only_us.extended_next_hop.is_empty());
        // A family the session did not negotiate is never extended.
        let evpn_only = PeerOpen {
            families: vec![Family::L2VPN_EVPN],
            extended_next_hop: vec![Family::IPV4_UNICAST],
            ..peer()
        };
        assert!(
            negotiate(&ours, &evpn_only)
                .expect("negotiates")
                .extended_next_hop
                .is_empty()
        );
    }

    #[test]
    fn extended_next_hop_with_an_ipv4_next_hop_afi_is_not_ipv6() {
        use evpnd_wire::capability::{Capability, ExtNextHop};
        let o = evpnd_wire::open::Open::new(
            65002,
            90,
            Ipv4Addr::new(10, 0, 0, 2),
            vec![
                Capability::multiprotocol(Family::IPV4_UNICAST),
                Capability::ExtendedNextHop {
                    tuples: vec![ExtNextHop {
                        afi: evpnd_wire::Afi::IPV4,
                        safi: 1,
                        next_hop_afi: evpnd_wire::Afi::IPV4,
                    }],
                },
            ],
        );
        assert!(decode_open(o).extended_next_hop.is_empty());
    }
}
