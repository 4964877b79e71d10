//! Every public vector in `shared/vectors/` (45 real messages from FRR,
//! GoBGP, Cisco, Ryu, ONOS, ExaBGP, NetGauze...) decodes with the session
//! context its expect file states; well-formed ones re-encode to the exact
//! bytes; malformed ones yield the RFC 7606 action their notes prescribe.

mod common;

use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::{Action, Context, Family, NlriReason};

fn context(expect: &str) -> Context {
    let line = expect
        .lines()
        .find(|l| l.starts_with("Decode context:"))
        .unwrap_or("");
    Context {
        four_octet_as: !line.contains("NOT negotiated"),
        add_path: if line.contains("ADD-PATH receive enabled for IPv4 unicast") {
            vec![Family::IPV4_UNICAST]
        } else {
            vec![]
        },
        extended_message: false,
        ibgp: true,
    }
}

/// What each malformed vector must produce.
fn expected_malformed(name: &str) -> Option<Result<Action, (u8, u8)>> {
    Some(match name {
        "malformed-aggregator-and-med-length-gobgp" => Ok(Action::TreatAsWithdraw),
        "malformed-aggregator-length-gobgp" => Ok(Action::AttributeDiscard),
        "malformed-aspath-length-overrun-gobgp" => Ok(Action::TreatAsWithdraw),
        "malformed-evpn-origin-flags-0x04-onos" => Ok(Action::TreatAsWithdraw),
        "malformed-mpreach-nexthop-length-gobgp" => Err((3, 9)),
        "malformed-multiple-bad-lengths-addpath-netgauze" => Ok(Action::TreatAsWithdraw),
        "malformed-origin-flags-no-nlri-gobgp" => Ok(Action::TreatAsWithdraw),
        _ => return None,
    })
}

#[test]
fn every_vector_decodes_as_expected() {
    let mut checked = 0;
    for (name, bytes, expect) in common::all_vectors() {
        let ctx = context(&expect);
        let got = decode_message(&bytes, &ctx);
        match expected_malformed(&name) {
            Some(Ok(action)) => {
                let Ok(Message::Update(u)) = &got else {
                    panic!("{name}: expected an UPDATE, got {got:?}")
                };
                assert_eq!(u.verdict(), Some(action), "{name}: {:#?}", u.issues);
            }
            Some(Err((c, s))) => {
                let e = got.expect_err(&name);
                assert_eq!((e.code, e.subcode), (c, s), "{name}: {e}");
            }
            None => {
                let m = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                if let Message::Update(u) = &m {
                    // Test fixtures (Ryu, ONOS) omit ORIGIN/AS_PATH: well-formed bytes,
                    // but RFC 7606 §3(d) treat-as-withdraw, as their notes say.
                    if expect.contains("missing-well-known-attribute = treat-as-withdraw") {
                        assert_eq!(u.verdict(), Some(Action::TreatAsWithdraw), "{name}");
                        assert!(
                            u.issues
                                .iter()
                                .all(|i| i.reason.contains("missing well-known")),
                            "{name}: {:#?}",
                            u.issues
                        );
                    } else {
                        assert_eq!(
                            u.verdict(),
                            None,
                            "{name}: unexpected issues {:#?}",
                            u.issues
                        );
                    }
                }
                // An unknown EVPN route type is discarded (RFC 7606 §5.4, ADR
                // 0017): such a message re-encodes without it.
                let discarded = match &m {
                    Message::Update(u) => u
                        .issues
                        .iter()
                        .filter(|i| i.nlri == Some(NlriReason::UnknownRouteType))
                        .count(),
                    _ => 0,
                };
                if discarded == 0 {
                    let back = m.to_bytes(&ctx);
                    assert_eq!(
                        back.as_ref(),
                        bytes.as_slice(),
                        "{name}: re-encoding differs"
                    );
                } else {
                    assert_eq!(name, "evpn-withdraw-t2-and-unknown-t8-exabgp");
                    assert_eq!(discarded, 1, "{name}: the type 8 route");
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 45, "all public vectors checked");
}

/// The "Field decode" section of an expect file: attribute (type, flags) in
/// order, EVPN NLRI field lists, ext-community octets, next hop.
struct FieldDecode {
    attrs: Vec<(u8, u8)>,
    nlri: Vec<Vec<(String, String)>>,
    ext_comms: Vec<String>,
    next_hop: Option<String>,
}

fn field_decode(expect: &str) -> Option<FieldDecode> {
    let sec = expect
        .split("## Field decode")
        .nth(1)?
        .split("\n## ")
        .next()?;
    let mut f = FieldDecode {
        attrs: vec![],
        nlri: vec![],
        ext_comms: vec![],
        next_hop: None,
    };
    let mut in_nlri = false;
    for line in sec.lines() {
        if let Some(rest) = line.strip_prefix("attr ") {
            in_nlri = false;
            let mut w = rest.split_whitespace();
            let t: u8 = w.next()?.parse().ok()?;
            let flags = rest
                .split("flags=0x")
                .nth(1)
                .and_then(|x| u8::from_str_radix(&x[..2], 16).ok())?;
            f.attrs.push((t, flags));
            if let Some(nh) = rest.split("next_hop=").nth(1) {
                f.next_hop = nh.split_whitespace().next().map(str::to_string);
            }
        } else if line.trim().ends_with("EVPN NLRI:") {
            in_nlri = true;
        } else if in_nlri && line.starts_with("    ") {
            if let Some((k, v)) = line.trim().split_once(": ") {
                if k == "raw" {
                    f.nlri.push(Vec::new());
                } else if let Some(cur) = f.nlri.last_mut() {
                    cur.push((k.to_string(), v.to_string()));
                }
            }
        } else if line.starts_with("    ") && !in_nlri {
            let hex = line.split_whitespace().next().unwrap_or_default();
            if hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                f.ext_comms.push(hex.to_string());
            }
        }
    }
    Some(f)
}

#[test]
fn update_vectors_match_the_independent_field_decode() {
    let mut updates = 0;
    for (name, bytes, expect) in common::all_vectors() {
        if expected_malformed(&name).is_some() {
            continue;
        }
        let Ok(Message::Update(u)) = decode_message(&bytes, &context(&expect)) else {
            continue;
        };
        let Some(fd) = field_decode(&expect) else {
            continue;
        };
        let got: Vec<(u8, u8)> = u
            .attributes
            .iter()
            .map(|a| (a.type_code(), a.flags))
            .collect();
        assert_eq!(got, fd.attrs, "{name}: attribute types and flags in order");
        let routes: Vec<_> = u.evpn_routes().map(|(n, _)| n).collect();
        // Unknown route types are discarded (RFC 7606 §5.4), not routes.
        let (unknown, known): (Vec<_>, Vec<_>) = fd.nlri.iter().partition(|f| {
            f.iter()
                .any(|(k, v)| k == "name" && v.starts_with("unknown/unsupported"))
        });
        assert_eq!(routes.len(), known.len(), "{name}: EVPN NLRI count");
        let discarded = u
            .issues
            .iter()
            .filter(|i| i.nlri == Some(NlriReason::UnknownRouteType))
            .count();
        assert_eq!(discarded, unknown.len(), "{name}: discarded routes");
        for (r, fields) in routes.iter().zip(known) {
            common::check_route(&name, &r.route, fields);
        }
        let ecs: Vec<String> = u
            .ext_communities()
            .iter()
            .map(|c| c.to_bytes().iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        assert_eq!(ecs, fd.ext_comms, "{name}: extended communities");
        if let (Some(m), Some(nh)) = (u.mp_reach(), &fd.next_hop) {
            assert_eq!(
                m.next_hop.ip().map(|i| i.to_string()).as_ref(),
                Some(nh),
                "{name}: next hop"
            );
        }
        if let Some(p) = u.pmsi() {
            let line = expect
                .lines()
                .find(|l| l.starts_with("attr 22 PMSI_TUNNEL"))
                .expect("PMSI line");
            let vni: u32 = common::vni_of(line.split(") tunnel_id").next().unwrap_or_default());
            assert_eq!(p.label.vni().get(), vni, "{name}: PMSI VNI");
            let id = line.split("tunnel_id=").nth(1).unwrap_or_default().trim();
            assert_eq!(
                p.tunnel_id,
                evpnd_wire::attr::TunnelId::Ip(id.parse().expect("ip")),
                "{name}: PMSI tunnel id"
            );
        }
        updates += 1;
    }
    assert!(updates >= 15, "checked only {updates} UPDATE vectors");
}
