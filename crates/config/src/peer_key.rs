//! What names a neighbour: its address, or for BGP unnumbered its
//! interface (`[[neighbor]] interface = "swp1"`), whose peer address is
//! discovered and may change. Logs, reload reports, the API and `evpnctl`
//! show a neighbour by this key; the API's per-peer calls take either form.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::model::Neighbor;

/// A neighbour's identity in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerKey {
    /// `address = "10.0.0.2"`; IPv4-mapped IPv6 addresses are kept as written.
    Address(IpAddr),
    /// `interface = "swp1"`: the peer is whoever is on the other end.
    Interface(String),
}

impl PeerKey {
    pub fn address(&self) -> Option<IpAddr> {
        match self {
            PeerKey::Address(a) => Some(*a),
            PeerKey::Interface(_) => None,
        }
    }

    pub fn interface(&self) -> Option<&str> {
        match self {
            PeerKey::Interface(i) => Some(i),
            PeerKey::Address(_) => None,
        }
    }
}

impl Neighbor {
    /// The neighbour's identity: its interface when it has one, else its
    /// address. (Validation guarantees exactly one of the two; a neighbour
    /// built in code with neither is keyed by the unspecified address.)
    pub fn key(&self) -> PeerKey {
        match (&self.interface, &self.address) {
            (Some(i), _) => PeerKey::Interface(i.get_ref().clone()),
            (None, Some(a)) => PeerKey::Address(*a.get_ref()),
            (None, None) => PeerKey::Address(IpAddr::from([0u8; 16])),
        }
    }

    /// The configured address (none for an interface neighbour).
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.as_ref().map(|a| *a.get_ref())
    }

    /// The unnumbered interface, if this is an interface neighbour.
    pub fn ifname(&self) -> Option<&str> {
        self.interface.as_ref().map(|i| i.get_ref().as_str())
    }
}

impl fmt::Display for PeerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerKey::Address(a) => write!(f, "{a}"),
            PeerKey::Interface(i) => f.write_str(i),
        }
    }
}

/// An address if it parses as one, else an interface name (not checked:
/// the lookup of a configured neighbour decides whether it exists).
impl FromStr for PeerKey {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.parse::<IpAddr>() {
            Ok(a) => PeerKey::Address(a),
            Err(_) => PeerKey::Interface(s.to_string()),
        })
    }
}

impl From<IpAddr> for PeerKey {
    fn from(a: IpAddr) -> Self {
        PeerKey::Address(a)
    }
}

impl PartialEq<IpAddr> for PeerKey {
    fn eq(&self, other: &IpAddr) -> bool {
        *self == PeerKey::Address(*other)
    }
}

impl Serialize for PeerKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_address_or_a_name_and_prints_it_back() {
        for text in ["10.0.0.2", "fd00::2", "swp1", "eth0.100"] {
            let k: PeerKey = text.parse().unwrap_or_else(|e| match e {});
            assert_eq!(k.to_string(), text);
        }
        let a: PeerKey = "10.0.0.2".parse().unwrap_or_else(|e| match e {});
        assert_eq!(a.address(), Some(IpAddr::from([10, 0, 0, 2])));
        let i: PeerKey = "swp1".parse().unwrap_or_else(|e| match e {});
        assert_eq!(i.interface(), Some("swp1"));
        assert_eq!(i.address(), None);
    }
}
