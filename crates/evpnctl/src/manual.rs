//! Man pages from the clap definitions (`evpnctl manpages DIR`, hidden; the
//! Debian package runs it): `evpnctl.1` and one page per command,
//! `evpnctl-peer.1`, `evpnctl-route-add.1`, ...

use std::path::Path;
use std::process::ExitCode;

/// Writes the pages of `cmd` and its subcommands into `dir`.
pub fn write(cmd: clap::Command, dir: &Path) -> ExitCode {
    let r = std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir));
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evpnctl: cannot write man pages to {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}
