//! `remote_asn`: which AS a peer must have — one number, or FRR's
//! `remote-as external` / `remote-as internal` (any AS but ours, or ours),
//! the usual form for unnumbered fabric links where the peer's AS is
//! whatever its OPEN says.
//!
//! Written in `fabric.toml` (and in recorded session policies) as a number
//! or the string `"external"` / `"internal"`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The AS a peer's OPEN must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoteAs {
    /// Exactly this AS; iBGP when it is ours.
    Asn(u32),
    /// Any AS but ours: always eBGP.
    External,
    /// Our own AS: always iBGP.
    Internal,
}

/// The words accepted for [`RemoteAs::External`] and [`RemoteAs::Internal`].
pub const EXTERNAL: &str = "external";
pub const INTERNAL: &str = "internal";

impl RemoteAs {
    /// Whether a peer of this kind is iBGP to a speaker in `local_asn`
    /// (known before the OPEN: external is never, internal always).
    pub fn is_ibgp(self, local_asn: u32) -> bool {
        match self {
            RemoteAs::Asn(a) => a == local_asn,
            RemoteAs::External => false,
            RemoteAs::Internal => true,
        }
    }

    /// Whether a peer whose OPEN says `peer_asn` is acceptable.
    pub fn accepts(self, peer_asn: u32, local_asn: u32) -> bool {
        match self {
            RemoteAs::Asn(a) => a == peer_asn,
            RemoteAs::External => peer_asn != local_asn,
            RemoteAs::Internal => peer_asn == local_asn,
        }
    }

    /// The configured number, if one was configured.
    pub fn number(self) -> Option<u32> {
        match self {
            RemoteAs::Asn(a) => Some(a),
            RemoteAs::External | RemoteAs::Internal => None,
        }
    }
}

impl From<u32> for RemoteAs {
    fn from(a: u32) -> Self {
        RemoteAs::Asn(a)
    }
}

impl fmt::Display for RemoteAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteAs::Asn(a) => write!(f, "{a}"),
            RemoteAs::External => f.write_str(EXTERNAL),
            RemoteAs::Internal => f.write_str(INTERNAL),
        }
    }
}

impl Serialize for RemoteAs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RemoteAs::Asn(a) => s.serialize_u32(*a),
            RemoteAs::External => s.serialize_str(EXTERNAL),
            RemoteAs::Internal => s.serialize_str(INTERNAL),
        }
    }
}

struct RemoteAsVisitor;

impl Visitor<'_> for RemoteAsVisitor {
    type Value = RemoteAs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an AS number (1 to 4294967295) or \"{EXTERNAL}\" / \"{INTERNAL}\""
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RemoteAs, E> {
        u32::try_from(v).map(RemoteAs::Asn).map_err(|_| {
            E::custom(format!(
                "remote_asn {v} does not fit 4 octets (at most 4294967295)"
            ))
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RemoteAs, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(format!("remote_asn {v} is negative")))
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RemoteAs, E> {
        match v {
            EXTERNAL => Ok(RemoteAs::External),
            INTERNAL => Ok(RemoteAs::Internal),
            _ => Err(E::custom(format!(
                "remote_asn {v:?} is neither an AS number nor \"{EXTERNAL}\" / \"{INTERNAL}\""
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for RemoteAs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RemoteAs, D::Error> {
        d.deserialize_any(RemoteAsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_and_internal_against_the_open() {
        let ours = 65000;
        assert!(RemoteAs::External.accepts(65001, ours));
        assert!(!RemoteAs::External.accepts(ours, ours));
        assert!(RemoteAs::Internal.accepts(ours, ours));
        assert!(!RemoteAs::Internal.accepts(65001, ours));
        assert!(RemoteAs::Asn(65001).accepts(65001, ours));
        assert!(!RemoteAs::Asn(65001).accepts(65002, ours));
        assert!(!RemoteAs::External.is_ibgp(ours));
        assert!(RemoteAs::Internal.is_ibgp(ours));
        assert!(RemoteAs::Asn(ours).is_ibgp(ours));
    }

    #[test]
    fn number_or_word_in_json() {
        for (text, v) in [
            ("65001", RemoteAs::Asn(65001)),
            ("\"external\"", RemoteAs::External),
            ("\"internal\"", RemoteAs::Internal),
        ] {
            let back: RemoteAs = serde_json::from_str(text).expect("parses");
            assert_eq!(back, v);
            assert_eq!(serde_json::to_string(&v).expect("serializes"), text);
        }
        let e = serde_json::from_str::<RemoteAs>("\"externel\"").expect_err("refused");
        assert!(e.to_string().contains("neither an AS number"), "{e}");
        assert!(serde_json::from_str::<RemoteAs>("4294967296").is_err());
        assert!(serde_json::from_str::<RemoteAs>("-1").is_err());
    }
}
