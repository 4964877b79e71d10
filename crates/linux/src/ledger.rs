//! The flood ledger: which all-zero-MAC flood entries evpnd wrote.
//!
//! The VXLAN FDB keeps neither `NDA_PROTOCOL` nor `extern_learn` on a flood
//! entry (checked on 6.1 and 6.18: `bridge fdb append 00:00:00:00:00:00 ...
//! extern_learn` dumps without the flag), so nothing in the kernel says an
//! entry is ours. The ledger does: a small file, one `VNI VTEP` line per
//! entry, rewritten whole (temporary file + rename) whenever the set changes.
//! A key is recorded *before* the write that creates it and forgotten only
//! once its delete succeeded, so after a crash the file names at least every
//! entry of ours in the kernel, never one of the operator's (an entry the
//! operator added for the same VNI and VTEP is the same kernel entry).
//!
//! ```text
//! # evpnd flood entries (ADR 0008); rewritten by evpnd, do not edit
//! 100 192.0.2.12
//! 200 2001:db8::12
//! ```

use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use evpnd_wire::Vni;

const HEADER: &str = "# evpnd flood entries (ADR 0008); rewritten by evpnd, do not edit\n";

/// The recorded flood entries, and the file they live in (none: in memory
/// only, as in unit tests).
#[derive(Debug, Default)]
pub struct FloodLedger {
    path: Option<PathBuf>,
    keys: BTreeSet<(Vni, IpAddr)>,
}

impl FloodLedger {
    /// Reads the ledger of a previous run. A missing file is an empty ledger;
    /// lines that do not parse are reported and dropped (the entries they
    /// named are then left alone, as an operator's would be).
    pub fn load(path: Option<PathBuf>) -> (FloodLedger, Vec<String>) {
        let mut warnings = Vec::new();
        let mut keys = BTreeSet::new();
        if let Some(p) = &path {
            match std::fs::read_to_string(p) {
                Ok(text) => {
                    let (k, w) = parse(&text, p);
                    keys = k;
                    warnings = w;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => warnings.push(format!(
                    "cannot read the flood ledger {}: {e}; flood entries of a previous run will not be swept",
                    p.display()
                )),
            }
        }
        (FloodLedger { path, keys }, warnings)
    }

    pub fn contains(&self, vni: Vni, vtep: IpAddr) -> bool {
        self.keys.contains(&(vni, vtep))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Records keys about to be written; saves when any was new.
    pub fn record(&mut self, keys: impl IntoIterator<Item = (Vni, IpAddr)>) -> Result<(), String> {
        let mut changed = false;
        for k in keys {
            changed |= self.keys.insert(k);
        }
        if changed { self.save() } else { Ok(()) }
    }

    /// Forgets keys whose entries are gone from the kernel; saves when any was known.
    pub fn forget(&mut self, keys: impl IntoIterator<Item = (Vni, IpAddr)>) -> Result<(), String> {
        let mut changed = false;
        for k in keys {
            changed |= self.keys.remove(&k);
        }
        if changed { self.save() } else { Ok(()) }
    }

    /// Keeps only the keys `keep` accepts (after the first dump: entries
    /// no longer in the kernel need no record); saves when any went.
    pub fn retain(&mut self, mut keep: impl FnMut(Vni, IpAddr) -> bool) -> Result<(), String> {
        let before = self.keys.len();
        self.keys.retain(|(v, ip)| keep(*v, *ip));
        if self.keys.len() != before {
            self.save()
        } else {
            Ok(())
        }
    }

    fn save(&self) -> Result<(), String> {
        let Some(p) = &self.path else { return Ok(()) };
        write_atomically(p, &render(&self.keys))
            .map_err(|e| format!("cannot write the flood ledger {}: {e}", p.display()))
    }
}

fn render(keys: &BTreeSet<(Vni, IpAddr)>) -> String {
    let mut s = String::from(HEADER);
    for (vni, ip) in keys {
        s.push_str(&format!("{} {ip}\n", vni.get()));
    }
    s
}

fn parse(text: &str, path: &Path) -> (BTreeSet<(Vni, IpAddr)>, Vec<String>) {
    let mut keys = BTreeSet::new();
    let mut warnings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let key = match (parts.next(), parts.next(), parts.next()) {
            (Some(v), Some(ip), None) => v
                .parse::<u32>()
                .ok()
                .filter(|v| *v != 0)
                .and_then(Vni::new)
                .zip(ip.parse::<IpAddr>().ok()),
            _ => None,
        };
        match key {
            Some(k) => {
                keys.insert(k);
            }
            None => warnings.push(format!(
                "{}:{}: not `VNI VTEP`: {line:?} (ignored)",
                path.display(),
                i + 1
            )),
        }
    }
    (keys, warnings)
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("flood.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vni(n: u32) -> Vni {
        Vni::new(n).expect("vni")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn a_recorded_key_survives_a_reload_and_a_forgotten_one_does_not() {
        let dir = std::env::temp_dir().join(format!("evpnd-ledger-{}", std::process::id()));
        let path = dir.join("x.flood");
        let _ = std::fs::remove_file(&path);
        let (mut l, w) = FloodLedger::load(Some(path.clone()));
        assert!(w.is_empty() && l.is_empty());
        l.record([(vni(100), ip("192.0.2.2")), (vni(200), ip("2001:db8::2"))])
            .expect("save");
        l.forget([(vni(100), ip("192.0.2.2"))]).expect("save");
        let (l2, w) = FloodLedger::load(Some(path.clone()));
        assert!(w.is_empty(), "{w:?}");
        assert!(!l2.contains(vni(100), ip("192.0.2.2")));
        assert!(l2.contains(vni(200), ip("2001:db8::2")));
        assert_eq!(l2.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_lines_are_reported_with_their_line_number_and_skipped() {
        let (keys, w) = parse(
            "# c\n100 192.0.2.2\nxyz 1.2.3.4\n0 192.0.2.3\n100\n100 192.0.2.4 extra\n",
            Path::new("/run/x.flood"),
        );
        assert_eq!(keys.len(), 1);
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(w[0].starts_with("/run/x.flood:3: "), "{}", w[0]);
    }

    #[test]
    fn retain_drops_what_the_kernel_no_longer_has() {
        let mut l = FloodLedger::default();
        l.record([(vni(1), ip("192.0.2.1")), (vni(2), ip("192.0.2.1"))])
            .expect("in memory");
        l.retain(|v, _| v == vni(2)).expect("in memory");
        assert!(!l.contains(vni(1), ip("192.0.2.1")));
        assert!(l.contains(vni(2), ip("192.0.2.1")));
    }
}
