//! Logging: tracing to stderr, human or JSON, with a filter the API can
//! change at run time (`SetLogLevel`).

use std::sync::{Mutex, OnceLock};

use evpnd_api::pb;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();
static LEVEL: Mutex<pb::LogLevel> = Mutex::new(pb::LogLevel::Info);

/// The default level of a filter spec (`info` in `evpnd=debug,info`);
/// `info` when it names none, as tracing's default.
fn level_of(s: &str) -> pb::LogLevel {
    let default = s
        .split(',')
        .map(str::trim)
        .rfind(|p| !p.contains('='))
        .unwrap_or("info");
    match default {
        "error" => pb::LogLevel::Error,
        "warn" => pb::LogLevel::Warn,
        "debug" => pb::LogLevel::Debug,
        "trace" => pb::LogLevel::Trace,
        _ => pb::LogLevel::Info,
    }
}

/// Installs the subscriber. `RUST_LOG` wins over `[log] level`.
pub fn init(level: &str, json: bool) {
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| level.to_string());
    let filter = EnvFilter::try_new(&spec).unwrap_or_else(|_| EnvFilter::new("info"));
    if let Ok(mut l) = LEVEL.lock() {
        *l = level_of(&spec);
    }
    let (filter, handle) = reload::Layer::new(filter);
    let _ = FILTER.set(handle);
    // Colours only on a terminal: log files and journald get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let human = (!json).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
    });
    let machine = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(human)
        .with(machine)
        .init();
}

/// Sets the level of every target; returns the previous one.
pub fn set_level(level: pb::LogLevel) -> Result<pb::LogLevel, String> {
    let name = match level {
        pb::LogLevel::Error => "error",
        pb::LogLevel::Warn => "warn",
        pb::LogLevel::Info => "info",
        pb::LogLevel::Debug => "debug",
        pb::LogLevel::Trace => "trace",
        pb::LogLevel::Unspecified => return Err("no level given".into()),
    };
    let handle = FILTER.get().ok_or("logging is not initialised")?;
    handle
        .reload(EnvFilter::new(name))
        .map_err(|e| format!("cannot change the log level: {e}"))?;
    let mut l = LEVEL.lock().map_err(|_| "log level lock poisoned")?;
    let prev = *l;
    *l = level;
    tracing::info!(level = name, "log level changed");
    Ok(prev)
}
