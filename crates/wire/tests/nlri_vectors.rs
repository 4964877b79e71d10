//! Every EVPN NLRI fragment in `shared/vectors/nlri-only.md` decodes to the
//! fields the collector's independent decode lists, and re-encodes to the
//! same bytes. The label is checked in its VNI reading (RFC 8365).

mod common;

use bytes::BytesMut;
use common::check_route;
use evpnd_wire::NlriReason;
use evpnd_wire::nlri::evpn::{decode_evpn_nlris_lenient, encode_evpn_nlris};

/// One `## name` section: hex and the list of decoded routes (key → value).
/// Decoded fields of one route: (key, value) pairs.
type Fields = Vec<(String, String)>;

fn sections(md: &str) -> Vec<(String, String, Vec<Fields>)> {
    let mut out = Vec::new();
    for sec in md.split("\n## ").skip(1) {
        let name = sec.lines().next().unwrap_or_default().trim().to_string();
        let Some(hex) = sec
            .lines()
            .find_map(|l| l.strip_prefix("- hex: `").and_then(|h| h.strip_suffix('`')))
        else {
            continue;
        };
        let block = sec.split("```").nth(1).unwrap_or_default();
        let routes = block
            .split("--")
            .map(|r| {
                r.lines()
                    .filter_map(|l| l.trim().split_once(": "))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .filter(|r| !r.is_empty())
            .collect();
        out.push((name, hex.to_string(), routes));
    }
    out
}

#[test]
fn nlri_only_fragments_decode_and_round_trip() {
    let md =
        std::fs::read_to_string(common::vectors_dir().join("nlri-only.md")).expect("nlri-only.md");
    let secs = sections(&md);
    assert!(
        secs.len() >= 13,
        "expected 13 NLRI fragments, parsed {}",
        secs.len()
    );
    for (name, hex, routes) in secs {
        let bytes = common::unhex(&hex);
        // RFC 7606 §5.4: unknown route types are discarded, one issue each
        // (ADR 0017); the others decode to the collector's fields.
        let (unknown, known): (Vec<Fields>, Vec<Fields>) = routes.into_iter().partition(|f| {
            f.iter()
                .any(|(k, v)| k == "name" && v.starts_with("unknown/unsupported"))
        });
        let (decoded, issues) =
            decode_evpn_nlris_lenient(&bytes, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded.len(), known.len(), "{name}: route count");
        assert_eq!(issues.len(), unknown.len(), "{name}: discarded count");
        assert!(
            issues
                .iter()
                .all(|i| i.error.kind == NlriReason::UnknownRouteType)
        );
        for (d, fields) in decoded.iter().zip(&known) {
            check_route(&name, &d.route, fields);
        }
        if unknown.is_empty() {
            let mut out = BytesMut::new();
            encode_evpn_nlris(&decoded, &mut out);
            assert_eq!(&out[..], &bytes[..], "{name}: re-encode");
        }
    }
}
