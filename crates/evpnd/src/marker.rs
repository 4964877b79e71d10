//! The restart marker (ADR 0011): a small file that says "evpnd is running,
//! or stopped without withdrawing its routes". It is written at start,
//! refreshed every [`REFRESH`] while running, kept by a crash, `kill -9` or
//! a graceful stop, and removed by a hard-reset stop. Found at the next
//! start and recent enough, it makes that start a graceful restart: the
//! peers may still hold our routes as stale and the kernel still forwards
//! with the previous run's entries.
//!
//! It lives under `/run` by default, so a reboot (which also empties the
//! kernel's FDB) clears it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tracing::{info, warn};

/// How often the running daemon refreshes the marker's time.
pub const REFRESH: Duration = Duration::from_secs(30);

/// Slack on top of the restart time when judging the marker's age: the
/// last refresh may be up to [`REFRESH`] older than the stop.
const SLACK: Duration = Duration::from_secs(60);

/// What the marker says about the previous run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// No marker: a first start, a reboot, or the last stop withdrew our routes.
    Fresh,
    /// A marker older than the peers' patience (our restart time + slack):
    /// they have dropped our routes already.
    TooOld(Duration),
    /// A restart within the restart time.
    Restart(Duration),
}

/// The marker file of one daemon.
#[derive(Debug, Clone)]
pub struct Marker {
    path: PathBuf,
}

impl Marker {
    pub fn new(path: PathBuf) -> Marker {
        Marker { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the marker left by the previous run (never fails: an
    /// unreadable marker counts as none, with a warning).
    pub fn previous(&self, restart_time: u16) -> Previous {
        let modified = match std::fs::metadata(&self.path).and_then(|m| m.modified()) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Previous::Fresh,
            Err(e) => {
                warn!(path = %self.path.display(), "cannot read the restart marker, starting fresh: {e}");
                return Previous::Fresh;
            }
        };
        // A marker from the future (clock stepped back) counts as new.
        let age = SystemTime::now()
            .duration_since(modified)
            .unwrap_or(Duration::ZERO);
        if age <= Duration::from_secs(u64::from(restart_time)) + SLACK {
            Previous::Restart(age)
        } else {
            Previous::TooOld(age)
        }
    }

    /// Writes (or refreshes) the marker. Failing to is logged, not fatal:
    /// the next start is then a fresh one, as without graceful restart.
    pub fn write(&self) {
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            warn!(path = %self.path.display(), "cannot create the restart marker's directory: {e}");
            return;
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let text = format!(
            "# evpnd restart marker (docs/adr/0011-restarting-speaker.md)\npid = {}\nrefreshed_unix = {now}\n",
            std::process::id()
        );
        if let Err(e) = std::fs::write(&self.path, text) {
            warn!(path = %self.path.display(), "cannot write the restart marker: {e}");
        }
    }

    /// Removes the marker (a stop that withdrew our routes).
    pub fn remove(&self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {
                info!(path = %self.path.display(), "restart marker removed: the next start is a fresh one")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!(path = %self.path.display(), "cannot remove the restart marker: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_recent_and_old_markers() {
        let dir = std::env::temp_dir().join(format!("evpnd-marker-{}", std::process::id()));
        let m = Marker::new(dir.join("sub/evpnd.restart"));
        assert_eq!(m.previous(120), Previous::Fresh);
        m.write();
        assert!(matches!(m.previous(120), Previous::Restart(_)));
        // Backdate it past restart time + slack.
        let old = SystemTime::now() - Duration::from_secs(200);
        let f = std::fs::File::options()
            .write(true)
            .open(m.path())
            .expect("open marker");
        f.set_modified(old).expect("set mtime");
        assert!(matches!(m.previous(120), Previous::TooOld(_)));
        assert!(matches!(m.previous(180), Previous::Restart(_)));
        m.remove();
        assert_eq!(m.previous(120), Previous::Fresh);
        std::fs::remove_dir_all(&dir).ok();
    }
}
