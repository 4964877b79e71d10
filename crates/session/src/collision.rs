//! Connection collision (RFC 4271 §6.8) as a pure decision.
//!
//! A connection accepted while ours is in OpenSent/OpenConfirm is *held*
//! (our OPEN is sent on it so the peer's side can progress). Once the peer's
//! BGP identifier is known, the connection initiated by the speaker with the
//! higher identifier is kept and the other is closed with Cease /
//! Connection Collision Resolution. One refinement (ADR 0005): a held
//! connection on which the peer has sent nothing yet may be one the peer has
//! already abandoned (it took ours as its own), so we only switch to it once
//! the peer's OPEN is on it.

use std::net::Ipv4Addr;

/// What to do with the current and the held connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Keep the current connection; close the held one with Cease/7.
    KeepCurrent,
    /// The held connection should win but carries nothing from the peer
    /// yet: wait for its OPEN (or its closing).
    WaitForHeldOpen,
    /// Close the current connection with Cease/7 and adopt the held one.
    SwitchToHeld,
}

/// Decides a collision. `current_outbound`: the current connection is the
/// one we initiated (the held one is always inbound); `held_has_bytes`: the
/// peer has sent something on the held connection.
pub fn resolve(
    local_id: Ipv4Addr,
    peer_id: Ipv4Addr,
    current_outbound: bool,
    held_has_bytes: bool,
) -> Resolution {
    // RFC 4271 §6.8: compare the identifiers as 4-octet unsigned integers;
    // the higher one's connection survives.
    let local_wins = u32::from(local_id) > u32::from(peer_id);
    if local_wins == current_outbound {
        Resolution::KeepCurrent
    } else if held_has_bytes {
        Resolution::SwitchToHeld
    } else {
        Resolution::WaitForHeldOpen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const HIGH: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    #[test]
    fn the_higher_identifier_keeps_the_connection_it_initiated() {
        // We are higher: our outbound connection stays, an inbound current one goes.
        assert_eq!(resolve(HIGH, LOW, true, true), Resolution::KeepCurrent);
        assert_eq!(resolve(HIGH, LOW, false, true), Resolution::SwitchToHeld);
        // The peer is higher: its (inbound) connection stays.
        assert_eq!(resolve(LOW, HIGH, false, true), Resolution::KeepCurrent);
        assert_eq!(resolve(LOW, HIGH, true, true), Resolution::SwitchToHeld);
    }

    #[test]
    fn identifiers_compare_as_unsigned_integers_not_octet_strings() {
        let a = Ipv4Addr::new(9, 255, 255, 255);
        let b = Ipv4Addr::new(10, 0, 0, 0);
        assert_eq!(resolve(b, a, true, true), Resolution::KeepCurrent);
        assert_eq!(resolve(a, b, true, true), Resolution::SwitchToHeld);
    }

    #[test]
    fn a_silent_held_connection_is_not_switched_to() {
        assert_eq!(resolve(LOW, HIGH, true, false), Resolution::WaitForHeldOpen);
        // Keeping the current one needs nothing from the held connection.
        assert_eq!(resolve(HIGH, LOW, true, false), Resolution::KeepCurrent);
    }
}
