//! The `fabric.toml` keys. Every table rejects unknown keys (the error names
//! the key and lists the allowed ones); every default is what an operator
//! coming from FRR or GoBGP would expect. `docs/configuration.md` documents
//! each key; keep the two in step.
//!
//! Fields the daemon reads a position from are `Spanned`; everything else is a
//! plain type and validation finds its position by key path
//! ([`crate::spans`]). `Spanned` compares by value only, so moving a block in
//! the file is not a change.

mod bgp;
mod bmp;
mod evpn;
mod policy;
mod service;
mod vrf;

pub use bgp::{Bgp, GracefulRestart, MaxPrefix, Neighbor, OnShutdown};
pub use bmp::{
    BMP_DEFAULT_QUEUE_BYTES, BMP_DEFAULT_STATS_INTERVAL, BMP_MAX_QUEUE_BYTES, BMP_MIN_QUEUE_BYTES,
    Bmp, BmpRib, split_host_port,
};
pub use evpn::{
    AutoRt, DEFAULT_NETLINK_BUFFER, DuplicateDetection, EthernetTag, Evpn, Freeze,
    NETLINK_BUFFER_RANGE, RouteTargets, StaticMac, VniConfig,
};
pub use policy::{
    Community, Disposition, ExtCommunityText, LargeCommunityText, Match, Policy, PrefixMatch,
    RtPattern, Set, Term, TermAction,
};
pub use service::{Api, Log, LogFormat, Metrics, SocketMode};
pub use vrf::{
    DEFAULT_RULE_PRIORITY, RESERVED_TABLES, ROUTE_PROTOCOL_NAMES, RouteProtocolName, TABLE_MAIN,
    VrfConfig, VrfTable,
};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A whole `fabric.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[bgp]`: the local speaker. Required.
    pub bgp: Bgp,
    /// `[[neighbor]]`: one table per peer. Only configured peers may connect.
    #[serde(default)]
    pub neighbor: Vec<Neighbor>,
    /// `[evpn]` and `[[evpn.vni]]`.
    #[serde(default)]
    pub evpn: Evpn,
    /// `[api]`: the gRPC management API.
    #[serde(default)]
    pub api: Api,
    /// `[metrics]`: Prometheus endpoint, off unless configured.
    #[serde(default)]
    pub metrics: Metrics,
    /// `[log]`.
    #[serde(default)]
    pub log: Log,
    /// `[[bmp]]`: BMP collectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bmp: Vec<Bmp>,
    /// `[[policy]]`: named route policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<Policy>,
}

/// `"auto"` or an explicit value (route distinguishers, route targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoOr<T> {
    Auto,
    Value(T),
}

impl<T> AutoOr<T> {
    pub fn is_auto(&self) -> bool {
        matches!(self, AutoOr::Auto)
    }
}

impl<T: fmt::Display> fmt::Display for AutoOr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutoOr::Auto => f.write_str("auto"),
            AutoOr::Value(v) => v.fmt(f),
        }
    }
}

impl<T: FromStr> FromStr for AutoOr<T> {
    type Err = T::Err;
    fn from_str(s: &str) -> Result<Self, T::Err> {
        if s == "auto" {
            Ok(AutoOr::Auto)
        } else {
            s.parse().map(AutoOr::Value)
        }
    }
}

impl<'de, T: FromStr> Deserialize<'de> for AutoOr<T>
where
    T::Err: fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text::one(d)
    }
}

/// Written back as the same text (`"auto"` or the value), so a serialized
/// configuration parses again.
impl<T: fmt::Display> Serialize for AutoOr<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Values written as strings and read with `FromStr`, parsed *inside* the
/// deserializer call so that toml attaches the span of the string itself (not
/// of the enclosing array or table) to the error.
pub(crate) mod text {
    use std::fmt;
    use std::marker::PhantomData;
    use std::str::FromStr;

    use serde::Deserializer;
    use serde::de::{Error, Visitor};

    struct V<T>(PhantomData<T>);

    impl<T: FromStr> Visitor<'_> for V<T>
    where
        T::Err: fmt::Display,
    {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<T, E> {
            s.parse().map_err(E::custom)
        }
    }

    /// One value.
    pub fn one<'de, T: FromStr, D: Deserializer<'de>>(d: D) -> Result<T, D::Error>
    where
        T::Err: fmt::Display,
    {
        d.deserialize_str(V(PhantomData))
    }

    /// An optional value (the key may be absent: pair with `#[serde(default)]`).
    pub fn opt<'de, T: FromStr, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error>
    where
        T::Err: fmt::Display,
    {
        one(d).map(Some)
    }

    /// A list; each element's error points at that element.
    pub fn list<'de, T: FromStr, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error>
    where
        T::Err: fmt::Display,
    {
        struct Item<T>(T);
        impl<'de, T: FromStr> serde::Deserialize<'de> for Item<T>
        where
            T::Err: fmt::Display,
        {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                one(d).map(Item)
            }
        }
        Ok(<Vec<Item<T>> as serde::Deserialize>::deserialize(d)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }

    /// Written as their `Display` text.
    pub fn ser_list<T: fmt::Display, S: serde::Serializer>(
        v: &[T],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.to_string()))
    }
}

pub(crate) fn yes() -> bool {
    true
}
