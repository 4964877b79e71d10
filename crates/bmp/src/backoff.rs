//! Reconnect delays: exponential, capped, reset once a connection has held.
//! Sans-IO: the caller passes `now` and sleeps until the returned instant.

use std::time::{Duration, Instant};

/// First delay after a failure.
pub const INITIAL: Duration = Duration::from_secs(1);
/// Largest delay.
pub const MAX: Duration = Duration::from_secs(60);
/// A connection that stayed up this long resets the delay to [`INITIAL`].
pub const STABLE_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(INITIAL, MAX)
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        let initial = initial.max(Duration::from_millis(1));
        let max = max.max(initial);
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// When to try again after a failure at `now`; doubles the next delay.
    pub fn after_failure(&mut self, now: Instant) -> Instant {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        now + d
    }

    /// The delay the next failure will wait.
    pub fn current(&self) -> Duration {
        self.next
    }

    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let t = Instant::now();
        let waits: Vec<u64> = (0..5)
            .map(|_| b.after_failure(t).duration_since(t).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.after_failure(t), t + Duration::from_secs(1));
    }
}
