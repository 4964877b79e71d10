//! The Router Advertisement codec under property tests: every RA we can
//! build round-trips exactly, and arbitrary octets never panic the decoder
//! (they decode or give a typed error, and what decodes re-decodes the same).

use evpnd_ndisc::option::{OPT_MTU, OPT_SOURCE_LINK_LAYER};
use evpnd_ndisc::ra::{ICMPV6_ROUTER_ADVERTISEMENT, RA_HEADER_LEN};
use evpnd_ndisc::{DecodeError, LinkLayerAddr, RaOptions, RouterAdvertisement, RouterSolicitation};
use proptest::prelude::*;

fn any_ra() -> impl Strategy<Value = RouterAdvertisement> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        proptest::option::of(any::<[u8; 6]>()),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(h, f, l, r, t, sll, mtu)| RouterAdvertisement {
            cur_hop_limit: h,
            flags: f,
            router_lifetime: l,
            reachable_time: r,
            retrans_timer: t,
            options: RaOptions {
                source_link_layer: sll.map(LinkLayerAddr),
                mtu,
            },
        })
}

/// One ND option of any type with a valid length and arbitrary contents.
fn any_option() -> impl Strategy<Value = Vec<u8>> {
    (any::<u8>(), 1u8..4).prop_flat_map(|(kind, units)| {
        proptest::collection::vec(any::<u8>(), usize::from(units) * 8 - 2).prop_map(move |body| {
            let mut o = vec![kind, units];
            o.extend(body);
            o
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_decode_is_identity(ra in any_ra()) {
        let octets = ra.encode();
        prop_assert_eq!(octets.len(), RA_HEADER_LEN + ra.options.encoded_len());
        prop_assert_eq!(RouterAdvertisement::decode(&octets), Ok(ra));
    }

    /// Unknown options anywhere are skipped; the known ones still read.
    #[test]
    fn unknown_options_are_skipped(ra in any_ra(), extra in proptest::collection::vec(any_option(), 0..4)) {
        let mut octets = ra.encode();
        for o in &extra {
            // Only unknown types: a known one would be read or refused.
            if o[0] == OPT_MTU || o[0] == OPT_SOURCE_LINK_LAYER {
                continue;
            }
            octets.extend_from_slice(o);
        }
        prop_assert_eq!(RouterAdvertisement::decode(&octets), Ok(ra));
    }

    /// Arbitrary octets: no panic; a typed error or an RA that encodes to
    /// something decoding to itself.
    #[test]
    fn arbitrary_octets_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(ra) = RouterAdvertisement::decode(&bytes) {
            prop_assert_eq!(RouterAdvertisement::decode(&ra.encode()), Ok(ra));
        }
    }

    /// The same with a valid RA header in front, so the options parser gets
    /// the hostile part.
    #[test]
    fn arbitrary_options_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut bytes = vec![ICMPV6_ROUTER_ADVERTISEMENT, 0, 0, 0, 64, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(&tail);
        match RouterAdvertisement::decode(&bytes) {
            Ok(ra) => prop_assert_eq!(RouterAdvertisement::decode(&ra.encode()), Ok(ra)),
            Err(e) => prop_assert!(matches!(
                e,
                DecodeError::OptionTruncated { .. }
                    | DecodeError::ZeroLengthOption { .. }
                    | DecodeError::OptionOverrun { .. }
                    | DecodeError::BadOptionLength { .. }
            ), "{e:?}"),
        }
    }

    /// Every truncation of a valid RA with options is refused or decodes
    /// to a prefix-consistent RA, never panics.
    #[test]
    fn truncations_are_refused(ra in any_ra(), cut in 0usize..40) {
        let octets = ra.encode();
        let cut = cut.min(octets.len());
        let short = &octets[..octets.len() - cut];
        let r = RouterAdvertisement::decode(short);
        if cut == 0 {
            prop_assert_eq!(r, Ok(ra));
        } else if short.len() < RA_HEADER_LEN {
            let is_truncated = matches!(r, Err(DecodeError::Truncated { .. }));
            prop_assert!(is_truncated);
        } else {
            // Options are whole units of 8: a cut inside one is an error,
            // a cut at a boundary drops whole options.
            let at_boundary = (short.len() - RA_HEADER_LEN).is_multiple_of(8);
            prop_assert_eq!(r.is_ok(), at_boundary);
        }
    }

    /// Router Solicitations: round trip, and arbitrary octets never panic.
    #[test]
    fn solicitations_round_trip_and_never_panic(
        sll in proptest::option::of(any::<[u8; 6]>()),
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let rs = RouterSolicitation { source_link_layer: sll.map(LinkLayerAddr) };
        prop_assert_eq!(RouterSolicitation::decode(&rs.encode()), Ok(rs));
        if let Ok(rs) = RouterSolicitation::decode(&bytes) {
            prop_assert_eq!(RouterSolicitation::decode(&rs.encode()), Ok(rs));
        }
    }
}
