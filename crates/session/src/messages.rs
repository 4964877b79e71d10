//! What a session and the core say to each other, as plain data: no socket,
//! no channel, no clock. Everything derives serde so a run can be recorded
//! as JSON lines and replayed against the core (`crates/core/tests/`).
//!
//! A decoded UPDATE is recorded as the hex of its re-encoding plus the
//! RFC 7606 issues found when it was decoded (the malformed attributes
//! themselves were left out by the decoder, so the issues cannot be
//! re-derived from the bytes).

use std::time::Duration;

use evpnd_wire::update::Update;
use evpnd_wire::{Family, NotifyError};
use serde::{Deserialize, Serialize};

use crate::fsm::State;
use crate::negotiate::Negotiated;

/// Index of a configured neighbour (stable across reloads).
pub type PeerIndex = u32;

/// What a session reports to the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PeerEvent {
    Up {
        peer: PeerIndex,
        negotiated: Negotiated,
        /// The connection and both OPENs (BMP Peer Up needs them); absent
        /// in recordings made without them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transport: Option<Box<Transport>>,
    },
    Down {
        peer: PeerIndex,
        reason: String,
        /// The peer keeps forwarding: graceful restart helper mode applies.
        keep_routes: bool,
        /// The NOTIFICATION that ended the session, sent or received.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notification: Option<Notified>,
    },
    Update {
        peer: PeerIndex,
        #[serde(with = "recorded_update")]
        update: Update,
    },
    /// ROUTE-REFRESH (RFC 2918, RFC 7313 subtype: 0 request, 1 BoRR, 2 EoRR).
    RouteRefresh {
        peer: PeerIndex,
        family: Family,
        subtype: u8,
    },
    /// The session wrote everything the core queued: it may send more.
    Drained { peer: PeerIndex },
    /// The FSM moved to another state (reported for the management API).
    State { peer: PeerIndex, state: State },
}

impl PeerEvent {
    /// The peer this event is about.
    pub fn peer(&self) -> PeerIndex {
        match self {
            PeerEvent::Up { peer, .. }
            | PeerEvent::Down { peer, .. }
            | PeerEvent::Update { peer, .. }
            | PeerEvent::RouteRefresh { peer, .. }
            | PeerEvent::Drained { peer }
            | PeerEvent::State { peer, .. } => *peer,
        }
    }
}

/// The TCP connection of an established session and the OPEN messages
/// exchanged on it, whole BGP messages (header included) as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transport {
    pub local: std::net::SocketAddr,
    pub remote: std::net::SocketAddr,
    #[serde(with = "hex_bytes")]
    pub sent_open: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub received_open: Vec<u8>,
}

/// A NOTIFICATION exchanged with the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    pub notify: NotifyError,
    /// We sent it (else the peer did).
    pub sent: bool,
}

/// What the core tells a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum PeerCommand {
    /// UPDATEs to write; the session answers [`PeerEvent::Drained`] once written.
    Send {
        #[serde(with = "recorded_updates")]
        updates: Vec<Update>,
    },
    Start,
    Stop,
    /// Stop so that the peer keeps our routes (planned restart, ADR 0011).
    GracefulStop,
    /// Ask the peer to re-send its routes of this family (RFC 2918); only
    /// written while Established.
    RouteRefresh {
        family: Family,
    },
    /// Close with this NOTIFICATION (e.g. max-prefix); start again after
    /// `restart_after` if set.
    Shutdown {
        notify: NotifyError,
        #[serde(default, with = "opt_millis")]
        restart_after: Option<Duration>,
    },
}

/// An UPDATE as recorded: its encoding (4-octet AS, extended length, ADD-PATH
/// for L2VPN/EVPN when any of its EVPN routes has a path id) and its issues.
#[derive(Serialize, Deserialize)]
struct Recorded {
    hex: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    issues: Vec<evpnd_wire::error::UpdateIssue>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    add_path: bool,
}

fn recording_context(add_path: bool) -> evpnd_wire::Context {
    evpnd_wire::Context {
        four_octet_as: true,
        add_path: if add_path {
            vec![Family::L2VPN_EVPN]
        } else {
            Vec::new()
        },
        extended_message: true,
        ibgp: true,
    }
}

fn record(u: &Update) -> Recorded {
    let add_path = u.evpn_routes().any(|(r, _)| r.path_id.is_some());
    let mut body = bytes::BytesMut::new();
    u.encode_body(&recording_context(add_path), &mut body);
    Recorded {
        hex: body.iter().map(|b| format!("{b:02x}")).collect(),
        issues: u.issues.clone(),
        add_path,
    }
}

fn replay(r: Recorded) -> Result<Update, String> {
    let body = unhex(&r.hex).ok_or_else(|| format!("update hex is not hex: {:?}", r.hex))?;
    let mut u = evpnd_wire::update::decode_update(&body, &recording_context(r.add_path))
        .map_err(|e| format!("recorded update does not decode: {e}"))?;
    u.issues = r.issues;
    Ok(u)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

mod recorded_update {
    use super::*;

    pub fn serialize<S: serde::Serializer>(u: &Update, s: S) -> Result<S::Ok, S::Error> {
        record(u).serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Update, D::Error> {
        replay(Recorded::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod recorded_updates {
    use super::*;

    pub fn serialize<S: serde::Serializer>(us: &[Update], s: S) -> Result<S::Ok, S::Error> {
        us.iter().map(record).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Update>, D::Error> {
        Vec::<Recorded>::deserialize(d)?
            .into_iter()
            .map(|r| replay(r).map_err(serde::de::Error::custom))
            .collect()
    }
}

mod hex_bytes {
    use super::*;

    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        unhex(&s).ok_or_else(|| serde::de::Error::custom(format!("not hex: {s:?}")))
    }
}

mod opt_millis {
    use super::*;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.as_millis() as u64).serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, Imet};

    fn imet_update(path_id: Option<u32>) -> Update {
        let route = EvpnRoute::Imet(Imet {
            rd: "10.0.0.2:100".parse().expect("rd"),
            ethernet_tag: 0,
            originator: "10.0.0.2".parse().expect("ip"),
        });
        Update::evpn_reach(
            "10.0.0.2".parse().expect("ip"),
            vec![EvpnNlri { path_id, route }],
            Vec::new(),
        )
    }

    #[test]
    fn events_and_commands_round_trip_through_json() {
        for update in [imet_update(None), imet_update(Some(7))] {
            let ev = PeerEvent::Update { peer: 3, update };
            let line = serde_json::to_string(&ev).expect("json");
            assert!(line.contains("\"hex\""), "{line}");
            let back: PeerEvent = serde_json::from_str(&line).expect("parse");
            assert_eq!(back, ev);
        }
        let cmd = PeerCommand::Shutdown {
            notify: NotifyError::new(6, 1, vec![0, 25, 70], "max-prefix"),
            restart_after: Some(Duration::from_secs(30)),
        };
        let back: PeerCommand =
            serde_json::from_str(&serde_json::to_string(&cmd).expect("json")).expect("parse");
        assert_eq!(back, cmd);
    }

    #[test]
    fn peer_up_carries_the_opens_as_hex() {
        let ev = PeerEvent::Up {
            peer: 1,
            negotiated: crate::negotiate::Negotiated {
                peer_asn: 65001,
                peer_router_id: "10.0.0.2".parse().expect("ip"),
                hold_time: 90,
                keepalive: 30,
                four_octet_as: true,
                families: vec![Family::L2VPN_EVPN],
                route_refresh: true,
                enhanced_route_refresh: false,
                extended_message: false,
                add_path_rx: vec![],
                extended_next_hop: vec![],
                graceful_restart: None,
                ibgp: false,
            },
            transport: Some(Box::new(Transport {
                local: "10.0.0.1:179".parse().expect("addr"),
                remote: "10.0.0.2:40000".parse().expect("addr"),
                sent_open: vec![0xff, 0x01],
                received_open: vec![0xab],
            })),
        };
        let line = serde_json::to_string(&ev).expect("json");
        assert!(line.contains("\"sent_open\":\"ff01\""), "{line}");
        let back: PeerEvent = serde_json::from_str(&line).expect("parse");
        assert_eq!(back, ev);
    }

    #[test]
    fn a_recorded_update_keeps_its_rfc7606_issues() {
        let mut u = imet_update(None);
        u.issues.push(evpnd_wire::error::UpdateIssue {
            attr_type: Some(1),
            action: evpnd_wire::Action::TreatAsWithdraw,
            reason: "test".into(),
            route_only: false,
            nlri: None,
            withdraw: None,
        });
        let ev = PeerEvent::Update { peer: 0, update: u };
        let back: PeerEvent =
            serde_json::from_str(&serde_json::to_string(&ev).expect("json")).expect("parse");
        assert_eq!(back, ev);
    }
}
