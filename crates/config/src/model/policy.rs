//! `[[policy]]`: named route policies with ordered terms, referenced by
//! `[[neighbor]] import_policy / export_policy` and `[[evpn.vni]]
//! import_policy / export_policy`. The value types here parse the text
//! forms an operator writes; `evpnd-policy` evaluates them.

use std::fmt;
use std::str::FromStr;

use evpnd_wire::attr::{ExtCommunity, LargeCommunity, community_str, ext_community::tunnel};
use evpnd_wire::{MacAddr, Rd, RouteTarget};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::text;

/// `[[policy]]`: terms tried in order; the first whose `action` is accept
/// or reject decides. When none does, `default` decides.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Unique; what `import_policy` / `export_policy` refer to.
    pub name: String,
    /// What a route no term decided gets. Default `"reject"` (as an FRR
    /// route-map's implicit deny).
    #[serde(default = "reject")]
    pub default: Disposition,
    /// `[[policy.term]]`, in order.
    #[serde(default)]
    pub term: Vec<Term>,
}

fn reject() -> Disposition {
    Disposition::Reject
}

/// accept or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    Accept,
    Reject,
}

/// What a matching term does after its `set` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TermAction {
    /// Accept the route (stop here). The default.
    #[default]
    Accept,
    /// Reject the route (stop here).
    Reject,
    /// Keep the `set` actions and go on with the next term.
    Next,
}

/// `[[policy.term]]`: conditions (all must hold; within a list any entry
/// may), actions, and what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Unique within the policy; shown by `route explain`.
    pub name: String,
    /// `[policy.term.match]`; absent: every route matches.
    #[serde(default, rename = "match")]
    pub matches: Match,
    /// `[policy.term.set]`: attribute changes of a matching route.
    #[serde(default)]
    pub set: Set,
    /// Default `"accept"`.
    #[serde(default)]
    pub action: TermAction,
}

/// `[policy.term.match]`: every key given must match.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// EVPN route types, 1 to 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub route_type: Vec<u8>,
    /// Any of the route's RTs equals one of these; `"*:N"` matches any
    /// RT whose local administrator is N, whatever the AS.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub route_target: Vec<RtPattern>,
    /// The route's VNI (label of types 2 and 5, PMSI label of type 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vni: Vec<u32>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub rd: Vec<Rd>,
    /// Type-2 MAC address.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub mac: Vec<MacAddr>,
    /// Type-5 prefix, or a type-2 IP as a host prefix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<PrefixMatch>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub community: Vec<Community>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub large_community: Vec<LargeCommunityText>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub ext_community: Vec<ExtCommunityText>,
    /// The next hop is inside one of these prefixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_hop: Vec<IpNet>,
}

/// `[policy.term.set]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Set {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub add_community: Vec<Community>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub remove_community: Vec<Community>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub add_large_community: Vec<LargeCommunityText>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub remove_large_community: Vec<LargeCommunityText>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub add_ext_community: Vec<ExtCommunityText>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub remove_ext_community: Vec<ExtCommunityText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_pref: Option<u32>,
}

/// `{ prefix = "10.0.0.0/8", ge = 24, le = 32 }`: as an FRR prefix-list
/// entry: without `ge`/`le` the length must equal the prefix's; `ge` alone
/// allows up to the maximum; `le` alone from the prefix's own length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixMatch {
    pub prefix: IpNet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ge: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub le: Option<u8>,
}

/// An RT, or `*:N` (any AS, local administrator N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtPattern {
    Exact(RouteTarget),
    AnyAs(u32),
}

impl FromStr for RtPattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(n) = s.strip_prefix("*:") {
            return n
                .parse()
                .map(RtPattern::AnyAs)
                .map_err(|_| format!("route target {s:?}: {n:?} is not a number"));
        }
        s.parse()
            .map(RtPattern::Exact)
            .map_err(|e| format!("route target {s:?}: {e}"))
    }
}

impl fmt::Display for RtPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtPattern::Exact(rt) => rt.fmt(f),
            RtPattern::AnyAs(n) => write!(f, "*:{n}"),
        }
    }
}

/// A standard community (RFC 1997): `AS:VALUE` or a well-known name
/// (`no-export`, `no-advertise`, `no-export-subconfed`, `graceful-shutdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Community(pub u32);

impl FromStr for Community {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let well_known = match s {
            "no-export" => Some(0xFFFF_FF01),
            "no-advertise" => Some(0xFFFF_FF02),
            "no-export-subconfed" => Some(0xFFFF_FF03),
            "graceful-shutdown" => Some(0xFFFF_0000),
            _ => None,
        };
        if let Some(v) = well_known {
            return Ok(Community(v));
        }
        let bad = || {
            format!(
                "community {s:?} is not AS:VALUE (two numbers up to 65535) or a well-known name"
            )
        };
        let (a, v) = s.split_once(':').ok_or_else(bad)?;
        let a: u16 = a.parse().map_err(|_| bad())?;
        let v: u16 = v.parse().map_err(|_| bad())?;
        Ok(Community((u32::from(a) << 16) | u32::from(v)))
    }
}

impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&community_str(self.0))
    }
}

/// A large community (RFC 8092): `GLOBAL:LOCAL1:LOCAL2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LargeCommunityText(pub LargeCommunity);

impl FromStr for LargeCommunityText {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("large community {s:?} is not GLOBAL:LOCAL1:LOCAL2 (three 32-bit numbers)");
        let mut it = s.split(':').map(|p| p.parse::<u32>().map_err(|_| bad()));
        let (Some(g), Some(l1), Some(l2), None) = (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(bad());
        };
        Ok(LargeCommunityText(LargeCommunity {
            global: g?,
            local1: l1?,
            local2: l2?,
        }))
    }
}

impl fmt::Display for LargeCommunityText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An extended community as `evpnctl` shows it: `rt 65000:100`,
/// `soo 65000:1`, `encap vxlan`, `default-gateway`, `router-mac MAC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtCommunityText(pub ExtCommunity);

const EXT_FORMS: &str =
    "\"rt ASN:NN\", \"soo ASN:NN\", \"encap vxlan\", \"default-gateway\" or \"router-mac MAC\"";

impl FromStr for ExtCommunityText {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: String| format!("extended community {s:?}: {why}");
        let (kind, arg) = match s.trim().split_once(' ') {
            Some((k, a)) => (k, a.trim()),
            None => (s.trim(), ""),
        };
        let c = match (kind, arg) {
            ("rt", v) => ExtCommunity::RouteTarget {
                value: v.parse().map_err(|e| bad(format!("{e}")))?,
            },
            ("soo", v) => ExtCommunity::RouteOrigin {
                value: v.parse().map_err(|e| bad(format!("{e}")))?,
            },
            ("encap", v) => {
                let t = (0u16..64)
                    .find(|t| tunnel::name(*t) == Some(v))
                    .or_else(|| v.parse().ok())
                    .ok_or_else(|| bad(format!("unknown tunnel type {v:?}")))?;
                ExtCommunity::Encapsulation { tunnel_type: t }
            }
            ("default-gateway", "") => ExtCommunity::DefaultGateway,
            ("router-mac", v) => ExtCommunity::RouterMac {
                mac: v.parse().map_err(|e| bad(format!("{e}")))?,
            },
            _ => return Err(bad(format!("expected one of {EXT_FORMS}"))),
        };
        Ok(ExtCommunityText(c))
    }
}

impl fmt::Display for ExtCommunityText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_texts_round_trip() {
        for s in ["65000:100", "no-export", "graceful-shutdown"] {
            assert_eq!(s.parse::<Community>().map(|c| c.to_string()), Ok(s.into()));
        }
        assert!("65536:1".parse::<Community>().is_err());
        for s in ["65000:1:2", "4200000000:0:4294967295"] {
            assert_eq!(
                s.parse::<LargeCommunityText>().map(|c| c.to_string()),
                Ok(s.into())
            );
        }
        assert!("1:2".parse::<LargeCommunityText>().is_err());
        assert!("1:2:3:4".parse::<LargeCommunityText>().is_err());
        for s in [
            "rt 65000:100",
            "soo 65000:1",
            "encap vxlan",
            "default-gateway",
            "router-mac 02:00:00:00:00:01",
        ] {
            assert_eq!(
                s.parse::<ExtCommunityText>().map(|c| c.to_string()),
                Ok(s.into())
            );
        }
        assert!("color 1".parse::<ExtCommunityText>().is_err());
        for s in ["65000:100", "*:100", "10.0.0.1:5"] {
            assert_eq!(s.parse::<RtPattern>().map(|c| c.to_string()), Ok(s.into()));
        }
        assert!("*:x".parse::<RtPattern>().is_err());
    }
}
