//! `[api]`, `[metrics]`, `[log]` rules: exact `file:line:col: message`.

mod common;
use common::check;

#[test]
fn api_socket_must_be_absolute() {
    check(
        &["[api]", r#"socket = "evpnd.sock""#],
        &[r#"fabric.toml:5:10: api.socket "evpnd.sock" must be an absolute path"#],
    );
}

#[test]
fn tls_files_come_in_pairs() {
    check(
        &[
            "[api]",
            r#"listen = "127.0.0.1:50051""#,
            r#"tls_cert = "/etc/evpnd/cert.pem""#,
        ],
        &["fabric.toml:6:12: api.tls_cert needs api.tls_key"],
    );
    check(
        &[
            "[api]",
            r#"listen = "127.0.0.1:50051""#,
            r#"tls_key = "/etc/evpnd/key.pem""#,
        ],
        &["fabric.toml:6:11: api.tls_key needs api.tls_cert"],
    );
    check(
        &[
            "[api]",
            r#"listen = "127.0.0.1:50051""#,
            r#"client_ca = "/etc/evpnd/ca.pem""#,
        ],
        &["fabric.toml:6:13: api.client_ca needs api.tls_cert and api.tls_key"],
    );
}

#[test]
fn tls_without_listener() {
    check(
        &[
            "[api]",
            r#"tls_cert = "/etc/evpnd/cert.pem""#,
            r#"tls_key = "/etc/evpnd/key.pem""#,
        ],
        &[
            "fabric.toml:5:12: api.tls_cert is set but api.listen is not: TLS is only used on the TCP listener",
        ],
    );
}

#[test]
fn network_listener_needs_tls() {
    check(
        &["[api]", r#"listen = "0.0.0.0:50051""#],
        &[
            "fabric.toml:5:10: api.listen 0.0.0.0:50051 is reachable from the network but has no TLS: set tls_cert and tls_key, or listen on a loopback address",
        ],
    );
    common::valid(&["[api]", r#"listen = "[::1]:50051""#]);
}

#[test]
fn listeners_must_not_clash() {
    check(
        &[
            "[api]",
            r#"listen = "127.0.0.1:179""#,
            "[metrics]",
            r#"listen = "127.0.0.1:179""#,
        ],
        &[
            "fabric.toml:5:10: api.listen 127.0.0.1:179 clashes with bgp.listen 0.0.0.0:179",
            "fabric.toml:7:10: metrics.listen 127.0.0.1:179 clashes with api.listen 127.0.0.1:179",
            "fabric.toml:7:10: metrics.listen 127.0.0.1:179 clashes with bgp.listen 0.0.0.0:179",
        ],
    );
}

#[test]
fn log_level() {
    check(
        &["[log]", r#"level = "verbose""#],
        &[
            r#"fabric.toml:5:9: log.level "verbose" is invalid: "verbose" is not a level (expected one of off, error, warn, info, debug, trace, or target=level)"#,
        ],
    );
    check(
        &["[log]", r#"level = "info,evpnd=loud""#],
        &[
            r#"fabric.toml:5:9: log.level "info,evpnd=loud" is invalid: "loud" is not a level (expected one of off, error, warn, info, debug, trace, or target=level)"#,
        ],
    );
    check(
        &["[log]", r#"level = "info,=debug""#],
        &[
            r#"fabric.toml:5:9: log.level "info,=debug" is invalid: "" is not a module path (in "=debug")"#,
        ],
    );
    common::valid(&[
        "[log]",
        r#"level = "info,evpnd_session=debug,evpnd::core=TRACE""#,
    ]);
    check(
        &["[log]", r#"format = "xml""#],
        &["fabric.toml:5:10: unknown variant `xml`, expected `human` or `json`"],
    );
}
