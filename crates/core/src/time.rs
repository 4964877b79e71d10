//! Time as the core sees it: milliseconds since an epoch the driver chose
//! (the daemon: its start; tests and the simulated fabric: zero). The core
//! never reads a clock; every input carries `now`.

use std::ops::Add;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);

    pub fn from_secs(s: u64) -> Time {
        Time(s.saturating_mul(1000))
    }

    pub fn from_duration(d: Duration) -> Time {
        Time(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Whole seconds since the epoch.
    pub fn secs(self) -> u64 {
        self.0 / 1000
    }

    /// How long after `earlier` this is (zero if it is not later).
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;

    fn add(self, d: Duration) -> Time {
        Time(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_and_reads_back() {
        let t = Time::from_secs(5) + Duration::from_millis(1500);
        assert_eq!(t, Time(6500));
        assert_eq!(t.secs(), 6);
        assert_eq!(t.since(Time::from_secs(6)), Duration::from_millis(500));
        assert_eq!(Time::ZERO.since(t), Duration::ZERO);
        assert_eq!(Time(u64::MAX) + Duration::from_secs(1), Time(u64::MAX));
    }
}
