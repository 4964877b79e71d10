//! A test body in a network namespace of its own (l3, underlay,
//! flood_learn), the commands it runs there, and named namespaces beside
//! it. Not every test file uses every helper.
#![allow(dead_code)]

use std::process::Command;

use serde_json::Value;

/// Runs `f` on a thread of its own in a new network namespace, with a
/// current-thread runtime.
pub fn in_netns<F, Fut>(f: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    std::thread::spawn(move || {
        // SAFETY: unshare only changes this thread's network namespace (and
        // that of the threads and processes it starts).
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare(CLONE_NEWNET) needs root");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(f());
    })
    .join()
    .expect("test thread");
}

/// `cmd` (split on white space) run, whatever its exit status.
pub fn run(cmd: &str) -> std::process::Output {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("command runs")
}

/// `cmd`, which must succeed.
pub fn sh(cmd: &str) {
    let o = run(cmd);
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The JSON list `cmd` prints; empty when it prints none.
pub fn json(cmd: &str) -> Vec<Value> {
    serde_json::from_slice::<Vec<Value>>(&run(cmd).stdout).unwrap_or_default()
}

/// What `cmd` prints.
pub fn text(cmd: &str) -> String {
    String::from_utf8_lossy(&run(cmd).stdout).into_owned()
}

/// A named namespace (`ip netns add`, one left from an earlier run
/// replaced); deleted when dropped (also on a failed assert).
pub struct Named(pub String);

impl Named {
    pub fn new(name: String) -> Named {
        let _ = run(&format!("ip netns del {name}"));
        sh(&format!("ip netns add {name}"));
        Named(name)
    }

    /// `ip -n NAME CMD`, which must succeed.
    pub fn ip(&self, cmd: &str) {
        sh(&format!("ip -n {} {cmd}", self.0));
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = run(&format!("ip netns del {}", self.0));
    }
}
