//! `evpnctl … | head -1`: the reader closes the pipe after one line; evpnctl
//! must end quietly (exit 0), never panic on the broken pipe (issue 15).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use std::time::{Duration, Instant};

use evpnd_api::fake::FakeBackend;
use evpnd_api::pb;

const PIPELINE: &str = r#"exe=$1; err=$2; in=$3; shift 3; "$exe" "$@" <"$in" 2>"$err" | head -1; exit "${PIPESTATUS[0]}""#;

/// `bash -c 'evpnctl ARGS < stdin 2> err | head -1'`, exiting with evpnctl's status.
fn pipeline(args: &[&str], stdin: Option<&Path>, err: &Path) -> Command {
    let input = stdin.map_or("/dev/null".into(), |p| p.display().to_string());
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(PIPELINE)
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_evpnctl"))
        .arg(err)
        .arg(input)
        .args(args);
    c
}

/// Runs `evpnctl ARGS < stdin | head -1` in bash; returns (evpnctl's exit
/// status, what head printed, evpnctl's stderr).
fn piped_into_head(args: &[&str], stdin: Option<&Path>) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = dir.path().join("stderr");
    let out = pipeline(args, stdin, &err).output().expect("run bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        std::fs::read_to_string(&err).unwrap_or_default(),
    )
}

#[test]
fn decode_into_head_exits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("keepalives.hex");
    // 20000 KEEPALIVEs: far more output than a pipe buffer holds.
    let keepalive = format!("{}0013{:02x}\n", "ff".repeat(16), 4);
    std::fs::write(&input, keepalive.repeat(20_000)).expect("write");
    for json in [false, true] {
        let mut args = vec!["decode"];
        if json {
            args.push("--json");
        }
        let (code, out, err) = piped_into_head(&args, Some(&input));
        assert_eq!(code, 0, "json {json}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            out.contains("KEEPALIVE") || out.contains("keepalive"),
            "{out}"
        );
    }
}

async fn with_server<F: FnOnce(&Path, Arc<FakeBackend>) + Send + 'static>(
    routes_per_vni: usize,
    f: F,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("evpnd.sock");
    let backend = Arc::new(FakeBackend::new(routes_per_vni, 64));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (s, b) = (socket.clone(), Arc::clone(&backend));
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        evpnd_api::serve_unix(&s, b, shutdown).await.expect("serve");
    });
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::task::spawn_blocking(move || f(&socket, backend))
        .await
        .expect("join");
    let _ = stop.send(());
    let _ = server.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_tables_and_json_into_head_exit_cleanly() {
    with_server(3000, |socket, _| {
        let sock = socket.display().to_string();
        for args in [vec!["routes"], vec!["--json", "routes"], vec!["vnis"]] {
            let mut all = vec!["--socket", sock.as_str()];
            all.extend(args.iter().copied());
            let (code, out, err) = piped_into_head(&all, None);
            assert_eq!(code, 0, "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert_eq!(out.lines().count(), 1, "{args:?}: {out}");
        }
    })
    .await;
}

/// A watcher writes only when an event comes: keep publishing until the
/// write after `head` left fails and evpnctl ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_into_head_exits_cleanly_at_the_next_event() {
    with_server(3, |socket, backend| {
        let sock = socket.display().to_string();
        for json in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let err = dir.path().join("stderr");
            let mut args = vec!["--socket", sock.as_str()];
            if json {
                args.push("--json");
            }
            args.extend(["watch", "--peers"]);
            let mut child = pipeline(&args, None, &err)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn");
            let start = Instant::now();
            let status = loop {
                if let Some(st) = child.try_wait().expect("wait") {
                    break st;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "evpnctl watch did not end after head left"
                );
                backend.publish(pb::watch_response::Event::Peer(pb::PeerEvent {
                    peer: Some(pb::Peer {
                        address: "10.0.0.7".into(),
                        ..Default::default()
                    }),
                }));
                std::thread::sleep(Duration::from_millis(20));
            };
            let err = std::fs::read_to_string(&err).unwrap_or_default();
            assert_eq!(status.code(), Some(0), "json {json}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    })
    .await;
}
