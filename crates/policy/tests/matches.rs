//! One test per match condition and per action, and the evaluation rules
//! (order, `next`, default), against policies parsed from TOML as an
//! operator writes them.

use std::net::IpAddr;

use evpnd_config::model::{Disposition, Policy};
use evpnd_policy::eval::Decision;
use evpnd_policy::{Attributes, RouteView, evaluate};
use evpnd_wire::attr::{AttrValue, ExtCommunity, LargeCommunity, PathAttribute, code};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, IpPrefix, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget, Vni};

/// The first policy of a document made of `[bgp]` and `policy`.
fn policy(toml_text: &str) -> Policy {
    let text = format!("[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n{toml_text}");
    let cfg = evpnd_config::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    cfg.policy.into_iter().next().expect("one policy")
}

/// A policy with one term `t` whose match is `m`, accepting; default reject.
fn when(m: &str) -> Policy {
    policy(&format!(
        "[[policy]]\nname = \"p\"\n[[policy.term]]\nname = \"t\"\n[policy.term.match]\n{m}\n"
    ))
}

fn rd() -> Rd {
    "10.0.0.2:100".parse().expect("rd")
}

fn vni(v: u32) -> Vni {
    Vni::new(v).expect("vni")
}

fn t2(ip: Option<&str>) -> EvpnRoute {
    EvpnRoute::MacIp(MacIp {
        rd: rd(),
        esi: Esi::ZERO,
        ethernet_tag: 0,
        mac: "02:00:00:00:01:01".parse().expect("mac"),
        ip: ip.map(|s| s.parse().expect("ip")),
        label1: Label3::from_vni(vni(100)),
        label2: None,
    })
}

fn t3() -> EvpnRoute {
    EvpnRoute::Imet(Imet {
        rd: rd(),
        ethernet_tag: 0,
        originator: "10.0.0.2".parse().expect("ip"),
    })
}

fn t5(prefix: &str) -> EvpnRoute {
    EvpnRoute::IpPrefix(IpPrefix {
        rd: rd(),
        esi: Esi::ZERO,
        ethernet_tag: 0,
        prefix: prefix.parse().expect("prefix"),
        gateway: "0.0.0.0".parse().expect("ip"),
        label: Label3::from_vni(vni(5000)),
    })
}

const EXT: &[ExtCommunity] = &[
    ExtCommunity::RouteTarget {
        value: RouteTarget::As2 {
            asn: 65002,
            value: 100,
        },
    },
    ExtCommunity::VXLAN,
];
const COMM: &[u32] = &[(65000 << 16) | 1];
const LARGE: &[LargeCommunity] = &[LargeCommunity {
    global: 65000,
    local1: 1,
    local2: 2,
}];

fn view(r: &EvpnRoute) -> RouteView<'static> {
    RouteView {
        next_hop: Some("10.0.0.2".parse().expect("ip")),
        communities: COMM,
        large_communities: LARGE,
        ext_communities: EXT,
        local_pref: Some(100),
        ..RouteView::of_nlri(r)
    }
}

#[track_caller]
fn hit(p: &Policy, r: &RouteView<'_>) {
    let o = evaluate(p, r);
    assert_eq!(
        o.decision,
        Decision::Term {
            policy: "p".into(),
            term: "t".into()
        },
        "{o}"
    );
    assert!(o.accepted());
}

#[track_caller]
fn miss(p: &Policy, r: &RouteView<'_>) {
    let o = evaluate(p, r);
    assert_eq!(o.decision, Decision::Default { policy: "p".into() }, "{o}");
    assert_eq!(o.verdict, Disposition::Reject);
}

#[test]
fn route_type() {
    let p = when("route_type = [2, 5]");
    hit(&p, &view(&t2(None)));
    hit(&p, &view(&t5("10.1.0.0/16")));
    miss(&p, &view(&t3()));
}

#[test]
fn route_target_exact_and_any_as() {
    hit(&when(r#"route_target = ["65002:100"]"#), &view(&t3()));
    miss(&when(r#"route_target = ["65001:100"]"#), &view(&t3()));
    hit(&when(r#"route_target = ["*:100"]"#), &view(&t3()));
    miss(&when(r#"route_target = ["*:200"]"#), &view(&t3()));
    let none = RouteView {
        ext_communities: &[],
        ..view(&t3())
    };
    miss(&when(r#"route_target = ["*:100"]"#), &none);
}

#[test]
fn vni_from_the_label_or_given() {
    let p = when("vni = [100]");
    hit(&p, &view(&t2(None)));
    miss(&p, &view(&t5("10.1.0.0/16"))); // VNI 5000
    // Type 3 has no label in the NLRI: the core gives the PMSI's.
    miss(&p, &view(&t3()));
    hit(
        &p,
        &RouteView {
            vni: Some(vni(100)),
            ..view(&t3())
        },
    );
}

#[test]
fn route_distinguisher() {
    hit(&when(r#"rd = ["10.0.0.2:100"]"#), &view(&t3()));
    miss(&when(r#"rd = ["10.0.0.3:100"]"#), &view(&t3()));
}

#[test]
fn mac() {
    let p = when(r#"mac = ["02:00:00:00:01:01"]"#);
    hit(&p, &view(&t2(Some("192.168.1.1"))));
    miss(&when(r#"mac = ["02:00:00:00:01:02"]"#), &view(&t2(None)));
    miss(&p, &view(&t5("10.1.0.0/16")));
}

#[test]
fn prefix_exact_ge_le() {
    let exact = when(r#"prefix = [{ prefix = "10.1.0.0/16" }]"#);
    hit(&exact, &view(&t5("10.1.0.0/16")));
    miss(&exact, &view(&t5("10.1.1.0/24")));
    let ge = when(r#"prefix = [{ prefix = "10.1.0.0/16", ge = 24 }]"#);
    hit(&ge, &view(&t5("10.1.1.0/24")));
    hit(&ge, &view(&t5("10.1.1.1/32")));
    miss(&ge, &view(&t5("10.1.0.0/16")));
    miss(&ge, &view(&t5("10.2.1.0/24")));
    let le = when(r#"prefix = [{ prefix = "10.1.0.0/16", le = 24 }]"#);
    hit(&le, &view(&t5("10.1.0.0/16")));
    hit(&le, &view(&t5("10.1.1.0/24")));
    miss(&le, &view(&t5("10.1.1.0/25")));
    let both = when(r#"prefix = [{ prefix = "10.1.0.0/16", ge = 20, le = 24 }]"#);
    hit(&both, &view(&t5("10.1.16.0/20")));
    miss(&both, &view(&t5("10.1.0.0/16")));
    // A type-2 IP is a host prefix.
    let host = when(r#"prefix = [{ prefix = "192.168.0.0/16", le = 32 }]"#);
    hit(&host, &view(&t2(Some("192.168.1.1"))));
    miss(&host, &view(&t2(None)));
    miss(&host, &view(&t2(Some("2001:db8::1"))));
}

#[test]
fn communities_of_three_kinds() {
    hit(
        &when(r#"community = ["65000:1", "no-export"]"#),
        &view(&t3()),
    );
    miss(&when(r#"community = ["no-export"]"#), &view(&t3()));
    hit(&when(r#"large_community = ["65000:1:2"]"#), &view(&t3()));
    miss(&when(r#"large_community = ["65000:1:3"]"#), &view(&t3()));
    hit(&when(r#"ext_community = ["encap vxlan"]"#), &view(&t3()));
    hit(&when(r#"ext_community = ["rt 65002:100"]"#), &view(&t3()));
    miss(&when(r#"ext_community = ["soo 65002:100"]"#), &view(&t3()));
}

#[test]
fn next_hop() {
    hit(&when(r#"next_hop = ["10.0.0.0/24"]"#), &view(&t3()));
    miss(&when(r#"next_hop = ["10.0.1.0/24"]"#), &view(&t3()));
    miss(&when(r#"next_hop = ["2001:db8::/32"]"#), &view(&t3()));
}

#[test]
fn all_conditions_must_hold() {
    let p = when("route_type = [2]\nvni = [100]\nnext_hop = [\"10.0.0.0/24\"]");
    hit(&p, &view(&t2(None)));
    let elsewhere = RouteView {
        next_hop: Some("192.0.2.1".parse().expect("ip")),
        ..view(&t2(None))
    };
    miss(&p, &elsewhere);
    assert_eq!(
        evpnd_policy::matcher::first_failure(&p.term[0].matches, &elsewhere),
        Some("next_hop")
    );
}

const SETS: &str = r#"
[[policy]]
name = "p"
[[policy.term]]
name = "tag"
action = "next"
[policy.term.set]
add_community = ["65000:99", "65000:1"]
remove_community = ["65000:1"]
add_large_community = ["65000:9:9"]
remove_large_community = ["65000:1:2"]
add_ext_community = ["soo 65000:7"]
remove_ext_community = ["encap vxlan"]
[[policy.term]]
name = "prefer-tagged"
[policy.term.match]
community = ["65000:99"]
[policy.term.set]
local_pref = 300
"#;

#[test]
fn set_actions_and_later_terms_see_them() {
    let p = policy(SETS);
    let o = evaluate(&p, &view(&t3()));
    assert!(o.accepted());
    assert_eq!(o.term(), Some("prefer-tagged"));
    assert_eq!(o.applied, ["tag", "prefer-tagged"]);
    let a = o.attributes.clone().expect("changed attributes");
    // In both lists: 65000:1 stays, where it was; 65000:99 is appended.
    assert_eq!(a.communities, [(65000 << 16) | 1, (65000 << 16) | 99]);
    assert_eq!(
        a.large_communities,
        [LargeCommunity {
            global: 65000,
            local1: 9,
            local2: 9
        }]
    );
    assert_eq!(
        a.ext_communities,
        [
            EXT[0],
            ExtCommunity::RouteOrigin {
                value: RouteTarget::As2 {
                    asn: 65000,
                    value: 7
                }
            }
        ]
    );
    assert_eq!(a.local_pref, Some(300));
    assert_eq!(
        o.to_string(),
        "accepted by policy \"p\" term \"prefer-tagged\" after set actions of term \"tag\""
    );
}

#[test]
fn attributes_are_written_back_into_a_path() {
    let a = Attributes {
        communities: vec![1],
        large_communities: vec![],
        ext_communities: EXT.to_vec(),
        local_pref: Some(200),
    };
    let mut attrs = vec![
        PathAttribute::new(AttrValue::LargeCommunities(LARGE.to_vec())),
        PathAttribute::new(AttrValue::LocalPref(100)),
    ];
    a.write_to(&mut attrs);
    let codes: Vec<u8> = attrs.iter().map(|x| x.type_code()).collect();
    assert_eq!(
        codes,
        [
            code::LOCAL_PREF,
            code::COMMUNITIES,
            code::EXTENDED_COMMUNITIES
        ]
    );
    assert_eq!(attrs[0].value, AttrValue::LocalPref(200));
}

#[test]
fn the_first_deciding_term_wins_and_default_applies_otherwise() {
    let p = policy(
        r#"
[[policy]]
name = "p"
default = "accept"
[[policy.term]]
name = "drop-t3"
action = "reject"
[policy.term.match]
route_type = [3]
[[policy.term]]
name = "also-t3"
[policy.term.match]
route_type = [3]
"#,
    );
    let o = evaluate(&p, &view(&t3()));
    assert_eq!(o.verdict, Disposition::Reject);
    assert_eq!(o.term(), Some("drop-t3"));
    assert_eq!(o.to_string(), "rejected by policy \"p\" term \"drop-t3\"");
    let o = evaluate(&p, &view(&t2(None)));
    assert!(o.accepted());
    assert_eq!(o.decision, Decision::Default { policy: "p".into() });
    assert_eq!(
        o.to_string(),
        "accepted by policy \"p\": no term decided (default accept)"
    );
    assert_eq!(o.attributes, None);
}

#[test]
fn a_rejected_route_carries_no_attributes() {
    let p = policy(
        r#"
[[policy]]
name = "p"
[[policy.term]]
name = "tag"
action = "next"
[policy.term.set]
local_pref = 5
"#,
    );
    let o = evaluate(&p, &view(&t3()));
    assert_eq!(o.verdict, Disposition::Reject);
    assert_eq!(o.applied, ["tag"]);
    assert_eq!(o.attributes, None);
}

#[test]
fn the_view_of_an_nlri() {
    let v = RouteView::of_nlri(&t2(Some("192.168.1.1")));
    assert_eq!(v.route_type, 2);
    assert_eq!(v.mac, Some(MacAddr([2, 0, 0, 0, 1, 1])));
    assert_eq!(v.vni, Some(vni(100)));
    assert_eq!(
        v.match_prefix(),
        Some("192.168.1.1/32".parse().expect("net"))
    );
    let v = RouteView::of_nlri(&t5("10.1.0.0/16"));
    assert_eq!((v.route_type, v.vni), (5, Some(vni(5000))));
    let v = RouteView::of_nlri(&t3());
    assert_eq!((v.route_type, v.vni, v.rd), (3, None, Some(rd())));
    let _: Option<IpAddr> = v.next_hop;
}
