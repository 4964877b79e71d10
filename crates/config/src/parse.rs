//! Text to [`Config`], reporting every problem the TOML layer can see: all
//! syntax errors (one per line; later ones on a line are usually knock-on),
//! and, when the document is well-formed TOML, type and unknown-key errors of
//! every section, every `[[neighbor]]` and every `[[evpn.vni]]` separately,
//! rather than just the first one serde meets.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::error::{ConfigError, ConfigErrors, LineIndex};
use crate::model::{Api, Bgp, Bmp, Config, Evpn, Log, Metrics, Neighbor, Policy, VniConfig};

/// Top-level tables, as serde lists them in "expected one of".
const TOP: &[&str] = &[
    "bgp", "neighbor", "evpn", "api", "metrics", "log", "bmp", "policy",
];

struct Sink<'a> {
    lines: LineIndex<'a>,
    file: &'a str,
    errors: Vec<(usize, ConfigError)>,
}

impl Sink<'_> {
    fn push(&mut self, span: Option<Range<usize>>, message: &str) {
        let message = message.trim().to_string();
        let e = match span {
            Some(s) => (
                s.start,
                ConfigError::at_index(self.file, &self.lines, s.start, message),
            ),
            None => (0, ConfigError::whole_file(self.file, message)),
        };
        self.errors.push(e);
    }

    fn toml(&mut self, e: &toml::de::Error) {
        self.push(e.span(), e.message());
    }

    fn check<T>(&mut self, r: Result<T, toml::de::Error>) {
        if let Err(e) = r {
            self.toml(&e);
        }
    }

    fn finish(mut self) -> ConfigErrors {
        self.errors.sort_by_key(|(at, _)| *at);
        ConfigErrors(self.errors.into_iter().map(|(_, e)| e).collect())
    }
}

/// Parses `text` into the model without the cross-field rules.
pub fn deserialize(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    let mut sink = Sink {
        lines: LineIndex::new(text),
        file,
        errors: Vec::new(),
    };
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        let mut lines = std::collections::HashSet::new();
        for e in &syntax {
            let line = e.span().map(|s| sink.lines.line_col(s.start).0);
            if lines.insert(line) {
                sink.toml(e);
            }
        }
        return Err(sink.finish());
    }
    match Config::deserialize(toml::de::Deserializer::from(root.clone())) {
        Ok(c) => Ok(c),
        Err(first) => {
            each_part(root, &mut sink);
            if sink.errors.is_empty() {
                sink.toml(&first);
            }
            Err(sink.finish())
        }
    }
}

fn de(v: Spanned<DeValue<'_>>) -> ValueDeserializer<'_> {
    ValueDeserializer::from(v)
}

/// Deserializes an array of tables element by element; anything else whole.
fn each<'i, T: Deserialize<'i>>(v: Spanned<DeValue<'i>>, sink: &mut Sink<'_>) {
    let span = v.span();
    match v.into_inner() {
        DeValue::Array(a) => {
            for item in a.iter().cloned() {
                sink.check(T::deserialize(de(item)));
            }
        }
        other => sink.check(Vec::<T>::deserialize(de(Spanned::new(span, other)))),
    }
}

fn each_part(root: Spanned<DeTable<'_>>, sink: &mut Sink<'_>) {
    let root_span = root.span();
    let table = root.into_inner();
    if !table.contains_key("bgp") {
        sink.push(Some(root_span), "missing field `bgp`");
    }
    for (key, value) in table {
        match key.get_ref().as_ref() {
            "bgp" => sink.check(Bgp::deserialize(de(value))),
            "neighbor" => each::<Neighbor>(value, sink),
            "evpn" => {
                let span = value.span();
                match value.into_inner() {
                    DeValue::Table(mut t) => {
                        if let Some(vnis) = t.remove("vni") {
                            each::<VniConfig>(vnis, sink);
                        }
                        sink.check(Evpn::deserialize(de(Spanned::new(span, DeValue::Table(t)))));
                    }
                    other => sink.check(Evpn::deserialize(de(Spanned::new(span, other)))),
                }
            }
            "api" => sink.check(Api::deserialize(de(value))),
            "metrics" => sink.check(Metrics::deserialize(de(value))),
            "log" => sink.check(Log::deserialize(de(value))),
            "bmp" => each::<Bmp>(value, sink),
            "policy" => each::<Policy>(value, sink),
            other => {
                let expected: Vec<String> = TOP.iter().map(|k| format!("`{k}`")).collect();
                sink.push(
                    Some(key.span()),
                    &format!(
                        "unknown field `{other}`, expected one of {}",
                        expected.join(", ")
                    ),
                );
            }
        }
    }
}
