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

#[test]
fn socket_group_mode_and_readonly_socket() {
    let c = common::valid(&[
        "[api]",
        r#"socket_group = "evpnd""#,
        r#"socket_mode = "0660""#,
        r#"readonly_socket = "/run/evpnd/evpnd-ro.sock""#,
        r#"readonly_socket_mode = "0666""#,
    ]);
    assert_eq!(c.api.socket_group.as_deref(), Some("evpnd"));
    assert_eq!(c.api.socket_mode.0, 0o660);
    assert_eq!(c.api.readonly_socket_mode.0, 0o666);
    let d = common::valid(&[]);
    assert_eq!((d.api.socket_mode.0, d.api.readonly_socket), (0o660, None));
}

#[test]
fn socket_mode_is_octal_text() {
    check(
        &["[api]", r#"socket_mode = "0966""#],
        &[r#"fabric.toml:5:15: socket mode "0966" is not octal permission bits like "0660""#],
    );
    check(
        &["[api]", r#"socket_mode = "4660""#],
        &[r#"fabric.toml:5:15: socket mode "4660" is not octal permission bits like "0660""#],
    );
}

#[test]
fn operator_socket_is_not_world_writable() {
    check(
        &["[api]", r#"socket_mode = "0666""#],
        &[
            "fabric.toml:5:15: api.socket_mode 0666 lets every local user change the daemon; give monitoring tools api.readonly_socket instead",
        ],
    );
}

#[test]
fn readonly_socket_rules() {
    check(
        &["[api]", r#"readonly_socket = "ro.sock""#],
        &[r#"fabric.toml:5:19: api.readonly_socket "ro.sock" must be an absolute path"#],
    );
    check(
        &["[api]", r#"readonly_socket = "/run/evpnd/evpnd.sock""#],
        &["fabric.toml:5:19: api.readonly_socket must differ from api.socket"],
    );
    check(
        &["[api]", r#"readonly_socket_mode = "0660""#],
        &["fabric.toml:5:24: api.readonly_socket_mode is set but api.readonly_socket is not"],
    );
    check(
        &["[api]", r#"socket_group = "ops team""#],
        &[
            r#"fabric.toml:5:16: api.socket_group "ops team" is not a group name (letters, digits, '_', '-', '.')"#,
        ],
    );
}
