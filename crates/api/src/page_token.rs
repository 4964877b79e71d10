//! Page tokens of `ListRoutes` and `ListVrfRoutes`: opaque to clients,
//! verified by the server.
//!
//! ```text
//! "p2." hex( fingerprint (8) | cursor (n) | tag (8) )
//!   fingerprint: FNV-1a of the query the token was issued for (ListRoutes:
//!                view and filter; ListVrfRoutes: its name, vrf and prefix)
//!   cursor:      where the next page starts (ListRoutes: the backend's
//!                RouteCursor; ListVrfRoutes: the last tenant and prefix sent)
//!   tag:         SipHash-1-3 of fingerprint | cursor under a key drawn at
//!                random once per process (std's RandomState)
//! ```
//!
//! A token with one digit changed, a token from another evpnd or from before
//! a restart fails the tag check and is refused with `INVALID_ARGUMENT`
//! (issue 15: before, any well-formed hex was taken as a cursor). A genuine
//! token replayed with another view or filter is refused with its own
//! message. Tokens are longer than [`MAX_TOKEN_LEN`] never: such input is
//! refused before it is decoded.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;
use tonic::Status;

use crate::types::{RouteCursor, RouteFilter, View, VrfRouteCursor};
use crate::validate::invalid;

const TOKEN_PREFIX: &str = "p2.";
const FINGERPRINT_LEN: usize = 8;
const TAG_LEN: usize = 8;

/// The longest token accepted, in characters (a cursor of up to ~1000
/// octets); longer input is refused unread.
pub const MAX_TOKEN_LEN: usize = 2048;

/// The per-process MAC key: SipHash keys drawn from the OS at first use.
fn key() -> &'static RandomState {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new)
}

fn tag(signed: &[u8]) -> [u8; TAG_LEN] {
    let mut h = key().build_hasher();
    h.write(signed);
    h.finish().to_be_bytes()
}

/// FNV-1a over `text`: the fingerprint of the query a token belongs to.
fn fnv(text: &str) -> [u8; FINGERPRINT_LEN] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.to_be_bytes()
}

/// A fingerprint of the query a token belongs to (FNV-1a over its debug
/// form): a token replayed with another view or filter is refused instead of
/// silently continuing elsewhere. Tokens need not survive an upgrade.
fn fingerprint(view: View, filter: &RouteFilter) -> [u8; FINGERPRINT_LEN] {
    fnv(&format!("{view:?}{filter:?}"))
}

/// A signed token for `cursor` of the query with fingerprint `fp`.
fn sign(fp: [u8; FINGERPRINT_LEN], cursor: &[u8]) -> String {
    let mut signed = fp.to_vec();
    signed.extend_from_slice(cursor);
    let t = tag(&signed);
    let mut s = String::with_capacity(TOKEN_PREFIX.len() + (signed.len() + TAG_LEN) * 2);
    s.push_str(TOKEN_PREFIX);
    for b in signed.iter().chain(&t) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The cursor octets of a token this process signed for the query with
/// fingerprint `fp`; `other` says what differs when it was issued for
/// another query.
fn verify(token: &str, fp: [u8; FINGERPRINT_LEN], other: &str) -> Result<Vec<u8>, Status> {
    let bad = || invalid("page_token", "not a token this server issued");
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid(
            "page_token",
            format!("longer than {MAX_TOKEN_LEN} characters: not a token this server issued"),
        ));
    }
    let hex = token.strip_prefix(TOKEN_PREFIX).ok_or_else(bad)?;
    if !hex.is_ascii() || hex.len() % 2 != 0 || hex.len() < (FINGERPRINT_LEN + TAG_LEN) * 2 {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let (signed, t) = bytes.split_at(bytes.len() - TAG_LEN);
    if tag(signed) != t {
        return Err(bad());
    }
    let (got, rest) = signed.split_at(FINGERPRINT_LEN);
    if got != fp {
        return Err(invalid(
            "page_token",
            format!("issued for {other}; repeat the same request to page on"),
        ));
    }
    Ok(rest.to_vec())
}

/// The page token for a cursor of the query (`view`, `filter`).
pub(crate) fn page_token(view: View, filter: &RouteFilter, c: &RouteCursor) -> String {
    sign(fingerprint(view, filter), &c.0)
}

/// The cursor in a page token of the query (`view`, `filter`); empty means
/// the first page.
pub(crate) fn cursor(
    token: &str,
    view: View,
    filter: &RouteFilter,
) -> Result<Option<RouteCursor>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    verify(token, fingerprint(view, filter), "another view or filter").map(|c| Some(RouteCursor(c)))
}

/// The fingerprint of a `ListVrfRoutes` query: its own namespace, so a
/// `ListRoutes` token is refused there (and the other way round).
fn vrf_fingerprint(vrf: Option<&str>, prefix: Option<&IpNet>) -> [u8; FINGERPRINT_LEN] {
    fnv(&format!("ListVrfRoutes{vrf:?}{prefix:?}"))
}

/// The page token of `ListVrfRoutes` (`vrf`, `prefix`) continuing after `c`.
///
/// ```text
/// cursor: name_len (1) | name | family (1: 4 or 6) | address (4 or 16) | prefix_len (1)
/// ```
pub(crate) fn vrf_page_token(
    vrf: Option<&str>,
    prefix: Option<&IpNet>,
    c: &VrfRouteCursor,
) -> String {
    let name = c.vrf.as_bytes();
    let mut b = Vec::with_capacity(2 + name.len() + 17);
    // Names are at most MAX_VRF_NAME (64) octets, validated before they get here.
    b.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
    b.extend_from_slice(&name[..name.len().min(usize::from(u8::MAX))]);
    match c.prefix {
        IpNet::V4(n) => {
            b.push(4);
            b.extend_from_slice(&n.addr().octets());
        }
        IpNet::V6(n) => {
            b.push(6);
            b.extend_from_slice(&n.addr().octets());
        }
    }
    b.push(c.prefix.prefix_len());
    sign(vrf_fingerprint(vrf, prefix), &b)
}

/// The cursor in a `ListVrfRoutes` page token; empty means the first page.
pub(crate) fn vrf_cursor(
    token: &str,
    vrf: Option<&str>,
    prefix: Option<&IpNet>,
) -> Result<Option<VrfRouteCursor>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    let b = verify(
        token,
        vrf_fingerprint(vrf, prefix),
        "another vrf or prefix (or another listing)",
    )?;
    // Signed by us, so well formed; checked anyway rather than trusted.
    decode_vrf_cursor(&b)
        .map(Some)
        .ok_or_else(|| invalid("page_token", "not a token this server issued"))
}

fn decode_vrf_cursor(b: &[u8]) -> Option<VrfRouteCursor> {
    let (&n, rest) = b.split_first()?;
    let (name, rest) = rest.split_at_checked(usize::from(n))?;
    let vrf = String::from_utf8(name.to_vec()).ok()?;
    let (&family, rest) = rest.split_first()?;
    let (addr, len): (IpAddr, &[u8]) = match family {
        4 => {
            let (a, r) = rest.split_at_checked(4)?;
            (IpAddr::from(<[u8; 4]>::try_from(a).ok()?), r)
        }
        6 => {
            let (a, r) = rest.split_at_checked(16)?;
            (IpAddr::from(<[u8; 16]>::try_from(a).ok()?), r)
        }
        _ => return None,
    };
    let [plen] = len else { return None };
    let prefix = IpNet::new(addr, *plen).ok()?;
    Some(VrfRouteCursor { vrf, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<Option<RouteCursor>, Status>) -> String {
        r.err().map(|s| s.message().to_string()).unwrap_or_default()
    }

    #[test]
    fn token_round_trip_and_garbage() {
        let c = RouteCursor(vec![0, 1, 0xfe, 0xff]);
        let f = RouteFilter::default();
        let t = page_token(View::LocRib, &f, &c);
        assert_eq!(cursor(&t, View::LocRib, &f).ok().flatten(), Some(c));
        let other = RouteFilter {
            best_only: true,
            ..Default::default()
        };
        assert!(message(cursor(&t, View::LocRib, &other)).contains("another view or filter"));
        assert!(cursor(&t, View::AdjRibIn, &f).is_err());
        for bad in ["x", "p2.0", "p2.zz", "p1.00", "p2.é0", "p2.00"] {
            assert!(
                message(cursor(bad, View::LocRib, &f)).starts_with("page_token:"),
                "{bad}"
            );
        }
    }

    /// Issue 15: a token with one digit changed was accepted as a cursor.
    #[test]
    fn every_single_digit_change_is_refused() {
        let c = RouteCursor(vec![0, 0, 0, 42]);
        let f = RouteFilter::default();
        let t = page_token(View::LocRib, &f, &c);
        for i in TOKEN_PREFIX.len()..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let altered = String::from_utf8(b).expect("ascii");
            assert_eq!(
                message(cursor(&altered, View::LocRib, &f)),
                "page_token: not a token this server issued",
                "digit {i} of {t}"
            );
        }
    }

    #[test]
    fn vrf_cursors_round_trip_and_stay_in_their_query() {
        let blue = Some("blue");
        for (vrf, prefix) in [
            ("blue", "10.5.0.0/24"),
            ("r", "2001:db8::/64"),
            ("x.y", "0.0.0.0/0"),
        ] {
            let c = VrfRouteCursor {
                vrf: vrf.into(),
                prefix: prefix.parse().expect("prefix"),
            };
            let t = vrf_page_token(blue, None, &c);
            assert_eq!(vrf_cursor(&t, blue, None).ok().flatten(), Some(c.clone()));
            assert!(message2(vrf_cursor(&t, None, None)).contains("another vrf or prefix"));
            let p: IpNet = "10.0.0.0/8".parse().expect("prefix");
            assert!(message2(vrf_cursor(&t, blue, Some(&p))).contains("another vrf or prefix"));
            // Never accepted as a ListRoutes token, nor the other way round.
            let f = RouteFilter::default();
            assert!(message(cursor(&t, View::LocRib, &f)).contains("another view or filter"));
            let rt = page_token(View::LocRib, &f, &RouteCursor(vec![1, 2]));
            assert!(message2(vrf_cursor(&rt, blue, None)).starts_with("page_token:"));
        }
        assert_eq!(vrf_cursor("", blue, None).ok(), Some(None));
        assert_eq!(
            decode_vrf_cursor(&[4, b'b', b'l', b'u', b'e', 4, 10, 0, 0, 0]),
            None
        );
        assert_eq!(decode_vrf_cursor(&[1, b'b', 5, 10, 0, 0, 0, 8]), None);
        assert_eq!(decode_vrf_cursor(&[1, b'b', 4, 10, 0, 0, 0, 33]), None);
    }

    fn message2(r: Result<Option<VrfRouteCursor>, Status>) -> String {
        r.err().map(|s| s.message().to_string()).unwrap_or_default()
    }

    #[test]
    fn overlong_tokens_are_refused_unread() {
        let f = RouteFilter::default();
        let long = format!("{TOKEN_PREFIX}{}", "0".repeat(MAX_TOKEN_LEN));
        assert!(message(cursor(&long, View::LocRib, &f)).contains("longer than"));
    }
}
