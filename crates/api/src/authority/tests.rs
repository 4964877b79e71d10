//! The scanner against hand-built HTTP/2 byte streams (RFC 9113 frames,
//! RFC 7541 field blocks).

use super::frames::{FLAG_PADDED, FLAG_PRIORITY, TYPE_CONTINUATION, TYPE_HEADERS};
use super::*;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const END_HEADERS: u8 = 0x4;
const TYPE_DATA: u8 = 0x0;
const TYPE_SETTINGS: u8 = 0x4;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An HPACK integer with an `n`-bit prefix under `first`'s high bits.
fn int(first: u8, n: u32, v: usize) -> Vec<u8> {
    let max = (1usize << n) - 1;
    if v < max {
        return vec![first | v as u8];
    }
    let mut out = vec![first | max as u8];
    let mut rest = v - max;
    while rest >= 128 {
        out.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.push(rest as u8);
    out
}

fn raw_string(s: &[u8]) -> Vec<u8> {
    let mut out = int(0, 7, s.len());
    out.extend_from_slice(s);
    out
}

/// `:authority` (static index 1) with incremental indexing, raw value.
fn authority_literal(value: &[u8]) -> Vec<u8> {
    let mut out = int(0x40, 6, 1);
    out.extend(raw_string(value));
    out
}

/// A block as grpc-core starts one: `:method POST` (static 3), `:scheme
/// http` (static 6), `:path` literal (static 4, without indexing), then the
/// authority.
fn grpc_block(authority: &[u8]) -> Vec<u8> {
    let mut b = vec![0x83, 0x86];
    b.extend(int(0x00, 4, 4));
    b.extend(raw_string(b"/evpn.v1.DaemonService/GetStatus"));
    b.extend(authority_literal(authority));
    // content-type: application/grpc, a literal name, incremental indexing.
    b.push(0x40);
    b.extend(raw_string(b"content-type"));
    b.extend(raw_string(b"application/grpc"));
    b
}

fn stream_with(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut s = PREFACE.to_vec();
    s.extend(frame(TYPE_SETTINGS, 0, 0, &[0, 4, 0, 0, 0xff, 0xff]));
    for f in frames {
        s.extend_from_slice(f);
    }
    s
}

fn scan_whole(mut s: Vec<u8>) -> Vec<u8> {
    FrameScanner::default().feed(&mut s);
    s
}

fn scan_bytewise(mut s: Vec<u8>) -> Vec<u8> {
    let mut sc = FrameScanner::default();
    for i in 0..s.len() {
        sc.feed(&mut s[i..i + 1]);
    }
    s
}

fn rewritten(input: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = input
        .windows(from.len())
        .position(|w| w == from)
        .expect("the value is in the stream");
    let mut out = input.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn grpc_core_socket_path_becomes_a_host_name() {
    let s = stream_with(&[frame(
        TYPE_HEADERS,
        END_HEADERS,
        1,
        &grpc_block(b"tmp%2Fevpnd.sock"),
    )]);
    let want = rewritten(&s, b"tmp%2Fevpnd.sock", b"tmp-2Fevpnd.sock");
    assert_eq!(scan_whole(s.clone()), want);
    assert_eq!(scan_bytewise(s), want);
    assert!(http::uri::Authority::try_from("tmp-2Fevpnd.sock").is_ok());
    assert!(http::uri::Authority::try_from("tmp%2Fevpnd.sock").is_err());
}

#[test]
fn only_the_authority_value_changes() {
    // The same odd bytes in :path, a DATA frame and a literal-named header stay.
    let mut block = vec![0x83];
    block.extend(int(0x00, 4, 4));
    block.extend(raw_string(b"/a%2Fb"));
    block.push(0x00);
    block.extend(raw_string(b"x-authority"));
    block.extend(raw_string(b"c%2Fd"));
    block.extend(authority_literal(b"/run/evpnd/evpnd.sock"));
    let data = frame(TYPE_DATA, 0, 1, &authority_literal(b"e%2Ff"));
    let s = stream_with(&[frame(TYPE_HEADERS, END_HEADERS, 1, &block), data]);
    let want = rewritten(&s, b"/run/evpnd/evpnd.sock", b"-run-evpnd-evpnd.sock");
    assert_eq!(scan_whole(s), want);
}

#[test]
fn literal_name_authority_is_rewritten() {
    let mut block = vec![0x10];
    block.extend(raw_string(b":authority"));
    block.extend(raw_string(b"a b"));
    let s = stream_with(&[frame(TYPE_HEADERS, END_HEADERS, 3, &block)]);
    let want = rewritten(&s, b"a b", b"a-b");
    assert_eq!(scan_whole(s), want);
}

#[test]
fn padded_and_priority_headers() {
    let block = grpc_block(b"x%y");
    let mut payload = vec![3u8];
    payload.extend([0x80, 0, 0, 1, 16]);
    payload.extend(&block);
    payload.extend(b"%%%");
    let s = stream_with(&[frame(
        TYPE_HEADERS,
        END_HEADERS | FLAG_PADDED | FLAG_PRIORITY,
        5,
        &payload,
    )]);
    // The padding is not a field block: its % stay.
    let want = rewritten(&s, b"x%y", b"x-y");
    assert!(want.ends_with(b"%%%"));
    assert_eq!(scan_bytewise(s), want);
}

#[test]
fn value_split_across_continuation() {
    // Bad bytes on both sides of the cut.
    let block = grpc_block(b"tmp%2Fa/b.sock");
    let cut = block.windows(3).position(|w| w == b"%2F").expect("value") + 1;
    let s = stream_with(&[
        frame(TYPE_HEADERS, 0, 1, &block[..cut]),
        frame(TYPE_CONTINUATION, END_HEADERS, 1, &block[cut..]),
        frame(TYPE_HEADERS, END_HEADERS, 3, &grpc_block(b"q%r")),
    ]);
    let mut want = rewritten(&s, b"tmp%", b"tmp-");
    want = rewritten(&want, b"a/b.sock", b"a-b.sock");
    want = rewritten(&want, b"q%r", b"q-r");
    assert_eq!(scan_whole(s.clone()), want);
    assert_eq!(scan_bytewise(s), want);
}

#[test]
fn long_values_and_large_indices() {
    // A 300-byte value has a two-octet length; an index past 63 a continuation octet.
    let value: Vec<u8> = (0..300)
        .map(|i| if i % 10 == 0 { b'/' } else { b'a' })
        .collect();
    let mut block = int(0x80, 7, 200);
    block.extend(authority_literal(&value));
    let s = stream_with(&[frame(TYPE_HEADERS, END_HEADERS, 1, &block)]);
    let fixed: Vec<u8> = value
        .iter()
        .map(|b| if *b == b'/' { b'-' } else { *b })
        .collect();
    let want = rewritten(&s, &value, &fixed);
    assert_eq!(scan_bytewise(s), want);
}

/// `:authority` (static index 1), incremental indexing, Huffman-coded value.
fn huffman_authority(value: &[u8]) -> Vec<u8> {
    let coded = huffman::encode(value);
    let mut out = int(0x40, 6, 1);
    out.extend(int(0x80, 7, coded.len()));
    out.extend(coded);
    out
}

/// A reader that hands out `chunks` one read at a time.
struct Chunks(std::collections::VecDeque<Vec<u8>>);

impl AsyncRead for Chunks {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(mut c) = this.0.pop_front() {
            let n = c.len().min(buf.remaining());
            buf.put_slice(&c[..n]);
            if n < c.len() {
                this.0.push_front(c.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Everything `stream` yields through [`AnyAuthority`], read in `chunk`-byte
/// pieces.
fn through_wrapper(stream: &[u8], chunk: usize) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let chunks = stream.chunks(chunk).map(<[u8]>::to_vec).collect();
    let mut w = AnyAuthority::new(Chunks(chunks));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut out = Vec::new();
    rt.block_on(w.read_to_end(&mut out)).expect("read");
    out
}

#[test]
fn huffman_coded_authority_is_rewritten_at_the_same_length() {
    // grpc-go with a path authority: Huffman-coded, '/' and ':' in it.
    let bad = b"unix:/tmp/evpnd.sock";
    let mut block = vec![0x83, 0x86];
    block.extend(huffman_authority(bad));
    block.extend(int(0x00, 4, 4));
    block.extend(raw_string(b"/x"));
    let s = stream_with(&[
        frame(TYPE_HEADERS, END_HEADERS, 1, &block),
        frame(TYPE_DATA, 0, 1, b"after"),
    ]);
    let want = rewritten(
        &s,
        &huffman::encode(bad),
        &huffman::encode(b"unixB-tmp-evpnd.sock"),
    );
    for chunk in [1, 3, 7, 4096] {
        assert_eq!(
            through_wrapper(&s, chunk),
            want,
            "read in {chunk}-byte pieces"
        );
    }
    assert!(http::uri::Authority::try_from("unixB-tmp-evpnd.sock").is_ok());
}

#[test]
fn huffman_symbols_without_a_twin_stay() {
    // '@' has a 13-bit code: no host-name byte has one. The rest is fixed.
    let s = stream_with(&[frame(
        TYPE_HEADERS,
        END_HEADERS,
        1,
        &huffman_authority(b"a@b/c"),
    )]);
    let want = rewritten(&s, &huffman::encode(b"a@b/c"), &huffman::encode(b"a@b-c"));
    assert_eq!(through_wrapper(&s, 2), want);
}

#[test]
fn raw_rewrite_through_the_wrapper_and_end_of_stream_inside_a_value() {
    let s = stream_with(&[frame(
        TYPE_HEADERS,
        END_HEADERS,
        1,
        &grpc_block(b"tmp%2Fa.sock"),
    )]);
    let want = rewritten(&s, b"tmp%2Fa.sock", b"tmp-2Fa.sock");
    assert_eq!(through_wrapper(&s, 5), want);
    // A stream cut inside a Huffman-coded value: what was held comes out.
    let whole = stream_with(&[frame(
        TYPE_HEADERS,
        END_HEADERS,
        1,
        &huffman_authority(b"/a/b/c/d"),
    )]);
    let cut = &whole[..whole.len() - 2];
    assert_eq!(through_wrapper(cut, 3), cut);
}

#[test]
fn malformed_integer_stops_rewriting() {
    // An index whose continuation never ends, then an authority literal: no rewrite.
    let mut block = vec![0xff];
    block.extend([0xff; 8]);
    block.push(0x01);
    block.extend(authority_literal(b"a%b"));
    let s = stream_with(&[frame(TYPE_HEADERS, END_HEADERS, 1, &block)]);
    assert_eq!(scan_whole(s.clone()), s);
}

#[test]
fn huffman_value_split_across_frames_passes_unchanged() {
    // The CONTINUATION frame header would sit inside the held value.
    let block = huffman_authority(b"/run/evpnd/evpnd.sock");
    let cut = block.len() - 3;
    let s = stream_with(&[
        frame(TYPE_HEADERS, 0, 1, &block[..cut]),
        frame(TYPE_CONTINUATION, END_HEADERS, 1, &block[cut..]),
        frame(TYPE_HEADERS, END_HEADERS, 3, &huffman_authority(b"a/b")),
    ]);
    // The split one stays; the next request's is fixed.
    let want = rewritten(&s, &huffman::encode(b"a/b"), &huffman::encode(b"a-b"));
    assert_eq!(through_wrapper(&s, 4), want);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// An authority value: host-name bytes mixed with the ones clients send.
    fn value() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'a'),
                Just(b'0'),
                Just(b'.'),
                Just(b'/'),
                Just(b'%'),
                Just(b':'),
                Just(b'@'),
                Just(b' '),
                any::<u8>(),
            ],
            1..40,
        )
    }

    proptest! {
        /// Any bytes after the preface: no panic, nothing added or lost.
        #[test]
        fn garbage_keeps_its_length(body in proptest::collection::vec(any::<u8>(), 0..600), chunk in 1usize..64) {
            let mut s = PREFACE.to_vec();
            s.extend(body);
            let out = through_wrapper(&s, chunk);
            prop_assert_eq!(out.len(), s.len());
        }

        /// Requests with raw or Huffman-coded authorities: however the stream
        /// is cut into reads, the same bytes come out, of the same length,
        /// and the raw values become host names.
        #[test]
        fn reads_do_not_matter(values in proptest::collection::vec((value(), any::<bool>()), 1..4), chunk in 1usize..32) {
            let frames: Vec<Vec<u8>> = values
                .iter()
                .enumerate()
                .map(|(i, (v, huff))| {
                    let block = if *huff { huffman_authority(v) } else { authority_literal(v) };
                    frame(TYPE_HEADERS, END_HEADERS, 2 * i as u32 + 1, &block)
                })
                .collect();
            let s = stream_with(&frames);
            let whole = through_wrapper(&s, s.len());
            prop_assert_eq!(whole.len(), s.len());
            prop_assert_eq!(&through_wrapper(&s, chunk), &whole);
            for (v, huff) in &values {
                if !*huff {
                    let fixed: Vec<u8> = v.iter().map(|b| if allowed(*b) { *b } else { b'-' }).collect();
                    prop_assert!(whole.windows(fixed.len()).any(|w| w == fixed.as_slice()));
                }
            }
        }
    }
}
