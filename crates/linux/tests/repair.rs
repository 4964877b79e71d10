//! The linux task against the kernel (root, a network namespace of the test
//! thread's own): the start-up dump per device, a leftover swept after
//! convergence, and lost notifications repaired by scans (issue 16).

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evpnd_linux::{DesiredChange, LinuxConfig, LocalEvent};
use evpnd_wire::{MacAddr, Vni};

fn sh(cmd: &str) {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let ok = Command::new(args[0])
        .args(&args[1..])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{cmd}");
}

fn out(cmd: &str) -> String {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let o = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("command runs");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The VXLAN device's `self` entries towards 10.9.0.2 (ours).
fn remote_entries() -> Vec<String> {
    out("bridge fdb show dev vx100")
        .lines()
        .filter(|l| l.contains("dst 10.9.0.2") && l.contains("self"))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

fn wait(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn remote_mac(i: u16) -> MacAddr {
    let b = i.to_be_bytes();
    MacAddr([2, 0, 0, 1, b[0], b[1]])
}

/// Writes the batch file of `n` static MACs on the access port a1.
fn local_batch(n: u16) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("evpnd-repair-{}.batch", std::process::id()));
    let mut s = String::new();
    for i in 0..n {
        let b = i.to_be_bytes();
        s.push_str(&format!(
            "fdb add 02:00:00:02:{:02x}:{:02x} dev a1 master static\n",
            b[0], b[1]
        ));
    }
    std::fs::write(&path, s).expect("batch file");
    path
}

#[test]
fn lost_notifications_are_repaired_by_per_device_scans() {
    const REMOTE: u16 = 1000;
    const LOCAL: u16 = 3000;
    std::thread::spawn(|| {
        // SAFETY: unshare only changes this thread's network namespace (and
        // that of the threads it starts, the linux task's among them).
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare(CLONE_NEWNET) needs root");
        sh("ip link add br100 type bridge");
        sh("ip link add vx100 type vxlan id 100 local 10.9.0.1 dstport 4789 nolearning");
        sh("ip link set vx100 master br100");
        sh("ip link add a1 type veth peer name a1p");
        sh("ip link set a1 master br100");
        for d in ["br100", "vx100", "a1", "a1p"] {
            sh(&format!("ip link set {d} up"));
        }
        // Of a previous run: swept once converged.
        sh("bridge fdb add 02:00:00:00:01:01 dev vx100 dst 10.9.0.2 self extern_learn");
        sh("bridge fdb add 02:00:00:00:00:aa dev a1 master static");
        let batch = local_batch(LOCAL);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let cfg = LinuxConfig {
                // A buffer the local MACs below overrun at once.
                notify_buffer: 4096,
                repair_gap: Duration::from_millis(10),
                ..LinuxConfig::default()
            };
            let mut h = evpnd_linux::spawn(cfg).await.expect("linux task");
            let events: Arc<Mutex<Vec<LocalEvent>>> = Arc::default();
            let seen = Arc::clone(&events);
            tokio::spawn(async move {
                while let Some(e) = h.events.recv().await {
                    seen.lock().expect("lock").push(e);
                }
            });
            let has = |e: &LocalEvent| events.lock().expect("lock").contains(e);
            let vni = Vni::new(100).expect("vni");
            let t = Instant::now();
            while !has(&LocalEvent::Synced) {
                assert!(t.elapsed() < Duration::from_secs(10), "no Synced");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let aa = MacAddr([2, 0, 0, 0, 0, 0xaa]);
            assert!(
                has(&LocalEvent::Mac {
                    vni,
                    mac: aa,
                    sticky: true
                }),
                "the access port's MAC is found by its device's dump"
            );
            let vtep = IpAddr::V4(Ipv4Addr::new(10, 9, 0, 2));
            let mut desired: Vec<DesiredChange> = (0..REMOTE)
                .map(|i| DesiredChange::RemoteMac {
                    vni,
                    mac: remote_mac(i),
                    vtep,
                    sticky: false,
                })
                .collect();
            desired.push(DesiredChange::Converged);
            h.changes.send(desired).await.expect("task alive");
            tokio::task::spawn_blocking(move || {
                wait(
                    "the remote MACs written, the leftover swept",
                    Duration::from_secs(20),
                    || {
                        let r = remote_entries();
                        r.len() == usize::from(REMOTE)
                            && !r.iter().any(|m| m == "02:00:00:00:01:01")
                    },
                );
                // Behind our back (its echo is filtered: unseen), then a
                // burst of local MACs overruns the notification buffer.
                sh("bridge fdb del 02:00:00:01:00:07 dev vx100 self");
                assert_eq!(remote_entries().len(), usize::from(REMOTE) - 1);
                sh(&format!("bridge -batch {}", batch.display()));
                let _ = std::fs::remove_file(&batch);
                wait("the lost entry repaired", Duration::from_secs(20), || {
                    remote_entries().len() == usize::from(REMOTE)
                });
            })
            .await
            .expect("kernel checks");
            // Every local MAC reported, though most notifications were lost.
            let t = Instant::now();
            loop {
                let n = events
                    .lock()
                    .expect("lock")
                    .iter()
                    .filter(|e| matches!(e, LocalEvent::Mac { mac, .. } if mac.0[3] == 2))
                    .count();
                if n >= usize::from(LOCAL) {
                    break;
                }
                assert!(
                    t.elapsed() < Duration::from_secs(20),
                    "{n} of {LOCAL} local MACs reported"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    })
    .join()
    .expect("test thread");
}
