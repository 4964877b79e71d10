//! The timers of discovery on one interface, validated.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::ra::MAX_ROUTER_LIFETIME_SECS;

/// FRR's RA interval on `neighbor IF interface` links (bgpd asks zebra for
/// 10 s, `BGP_UNNUM_DEFAULT_RA_INTERVAL`).
pub const DEFAULT_RA_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest interval we accept (tests use it; RFC 4861's own floor
/// for MaxRtrAdvInterval is 4 s, RFC 6275 allows less on point-to-point).
pub const MIN_RA_INTERVAL: Duration = Duration::from_secs(1);
/// RFC 4861 §6.2.1: MaxRtrAdvInterval is at most 1800 s.
pub const MAX_RA_INTERVAL: Duration = Duration::from_secs(1800);
/// The advertised router lifetime is this many intervals by default (FRR
/// and RFC 4861 §6.2.1 both default AdvDefaultLifetime to 3 × interval).
pub const LIFETIME_INTERVALS: u32 = 3;
/// Our own timeout for a peer we stop hearing: three of FRR's 10 s RAs.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(30);
/// The shortest peer timeout we accept.
pub const MIN_PEER_TIMEOUT: Duration = Duration::from_secs(1);
/// Jitter: each interval is shortened by up to 1/`JITTER_DIVISOR` of
/// itself, so RAs never come later than the interval (RFC 4861 §6.2.4
/// wants them randomised so that routers do not synchronise).
pub const JITTER_DIVISOR: u32 = 4;
/// RFC 4861 §10 MAX_RA_DELAY_TIME: an RA answering a solicitation goes
/// after a random delay below this.
pub const MAX_RA_DELAY: Duration = Duration::from_millis(500);
/// RFC 4861 §10 MIN_DELAY_BETWEEN_RAS: solicited RAs never come closer
/// than this to the previous RA.
pub const MIN_DELAY_BETWEEN_RAS: Duration = Duration::from_secs(3);
/// The hop limit we advertise for hosts (0 would mean "unspecified").
pub const ADVERTISED_HOP_LIMIT: u8 = 64;

/// Discovery's settings for one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryConfig {
    /// Period of our RAs, before jitter.
    pub ra_interval: Duration,
    /// Router lifetime we advertise; `None` = [`LIFETIME_INTERVALS`] ×
    /// `ra_interval`, capped at 9000 s.
    pub router_lifetime: Option<Duration>,
    /// A peer not heard for this long is lost even if its advertised
    /// lifetime is longer.
    pub peer_timeout: Duration,
    /// Whether we send RAs (FRR's `neighbor IF interface` needs them to
    /// find us; off = listen only).
    pub send_ra: bool,
    /// MTU option in our RAs (`None` = no option).
    pub mtu: Option<u32>,
    /// Seed of the jitter's generator (the driver seeds it per interface).
    pub seed: u64,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            ra_interval: DEFAULT_RA_INTERVAL,
            router_lifetime: None,
            peer_timeout: DEFAULT_PEER_TIMEOUT,
            send_ra: true,
            mtu: None,
            seed: 0,
        }
    }
}

impl DiscoveryConfig {
    /// Checks the timers against the bounds above.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ra_interval < MIN_RA_INTERVAL {
            return Err(ConfigError::IntervalTooShort {
                got_ms: self.ra_interval.as_millis(),
                min_ms: MIN_RA_INTERVAL.as_millis(),
            });
        }
        if self.ra_interval > MAX_RA_INTERVAL {
            return Err(ConfigError::IntervalTooLong {
                got_s: self.ra_interval.as_secs(),
                max_s: MAX_RA_INTERVAL.as_secs(),
            });
        }
        if let Some(l) = self.router_lifetime
            && (l < self.ra_interval || l.as_secs() > u64::from(MAX_ROUTER_LIFETIME_SECS))
        {
            return Err(ConfigError::BadLifetime {
                got_s: l.as_secs(),
                interval_s: self.ra_interval.as_secs(),
                max_s: u64::from(MAX_ROUTER_LIFETIME_SECS),
            });
        }
        if self.peer_timeout < MIN_PEER_TIMEOUT {
            return Err(ConfigError::TimeoutTooShort {
                got_ms: self.peer_timeout.as_millis(),
                min_ms: MIN_PEER_TIMEOUT.as_millis(),
            });
        }
        Ok(())
    }

    /// The router lifetime field of our RAs, in whole seconds (at least 1).
    pub fn advertised_lifetime_secs(&self) -> u16 {
        let l = self
            .router_lifetime
            .unwrap_or(self.ra_interval * LIFETIME_INTERVALS);
        let secs = l.as_secs().clamp(1, u64::from(MAX_ROUTER_LIFETIME_SECS));
        u16::try_from(secs).unwrap_or(MAX_ROUTER_LIFETIME_SECS)
    }
}

/// A small deterministic generator (xorshift64*) for the RA jitter: the
/// core stays reproducible for a given seed, and needs no `rand`.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

/// xorshift64* multiplier (Vigna, "An experimental exploration of
/// Marsaglia's xorshift generators").
const XORSHIFT_MULTIPLIER: u64 = 0x2545_f491_4f6c_dd1d;
/// Replaces a zero seed (xorshift's one fixed point).
const NONZERO_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

impl Jitter {
    pub fn new(seed: u64) -> Jitter {
        Jitter(if seed == 0 { NONZERO_SEED } else { seed })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(XORSHIFT_MULTIPLIER)
    }

    /// A uniform delay in [0, `max`).
    pub fn delay_below(&mut self, max: Duration) -> Duration {
        let span = u64::try_from(max.as_micros()).unwrap_or(u64::MAX);
        if span == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(self.next_u64() % span)
    }

    /// `interval` shortened by a uniform amount in [0, interval / JITTER_DIVISOR).
    pub fn next_interval(&mut self, interval: Duration) -> Duration {
        let span = u64::try_from((interval / JITTER_DIVISOR).as_micros()).unwrap_or(u64::MAX);
        if span == 0 {
            return interval;
        }
        interval.saturating_sub(Duration::from_micros(self.next_u64() % span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_frr_s_and_valid() {
        let c = DiscoveryConfig::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.advertised_lifetime_secs(), 30);
    }

    #[test]
    fn bounds_are_enforced() {
        let c = DiscoveryConfig {
            ra_interval: Duration::from_millis(500),
            ..DiscoveryConfig::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::IntervalTooShort { .. })
        ));
        let c = DiscoveryConfig {
            router_lifetime: Some(Duration::from_secs(5)),
            ..DiscoveryConfig::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::BadLifetime { .. })));
        let c = DiscoveryConfig {
            peer_timeout: Duration::ZERO,
            ..DiscoveryConfig::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::TimeoutTooShort { .. })
        ));
    }

    #[test]
    fn jitter_stays_within_the_last_quarter_and_varies() {
        let mut j = Jitter::new(7);
        let i = Duration::from_secs(10);
        let v: Vec<Duration> = (0..1000).map(|_| j.next_interval(i)).collect();
        assert!(v.iter().all(|d| *d <= i && *d > i * 3 / 4));
        let distinct: std::collections::BTreeSet<_> = v.iter().collect();
        assert!(
            distinct.len() > 900,
            "jitter barely varies: {}",
            distinct.len()
        );
    }
}
