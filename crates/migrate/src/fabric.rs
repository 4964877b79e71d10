//! The proposed `fabric.toml`: a new file, or the operator's file with the
//! VNIs merged in. The merge edits lines, so comments and layout of the
//! existing file survive and the diff shows only what changes:
//!
//! * a VNI without a `[[evpn.vni]]` block gets one, appended;
//! * a VNI's block gets its `static_vteps` line replaced, added or removed;
//! * `[evpn] vtep_ip` is added when the file has none.
//!
//! The result is checked with `evpnd-config` (the daemon's own parser and
//! validation); what it finds is returned as problems.

use std::fmt::Write;
use std::net::IpAddr;

use crate::plan::{Mapping, Options, Source};

/// The proposal: the file, its diff against the current one, and what
/// the daemon's validation says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub text: String,
    pub diff: Option<String>,
    pub problems: Vec<String>,
}

/// The name the proposal is validated under when there is no file.
const PROPOSED: &str = "fabric.toml (proposed)";

pub fn propose(opts: &Options, maps: &[Mapping], config: Option<(&str, &str)>) -> Proposal {
    let (text, diff, name) = match config {
        None => (new_file(opts, maps), None, PROPOSED.to_string()),
        Some((file, old)) => {
            // A file that is wrong already is the operator's to fix first.
            if let Err(errs) = evpnd_config::parse(old, file) {
                return Proposal {
                    text: old.to_string(),
                    diff: None,
                    problems: errs.iter().map(|e| e.to_string()).collect(),
                };
            }
            let text = merge(old, opts, maps);
            let diff = crate::diff::unified(old, &text, file, &format!("{file} (proposed)"));
            (text, Some(diff), file.to_string())
        }
    };
    let problems = match evpnd_config::parse(&text, &name) {
        Ok(_) => Vec::new(),
        Err(errs) => errs.iter().map(|e| e.to_string()).collect(),
    };
    Proposal {
        text,
        diff,
        problems,
    }
}

fn quoted_list(ips: &[IpAddr]) -> String {
    let items: Vec<String> = ips.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", items.join(", "))
}

/// The comment above a VNI's block: where it comes from.
fn comment(m: &Mapping) -> String {
    let vlan = m.vlan.map(|v| format!("VLAN {v} on ")).unwrap_or_default();
    let what = match &m.source {
        Source::Vlan => "new VXLAN device".to_string(),
        Source::FloodAndLearn if m.static_vteps.is_empty() => {
            "flood-and-learn, every VTEP speaks EVPN".to_string()
        }
        Source::FloodAndLearn => "flood-and-learn, static VTEPs kept".to_string(),
        Source::Multicast { group } if m.flood_group.is_some() => format!("BUM on group {group}"),
        Source::Multicast { group } => format!("was group {group}, now ingress replication"),
        Source::Vxlan => "existing VXLAN device".to_string(),
    };
    format!("# {vlan}{} → {} ({what})", m.bridge, m.vxlan_device)
}

fn block(m: &Mapping) -> String {
    let mut s = format!("{}\n[[evpn.vni]]\nvni = {}\n", comment(m), m.vni);
    if !m.static_vteps.is_empty() {
        let _ = writeln!(s, "static_vteps = {}", quoted_list(&m.static_vteps));
    }
    s
}

/// A file from scratch.
fn new_file(opts: &Options, maps: &[Mapping]) -> String {
    let mut s = String::from(
        "# Proposed by `evpnctl migrate plan`. Add the [[neighbor]]s (route\n\
         # reflectors or spines) before starting evpnd; every key is described in\n\
         # docs/configuration.md, the migration in docs/migration.md.\n\n[bgp]\n",
    );
    match opts.asn {
        Some(a) => {
            let _ = writeln!(s, "asn = {a}");
        }
        None => s.push_str("# asn = 65000                   # give --asn\n"),
    }
    let rid = opts.router_id.or(match opts.vtep_ip {
        Some(IpAddr::V4(v)) => Some(v),
        _ => None,
    });
    if let Some(r) = rid {
        let _ = writeln!(s, "router_id = \"{r}\"");
    }
    s.push_str("\n[evpn]\n");
    if let Some(v) = opts.vtep_ip {
        let _ = writeln!(s, "vtep_ip = \"{v}\"");
    }
    for m in maps {
        s.push('\n');
        s.push_str(&block(m));
    }
    s
}

/// A `[header]` line (not a line of a multi-line array).
fn header(line: &str) -> Option<&str> {
    let t = line.trim();
    let t = t.split('#').next().unwrap_or("").trim();
    (t.starts_with('[') && t.ends_with(']') && !t.contains('=')).then_some(t)
}

/// `key = value` of a line, if it sets `key`.
fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let (k, v) = line.split_once('=')?;
    (k.trim() == key).then(|| v.split('#').next().unwrap_or("").trim())
}

/// The `[[evpn.vni]]` blocks: (first line, end line exclusive, VNI).
fn vni_blocks(lines: &[String]) -> Vec<(usize, usize, Option<u32>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if header(&lines[i]) != Some("[[evpn.vni]]") {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let mut vni = None;
        while i < lines.len() && header(&lines[i]).is_none() {
            if let Some(v) = value_of(&lines[i], "vni") {
                vni = v.parse().ok();
            }
            i += 1;
        }
        out.push((start, i, vni));
    }
    out
}

/// The lines a `key = [...]` starting at `at` spans (a multi-line array).
fn span(lines: &[String], at: usize) -> usize {
    let mut depth = 0i32;
    for (k, l) in lines[at..].iter().enumerate() {
        let code = l.split('#').next().unwrap_or("");
        depth += code.matches('[').count() as i32 - code.matches(']').count() as i32;
        if depth <= 0 {
            return k + 1;
        }
    }
    lines.len() - at
}

/// The operator's file with the proposal merged in.
fn merge(old: &str, opts: &Options, maps: &[Mapping]) -> String {
    let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
    let mut append = Vec::new();
    // Edits from the bottom up, so earlier line numbers stay valid.
    let blocks = vni_blocks(&lines);
    let mut edits: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for m in maps {
        let Some(&(start, end, _)) = blocks.iter().find(|b| b.2 == Some(m.vni)) else {
            append.push(block(m));
            continue;
        };
        let want: Vec<String> = if m.static_vteps.is_empty() {
            vec![]
        } else {
            vec![format!("static_vteps = {}", quoted_list(&m.static_vteps))]
        };
        match (start..end).find(|&i| value_of(&lines[i], "static_vteps").is_some()) {
            Some(i) => edits.push((i, span(&lines, i), want)),
            None if !want.is_empty() => {
                let at = (start..end)
                    .find(|&i| value_of(&lines[i], "vni").is_some())
                    .map_or(start + 1, |i| i + 1);
                edits.push((at, 0, want));
            }
            None => {}
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (at, len, with) in edits {
        lines.splice(at..at + len, with);
    }
    if let Some(v) = opts.vtep_ip {
        vtep_ip(&mut lines, v);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    for b in append {
        text.push('\n');
        text.push_str(&b);
    }
    text
}

/// Adds `[evpn] vtep_ip` when the file has none: under `[evpn]`, or in a
/// new `[evpn]` before the first `[[evpn.vni]]` (or at the end).
fn vtep_ip(lines: &mut Vec<String>, v: IpAddr) {
    let evpn = lines.iter().position(|l| header(l) == Some("[evpn]"));
    if let Some(at) = evpn {
        let has = lines[at + 1..]
            .iter()
            .take_while(|l| header(l).is_none())
            .any(|l| value_of(l, "vtep_ip").is_some());
        if !has {
            lines.insert(at + 1, format!("vtep_ip = \"{v}\""));
        }
        return;
    }
    let at = lines
        .iter()
        .position(|l| {
            header(l).is_some_and(|h| h.starts_with("[[evpn.") || h.starts_with("[evpn."))
        })
        .unwrap_or(lines.len());
    lines.splice(
        at..at,
        [
            "[evpn]".to_string(),
            format!("vtep_ip = \"{v}\""),
            String::new(),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Source;

    fn vlan_map(vni: u32) -> Mapping {
        Mapping {
            vlan: Some(100),
            vni,
            bridge: "br100".into(),
            vxlan_device: format!("vxlan{vni}"),
            source: Source::Vlan,
            static_vteps: vec![],
            flood_group: None,
        }
    }

    fn opts() -> Options {
        Options {
            vtep_ip: Some("10.0.0.1".parse().expect("ip")),
            ..Options::default()
        }
    }

    #[test]
    fn vtep_ip_goes_into_a_new_evpn_table_before_the_vnis() {
        let old = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\n[[evpn.vni]]\nvni = 7\n";
        let p = propose(&opts(), &[vlan_map(10100)], Some(("f.toml", old)));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(
            p.text,
            "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\n[evpn]\nvtep_ip = \"10.0.0.1\"\n\n[[evpn.vni]]\nvni = 7\n\n# VLAN 100 on br100 → vxlan10100 (new VXLAN device)\n[[evpn.vni]]\nvni = 10100\n"
        );
    }

    #[test]
    fn an_existing_vtep_ip_and_vni_are_left_as_they_are() {
        let old = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.9\"\n\n[evpn]\nvtep_ip = \"10.0.0.9\"  # ours\n\n[[evpn.vni]]\nvni = 10100   # already here\n";
        let p = propose(&opts(), &[vlan_map(10100)], Some(("f.toml", old)));
        assert_eq!(p.text, old);
        assert_eq!(p.diff.as_deref(), Some(""));
    }

    #[test]
    fn a_static_vteps_line_is_added_under_the_vni() {
        let old = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.9\"\n\n[[evpn.vni]]\n# legacy\nvni = 5000\nrd = \"auto\"\n";
        let mut m = vlan_map(5000);
        m.source = Source::FloodAndLearn;
        m.static_vteps = vec!["10.0.0.2".parse().expect("ip")];
        let p = propose(&Options::default(), &[m], Some(("f.toml", old)));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(
            p.text,
            "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.9\"\n\n[[evpn.vni]]\n# legacy\nvni = 5000\nstatic_vteps = [\"10.0.0.2\"]\nrd = \"auto\"\n"
        );
    }
}
