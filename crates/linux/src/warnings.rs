//! Setup warnings, reported once they have held a moment (issue 16).
//!
//! A VNI is set up in steps (`docs/kernel.md`): the VXLAN device is created,
//! then enslaved to its bridge, then given `neigh_suppress`. Each step is a
//! link notification, and between two of them the VNI really is "not a port
//! of a bridge". A warning is therefore reported only once it has been
//! there for [`SETTLE_MS`] without a break, and once per appearance: it is
//! forgotten when it goes, so it is reported again if it comes back.

use std::collections::HashMap;

use evpnd_wire::Vni;

/// How long a warning must hold before it is reported.
pub const SETTLE_MS: u64 = 1_000;

type Warning = (Option<Vni>, String);

#[derive(Debug, Default)]
pub struct Debounce {
    /// Current warnings: since when, and whether reported.
    current: HashMap<Warning, (u64, bool)>,
}

impl Debounce {
    /// The warnings the links give now (all of them, every time).
    pub fn update(&mut self, now_ms: u64, warnings: impl IntoIterator<Item = Warning>) {
        let mut next = HashMap::new();
        for w in warnings {
            let state = self.current.remove(&w).unwrap_or((now_ms, false));
            next.insert(w, state);
        }
        self.current = next;
    }

    /// The warnings to report at `now_ms` (held long enough, not reported).
    pub fn due(&mut self, now_ms: u64) -> Vec<Warning> {
        let mut out: Vec<Warning> = self
            .current
            .iter_mut()
            .filter(|(_, (since, done))| !*done && now_ms >= since.saturating_add(SETTLE_MS))
            .map(|(w, (_, done))| {
                *done = true;
                w.clone()
            })
            .collect();
        out.sort();
        out
    }

    /// When the next warning falls due, if one waits.
    pub fn next_due(&self) -> Option<u64> {
        self.current
            .values()
            .filter(|(_, done)| !done)
            .map(|(since, _)| since.saturating_add(SETTLE_MS))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: u32, what: &str) -> Warning {
        (Some(Vni::new(v).expect("vni")), what.to_string())
    }

    /// The documented order: device created (not yet a port), enslaved a
    /// moment later. No warning; one that stays is reported once.
    #[test]
    fn a_vni_set_up_in_steps_raises_no_warning() {
        let mut d = Debounce::default();
        let not_a_port = w(100, "not a port of a bridge");
        let learning = w(100, "learning on");
        d.update(0, [not_a_port.clone(), learning.clone()]);
        assert_eq!(d.due(10), []);
        d.update(20, [learning.clone()]); // enslaved
        assert_eq!(d.due(999), []);
        assert_eq!(
            d.due(1_000),
            std::slice::from_ref(&learning),
            "the one that stayed"
        );
        assert_eq!(d.due(5_000), [], "once");
        assert_eq!(d.next_due(), None);
        // Gone and back: reported again after it held.
        d.update(6_000, []);
        d.update(7_000, [learning.clone()]);
        assert_eq!(d.next_due(), Some(8_000));
        assert_eq!(d.due(8_000), [learning]);
    }
}
