//! `evpnctl migrate`'s output: the plan for review (map, fabric.toml or its
//! diff, numbered steps with their inverses, notes, refusals), and what
//! apply and rollback did. `--json` prints the serde form instead (field
//! names of `evpnd_migrate`, see docs/evpnctl.md).

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use evpnd_migrate::{Done, Failed, Journal, Plan, Source};

use crate::output;

/// Prints `text`; the exit code of a write that failed.
pub fn print(text: &str) -> ExitCode {
    match output::emit(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(s) => output::exit_code(s),
    }
}

pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

fn source(s: &Source) -> String {
    match s {
        Source::Vlan => "vlan".into(),
        Source::FloodAndLearn => "flood-and-learn".into(),
        Source::Multicast { group } => format!("multicast {group}"),
        Source::Vxlan => "vxlan".into(),
    }
}

pub fn refusals(p: &Plan) -> String {
    let mut s = String::new();
    if !p.refusals.is_empty() {
        s.push_str("\nRefused (the plan cannot be applied):\n");
        for r in &p.refusals {
            let _ = writeln!(s, "  - {r}");
        }
    }
    s
}

/// The plan for review.
pub fn plan(p: &Plan) -> String {
    let mut s = String::from("VLAN → VNI map:\n");
    if p.mappings.is_empty() {
        s.push_str("  (nothing to migrate)\n");
    } else {
        let _ = writeln!(
            s,
            "  {:<6} {:<9} {:<12} {:<14} {:<24} STATIC VTEPS",
            "VLAN", "VNI", "BRIDGE", "VXLAN DEVICE", "FROM"
        );
        for m in &p.mappings {
            let vlan = m.vlan.map_or("-".to_string(), |v| v.to_string());
            let vteps: Vec<String> = m.static_vteps.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(
                s,
                "  {vlan:<6} {:<9} {:<12} {:<14} {:<24} {}",
                m.vni,
                m.bridge,
                m.vxlan_device,
                source(&m.source),
                if vteps.is_empty() {
                    "-".into()
                } else {
                    vteps.join(",")
                }
            );
        }
    }
    match &p.config_diff {
        Some(d) if d.is_empty() => s.push_str("\nfabric.toml: no change\n"),
        Some(d) => {
            s.push_str("\nfabric.toml changes:\n");
            s.push_str(d);
        }
        None if !p.fabric_toml.is_empty() => {
            s.push_str("\nfabric.toml (proposed):\n");
            s.push_str(&p.fabric_toml);
        }
        None => {}
    }
    if p.steps.is_empty() {
        s.push_str("\nKernel steps: none\n");
    } else {
        let _ = writeln!(s, "\nKernel steps ({}):", p.steps.len());
        for st in &p.steps {
            let warn = if st.disruptive { " [disruptive]" } else { "" };
            let _ = writeln!(s, "  {:>3}. {}{warn}", st.number, st.command);
            let _ = writeln!(s, "       why:  {}", st.why);
            for inv in &st.inverse {
                let _ = writeln!(s, "       undo: {inv}");
            }
        }
    }
    if !p.notes.is_empty() {
        s.push_str("\nNotes:\n");
        for n in &p.notes {
            let _ = writeln!(s, "  - {n}");
        }
    }
    s + &refusals(p)
}

fn done_lines(s: &mut String, done: &[Done], dry: bool, undo: bool) {
    for d in done {
        let what = match (d.made, dry) {
            (true, true) => "would run",
            (true, false) if undo => "undone",
            (true, false) => "made",
            (false, _) => "already done",
        };
        let _ = writeln!(s, "  step {:>3}: {what:<12} {}", d.step, d.command);
    }
}

/// `--json` output of `apply` and `rollback`: what was done, or where it
/// stopped (exit status 1).
fn done_json(r: &Result<Vec<Done>, Failed>, dry: bool) -> ExitCode {
    let v = match r {
        Ok(done) => serde_json::json!({"ok": true, "dry_run": dry, "done": done}),
        Err(f) => serde_json::json!({"ok": false, "dry_run": dry, "failed": f}),
    };
    let code = print(&json(&v));
    if r.is_ok() { code } else { ExitCode::from(1) }
}

/// What `apply` did, or where it stopped.
pub fn applied(
    r: &Result<Vec<Done>, Failed>,
    journal: &Path,
    dry: bool,
    json: bool,
    j: &Journal,
) -> ExitCode {
    if json {
        return done_json(r, dry);
    }
    let mut s = String::new();
    let made = match r {
        Ok(done) => {
            done_lines(&mut s, done, dry, false);
            done.iter().filter(|d| d.made).count()
        }
        Err(f) => {
            done_lines(&mut s, &f.done, dry, false);
            let _ = writeln!(s, "\nstopped: {f}");
            let _ = writeln!(
                s,
                "the journal {} holds the {} step(s) made so far; `evpnctl migrate rollback --journal {}` undoes them",
                journal.display(),
                j.entries.len(),
                journal.display()
            );
            let _ = print(&s);
            return ExitCode::from(1);
        }
    };
    if dry {
        let _ = writeln!(s, "dry run: {made} step(s) would be made, nothing changed");
    } else {
        let _ = writeln!(s, "{made} step(s) made, journaled in {}", journal.display());
    }
    print(&s)
}

/// What `rollback` did.
pub fn rolled_back(
    r: &Result<Vec<Done>, Failed>,
    journal: &Path,
    dry: bool,
    json: bool,
) -> ExitCode {
    if json {
        return done_json(r, dry);
    }
    let mut s = String::new();
    match r {
        Ok(done) => {
            done_lines(&mut s, done, dry, true);
            if dry {
                s.push_str("dry run: nothing changed\n");
            } else {
                let _ = writeln!(s, "rolled back; {} removed", journal.display());
            }
            print(&s)
        }
        Err(f) => {
            done_lines(&mut s, &f.done, dry, true);
            let _ = writeln!(
                s,
                "\nstopped: {f}\nthe journal {} keeps what is left to undo; fix the cause and run rollback again",
                journal.display()
            );
            let _ = print(&s);
            ExitCode::from(1)
        }
    }
}
