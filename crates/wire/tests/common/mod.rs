//! Helpers shared by the wire integration tests: where the public vectors
//! live and how to read them. A missing vector directory FAILS the test.
#![allow(dead_code)]

use std::path::PathBuf;

/// `$EVPND_VECTORS`, else `shared/vectors` beside the repository.
pub fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("EVPND_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
    assert!(
        dir.is_dir(),
        "BGP test vectors not found at {} — set EVPND_VECTORS to the shared/vectors directory",
        dir.display()
    );
    dir
}

pub fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Every `NAME.hex` vector: (name, bytes, expect.txt text).
pub fn all_vectors() -> Vec<(String, Vec<u8>, String)> {
    let dir = vectors_dir();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("read vectors dir") {
        let p = e.expect("dir entry").path();
        if p.extension().and_then(|x| x.to_str()) != Some("hex") {
            continue;
        }
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf8 name")
            .to_string();
        let bytes = unhex(&std::fs::read_to_string(&p).expect("read hex"));
        let expect =
            std::fs::read_to_string(dir.join(format!("{name}.expect.txt"))).unwrap_or_default();
        out.push((name, bytes, expect));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 40,
        "expected the 45 public vectors, found {}",
        out.len()
    );
    out
}
