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
//! * [`spans`]: byte spans of the keys, for the errors.

pub mod derive;
pub mod diff;
pub mod error;
pub mod model;
mod parse;
pub mod spans;
pub mod validate;

pub use derive::{REDACTED, RtMatch, auto_rd, auto_rd_number, auto_rt};
pub use diff::{ConfigDiff, NeighborChange};
pub use error::{ConfigError, ConfigErrors};
pub use model::*;

use std::path::Path;

/// Reads, parses and validates the file at `path`. Errors name the file as given.
pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::whole_file(&name, format!("cannot read: {e}")))?;
    parse(&text, &name)
}

/// Parses and validates `text`; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    let cfg = parse::deserialize(text, file)?;
    validate::validate(&cfg, text, file)?;
    Ok(cfg)
}
