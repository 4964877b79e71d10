//! The VTEP allow-list, strict RT import, and the bindings of a PolicySet.

use std::net::IpAddr;

use evpnd_config::{Config, RtMatch};
use evpnd_policy::set::UndefinedPolicy;
use evpnd_policy::vtep::{Endpoint, VtepRejection};
use evpnd_policy::{Direction, PolicySet, RouteView, VtepAllow};
use evpnd_wire::attr::ExtCommunity;
use evpnd_wire::{RouteTarget, Vni};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn cfg(rest: &str) -> Config {
    let text = format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.11\"\n{rest}");
    evpnd_config::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn allow_list_checks_next_hop_then_pmsi_endpoint() {
    let allow = VtepAllow::new(&["10.0.0.0/24".parse().expect("net")]);
    assert!(allow.is_enforced());
    let ok = RouteView {
        next_hop: Some(ip("10.0.0.2")),
        pmsi_endpoint: Some(ip("10.0.0.2")),
        ..RouteView::default()
    };
    assert_eq!(allow.check(&ok), Ok(()));
    let bad_nh = RouteView {
        next_hop: Some(ip("10.0.1.2")),
        pmsi_endpoint: Some(ip("10.0.9.9")),
        ..ok
    };
    let e = allow.check(&bad_nh).expect_err("outside");
    assert_eq!(
        e,
        VtepRejection {
            endpoint: Endpoint::NextHop,
            address: ip("10.0.1.2")
        }
    );
    assert_eq!(
        e.to_string(),
        "next hop 10.0.1.2 is outside evpn.vtep_allow"
    );
    let bad_pmsi = RouteView {
        pmsi_endpoint: Some(ip("192.0.2.1")),
        ..ok
    };
    assert_eq!(
        allow.check(&bad_pmsi).map_err(|e| e.endpoint),
        Err(Endpoint::PmsiEndpoint)
    );
    // IPv6 next hops need an IPv6 prefix.
    let v6 = RouteView {
        next_hop: Some(ip("2001:db8::1")),
        pmsi_endpoint: None,
        ..ok
    };
    assert!(allow.check(&v6).is_err());
    // Not configured: everything passes.
    assert!(!VtepAllow::default().is_enforced());
    assert_eq!(VtepAllow::default().check(&bad_nh), Ok(()));
}

fn rt_view(ext: &[ExtCommunity]) -> RouteView<'_> {
    RouteView {
        ext_communities: ext,
        ..RouteView::default()
    }
}

#[test]
fn strict_rt_import_takes_only_our_as() {
    let other_as = [ExtCommunity::RouteTarget {
        value: RouteTarget::As2 {
            asn: 65003,
            value: 100,
        },
    }];
    let ours = [ExtCommunity::RouteTarget {
        value: RouteTarget::As2 {
            asn: 65001,
            value: 100,
        },
    }];
    let vni = Vni::new(100).expect("vni");
    let loose = cfg("[[evpn.vni]]\nvni = 100\n");
    let rules = loose.import_rts(loose.vni(vni).expect("vni"));
    assert_eq!(rules, [RtMatch::LocalAdmin(100)]);
    assert!(evpnd_policy::rt::imported_by(&rules, &rt_view(&other_as)).is_some());

    let strict = cfg("[evpn]\nstrict_rt_import = true\n[[evpn.vni]]\nvni = 100\n");
    let rules = strict.import_rts(strict.vni(vni).expect("vni"));
    assert_eq!(
        rules,
        [RtMatch::Exact(RouteTarget::As2 {
            asn: 65001,
            value: 100
        })]
    );
    assert_eq!(
        evpnd_policy::rt::imported_by(&rules, &rt_view(&other_as)),
        None
    );
    assert!(evpnd_policy::rt::imported_by(&rules, &rt_view(&ours)).is_some());
    // Explicit RTs are exact either way.
    let explicit = cfg(
        "[evpn]\nstrict_rt_import = true\n[[evpn.vni]]\nvni = 100\nroute_targets = { import = [\"65003:100\"] }\n",
    );
    let rules = explicit.import_rts(explicit.vni(vni).expect("vni"));
    assert!(evpnd_policy::rt::imported_by(&rules, &rt_view(&other_as)).is_some());
}

#[test]
fn bindings_by_neighbour_and_vni() {
    let c = cfg(r#"
[[neighbor]]
address = "10.0.0.1"
remote_asn = 65000
import_policy = "deny-all"
[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000
[[evpn.vni]]
vni = 100
export_policy = "deny-all"
[[policy]]
name = "deny-all"
"#);
    let set = PolicySet::from_config(&c).expect("defined");
    let r = RouteView::default();
    assert!(
        !set.neighbor(ip("10.0.0.1"), Direction::Import, &r)
            .accepted()
    );
    assert!(
        set.neighbor(ip("10.0.0.1"), Direction::Export, &r)
            .accepted()
    );
    assert!(
        set.neighbor(ip("10.0.0.2"), Direction::Import, &r)
            .accepted()
    );
    let v = Vni::new(100).expect("vni");
    assert!(!set.vni(v, Direction::Export, &r).accepted());
    assert!(set.vni(v, Direction::Import, &r).accepted());
    assert_eq!(
        set.neighbor(ip("10.0.0.2"), Direction::Import, &r)
            .to_string(),
        "accepted: no policy"
    );
}

#[test]
fn an_undefined_reference_in_a_config_built_in_code() {
    let mut c = cfg("[[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65000\n");
    c.neighbor[0].export_policy = Some("nope".into());
    assert_eq!(
        PolicySet::from_config(&c).expect_err("undefined"),
        UndefinedPolicy {
            owner: "neighbor 10.0.0.1".into(),
            direction: Direction::Export,
            name: "nope".into()
        }
    );
    assert!(c.validate().is_err());
}
