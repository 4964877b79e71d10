//! Rules that involve more than one key, each error pointing at the key it is
//! about. All errors are collected, in file order.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::error::{ConfigError, ConfigErrors, line_col};
use crate::model::{AutoOr, Config};

struct Collector<'a> {
    text: &'a str,
    file: &'a str,
    errors: Vec<(usize, ConfigError)>,
}

impl Collector<'_> {
    fn err(&mut self, span: Range<usize>, message: String) {
        let (line, col) = if span.end == 0 {
            (0, 0)
        } else {
            line_col(self.text, span.start)
        };
        self.errors.push((
            span.start,
            ConfigError {
                file: self.file.to_string(),
                line,
                col,
                message,
            },
        ));
    }
}

fn check_timers(
    c: &mut Collector<'_>,
    who: &str,
    hold: Option<(u16, Range<usize>)>,
    keepalive: Option<(u16, Range<usize>)>,
    eff_hold: u16,
) {
    if let Some((h, span)) = hold
        && (h == 1 || h == 2)
    {
        c.err(
            span,
            format!("{who}hold_time {h} is invalid (must be 0 or at least 3)"),
        );
    }
    if let Some((k, span)) = keepalive
        && eff_hold != 0
        && k >= eff_hold
    {
        c.err(
            span,
            format!("{who}keepalive {k} must be less than the hold time {eff_hold}"),
        );
    }
}

pub fn validate(cfg: &Config, text: &str, file: &str) -> Result<(), ConfigErrors> {
    let mut c = Collector {
        text,
        file,
        errors: Vec::new(),
    };
    let asn = *cfg.bgp.asn.get_ref();
    if asn == 0 || asn == 23456 {
        c.err(
            cfg.bgp.asn.span(),
            format!("asn {asn} is reserved (RFC 7607 / RFC 6793 AS_TRANS)"),
        );
    }
    let g_hold = *cfg.bgp.hold_time.get_ref();
    check_timers(
        &mut c,
        "",
        Some((g_hold, cfg.bgp.hold_time.span())),
        cfg.bgp.keepalive.as_ref().map(|k| (*k.get_ref(), k.span())),
        g_hold,
    );

    let mut seen = HashSet::new();
    for n in &cfg.neighbor {
        let addr = *n.address.get_ref();
        let who = format!("neighbor {addr}: ");
        if !seen.insert(addr) {
            c.err(
                n.address.span(),
                format!("neighbor {addr} is configured twice"),
            );
        }
        if n.remote_asn == 0 || n.remote_asn == 23456 {
            c.err(
                n.address.span(),
                format!("{who}remote_asn {} is reserved", n.remote_asn),
            );
        }
        if let Some(t) = &n.ttl_security {
            if n.ebgp_multihop.is_some() {
                c.err(t.span(), format!("{who}ttl_security and ebgp_multihop cannot both be set (GTSM fixes the TTL at 255)"));
            }
            if *t.get_ref() == 0 {
                c.err(t.span(), format!("{who}ttl_security must be 1 to 254 hops"));
            }
        }
        let eff_hold = cfg.hold_time(n);
        check_timers(
            &mut c,
            &who,
            n.hold_time.as_ref().map(|h| (*h.get_ref(), h.span())),
            n.keepalive.as_ref().map(|k| (*k.get_ref(), k.span())),
            eff_hold,
        );
        if n.families.is_empty() {
            c.err(
                n.address.span(),
                format!("{who}families is empty: the session would carry nothing"),
            );
        }
        if n.port == 0 {
            c.err(n.address.span(), format!("{who}port 0 is invalid"));
        }
    }

    let mut vnis = HashSet::new();
    let mut folded: HashMap<u32, u32> = HashMap::new();
    for v in &cfg.evpn.vni {
        let vni = v.vni.get_ref().get();
        if vni == 0 {
            c.err(
                v.vni.span(),
                "vni 0 is not a valid VXLAN network identifier".into(),
            );
        }
        if !vnis.insert(vni) {
            c.err(v.vni.span(), format!("vni {vni} is configured twice"));
        }
        if v.rd == AutoOr::Auto {
            // Auto RDs use vni % 65536 as the number: two VNIs must not fold together.
            if let Some(other) = folded.insert(vni % 65536, vni)
                && other != vni
            {
                c.err(
                    v.vni.span(),
                    format!("vni {vni} and vni {other} would get the same auto RD (number {}): set rd explicitly", vni % 65536),
                );
            }
        }
        let mut macs = HashSet::new();
        for m in &v.macs {
            let sm = m.get_ref();
            if sm.mac.is_multicast() || sm.mac.is_zero() {
                c.err(
                    m.span(),
                    format!("vni {vni}: {} is not a unicast MAC address", sm.mac),
                );
            }
            if !macs.insert((sm.mac, sm.ip)) {
                c.err(
                    m.span(),
                    format!("vni {vni}: static MAC {} listed twice", sm.mac),
                );
            }
        }
    }
    if c.errors.is_empty() {
        return Ok(());
    }
    c.errors.sort_by_key(|(at, _)| *at);
    Err(ConfigErrors(c.errors.into_iter().map(|(_, e)| e).collect()))
}
