//! AS_PATH (RFC 4271 §4.3, type 2) and AS4_PATH (RFC 6793, type 17).
//!
//! ```text
//! +----------------+----------------+------------------------------+
//! | segment type   | segment length | ASNs (length × 2 or 4 octets)|  repeated
//! | (1 octet)      | (1 octet, ASNs)|                              |
//! +----------------+----------------+------------------------------+
//! types: 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET
//! ```
//! ASNs are 4 octets when both sides negotiated 4-octet AS (and always in AS4_PATH).

use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::read::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentType {
    Set,
    Sequence,
    ConfedSequence,
    ConfedSet,
}

impl SegmentType {
    fn code(self) -> u8 {
        match self {
            SegmentType::Set => 1,
            SegmentType::Sequence => 2,
            SegmentType::ConfedSequence => 3,
            SegmentType::ConfedSet => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Segment {
    pub kind: SegmentType,
    pub asns: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct AsPath {
    pub segments: Vec<Segment>,
}

impl AsPath {
    /// A path of one AS_SEQUENCE.
    pub fn sequence(asns: Vec<u32>) -> AsPath {
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![Segment {
                kind: SegmentType::Sequence,
                asns,
            }],
        }
    }

    /// Path length for best path: AS_SET counts 1, confederation segments 0 (RFC 4271 §9.1.2.2, RFC 5065).
    pub fn length(&self) -> u32 {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::Sequence => s.asns.len() as u32,
                SegmentType::Set => 1,
                _ => 0,
            })
            .sum()
    }

    /// The neighbouring AS: first ASN of a leading AS_SEQUENCE.
    pub fn first_as(&self) -> Option<u32> {
        self.segments
            .first()
            .filter(|s| s.kind == SegmentType::Sequence)
            .and_then(|s| s.asns.first().copied())
    }

    pub fn contains(&self, asn: u32) -> bool {
        self.segments.iter().any(|s| s.asns.contains(&asn))
    }

    /// Prepends `asn` (eBGP export), starting a new segment if needed or the first is full.
    pub fn prepend(&mut self, asn: u32) {
        match self.segments.first_mut() {
            Some(s) if s.kind == SegmentType::Sequence && s.asns.len() < 255 => {
                s.asns.insert(0, asn)
            }
            _ => self.segments.insert(
                0,
                Segment {
                    kind: SegmentType::Sequence,
                    asns: vec![asn],
                },
            ),
        }
    }

    pub(crate) fn decode(v: &[u8], four_octet: bool) -> Result<AsPath, String> {
        let mut r = Reader::new(v);
        let mut segments = Vec::new();
        while !r.is_empty() {
            let (Some(t), Some(n)) = (r.u8(), r.u8()) else {
                return Err("segment header truncated".into());
            };
            let kind = match t {
                1 => SegmentType::Set,
                2 => SegmentType::Sequence,
                3 => SegmentType::ConfedSequence,
                4 => SegmentType::ConfedSet,
                other => return Err(format!("invalid segment type {other}")),
            };
            if n == 0 {
                return Err("zero-length segment".into());
            }
            let width = if four_octet { 4 } else { 2 };
            let raw = r
                .bytes(usize::from(n) * width)
                .ok_or_else(|| format!("segment of {n} ASNs overruns the attribute"))?;
            let asns: Vec<u32> = if four_octet {
                raw.chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            } else {
                raw.chunks_exact(2)
                    .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
                    .collect()
            };
            if asns.contains(&0) {
                return Err("AS 0 in path (RFC 7607)".into());
            }
            segments.push(Segment { kind, asns });
        }
        Ok(AsPath { segments })
    }

    pub(crate) fn encoded_len(&self, four_octet: bool) -> usize {
        let w = if four_octet { 4 } else { 2 };
        self.segments.iter().map(|s| 2 + s.asns.len() * w).sum()
    }

    /// Encodes; with 2-octet ASNs a 4-octet AS is written as AS_TRANS (RFC 6793 §4.2.2).
    pub(crate) fn encode(&self, four_octet: bool, out: &mut BytesMut) {
        for s in &self.segments {
            out.put_u8(s.kind.code());
            out.put_u8(s.asns.len().min(255) as u8);
            for &a in s.asns.iter().take(255) {
                if four_octet {
                    out.put_u32(a);
                } else {
                    out.put_u16(u16::try_from(a).unwrap_or(23456));
                }
            }
        }
    }
}

impl fmt::Display for AsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.segments {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            let list: Vec<String> = s.asns.iter().map(u32::to_string).collect();
            match s.kind {
                SegmentType::Sequence => write!(f, "{}", list.join(" "))?,
                SegmentType::Set => write!(f, "{{{}}}", list.join(","))?,
                SegmentType::ConfedSequence => write!(f, "({})", list.join(" "))?,
                SegmentType::ConfedSet => write!(f, "[{}]", list.join(","))?,
            }
        }
        Ok(())
    }
}
