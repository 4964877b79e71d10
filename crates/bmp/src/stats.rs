//! Statistics Report (RFC 7854 §4.8; types 14-17 from RFC 8671).
//!
//! ```text
//! Common Header (type 1), Per-Peer Header, then:
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Stats Count                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! and Stats Count times:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Stat Type             |          Stat Len             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Stat Data                              |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! Counters (32 bits): 0-6, 11-13. Gauges (64 bits): 7, 8, 14, 15.
//! Per-AFI/SAFI gauges: AFI (2), SAFI (1), gauge (8): 9, 10, 16, 17.
//! ```

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{PeerHeader, Reader, begin, finish, msg_type};

/// Stat types (RFC 7854 §4.8, RFC 8671 §5).
pub mod stat_type {
    /// Prefixes rejected by inbound policy (counter).
    pub const REJECTED_PREFIXES: u16 = 0;
    /// Known duplicate prefix advertisements (counter).
    pub const DUPLICATE_PREFIXES: u16 = 1;
    /// Known duplicate withdraws (counter).
    pub const DUPLICATE_WITHDRAWS: u16 = 2;
    /// Updates invalidated by a CLUSTER_LIST loop (counter).
    pub const CLUSTER_LIST_LOOP: u16 = 3;
    /// Updates invalidated by an AS_PATH loop (counter).
    pub const AS_PATH_LOOP: u16 = 4;
    /// Updates invalidated by ORIGINATOR_ID (counter).
    pub const ORIGINATOR_ID_LOOP: u16 = 5;
    /// Updates invalidated by an AS_CONFED loop (counter).
    pub const AS_CONFED_LOOP: u16 = 6;
    /// Routes in the Adj-RIB-In (gauge).
    pub const ADJ_RIB_IN_ROUTES: u16 = 7;
    /// Routes in the Loc-RIB (gauge).
    pub const LOC_RIB_ROUTES: u16 = 8;
    /// Routes in the per-AFI/SAFI Adj-RIB-In (AFI/SAFI gauge).
    pub const ADJ_RIB_IN_ROUTES_AFI_SAFI: u16 = 9;
    /// Routes in the per-AFI/SAFI Loc-RIB (AFI/SAFI gauge).
    pub const LOC_RIB_ROUTES_AFI_SAFI: u16 = 10;
    /// Updates treated as withdraw (RFC 7606) (counter).
    pub const UPDATES_AS_WITHDRAW: u16 = 11;
    /// Prefixes treated as withdraw (RFC 7606) (counter).
    pub const PREFIXES_AS_WITHDRAW: u16 = 12;
    /// Duplicate update messages received (counter).
    pub const DUPLICATE_UPDATES: u16 = 13;
    /// Routes in the pre-policy Adj-RIB-Out (gauge, RFC 8671).
    pub const ADJ_RIB_OUT_PRE_ROUTES: u16 = 14;
    /// Routes in the post-policy Adj-RIB-Out (gauge, RFC 8671).
    pub const ADJ_RIB_OUT_POST_ROUTES: u16 = 15;
    /// Per-AFI/SAFI pre-policy Adj-RIB-Out (AFI/SAFI gauge, RFC 8671).
    pub const ADJ_RIB_OUT_PRE_AFI_SAFI: u16 = 16;
    /// Per-AFI/SAFI post-policy Adj-RIB-Out (AFI/SAFI gauge, RFC 8671).
    pub const ADJ_RIB_OUT_POST_AFI_SAFI: u16 = 17;
}

/// The value layout a stat type has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Counter,
    Gauge,
    AfiSafiGauge,
    Unknown,
}

fn shape(kind: u16) -> Shape {
    match kind {
        0..=6 | 11..=13 => Shape::Counter,
        7 | 8 | 14 | 15 => Shape::Gauge,
        9 | 10 | 16 | 17 => Shape::AfiSafiGauge,
        _ => Shape::Unknown,
    }
}

/// A stat's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StatValue {
    /// 32-bit non-negative counter.
    Counter(u32),
    /// 64-bit gauge.
    Gauge(u64),
    /// A gauge for one address family.
    AfiSafiGauge { afi: u16, safi: u8, value: u64 },
    /// A type this crate does not know, or a known one of the wrong length.
    Raw(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stat {
    pub kind: u16,
    pub value: StatValue,
}

impl Stat {
    pub fn counter(kind: u16, v: u32) -> Stat {
        Stat {
            kind,
            value: StatValue::Counter(v),
        }
    }
    pub fn gauge(kind: u16, v: u64) -> Stat {
        Stat {
            kind,
            value: StatValue::Gauge(v),
        }
    }
    pub fn afi_safi(kind: u16, family: evpnd_wire::Family, v: u64) -> Stat {
        Stat {
            kind,
            value: StatValue::AfiSafiGauge {
                afi: family.afi.0,
                safi: family.safi.0,
                value: v,
            },
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.kind);
        match &self.value {
            StatValue::Counter(v) => {
                out.put_u16(4);
                out.put_u32(*v);
            }
            StatValue::Gauge(v) => {
                out.put_u16(8);
                out.put_u64(*v);
            }
            StatValue::AfiSafiGauge { afi, safi, value } => {
                out.put_u16(11);
                out.put_u16(*afi);
                out.put_u8(*safi);
                out.put_u64(*value);
            }
            StatValue::Raw(data) => {
                let len = data.len().min(usize::from(u16::MAX));
                out.put_u16(len as u16);
                out.put_slice(&data[..len]);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Stat, DecodeError> {
        let kind = r.u16()?;
        let len = usize::from(r.u16()?);
        let data = r.take(len)?;
        let mut d = Reader::new(data, "stat");
        let value = match (shape(kind), len) {
            (Shape::Counter, 4) => StatValue::Counter(d.u32()?),
            (Shape::Gauge, 8) => StatValue::Gauge(d.u64()?),
            (Shape::AfiSafiGauge, 11) => StatValue::AfiSafiGauge {
                afi: d.u16()?,
                safi: d.u8()?,
                value: d.u64()?,
            },
            _ => StatValue::Raw(data.to_vec()),
        };
        Ok(Stat { kind, value })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatisticsReport {
    pub peer: PeerHeader,
    pub stats: Vec<Stat>,
}

impl StatisticsReport {
    pub fn encode(&self, out: &mut BytesMut) {
        encode(out, &self.peer, &self.stats);
    }

    pub fn decode_body(body: &[u8]) -> Result<StatisticsReport, DecodeError> {
        let mut r = Reader::new(body, "statistics report");
        let peer = PeerHeader::decode(&mut r)?;
        let count = r.u32()?;
        // Each stat is at least 4 octets: a count beyond that is a lie.
        if count as usize > r.remaining() / 4 {
            return Err(DecodeError::Malformed(format!(
                "stats count {count} does not fit in {} octets",
                r.remaining()
            )));
        }
        let stats = (0..count)
            .map(|_| Stat::decode(&mut r))
            .collect::<Result<Vec<_>, _>>()?;
        if r.remaining() != 0 {
            return Err(DecodeError::Malformed(format!(
                "statistics report: {} octets after the last stat",
                r.remaining()
            )));
        }
        Ok(StatisticsReport { peer, stats })
    }
}

/// Appends a Statistics Report for `peer`.
pub fn encode(out: &mut BytesMut, peer: &PeerHeader, stats: &[Stat]) {
    let s = begin(out, msg_type::STATISTICS_REPORT);
    peer.encode(out);
    out.put_u32(u32::try_from(stats.len()).unwrap_or(u32::MAX));
    for st in stats {
        st.encode(out);
    }
    finish(out, s);
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::header::{PEER_HEADER_LEN, Timestamp};

    #[test]
    fn stats_by_hand() {
        let peer = PeerHeader::global(
            "10.0.0.2".parse().unwrap(),
            65002,
            Ipv4Addr::new(10, 0, 0, 2),
            0,
            Timestamp::ZERO,
        );
        let rep = StatisticsReport {
            peer,
            stats: vec![
                Stat::counter(stat_type::REJECTED_PREFIXES, 3),
                Stat::gauge(stat_type::ADJ_RIB_IN_ROUTES, 0x1_0000_0001),
                Stat::gauge(stat_type::LOC_RIB_ROUTES, 9),
                Stat::afi_safi(
                    stat_type::ADJ_RIB_IN_ROUTES_AFI_SAFI,
                    evpnd_wire::Family::L2VPN_EVPN,
                    5,
                ),
                Stat {
                    kind: 999,
                    value: StatValue::Raw(vec![1, 2]),
                },
            ],
        };
        let mut b = BytesMut::new();
        rep.encode(&mut b);
        let mut want = vec![0, 0, 0, 5];
        want.extend([0, 0, 0, 4, 0, 0, 0, 3]);
        want.extend([0, 7, 0, 8, 0, 0, 0, 1, 0, 0, 0, 1]);
        want.extend([0, 8, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9]);
        want.extend([0, 9, 0, 11, 0, 25, 70, 0, 0, 0, 0, 0, 0, 0, 5]);
        want.extend([3, 0xe7, 0, 2, 1, 2]);
        assert_eq!(&b[6 + PEER_HEADER_LEN..], &want[..]);
        assert_eq!(StatisticsReport::decode_body(&b[6..]).unwrap(), rep);
    }

    #[test]
    fn a_counter_of_the_wrong_length_is_kept_raw() {
        let peer = PeerHeader::loc_rib(1, Ipv4Addr::new(1, 1, 1, 1), Timestamp::ZERO);
        let mut b = BytesMut::new();
        encode(
            &mut b,
            &peer,
            &[Stat {
                kind: stat_type::REJECTED_PREFIXES,
                value: StatValue::Raw(vec![0, 0, 0, 0, 0, 0, 0, 1]),
            }],
        );
        let back = StatisticsReport::decode_body(&b[6..]).unwrap();
        assert!(matches!(back.stats[0].value, StatValue::Raw(_)));
        // A count that cannot fit is refused before allocating.
        let mut b = BytesMut::new();
        encode(&mut b, &peer, &[]);
        let at = 6 + PEER_HEADER_LEN;
        b[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(StatisticsReport::decode_body(&b[6..]).is_err());
    }
}
