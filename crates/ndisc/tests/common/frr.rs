//! FRR 8.4 (zebra + bgpd) inside a test namespace, as the repo's other
//! interop tests run it (`-N` pathspace, `-P 0`, run and config
//! directories owned by `frr`), stopped by PID on drop. Missing FRR FAILS
//! the test with the command that installs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::sh;

pub const ZEBRA: &str = "/usr/lib/frr/zebra";
pub const BGPD: &str = "/usr/lib/frr/bgpd";
pub const VTYSH: &str = "/usr/bin/vtysh";

pub struct Frr {
    ns: String,
    dir: PathBuf,
    procs: Vec<Child>,
}

impl Frr {
    /// Starts zebra, then bgpd with `bgpd_conf`, in namespace `ns`.
    pub fn start(ns: &str, bgpd_conf: &str) -> Frr {
        for bin in [ZEBRA, BGPD, VTYSH] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: run `bash interop/setup.sh` (installs FRR)"
            );
        }
        let dir = std::env::temp_dir().join(format!("ndisc-frr-{ns}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("frr dir");
        let run = format!("/var/run/frr/{ns}");
        let etc = format!("/etc/frr/{ns}");
        for d in [&run, &etc] {
            std::fs::create_dir_all(d).expect("frr run/etc dir");
            sh(&["chown", "frr:frr", d]).expect("chown (does user frr exist?)");
        }
        std::fs::write(format!("{etc}/vtysh.conf"), "").expect("vtysh.conf");
        let zconf = dir.join("zebra.conf");
        let bconf = dir.join("bgpd.conf");
        std::fs::write(&zconf, "").expect("zebra.conf");
        std::fs::write(&bconf, bgpd_conf).expect("bgpd.conf");
        for p in [&zconf, &bconf] {
            sh(&["chown", "frr:frr", p.to_str().expect("path")]).expect("chown conf");
        }
        sh(&["chmod", "755", dir.to_str().expect("path")]).expect("chmod");
        let mut frr = Frr {
            ns: ns.to_string(),
            dir,
            procs: Vec::new(),
        };
        frr.spawn("zebra", ZEBRA, &zconf, &format!("{run}/zebra.pid"));
        std::thread::sleep(Duration::from_millis(500));
        frr.spawn("bgpd", BGPD, &bconf, &format!("{run}/bgpd.pid"));
        frr
    }

    fn spawn(&mut self, label: &str, bin: &str, conf: &Path, pid: &str) {
        let log = std::fs::File::create(self.dir.join(format!("{label}.log"))).expect("log");
        let err = log.try_clone().expect("log");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns, bin, "-N", &self.ns, "-f"])
            .arg(conf)
            .args(["-i", pid, "-P", "0"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {label}: {e}"));
        self.procs.push(child);
    }

    pub fn vtysh(&self, cmd: &str) -> String {
        sh(&[VTYSH, "-N", &self.ns, "-c", cmd]).unwrap_or_else(|e| e)
    }

    pub fn logs(&self) -> String {
        ["zebra", "bgpd"]
            .iter()
            .map(|l| {
                let s =
                    std::fs::read_to_string(self.dir.join(format!("{l}.log"))).unwrap_or_default();
                format!("--- {l}.log\n{s}")
            })
            .collect()
    }
}

impl Drop for Frr {
    fn drop(&mut self) {
        // `ip netns exec` execs the daemon: the child PID is the daemon's.
        for c in &self.procs {
            let _ = sh(&["kill", "-TERM", &c.id().to_string()]);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        for c in &mut self.procs {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(format!("/var/run/frr/{}", self.ns));
        let _ = std::fs::remove_dir_all(format!("/etc/frr/{}", self.ns));
        if std::thread::panicking() {
            eprintln!("FRR logs kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
