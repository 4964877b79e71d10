//! `evpnd --man`: the man page, from the clap definition of the options,
//! with the signals, files and exit statuses an operator needs.

use std::io::Write;
use std::process::ExitCode;

/// The sections clap does not know.
const EXTRA: &str = r#".SH SIGNALS
.TP
\fBSIGHUP\fR
Re-read the configuration file; a broken file is rejected and the running
configuration stays. Under systemd: RELOADING=1, then READY=1.
.TP
\fBSIGTERM\fR, \fBSIGINT\fR
Stop: sessions are closed as [bgp.graceful_restart] on_shutdown says.
.SH SYSTEMD
The unit evpnd.service has Type=notify: READY=1 once the configuration is
loaded, the listeners and the API are up and the kernel's initial state is
read; WATCHDOG=1 every second from the main loop when WatchdogSec= is set;
STATUS= shows peers and routes.
.SH FILES
.TP
\fI/etc/evpnd/fabric.toml\fR
The configuration.
.TP
\fI/run/evpnd/evpnd.sock\fR
The management API (gRPC), used by \fBevpnctl\fR(1).
.SH EXIT STATUS
0 on a clean stop or a valid configuration (\fB\-\-check\-config\fR), 1 on an
invalid configuration or a failure to start.
.SH SEE ALSO
\fBevpnctl\fR(1); /usr/share/doc/evpnd/operations.md
"#;

/// Writes the man page to stdout.
pub fn print(cmd: clap::Command) -> ExitCode {
    let man = clap_mangen::Man::new(cmd).section("8");
    let mut out = Vec::new();
    let r = man
        .render(&mut out)
        .and_then(|()| out.write_all(EXTRA.as_bytes()))
        .and_then(|()| std::io::stdout().write_all(&out));
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evpnd: cannot write the man page: {e}");
            ExitCode::from(1)
        }
    }
}
