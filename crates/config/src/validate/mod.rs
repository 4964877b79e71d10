//! Rules that serde cannot express: ranges, reserved values, combinations of
//! keys, duplicates. Every error points at the value it is about (by key path,
//! see [`crate::spans`]); all of them are collected and reported in file order.

mod bgp;
mod bmp;
mod evpn;
mod policy;
mod service;
mod vrf;

pub use policy::prefix_range;

use std::net::IpAddr;

use crate::error::{ConfigError, ConfigErrors, LineIndex};
use crate::model::Config;
use crate::spans::{Seg, Spans};

/// Checks `cfg`, which was parsed from `text` (used for positions).
pub fn validate(cfg: &Config, text: &str, file: &str) -> Result<(), ConfigErrors> {
    check(cfg, &Spans::parse(text), text, file)
}

impl Config {
    /// Checks a configuration built in code (API, tests): same rules, errors
    /// without positions.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        check(self, &Spans::none(), "", "<config>")
    }
}

pub(crate) fn check(
    cfg: &Config,
    spans: &Spans<'_>,
    text: &str,
    file: &str,
) -> Result<(), ConfigErrors> {
    let mut c = Collector {
        spans,
        lines: LineIndex::new(text),
        file,
        errors: Vec::new(),
    };
    bgp::check(cfg, &mut c);
    evpn::check(cfg, &mut c);
    vrf::check(cfg, &mut c);
    service::check(cfg, &mut c);
    bmp::check(cfg, &mut c);
    policy::check(cfg, &mut c);
    if c.errors.is_empty() {
        return Ok(());
    }
    c.errors.sort_by_key(|(at, _)| *at);
    Err(ConfigErrors(c.errors.into_iter().map(|(_, e)| e).collect()))
}

pub(crate) struct Collector<'a> {
    spans: &'a Spans<'a>,
    lines: LineIndex<'a>,
    file: &'a str,
    errors: Vec<(usize, ConfigError)>,
}

impl Collector<'_> {
    /// An error about the value at `path` (or its table, when defaulted).
    pub fn err(&mut self, path: &[Seg<'_>], message: impl Into<String>) {
        let span = self.spans.at(path);
        self.push(span.map(|s| s.start), message.into());
    }

    /// A path option must be absolute (the daemon's working directory is
    /// nobody's business); `name` is the key as the message shows it.
    pub fn absolute(&mut self, path: &[Seg<'_>], name: &str, p: &std::path::Path) {
        if !p.is_absolute() {
            let shown = p.display().to_string();
            self.err(path, format!("{name} {shown:?} must be an absolute path"));
        }
    }

    /// Whether the operator wrote the key at `path` (as opposed to a default).
    pub fn written(&self, path: &[Seg<'_>]) -> bool {
        self.spans.key(path).is_some()
    }

    fn push(&mut self, at: Option<usize>, message: String) {
        let e = match at {
            Some(at) => ConfigError::at_index(self.file, &self.lines, at, message),
            None => ConfigError::whole_file(self.file, message),
        };
        self.errors.push((at.unwrap_or(0), e));
    }
}

/// Why an AS number cannot be used, if it cannot.
pub(crate) fn reserved_asn(asn: u32) -> Option<&'static str> {
    match asn {
        0 => Some("RFC 7607"),
        23456 => Some("AS_TRANS, RFC 6793"),
        _ => None,
    }
}

/// A unicast address a host or peer can have.
pub(crate) fn is_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => !(a.is_unspecified() || a.is_multicast() || a.is_broadcast()),
        IpAddr::V6(a) => !(a.is_unspecified() || a.is_multicast()),
    }
}

/// Linux `dev_valid_name`: 1..=15 bytes, not `.`/`..`, no `/`, `:` or whitespace.
pub(crate) fn is_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 16
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}
