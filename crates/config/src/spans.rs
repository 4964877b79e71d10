//! Where each key of the file is: the parsed TOML document kept with its byte
//! spans, looked up by key path (`neighbor[2].hold_time`). Validation uses it
//! to point at the offending value even for fields the model keeps as plain
//! types; a key that was left out (a default) falls back to its table.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for Seg<'a> {
    fn from(k: &'a str) -> Self {
        Seg::Key(k)
    }
}

impl From<usize> for Seg<'_> {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Builds a key path: `path!["neighbor", i, "hold_time"]`.
#[macro_export]
#[doc(hidden)]
macro_rules! path {
    ($($seg:expr),* $(,)?) => { &[$($crate::spans::Seg::from($seg)),*][..] };
}

/// The document's spans. Empty (every lookup `None`) for a configuration that
/// did not come from text.
pub struct Spans<'i> {
    root: Option<Spanned<DeTable<'i>>>,
}

impl<'i> Spans<'i> {
    pub fn parse(text: &'i str) -> Spans<'i> {
        Spans {
            root: DeTable::parse(text).ok(),
        }
    }

    pub fn none() -> Spans<'static> {
        Spans { root: None }
    }

    /// The values along `path`, as far as they exist.
    fn walk(&self, path: &[Seg<'_>]) -> Vec<&Spanned<DeValue<'i>>> {
        let mut out: Vec<&Spanned<DeValue<'i>>> = Vec::new();
        let Some(root) = self.root.as_ref() else {
            return out;
        };
        for seg in path {
            let next = match (seg, out.last().map(|v| v.get_ref())) {
                (Seg::Key(k), None) => root.get_ref().get(*k),
                (Seg::Key(k), Some(DeValue::Table(t))) => t.get(*k),
                (Seg::Index(i), Some(DeValue::Array(a))) => a.get(*i),
                _ => None,
            };
            match next {
                Some(v) => out.push(v),
                None => break,
            }
        }
        out
    }

    /// Span of the value at `path`, or of the deepest value on the way that
    /// exists (so an error about a defaulted key points at its table header).
    pub fn at(&self, path: &[Seg<'_>]) -> Option<Range<usize>> {
        let root = self.root.as_ref()?;
        Some(self.walk(path).last().map_or(root.span(), |v| v.span()))
    }

    /// Span of the key itself (not its value) at `path`, when present.
    pub fn key(&self, path: &[Seg<'_>]) -> Option<Range<usize>> {
        let (Seg::Key(k), parent) = path.split_last()? else {
            return None;
        };
        let table = if parent.is_empty() {
            self.root.as_ref()?.get_ref()
        } else {
            let found = self.walk(parent);
            if found.len() != parent.len() {
                return None;
            }
            match found.last()?.get_ref() {
                DeValue::Table(t) => t,
                _ => return None,
            }
        };
        table.get_key_value(*k).map(|(key, _)| key.span())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[bgp]\nasn = 1\n\n[[neighbor]]\naddress = \"a\"\n\n[[neighbor]]\naddress = \"b\"\nx = [1, 22]\n";

    fn text(r: Option<Range<usize>>) -> &'static str {
        r.and_then(|r| DOC.get(r)).unwrap_or("<none>")
    }

    #[test]
    fn finds_values_by_path() {
        let s = Spans::parse(DOC);
        assert_eq!(text(s.at(path!["bgp", "asn"])), "1");
        assert_eq!(text(s.at(path!["neighbor", 1, "address"])), "\"b\"");
        assert_eq!(text(s.at(path!["neighbor", 1, "x", 1])), "22");
        assert_eq!(text(s.key(path!["neighbor", 1, "address"])), "address");
    }

    #[test]
    fn missing_keys_fall_back_to_their_table() {
        let s = Spans::parse(DOC);
        assert_eq!(
            text(s.at(path!["neighbor", 0, "hold_time"])),
            "[[neighbor]]"
        );
        assert_eq!(text(s.at(path!["bgp", "listen", 0])), "[bgp]");
        assert_eq!(s.key(path!["bgp", "listen"]), None);
        assert_eq!(Spans::none().at(path!["bgp"]), None);
    }
}
