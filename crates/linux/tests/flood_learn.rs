//! The linux task on VXLAN devices that learn or flood to a multicast group
//! (issue 12, a fabric being migrated from flood-and-learn), against the
//! kernel (root). The test thread's network namespace is the evpnd VTEP
//! 10.9.0.1 (`vx100` in `br100`); a named namespace is a legacy VTEP
//! (10.9.0.2, and 10.9.0.3 for a second one) whose own `vx100` carries
//! 192.168.100.2 and floods to us, so its MAC is learned by our kernel.
//!
//! Kernel facts checked here (6.x):
//! * a learned entry (`dst 10.9.0.2 self`, no flag) is not ours: kept
//!   through convergence, never reported as a local MAC;
//! * an EVPN remote MAC replaces it (one `NLM_F_REPLACE`); with learning
//!   on, the kernel would move an `extern_learn` entry in state
//!   `NUD_REACHABLE` back to the VTEP the MAC's packets come from
//!   (`vxlan_snoop`, keeping the flag: the move's notification looks like
//!   our own echo and is filtered) — so on a learning device evpnd writes
//!   `NUD_NOARP`, which the kernel never migrates;
//! * an operator's flood entry that evpnd is then asked for is adopted
//!   (recorded in the flood ledger), not deleted and re-added;
//! * a multicast device's default entry (all-zero MAC → group) is the
//!   kernel's: never written, adopted or deleted, whatever is desired.

mod netns;

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evpnd_linux::{DesiredChange, LinuxConfig, LocalEvent};
use evpnd_wire::{MacAddr, Vni};
use netns::{Named, in_netns, run, sh, text};

const GROUP: &str = "239.1.1.100";
/// The legacy VTEP's VXLAN device MAC (the "host" behind it).
const LEGACY_MAC: &str = "02:00:00:00:02:02";

fn wait(what: &str, mut cond: impl FnMut() -> Result<(), String>) {
    let t = Instant::now();
    loop {
        match cond() {
            Ok(()) => return,
            Err(e) => assert!(
                t.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what}: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn vni() -> Vni {
    Vni::new(100).expect("vni")
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 9, 0, last))
}

/// A flood entry of VNI 100 towards `vtep` wanted.
fn flood(vtep: IpAddr) -> DesiredChange {
    DesiredChange::Flood { vni: vni(), vtep }
}

/// The flood entry of VNI 100 towards `vtep` no longer wanted.
fn flood_gone(vtep: IpAddr) -> DesiredChange {
    DesiredChange::FloodGone { vni: vni(), vtep }
}

fn legacy_mac() -> MacAddr {
    MacAddr([2, 0, 0, 0, 2, 2])
}

/// The legacy VTEP's namespace; deleted when dropped (also on a panic).
struct Legacy(Named);

impl Legacy {
    /// Cabled to `u0` of the test's namespace (10.9.0.1/24); VTEP addresses
    /// 10.9.0.2 and .3; `vx100` learning, flooding to us, 192.168.100.2.
    fn new(tag: &str) -> Legacy {
        let l = Legacy(Named::new(format!("evpnd-fl-{tag}-{}", std::process::id())));
        sh(&format!(
            "ip link add u0 type veth peer name u0 netns {}",
            l.0.0
        ));
        sh("ip addr add 10.9.0.1/24 dev u0");
        sh("ip link set u0 up");
        for cmd in [
            "link set lo up",
            "addr add 10.9.0.2/24 dev u0",
            "addr add 10.9.0.3/24 dev u0",
            "link set u0 up",
            "link add vx100 type vxlan id 100 local 10.9.0.2 dstport 4789 dev u0",
        ] {
            l.ip(cmd);
        }
        l.ip(&format!("link set vx100 address {LEGACY_MAC}"));
        l.ip("addr add 192.168.100.2/24 dev vx100");
        l.ip("link set vx100 up");
        sh(&format!(
            "ip netns exec {} bridge fdb append 00:00:00:00:00:00 dev vx100 dst 10.9.0.1",
            l.0.0
        ));
        l
    }

    fn ip(&self, cmd: &str) {
        self.0.ip(cmd);
    }

    /// Packets from the legacy MAC reach us from VTEP 10.9.0.2.
    fn ping(&self) {
        let o = run(&format!(
            "ip netns exec {} ping -c 2 -i 0.2 -W 1 192.168.100.1",
            self.0.0
        ));
        assert!(
            o.status.success(),
            "legacy → 192.168.100.1: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

/// `br100` with `vx100` (learning on; on `GROUP` when `group`), the SVI
/// 192.168.100.1.
fn our_vtep(group: bool) {
    sh("ip link set lo up");
    sh("ip link add br100 type bridge");
    let g = if group {
        format!(" group {GROUP}")
    } else {
        String::new()
    };
    sh(&format!(
        "ip link add vx100 type vxlan id 100 local 10.9.0.1 dstport 4789 dev u0{g}"
    ));
    sh("ip link set vx100 master br100");
    sh("ip addr add 192.168.100.1/24 dev br100");
    sh("ip link set br100 up");
    sh("ip link set vx100 up");
}

/// The `self` entry of `mac` on vx100: (dst, flags and state words).
fn vxlan_entry(mac: &str) -> Option<(String, String)> {
    text("bridge fdb show dev vx100")
        .lines()
        .find(|l| l.starts_with(mac) && l.contains(" self"))
        .map(|l| {
            let dst = l
                .split_whitespace()
                .skip_while(|w| *w != "dst")
                .nth(1)
                .unwrap_or_default()
                .to_string();
            (dst, l.to_string())
        })
}

fn flood_dsts() -> Vec<String> {
    let mut v: Vec<String> = text("bridge fdb show dev vx100")
        .lines()
        .filter(|l| l.starts_with("00:00:00:00:00:00"))
        .filter_map(|l| {
            l.split_whitespace()
                .skip_while(|w| *w != "dst")
                .nth(1)
                .map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

/// Waits (bounded) until the flood entries of vx100 go to `want`.
fn wait_flood_dsts(what: &str, want: &[&str]) {
    wait(what, || {
        let d = flood_dsts();
        if d == want {
            Ok(())
        } else {
            Err(format!("{d:?}"))
        }
    });
}

struct Task {
    h: evpnd_linux::LinuxHandle,
    events: Arc<Mutex<Vec<LocalEvent>>>,
}

impl Task {
    async fn start(ledger: Option<std::path::PathBuf>) -> Task {
        let cfg = LinuxConfig {
            flood_ledger: ledger,
            ..LinuxConfig::default()
        };
        let mut h = evpnd_linux::spawn(cfg).await.expect("linux task");
        let events: Arc<Mutex<Vec<LocalEvent>>> = Arc::default();
        let seen = Arc::clone(&events);
        let mut rx = std::mem::replace(&mut h.events, tokio::sync::mpsc::channel(1).1);
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                seen.lock().expect("lock").push(e);
            }
        });
        let t = Task { h, events };
        let t0 = Instant::now();
        while !t.has(|e| *e == LocalEvent::Synced) {
            assert!(t0.elapsed() < Duration::from_secs(10), "no Synced");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        t
    }

    fn has(&self, f: impl Fn(&LocalEvent) -> bool) -> bool {
        self.events.lock().expect("lock").iter().any(f)
    }

    async fn send(&self, c: Vec<DesiredChange>) {
        self.h.changes.send(c).await.expect("task alive");
    }
}

/// Runs blocking kernel checks off the runtime (the task keeps running).
async fn check(f: impl FnOnce() + Send + 'static) {
    tokio::task::spawn_blocking(f).await.expect("kernel checks");
}

#[test]
fn learned_macs_are_left_alone_and_evpn_replaces_them_for_good() {
    in_netns(|| async {
        let legacy = Legacy::new("learn");
        our_vtep(false);
        legacy.ping();
        let learned = vxlan_entry(LEGACY_MAC).expect("the kernel learned the legacy MAC");
        assert_eq!(learned.0, "10.9.0.2", "{}", learned.1);
        assert!(!learned.1.contains("extern_learn"), "{}", learned.1);

        let task = Task::start(None).await;
        task.send(vec![DesiredChange::Converged]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            vxlan_entry(LEGACY_MAC).map(|e| e.0).as_deref(),
            Some("10.9.0.2"),
            "a learned entry is not ours: converging leaves it"
        );
        assert!(
            !task.has(|e| matches!(e, LocalEvent::Mac { mac, .. } if *mac == legacy_mac())),
            "a MAC learned behind a VTEP is not local"
        );

        // EVPN says the MAC is behind 10.9.0.3: its entry replaces the learned one.
        task.send(vec![DesiredChange::RemoteMac {
            vni: vni(),
            mac: legacy_mac(),
            vtep: ip(3),
            sticky: false,
        }])
        .await;
        check(move || {
            wait("the EVPN entry", || match vxlan_entry(LEGACY_MAC) {
                Some((d, l)) if d == "10.9.0.3" && l.contains("extern_learn") => Ok(()),
                other => Err(format!("{other:?}")),
            });
            // Packets from the MAC keep coming from 10.9.0.2 (the legacy
            // VTEP still floods to us): the kernel must not learn over it.
            let _ = run(&format!(
                "ip netns exec {} ping -c 3 -i 0.2 -W 1 192.168.100.1",
                legacy.0.0
            ));
            let e = vxlan_entry(LEGACY_MAC).expect("entry");
            assert_eq!(e.0, "10.9.0.3", "the kernel re-learned over EVPN: {}", e.1);
            assert!(e.1.contains("extern_learn"), "{}", e.1);
            drop(legacy);
        })
        .await;
        assert!(
            !task.has(|e| matches!(e, LocalEvent::Mac { mac, .. } if *mac == legacy_mac())),
            "still not local"
        );
    });
}

#[test]
fn an_operators_flood_entry_is_adopted_without_a_gap() {
    in_netns(|| async {
        let legacy = Legacy::new("adopt");
        our_vtep(false);
        // The operator's static head-end entry, from before evpnd.
        sh("bridge fdb append 00:00:00:00:00:00 dev vx100 dst 10.9.0.2");
        let guard = Ledger::new("fl");
        let ledger = guard.0.clone();
        let monitor = Command::new("bridge")
            .args(["monitor", "fdb"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("bridge monitor");
        let monitor = KillOnDrop(Some(monitor));
        let task = Task::start(Some(ledger.clone())).await;
        task.send(vec![flood(ip(2)), flood(ip(3)), DesiredChange::Converged])
            .await;
        let l2 = ledger.clone();
        check(move || {
            wait_flood_dsts("both flood entries", &["10.9.0.2", "10.9.0.3"]);
            wait("the operator's entry in the ledger", || {
                let t = std::fs::read_to_string(&l2).unwrap_or_default();
                if t.contains("100 10.9.0.2") {
                    Ok(())
                } else {
                    Err(t)
                }
            });
        })
        .await;
        // Asked again (a second source, as a static VTEP that starts
        // speaking EVPN): nothing is written.
        task.send(vec![flood(ip(2))]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let out = monitor.stop();
        assert!(
            !out.lines()
                .any(|l| l.starts_with("Deleted 00:00:00:00:00:00")),
            "a flood entry went away: {out}"
        );
        // Adopted means owned: no longer wanted, it goes.
        task.send(vec![flood_gone(ip(2))]).await;
        check(move || {
            wait_flood_dsts("the adopted entry deleted", &["10.9.0.3"]);
            drop(legacy);
        })
        .await;
    });
}

#[test]
fn the_group_entry_of_a_multicast_device_is_never_touched() {
    in_netns(|| async {
        let legacy = Legacy::new("group");
        our_vtep(true);
        assert_eq!(flood_dsts(), [GROUP]);
        let guard = Ledger::new("flg");
        let ledger = guard.0.clone();
        let group: IpAddr = GROUP.parse().expect("group");
        let task = Task::start(Some(ledger.clone())).await;
        // A head-end entry beside the group, and (wrongly) the group itself.
        task.send(vec![flood(ip(2)), flood(group), DesiredChange::Converged])
            .await;
        check(|| wait_flood_dsts("the head-end entry beside the group", &["10.9.0.2", GROUP]))
            .await;
        task.send(vec![flood_gone(ip(2)), flood_gone(group)]).await;
        let l2 = ledger.clone();
        check(move || {
            wait_flood_dsts("the head-end entry gone, the group's kept", &[GROUP]);
            let t = std::fs::read_to_string(&l2).unwrap_or_default();
            assert!(
                !t.contains(GROUP),
                "the group entry was recorded as ours: {t}"
            );
            drop(legacy);
        })
        .await;
        drop(task);
    });
}

/// A flood ledger file, removed when dropped (also on a failed assert).
struct Ledger(std::path::PathBuf);

impl Ledger {
    fn new(tag: &str) -> Ledger {
        let p = std::env::temp_dir().join(format!("evpnd-{tag}-{}.flood", std::process::id()));
        let _ = std::fs::remove_file(&p);
        Ledger(p)
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A child killed when dropped (also on a failed assert).
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn stop(mut self) -> String {
        let mut c = self.0.take().expect("running");
        let _ = c.kill();
        let out = c.wait_with_output().expect("output");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
