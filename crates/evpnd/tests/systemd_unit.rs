//! `packaging/evpnd.service`: `systemd-analyze verify` accepts it (with the
//! binary paths pointed at this build; the man pages are checked after the
//! package is installed, in tests/run.sh), and the directives the operations
//! guide promises are there. systemd-analyze exits 0 on lines it ignores, so
//! any output at all fails the test; a broken copy proves the check bites.

use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../packaging/evpnd.service");
const INSTALLED_BINARY: &str = "/usr/sbin/evpnd";

/// The unit's text with the daemon at this build's path.
fn unit_here() -> String {
    let text = std::fs::read_to_string(UNIT).unwrap_or_else(|e| panic!("{UNIT}: {e}"));
    text.replace(INSTALLED_BINARY, env!("CARGO_BIN_EXE_evpnd"))
}

/// `systemd-analyze verify --man=no` on `text` saved as evpnd.service:
/// (success, everything it printed).
fn verify(dir: &Path, text: &str) -> (bool, String) {
    let path: PathBuf = dir.join("evpnd.service");
    std::fs::write(&path, text).expect("write the unit");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("systemd-analyze ({e}): apt-get install systemd"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("evpnd-unit-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn systemd_analyze_verify_is_silent() {
    let dir = temp_dir("ok");
    let (ok, said) = verify(&dir, &unit_here());
    assert!(
        ok && said.trim().is_empty(),
        "systemd-analyze verify:\n{said}"
    );
    // The same check on a typo: systemd says so (and still exits 0).
    let broken = unit_here().replace("Type=notify", "Type=notifyy");
    let (_, said) = verify(&dir, &broken);
    assert!(
        said.contains("notifyy"),
        "a broken unit went unnoticed: {said:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The values of `key=` lines in the [Service] section.
fn values(text: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}=");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn notify_watchdog_reload_and_capabilities() {
    let text = std::fs::read_to_string(UNIT).expect("unit");
    assert_eq!(values(&text, "Type"), ["notify"]);
    assert_eq!(values(&text, "NotifyAccess"), ["main"]);
    assert_eq!(values(&text, "WatchdogSec"), ["30s"]);
    assert!(
        values(&text, "ExecReload").contains(&"/bin/kill -HUP $MAINPID".to_string()),
        "SIGHUP reloads"
    );
    let caps = "CAP_NET_ADMIN CAP_NET_BIND_SERVICE";
    assert_eq!(values(&text, "CapabilityBoundingSet"), [caps]);
    assert_eq!(values(&text, "AmbientCapabilities"), [caps]);
    assert_eq!(values(&text, "User"), ["evpnd"]);
    assert_eq!(values(&text, "RuntimeDirectoryPreserve"), ["yes"]);
    // The read-only socket inside must be reachable by anyone.
    assert_eq!(values(&text, "RuntimeDirectoryMode"), ["0755"]);
    let families = values(&text, "RestrictAddressFamilies").join(" ");
    for f in ["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"] {
        assert!(families.contains(f), "{f} missing from {families}");
    }
    assert!(
        values(&text, "PrivateNetwork").is_empty(),
        "evpnd needs the host's network"
    );
}
