//! Defaults of every key and the derived values (timers, auto RD/RT, RTs).

mod common;
use common::valid;

use evpnd_config::{
    AutoOr, AutoRt, Freeze, LogFormat, REDACTED, RtMatch, auto_rd, auto_rd_number, auto_rt,
};
use evpnd_wire::{Family, RouteTarget, Vni};

fn vni(n: u32) -> Vni {
    Vni::new(n).expect("vni")
}

#[test]
fn minimal_file_gets_operator_defaults() {
    let c = valid(&[]);
    let b = &c.bgp;
    assert_eq!(b.listen, ["0.0.0.0:179".parse().expect("addr")]);
    assert_eq!(*b.hold_time.get_ref(), 90);
    assert_eq!(b.keepalive, None);
    assert_eq!(b.connect_retry, 30);
    assert_eq!(c.cluster_id().to_string(), "10.0.0.11");
    assert!(b.graceful_restart.enabled);
    assert_eq!(b.graceful_restart.restart_time, 120);
    assert_eq!(b.graceful_restart.stale_routes_time, 360);
    assert_eq!(b.graceful_restart.select_defer_time, 300);
    assert_eq!(
        b.graceful_restart.on_shutdown,
        evpnd_config::OnShutdown::HardReset
    );
    assert_eq!(
        c.restart_state_file().to_str(),
        Some("/run/evpnd/evpnd.restart")
    );
    assert!(c.neighbor.is_empty());

    let e = &c.evpn;
    assert_eq!(e.vtep_ip, None);
    assert_eq!(c.vtep_ip().to_string(), "10.0.0.11");
    assert!(e.learn_from_kernel);
    assert_eq!(e.auto_rt, AutoRt::AsVni);
    assert!(e.default_gateway_macs.is_empty());
    assert!(!e.flush_on_shutdown);
    let d = &e.duplicate_detection;
    assert!(d.enabled);
    assert_eq!((d.max_moves, d.window, d.freeze), (5, 180, Freeze::Off));
    assert!(e.vni.is_empty());

    assert_eq!(c.api.socket.to_str(), Some("/run/evpnd/evpnd.sock"));
    assert_eq!(c.api.listen, None);
    assert_eq!(c.metrics.listen, None);
    assert_eq!(c.log.level, "info");
    assert_eq!(c.log.format, LogFormat::Human);
}

#[test]
fn neighbor_defaults_and_effective_timers() {
    let c = valid(&[
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65001",
        "[[neighbor]]",
        r#"address = "10.0.0.2""#,
        "remote_asn = 65002",
        "hold_time = 30",
        "graceful_restart = false",
        "[[neighbor]]",
        r#"address = "10.0.0.3""#,
        "remote_asn = 65002",
        "hold_time = 0",
        "[[neighbor]]",
        r#"address = "10.0.0.4""#,
        "remote_asn = 65002",
        "keepalive = 7",
    ]);
    let n = &c.neighbor[0];
    assert!(c.is_ibgp(n));
    assert!(n.enabled && !n.passive && !n.route_reflector_client && !n.add_path_receive);
    assert_eq!(n.port, 179);
    assert_eq!(n.families, [Family::L2VPN_EVPN]);
    assert_eq!((n.ttl_security.clone(), n.ebgp_multihop), (None, None));
    assert_eq!(
        (c.hold_time(n), c.keepalive(n), c.effective_keepalive(n)),
        (90, None, 30)
    );
    assert!(c.graceful_restart(n));

    let n = &c.neighbor[1];
    assert!(!c.is_ibgp(n));
    assert_eq!((c.hold_time(n), c.effective_keepalive(n)), (30, 10));
    assert!(!c.graceful_restart(n));
    // Hold time 0: no keepalives.
    assert_eq!(c.effective_keepalive(&c.neighbor[2]), 0);
    assert_eq!(c.effective_keepalive(&c.neighbor[3]), 7);
    assert_eq!(
        c.neighbor("10.0.0.4".parse().expect("ip"))
            .map(|n| n.remote_asn),
        Some(65002.into())
    );
}

#[test]
fn auto_rd_is_router_id_and_vni() {
    let rid = "10.0.0.11".parse().expect("ip");
    assert_eq!(auto_rd(rid, vni(100)).to_string(), "10.0.0.11:100");
    assert_eq!(auto_rd(rid, vni(65535)).to_string(), "10.0.0.11:65535");
    // Above 16 bits the VNI is folded; validation rejects collisions.
    assert_eq!(auto_rd(rid, vni(65636)).to_string(), "10.0.0.11:100");
    assert_eq!(auto_rd_number(vni(16_777_215)), 65535);
}

#[test]
fn auto_rt_styles() {
    assert_eq!(
        auto_rt(65000, vni(100), AutoRt::AsVni).to_string(),
        "65000:100"
    );
    // 4-byte AS: the low 16 bits, as FRR (4200000000 & 0xffff = 59904).
    assert_eq!(
        auto_rt(4_200_000_000, vni(100), AutoRt::AsVni).to_string(),
        "59904:100"
    );
    // RFC 8365 §5.1.2.1: A = 0 (auto), type 1 (VXLAN), D-ID 0, service id = VNI.
    let r = auto_rt(65000, vni(100), AutoRt::Rfc8365);
    assert_eq!(
        r,
        RouteTarget::As2 {
            asn: 65000,
            value: 0x1000_0064
        }
    );
    assert_eq!(r.to_string(), "65000:268435556");
}

#[test]
fn rd_and_route_targets_of_a_vni() {
    let c = valid(&[
        "[evpn]",
        r#"auto_rt = "rfc8365""#,
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        r#"rd = "65001:200""#,
        r#"route_targets = { import = ["65099:200", "auto"], export = ["65001:200"], both = ["65001:1"] }"#,
    ]);
    let (a, b) = (&c.evpn.vni[0], &c.evpn.vni[1]);
    assert_eq!(c.rd(a).to_string(), "10.0.0.11:100");
    assert_eq!(c.rd(b).to_string(), "65001:200");
    let auto_a = auto_rt(65001, vni(100), AutoRt::Rfc8365);
    assert_eq!(c.export_rts(a), [auto_a]);
    assert_eq!(c.import_rts(a), [RtMatch::LocalAdmin(auto_a.local_admin())]);
    let rt = |s: &str| s.parse::<RouteTarget>().expect("rt");
    assert_eq!(c.export_rts(b), [rt("65001:200"), rt("65001:1")]);
    assert_eq!(
        c.import_rts(b),
        [
            RtMatch::Exact(rt("65099:200")),
            RtMatch::LocalAdmin(0x1000_0000 | 200),
            RtMatch::Exact(rt("65001:1")),
        ]
    );
    assert_eq!(b.rd, AutoOr::Value("65001:200".parse().expect("rd")));
    assert_eq!(c.vni(vni(200)).map(|v| v.rd.is_auto()), Some(false));
}

#[test]
fn auto_import_matches_any_as_with_the_vni() {
    let m = RtMatch::LocalAdmin(100);
    assert!(m.matches(&"65000:100".parse().expect("rt")));
    assert!(m.matches(&"4200000001:100".parse().expect("rt")));
    assert!(m.matches(&"10.0.0.1:100".parse().expect("rt")));
    assert!(!m.matches(&"65000:101".parse().expect("rt")));
    let e = RtMatch::Exact("65000:100".parse().expect("rt"));
    assert!(!e.matches(&"65001:100".parse().expect("rt")));
}

#[test]
fn freeze_forms() {
    let f = |v: &str| {
        valid(&["[evpn.duplicate_detection]", &format!("freeze = {v}")])
            .evpn
            .duplicate_detection
            .freeze
    };
    assert_eq!(f("false"), Freeze::Off);
    assert_eq!(f("60"), Freeze::Seconds(60));
    assert_eq!(f(r#""permanent""#), Freeze::Permanent);
}

#[test]
fn redacted_hides_passwords_only() {
    let c = valid(&[
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65001",
        r#"password = "s3cret""#,
        "[[neighbor]]",
        r#"address = "10.0.0.2""#,
        "remote_asn = 65001",
    ]);
    let r = c.redacted();
    assert_eq!(r.neighbor[0].password.as_deref(), Some(REDACTED));
    assert_eq!(r.neighbor[1].password, None);
    let shown = toml::to_string(&r).expect("serialize");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn configs_built_in_code_validate_without_positions() {
    let mut c = valid(&[]);
    c.bgp.connect_retry = 0;
    let e = c.validate().expect_err("invalid");
    assert_eq!(
        e.to_string(),
        "<config>: connect_retry 0 is invalid (at least 1 second)"
    );
}
