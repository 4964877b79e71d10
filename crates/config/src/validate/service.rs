//! `[api]`, `[metrics]`, `[log]` rules.

use std::net::SocketAddr;

use super::Collector;
use crate::model::Config;
use crate::path;

pub(super) fn check(cfg: &Config, c: &mut Collector<'_>) {
    let a = &cfg.api;
    c.absolute(path!["api", "socket"], "api.socket", &a.socket);
    sockets(a, c);
    match (&a.tls_cert, &a.tls_key) {
        (Some(_), None) => c.err(path!["api", "tls_cert"], "api.tls_cert needs api.tls_key"),
        (None, Some(_)) => c.err(path!["api", "tls_key"], "api.tls_key needs api.tls_cert"),
        _ => {}
    }
    let tls = a.tls_cert.is_some() && a.tls_key.is_some();
    if a.client_ca.is_some() && !tls {
        c.err(
            path!["api", "client_ca"],
            "api.client_ca needs api.tls_cert and api.tls_key",
        );
    }
    match a.listen {
        None if a.tls_cert.is_some() => c.err(
            path!["api", "tls_cert"],
            "api.tls_cert is set but api.listen is not: TLS is only used on the TCP listener",
        ),
        Some(l) if !tls && !l.ip().is_loopback() => c.err(
            path!["api", "listen"],
            format!("api.listen {l} is reachable from the network but has no TLS: set tls_cert and tls_key, or listen on a loopback address"),
        ),
        _ => {}
    }
    if let Some(m) = cfg.metrics.listen {
        if let Some(l) = a.listen
            && clash(m, l)
        {
            c.err(
                path!["metrics", "listen"],
                format!("metrics.listen {m} clashes with api.listen {l}"),
            );
        }
        if let Some(b) = cfg.bgp.listen.iter().find(|b| clash(m, **b)) {
            c.err(
                path!["metrics", "listen"],
                format!("metrics.listen {m} clashes with bgp.listen {b}"),
            );
        }
    }
    if let Some(l) = a.listen
        && let Some(b) = cfg.bgp.listen.iter().find(|b| clash(l, **b))
    {
        c.err(
            path!["api", "listen"],
            format!("api.listen {l} clashes with bgp.listen {b}"),
        );
    }
    if let Err(why) = log_level(&cfg.log.level) {
        c.err(
            path!["log", "level"],
            format!("log.level {:?} is invalid: {why}", cfg.log.level),
        );
    }
}

/// Where "others" may write a socket, any local user may connect.
const OTHERS_WRITE: u32 = 0o002;

/// `socket_group`, `socket_mode` and the read-only socket.
fn sockets(a: &crate::model::Api, c: &mut Collector<'_>) {
    for (key, g) in [
        ("socket_group", &a.socket_group),
        ("readonly_socket_group", &a.readonly_socket_group),
    ] {
        if let Some(g) = g
            && let Err(why) = group_name(g)
        {
            c.err(path!["api", key], format!("api.{key} {g:?} {why}"));
        }
    }
    if a.socket_mode.0 & OTHERS_WRITE != 0 {
        c.err(
            path!["api", "socket_mode"],
            format!(
                "api.socket_mode {} lets every local user change the daemon; give monitoring tools api.readonly_socket instead",
                a.socket_mode
            ),
        );
    }
    match &a.readonly_socket {
        Some(ro) => {
            c.absolute(path!["api", "readonly_socket"], "api.readonly_socket", ro);
            if *ro == a.socket {
                c.err(
                    path!["api", "readonly_socket"],
                    "api.readonly_socket must differ from api.socket",
                );
            }
        }
        None => {
            for key in ["readonly_socket_group", "readonly_socket_mode"] {
                if c.written(path!["api", key]) {
                    c.err(
                        path!["api", key],
                        format!("api.{key} is set but api.readonly_socket is not"),
                    );
                }
            }
        }
    }
}

/// A group name as `groupadd` accepts it, or a number.
fn group_name(g: &str) -> Result<(), &'static str> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
    match g.as_bytes() {
        [] => Err("is empty"),
        [first, ..] if *first == b'-' => Err("must not start with '-'"),
        b if b.iter().all(|b| ok(*b)) => Ok(()),
        _ => Err("is not a group name (letters, digits, '_', '-', '.')"),
    }
}

/// Two listeners that cannot both bind: same port, and the same address or a
/// wildcard of the same family.
fn clash(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port()
        && (a.ip() == b.ip()
            || (a.is_ipv4() == b.is_ipv4() && (a.ip().is_unspecified() || b.ip().is_unspecified())))
}

const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// A subset of tracing's `EnvFilter` syntax that catches typos: a level, or
/// comma-separated `level` / `target=level` directives. A bare word that is
/// not a level is rejected (EnvFilter would read it as a target at every level).
fn log_level(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err(format!("empty (expected one of {})", LEVELS.join(", ")));
    }
    for d in s.split(',').map(str::trim) {
        let (target, level) = match d.split_once('=') {
            Some((t, l)) => (Some(t.trim()), l.trim()),
            None => (None, d),
        };
        if let Some(t) = target
            && (t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-'))
        {
            return Err(format!("{t:?} is not a module path (in {d:?})"));
        }
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "{level:?} is not a level (expected one of {}, or target=level)",
                LEVELS.join(", ")
            ));
        }
    }
    Ok(())
}
