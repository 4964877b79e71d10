//! `evpnd-config`: the `fabric.toml` model.
//!
//! ```text
//! text ──parse──► Config ──validate──► Ok / every error as file:line:col: message
//! ```
//!
//! * [`model`]: the keys, their types and defaults (documented in `docs/configuration.md`);
//! * [`derive`](mod@derive): effective values — timers per neighbour, auto RD/RT, import/export RTs;
//! * [`validate`]: cross-field rules, every error with file, line and column;
//! * [`error`]: `file:line:col: message` errors, all of them collected;
//! * [`diff`]: what changed between two configs (for SIGHUP reload);
//! * [`spans`]: byte spans of the keys, for the errors;
//! * [`peer_key`]: a neighbour's identity (its address or its interface).

pub mod auto_rd;
pub mod derive;
pub mod diff;
pub mod error;
pub mod model;
mod parse;
pub mod peer_key;
pub mod spans;
pub mod validate;

pub use auto_rd::AutoRds;
pub use derive::{REDACTED, RtMatch, auto_rd, auto_rd_number, auto_rt};
pub use diff::{ConfigDiff, NeighborChange};
pub use error::{ConfigError, ConfigErrors};
pub use evpnd_session::RemoteAs;
pub use model::*;
pub use peer_key::PeerKey;

use std::io::Read;
use std::path::Path;

/// The largest configuration accepted, in bytes (4 MiB): a fabric of a
/// thousand neighbours and ten thousand VNIs is well under 2 MiB. Bounds the
/// memory and time one load, reload or `ValidateConfig` can cost. Raising it
/// means changing this constant (docs/limits.md).
pub const MAX_CONFIG_BYTES: usize = 4 << 20;

/// Reads, parses and validates the file at `path`. Errors name the file as
/// given. Reads at most [`MAX_CONFIG_BYTES`] + 1 bytes, so `/dev/zero` or a
/// runaway file fails at once.
pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = read_bounded(path, &name)?;
    parse(&text, &name)
}

fn read_bounded(path: &Path, name: &str) -> Result<String, ConfigError> {
    let cannot = |e: std::io::Error| ConfigError::whole_file(name, format!("cannot read: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(too_large(name));
    }
    String::from_utf8(bytes).map_err(|e| not_utf8(name, &e))
}

fn too_large(file: &str) -> ConfigError {
    ConfigError::whole_file(
        file,
        format!(
            "larger than the limit of {MAX_CONFIG_BYTES} bytes (MAX_CONFIG_BYTES, see docs/limits.md)"
        ),
    )
}

/// Points at the first byte that is not UTF-8: the line and column are those
/// of the valid text before it.
fn not_utf8(file: &str, e: &std::string::FromUtf8Error) -> ConfigError {
    let bytes = e.as_bytes();
    let good = e.utf8_error().valid_up_to();
    // The prefix up to `valid_up_to` is valid UTF-8 by definition.
    let valid = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
    let bad = bytes.get(good).copied().unwrap_or_default();
    ConfigError::at(
        file,
        valid,
        good,
        format!("not valid UTF-8 (byte 0x{bad:02x} at offset {good}); the file must be UTF-8 text"),
    )
}

/// Parses and validates `text`; `file` names it in errors. Text longer than
/// [`MAX_CONFIG_BYTES`] is refused before parsing.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(too_large(file).into());
    }
    let cfg = parse::deserialize(text, file)?;
    validate::validate(&cfg, text, file)?;
    Ok(cfg)
}
