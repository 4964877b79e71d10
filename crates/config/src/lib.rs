//! `evpnd-config`: the `fabric.toml` model.
//!
//! * [`model`]: the keys, their types and defaults (documented in `docs/configuration.md`);
//! * [`validate`]: cross-field rules, every error with file, line and column;
//! * [`error`]: `file:line:col: message` errors, all of them collected;
//! * [`diff`]: what changed between two configs (for SIGHUP reload).

pub mod diff;
pub mod error;
pub mod model;
pub mod validate;

pub use diff::ConfigDiff;
pub use error::{ConfigError, ConfigErrors};
pub use model::*;

use std::path::Path;

/// Reads, parses and validates `path`.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: name.clone(),
            line: 0,
            col: 0,
            message: e.to_string(),
        }])
    })?;
    parse(&text, &name)
}

/// Parses and validates `text`; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    let cfg: Config = toml::from_str(text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| error::line_col(text, s.start))
            .unwrap_or((0, 0));
        ConfigErrors(vec![ConfigError {
            file: file.to_string(),
            line,
            col,
            message: e.message().trim().to_string(),
        }])
    })?;
    validate::validate(&cfg, text, file)?;
    Ok(cfg)
}
