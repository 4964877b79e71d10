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

/// An UPDATE (as hex) with ORIGIN, an empty AS_PATH and an MP_REACH_NLRI
/// for L2VPN EVPN (next hop 10.0.0.2) carrying `nlri`.
fn evpn_update_hex(nlri: &[u8]) -> String {
    let mut mp = vec![0x00, 0x19, 0x46, 4, 10, 0, 0, 2, 0];
    mp.extend_from_slice(nlri);
    let mut attrs = vec![0x40, 1, 1, 0, 0x40, 2, 0, 0x90, 0x0e];
    attrs.extend_from_slice(&(mp.len() as u16).to_be_bytes());
    attrs.extend_from_slice(&mp);
    let mut body = vec![0, 0];
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(&attrs);
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    msg.push(2);
    msg.extend_from_slice(&body);
    msg.iter().map(|b| format!("{b:02x}")).collect()
}

/// A type-2 NLRI: RD 10.0.0.2:100, zero ESI and tag, then `rest`.
fn type2(rest: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 1, 10, 0, 0, 2, 0, 100];
    v.extend_from_slice(&[0; 14]);
    v.extend_from_slice(rest);
    let mut n = vec![2, v.len() as u8];
    n.extend_from_slice(&v);
    n
}

#[test]
fn malformed_evpn_nlri_names_the_session_reset_and_its_reason() {
    let mac = [2, 0, 0, 0, 0, 9];
    let bad = type2(&[&[40][..], &mac, &[0], &[0, 0, 100]].concat());
    let (code, out, _) = evpnctl(&["decode", "--json", &evpn_update_hex(&bad)], None);
    assert_eq!(code, 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["well_formed"], false);
    assert_eq!(v["verdict"], "session-reset", "{v}");
    assert_eq!(v["error"]["notification"]["code"], 3);
    assert_eq!(v["error"]["notification"]["subcode"], 9);
    assert_eq!(v["error"]["nlri_reason"], "mac_length");
    let (_, text, _) = evpnctl(&["decode", &evpn_update_hex(&bad)], None);
    assert!(text.contains("reason: mac_length"), "{text}");
}

#[test]
fn an_unknown_route_type_is_a_route_only_discard() {
    let good = type2(&[&[48][..], &[2, 0, 0, 0, 0, 1], &[0], &[0, 0, 100]].concat());
    let mut nlri = vec![9, 3, 1, 2, 3];
    nlri.extend_from_slice(&good);
    let (code, out, _) = evpnctl(&["decode", "--json", &evpn_update_hex(&nlri)], None);
    assert_eq!(code, 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["verdict"], "route-discard", "{v}");
    assert_eq!(v["verdict_scope"], "route");
    assert_eq!(v["routes"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(
        v["message"]["issues"][0]["nlri"], "unknown_route_type",
        "{v}"
    );
}

#[test]
fn notification_data_is_read_shutdown_text_and_hard_reset_inner_code() {
    let (_, out, _) = evpnctl(
        &[
            "decode",
            "--json",
            &hex("notification-cease-shutdown-communication"),
        ],
        None,
    );
    let v = &json_lines(&out)[0];
    assert_eq!(v["reading"]["kind"], "shutdown");
    assert_eq!(
        v["reading"]["message"],
        "This is a test of the shutdown communication system."
    );
    // Hard Reset (6/9) around Administrative Shutdown (6/2) with RFC 9003 text.
    let text = b"maintenance";
    let mut body = vec![6, 9, 6, 2, text.len() as u8];
    body.extend_from_slice(text);
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    msg.push(3);
    msg.extend_from_slice(&body);
    let h: String = msg.iter().map(|b| format!("{b:02x}")).collect();
    let (_, out, _) = evpnctl(&["decode", "--json", &h], None);
    let v = &json_lines(&out)[0];
    assert_eq!(v["reading"]["kind"], "hard_reset", "{v}");
    assert_eq!(v["reading"]["code"], 6);
    assert_eq!(v["reading"]["subcode"], 2);
    assert_eq!(v["reading"]["name"], "Cease / Administrative Shutdown");
    assert_eq!(v["reading"]["inner"]["message"], "maintenance", "{v}");
    let (_, out, _) = evpnctl(&["decode", &h], None);
    assert!(
        out.contains("hard reset for Cease / Administrative Shutdown (6/2): \"maintenance\""),
        "{out}"
    );
}
