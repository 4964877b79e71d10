//! Shared by the integration tests: build a document from lines so that line
//! numbers in the expectations are easy to check (line n = element n-1).

#![allow(dead_code)]

/// The three lines every document starts with (lines 1-3).
pub const HEAD: [&str; 3] = ["[bgp]", "asn = 65001", r#"router_id = "10.0.0.11""#];

/// `HEAD` followed by `rest` (first element of `rest` is line 4).
pub fn doc(rest: &[&str]) -> String {
    let mut lines: Vec<&str> = HEAD.to_vec();
    lines.extend_from_slice(rest);
    lines.join("\n") + "\n"
}

/// Every error for `text` as `fabric.toml:line:col: message`, or none.
pub fn errors(text: &str) -> Vec<String> {
    match evpnd_config::parse(text, "fabric.toml") {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.to_string()).collect(),
    }
}

/// Asserts the exact errors of `HEAD` + `rest`.
#[track_caller]
pub fn check(rest: &[&str], expected: &[&str]) {
    let text = doc(rest);
    assert_eq!(errors(&text), expected, "\n--- document ---\n{text}");
}

/// Asserts the exact errors of a whole document given as lines.
#[track_caller]
pub fn check_whole(lines: &[&str], expected: &[&str]) {
    let text = lines.join("\n") + "\n";
    assert_eq!(errors(&text), expected, "\n--- document ---\n{text}");
}

pub fn valid(rest: &[&str]) -> evpnd_config::Config {
    let text = doc(rest);
    evpnd_config::parse(&text, "fabric.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

pub fn valid_whole(lines: &[&str]) -> evpnd_config::Config {
    let text = lines.join("\n") + "\n";
    evpnd_config::parse(&text, "fabric.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}
