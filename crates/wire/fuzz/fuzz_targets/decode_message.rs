//! Fuzz one whole message under every session context: decoding must never
//! panic, and anything that decodes must encode again.
#![no_main]

use evpnd_wire::message::decode_message;
use evpnd_wire::{Context, Family};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, msg)) = data.split_first() else { return };
    let ctx = Context {
        four_octet_as: sel & 1 != 0,
        add_path: if sel & 2 != 0 { vec![Family::L2VPN_EVPN, Family::IPV4_UNICAST] } else { vec![] },
        extended_message: sel & 4 != 0,
        ibgp: sel & 8 != 0,
    };
    // Give the header a valid marker so the fuzzer reaches the bodies.
    let mut m = vec![0xffu8; 16];
    m.extend_from_slice(&((msg.len() + 18) as u16).to_be_bytes());
    m.extend_from_slice(msg);
    if let Ok(decoded) = decode_message(&m, &ctx) {
        let _ = decoded.to_bytes(&ctx);
    }
    let _ = decode_message(data, &ctx);
});
