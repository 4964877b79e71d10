//! Fuzz the configuration parser and validator: any text gives a config or
//! errors, never a panic; every error has a position inside the text; a
//! config that parses survives a reload diff against itself unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match evpnd_config::parse(text, "fuzz.toml") {
        Ok(cfg) => {
            let d = evpnd_config::Config::diff(&cfg, &cfg);
            assert!(d.neighbors_added.is_empty() && d.vnis_changed.is_empty());
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let lines = text.matches('\n').count() + 1;
            for e in &errors {
                assert!(e.line <= lines, "{e} is past the last line {lines}");
            }
        }
    }
});
