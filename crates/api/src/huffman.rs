//! The HPACK Huffman code (RFC 7541 §5.2, Appendix B), as far as
//! [`crate::authority`] needs it: decode a Huffman-coded string into its
//! symbols, and replace a symbol by another one whose code has the same
//! length, so that neither the encoded nor the decoded length changes.
//!
//! The code is canonical: Appendix B's codes are what one gets by sorting
//! the symbols by (code length, symbol) and counting up, so the table here
//! is the code length of each of the 257 symbols (256 octets and EOS) and
//! the codes are derived from it at compile time.

/// Code length in bits of each symbol, 0..=255 then EOS (RFC 7541 Appendix B).
#[rustfmt::skip]
const CODE_LENGTHS: [u8; SYMBOLS] = [
    // 0..=31: control characters
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    // ' ' ! " # $ % & ' ( ) * + , - . /
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
    // 0..9 : ; < = > ?
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
    // @ A..O
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    // P..Z [ \ ] ^ _
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
    // ` a..o
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
    // p..z { | } ~ DEL
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
    // 128..=255
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
    // EOS
    30,
];

/// 256 octets and EOS.
const SYMBOLS: usize = 257;
const EOS: u16 = 256;
/// The longest code.
const MAX_LEN: usize = 30;
/// At most this many bits of padding, all ones, end a string (§5.2).
const MAX_PADDING: u32 = 7;

/// The canonical code: symbols sorted by (length, symbol), the first code
/// of each length and how many codes have it.
struct Canonical {
    sorted: [u16; SYMBOLS],
    /// Per length: the first code, and the index in `sorted` of its symbol.
    first_code: [u32; MAX_LEN + 1],
    first_index: [u16; MAX_LEN + 1],
    count: [u16; MAX_LEN + 1],
    code: [u32; SYMBOLS],
}

const fn canonical() -> Canonical {
    let mut c = Canonical {
        sorted: [0; SYMBOLS],
        first_code: [0; MAX_LEN + 1],
        first_index: [0; MAX_LEN + 1],
        count: [0; MAX_LEN + 1],
        code: [0; SYMBOLS],
    };
    let mut s = 0;
    while s < SYMBOLS {
        c.count[CODE_LENGTHS[s] as usize] += 1;
        s += 1;
    }
    // Symbols in (length, symbol) order; codes count up, shifting left at
    // each longer length.
    let (mut next, mut code, mut len) = (0usize, 0u32, 1usize);
    while len <= MAX_LEN {
        c.first_code[len] = code;
        c.first_index[len] = next as u16;
        let mut s = 0;
        while s < SYMBOLS {
            if CODE_LENGTHS[s] as usize == len {
                c.sorted[next] = s as u16;
                c.code[s] = code;
                code += 1;
                next += 1;
            }
            s += 1;
        }
        code <<= 1;
        len += 1;
    }
    c
}

static CODE: Canonical = canonical();

/// One decoded symbol: where its code starts (bit offset from the first
/// octet's most significant bit) and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Symbol {
    pub value: u8,
    pub bit: usize,
    pub len: u8,
}

/// Why a string is not valid Huffman code (§5.2): it then stays as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// The symbols of a Huffman-coded string.
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<Symbol>, Malformed> {
    let total = bytes.len() * 8;
    let bit_at = |i: usize| (bytes[i / 8] >> (7 - i % 8)) & 1;
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5);
    let mut start = 0;
    while start < total {
        let (mut code, mut len) = (0u32, 0usize);
        let found = loop {
            if start + len == total || len == MAX_LEN {
                break None;
            }
            code = code << 1 | u32::from(bit_at(start + len));
            len += 1;
            let off = code.wrapping_sub(CODE.first_code[len]);
            if code >= CODE.first_code[len] && off < u32::from(CODE.count[len]) {
                break Some(CODE.sorted[usize::from(CODE.first_index[len]) + off as usize]);
            }
        };
        match found {
            Some(EOS) | None if !padding(code, len) => return Err(Malformed),
            Some(EOS) | None => break,
            Some(s) => {
                out.push(Symbol {
                    value: s as u8,
                    bit: start,
                    len: len as u8,
                });
                start += len;
            }
        }
    }
    Ok(out)
}

/// A string's tail that is no symbol: at most 7 bits, all ones.
fn padding(code: u32, len: usize) -> bool {
    len as u32 <= MAX_PADDING && code == (1 << len) - 1
}

/// Overwrites the code of `at` with the code of `by`, which must have the
/// same length.
pub(crate) fn replace(bytes: &mut [u8], at: Symbol, by: u8) {
    let code = CODE.code[usize::from(by)];
    debug_assert_eq!(CODE_LENGTHS[usize::from(by)], at.len);
    for i in 0..usize::from(at.len) {
        let bit = (code >> (usize::from(at.len) - 1 - i)) & 1;
        let (byte, shift) = ((at.bit + i) / 8, 7 - (at.bit + i) % 8);
        bytes[byte] = (bytes[byte] & !(1 << shift)) | ((bit as u8) << shift);
    }
}

/// The first symbol satisfying `ok` whose code is `len` bits long.
pub(crate) fn same_length(len: u8, ok: impl Fn(u8) -> bool) -> Option<u8> {
    (0..=255u8).find(|s| CODE_LENGTHS[usize::from(*s)] == len && ok(*s))
}

/// Huffman-codes `s` (for tests: the scanner never encodes).
#[cfg(test)]
pub(crate) fn encode(s: &[u8]) -> Vec<u8> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u64, 0u32);
    for &b in s {
        let len = u32::from(CODE_LENGTHS[usize::from(b)]);
        acc = acc << len | u64::from(CODE.code[usize::from(b)]);
        bits += len;
        while bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits > 0 {
        let pad = 8 - bits;
        out.push(((acc << pad) as u8) | ((1u8 << pad) - 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_appendix_b() {
        // A few codes as Appendix B lists them (hex, aligned to the LSB).
        for (sym, code, len) in [
            (0usize, 0x1ff8u32, 13u8),
            (b' ' as usize, 0x14, 6),
            (b'%' as usize, 0x15, 6),
            (b'/' as usize, 0x18, 6),
            (b'0' as usize, 0x0, 5),
            (b':' as usize, 0x5c, 7),
            (b'@' as usize, 0x1ffa, 13),
            (b'X' as usize, 0xfc, 8),
            (b'a' as usize, 0x3, 5),
            (b'~' as usize, 0x1ffd, 13),
            (10, 0x3ffffffc, 30),
            (255, 0x3ffffee, 26),
            (256, 0x3fffffff, 30),
        ] {
            assert_eq!(
                (CODE.code[sym], CODE_LENGTHS[sym]),
                (code, len),
                "symbol {sym}"
            );
        }
    }

    #[test]
    fn rfc_7541_c4_examples() {
        // Appendix C.4: Huffman-coded request header values.
        let cases: [(&str, &[u8]); 3] = [
            (
                "www.example.com",
                &[
                    0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
                ],
            ),
            ("no-cache", &[0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf]),
            (
                "custom-key",
                &[0x25, 0xa8, 0x49, 0xe9, 0x5b, 0xa9, 0x7d, 0x7f],
            ),
        ];
        for (text, coded) in cases {
            assert_eq!(encode(text.as_bytes()), coded, "{text}");
            let back: Vec<u8> = decode(coded).expect(text).iter().map(|s| s.value).collect();
            assert_eq!(back, text.as_bytes());
        }
    }

    #[test]
    fn every_octet_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let coded = encode(&all);
        let syms = decode(&coded).expect("decodes");
        assert_eq!(syms.iter().map(|s| s.value).collect::<Vec<_>>(), all);
    }

    #[test]
    fn malformed_padding_and_eos() {
        // '0' (00000) then three zero bits of "padding".
        assert_eq!(decode(&[0x00]), Err(Malformed));
        // Eight one bits: longer than the 7 allowed.
        assert_eq!(decode(&[0xff]), Err(Malformed));
        // EOS inside the string.
        assert_eq!(decode(&[0xff, 0xff, 0xff, 0xff]), Err(Malformed));
    }

    #[test]
    fn replacing_keeps_lengths() {
        let mut coded = encode(b"/tmp/a%b:c");
        let before = coded.len();
        for s in decode(&coded).expect("decodes") {
            if !s.value.is_ascii_alphanumeric() {
                let by = same_length(s.len, |c| c.is_ascii_alphanumeric() || c == b'-')
                    .expect("a replacement");
                replace(&mut coded, s, by);
            }
        }
        assert_eq!(coded.len(), before);
        let text: Vec<u8> = decode(&coded)
            .expect("decodes")
            .iter()
            .map(|s| s.value)
            .collect();
        assert_eq!(text, b"-tmp-a-bBc");
    }
}
