//! Fuzz the stream framer: arbitrary bytes pushed in arbitrary chunks.
#![no_main]

use evpnd_wire::framing::Framer;
use evpnd_wire::message::decode_message;
use evpnd_wire::Context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = Context::default();
    let mut f = Framer::new(4096);
    for chunk in data.chunks(7) {
        f.push(chunk);
        while let Ok(Some(frame)) = f.next_frame() {
            let _ = decode_message(&frame, &ctx);
        }
    }
});
