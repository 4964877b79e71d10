//! Configuration errors that point at the spot, like a compiler:
//! `fabric.toml:12:11: neighbor 10.1.0.0: hold_time 2 is invalid (must be 0 or at least 3)`.

use std::fmt;

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigError {
    /// The file as the operator named it (`-c` argument), or the name given to [`crate::parse`].
    pub file: String,
    /// 1-based line; 0 when the error is not about a place in the file (unreadable file,
    /// a configuration built in code).
    pub line: usize,
    /// 1-based column, counted in characters; 0 together with `line`.
    pub col: usize,
    /// What is wrong and, where it helps, what would be right.
    pub message: String,
}

impl ConfigError {
    /// An error about the whole file, not a place in it.
    pub fn whole_file(file: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            line: 0,
            col: 0,
            message: message.into(),
        }
    }

    /// An error at byte offset `at` of `text`. Scans `text` up to `at`: for
    /// many errors in one text build a [`LineIndex`] and use [`ConfigError::at_index`].
    pub fn at(file: &str, text: &str, at: usize, message: impl Into<String>) -> ConfigError {
        let (line, col) = line_col(text, at);
        ConfigError {
            file: file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// An error at byte offset `at` of the text `index` was built from.
    pub fn at_index(
        file: &str,
        index: &LineIndex<'_>,
        at: usize,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, col) = index.line_col(at);
        ConfigError {
            file: file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// Every error found, in file order, one per line when displayed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
/// Offsets past the end or inside a multi-byte character are clamped.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Bytes between two character-count checkpoints of a [`LineIndex`].
const CHECKPOINT: usize = 256;

/// Line starts and character counts of a text, so that the position of each
/// of many errors costs a binary search and at most [`CHECKPOINT`] bytes of
/// counting, not a scan from the start (which made 40k errors in a 2 MB file
/// quadratic: issue 15).
pub struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offset of the first byte of each line; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
    /// Characters in `text[..k * CHECKPOINT]`, for each `k`.
    chars_before: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut chars_before = Vec::with_capacity(bytes.len() / CHECKPOINT + 1);
        let mut n = 0;
        chars_before.push(0);
        for chunk in bytes.chunks(CHECKPOINT) {
            n += count_chars(chunk);
            chars_before.push(n);
        }
        LineIndex {
            text: bytes,
            line_starts,
            chars_before,
        }
    }

    /// Characters in `text[..at]` (`at` need not be a character boundary:
    /// a partial character counts as one, as its first byte starts it).
    fn chars_to(&self, at: usize) -> usize {
        let k = at / CHECKPOINT;
        self.chars_before[k] + count_chars(&self.text[k * CHECKPOINT..at])
    }

    /// 1-based line and column (in characters) of byte offset `at`, clamped
    /// like [`line_col`].
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        let mut at = at.min(self.text.len());
        while at > 0 && at < self.text.len() && is_continuation(self.text[at]) {
            at -= 1;
        }
        let line = self.line_starts.partition_point(|s| *s <= at);
        let start = self.line_starts[line - 1];
        (line, self.chars_to(at) - self.chars_to(start) + 1)
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| !is_continuation(**b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_agrees_with_the_scan() {
        let mut t = String::new();
        for i in 0..2000 {
            t.push_str(if i % 7 == 0 {
                "bé = \"ü\"\n"
            } else {
                "a = 1\n"
            });
            if i % 13 == 0 {
                t.push_str(&"x".repeat(300));
            }
        }
        let idx = LineIndex::new(&t);
        for at in (0..t.len() + 3).step_by(3) {
            assert_eq!(idx.line_col(at), line_col(&t, at), "at {at}");
        }
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let t = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 4), (1, 5));
        assert_eq!(line_col(t, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(t, 11), (2, 5));
        // Inside 'é' and past the end: clamped, no panic.
        assert_eq!(line_col(t, 8), (2, 2));
        assert_eq!(line_col(t, 999), (3, 1));
    }

    #[test]
    fn display_like_a_compiler() {
        let e = ConfigError::at("f.toml", "x\nyy = 3\n", 7, "bad");
        assert_eq!(e.to_string(), "f.toml:2:6: bad");
        assert_eq!(
            ConfigError::whole_file("f.toml", "gone").to_string(),
            "f.toml: gone"
        );
    }
}
