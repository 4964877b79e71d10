//! Standard output that may be closed under us: `evpnctl … | head` closes the
//! pipe after one line. Rust ignores SIGPIPE, so `println!` would panic on
//! the next write (issue 15); every write goes through [`emit`] instead and a
//! closed reader ends the command quietly with success, as `cat` does.

use std::io::{ErrorKind, Write};

/// Why output stopped.
#[derive(Debug)]
pub enum Stopped {
    /// The reader went away (EPIPE): not an error, stop writing.
    Closed,
    /// Any other write error (disk full...): worth reporting.
    Failed(std::io::Error),
}

/// Writes `text` to standard output and flushes it (so a `watch` line is
/// seen at once and a closed pipe is noticed at this write).
pub fn emit(text: &str) -> Result<(), Stopped> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            ErrorKind::BrokenPipe => Stopped::Closed,
            _ => Stopped::Failed(e),
        })
}

/// [`emit`] with a newline.
pub fn line(text: &str) -> Result<(), Stopped> {
    emit(&format!("{text}\n"))
}

/// The exit code for a stop: success when the reader left, 1 (with a
/// message) when the write failed.
pub fn exit_code(s: Stopped) -> std::process::ExitCode {
    match s {
        Stopped::Closed => std::process::ExitCode::SUCCESS,
        Stopped::Failed(e) => {
            let _ = writeln!(std::io::stderr(), "evpnctl: cannot write the output: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
