//! `evpnctl decode` end to end: the real binary on the public vectors.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn vectors() -> std::path::PathBuf {
    let d = std::env::var_os("EVPND_VECTORS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors").into());
    assert!(
        d.is_dir(),
        "vectors not found at {} (set EVPND_VECTORS)",
        d.display()
    );
    d
}

fn hex(name: &str) -> String {
    std::fs::read_to_string(vectors().join(format!("{name}.hex")))
        .expect("vector")
        .trim()
        .to_string()
}

fn evpnctl(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_evpnctl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run evpnctl");
    if let Some(s) = stdin {
        c.stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    }
    drop(c.stdin.take());
    let o = c.wait_with_output().expect("wait");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn json_lists_every_evpn_field_per_nlri() {
    let (code, out, err) = evpnctl(
        &[
            "decode",
            "--json",
            &hex("evpn-t2-four-routes-mac-ipv4-ipv6-frr"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(v["well_formed"], true);
    let routes = v["routes"].as_array().expect("routes");
    assert_eq!(routes.len(), 4);
    let r = &routes[0];
    for k in [
        "route_type",
        "rd",
        "esi",
        "ethernet_tag",
        "mac",
        "label1",
        "next_hop",
        "family",
        "action",
    ] {
        assert!(!r[k].is_null(), "field {k} missing in {r}");
    }
    assert_eq!(r["route_type"], 2);
    assert_eq!(r["family"], "l2vpn-evpn");
    assert!(
        r["label1"]["vni"].is_u64(),
        "label shows the VNI reading: {r}"
    );
}

#[test]
fn type5_and_pmsi_fields() {
    let (_, out, _) = evpnctl(
        &["decode", "--json", &hex("evpn-t5-ipv4-prefix-gw-ryu")],
        None,
    );
    let r = &json_lines(&out)[0]["routes"][0];
    assert_eq!(r["route_type"], 5);
    assert!(r["prefix"].as_str().expect("prefix").contains('/'));
    assert!(!r["gateway"].is_null());
    let (code, out, _) = evpnctl(
        &["decode", &hex("evpn-t3-imet-pmsi-ingress-replication-frr")],
        None,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("pmsi ingress-replication vni 2 endpoint 172.21.64.17"),
        "{out}"
    );
}

#[test]
fn stream_from_stdin_and_files_with_comments() {
    let stream = format!(
        "# two messages on one line, then a keepalive\n{}{}\nffffffffffffffffffffffffffffffff001304\n",
        hex("open-gr-forwarding-bit-ipv4"),
        hex("evpn-end-of-rib-cisco-bmp")
    );
    let (code, out, err) = evpnctl(&["decode"], Some(&stream));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OPEN ("), "{out}");
    assert!(out.contains("End-of-RIB l2vpn-evpn"), "{out}");
    assert!(out.contains("KEEPALIVE (19 octets)"), "{out}");
    let f = std::env::temp_dir().join(format!("evpnctl-test-{}.hex", std::process::id()));
    std::fs::write(&f, &stream).expect("write temp");
    let (code, out, _) = evpnctl(
        &["decode", "--json", "--file", f.to_str().expect("utf8")],
        None,
    );
    std::fs::remove_file(&f).ok();
    assert_eq!(code, 0);
    assert_eq!(json_lines(&out).len(), 3);
}

#[test]
fn malformed_input_prints_the_verdict_and_exits_1() {
    let (code, out, _) = evpnctl(
        &[
            "decode",
            "--as2",
            &hex("malformed-aspath-length-overrun-gobgp"),
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(out.contains("verdict: treat-as-withdraw"), "{out}");
    let (code, out, _) = evpnctl(
        &[
            "decode",
            "--json",
            &hex("malformed-mpreach-nexthop-length-gobgp"),
        ],
        None,
    );
    assert_eq!(code, 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["well_formed"], false);
    assert_eq!(v["error"]["notification"]["code"], 3);
    assert_eq!(v["error"]["action"], "session-reset");
}

#[test]
fn session_context_options_change_the_reading() {
    // A 4-octet AS capture read as a 2-octet session is malformed: the option is honoured.
    let h = hex("evpn-t2-mac-mobility-seq1-frr");
    assert_eq!(evpnctl(&["decode", &h], None).0, 0);
    assert_eq!(evpnctl(&["decode", "--as2", &h], None).0, 1);
    let (code, _, err) = evpnctl(&["decode", "--add-path", "nonsense", &h], None);
    assert_eq!(code, 2);
    assert!(err.contains("unknown address family"), "{err}");
}

#[test]
fn unusable_input_exits_2_with_a_reason() {
    let (code, _, err) = evpnctl(&["decode", "ffz"], None);
    assert_eq!(code, 2);
    assert!(err.contains("line 1"), "{err}");
    let (code, _, err) = evpnctl(&["decode"], Some(""));
    assert_eq!(code, 2);
    assert!(err.contains("no input"), "{err}");
    // Truncated message: reported, not silently dropped.
    let (code, out, _) = evpnctl(&["decode", "ffffffffffffffffffffffffffffffff0030"], None);
    assert_eq!(code, 1);
    assert!(out.contains("MALFORMED"), "{out}");
}
