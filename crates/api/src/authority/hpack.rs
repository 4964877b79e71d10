//! HPACK field-block representations (RFC 7541 §5, §6), as far as
//! finding `:authority` values needs.

use super::allowed;

/// `:authority` in the HPACK static table (RFC 7541 Appendix A).
const STATIC_AUTHORITY: u64 = 1;
const AUTHORITY_NAME: &[u8] = b":authority";
/// An HPACK integer longer than this many continuation bits is malformed
/// for our purposes (h2 rejects it too); we stop rewriting.
const MAX_INT_SHIFT: u32 = 28;
/// What a disallowed byte becomes.
const REPLACEMENT: u8 = b'-';

/// What a string literal is (RFC 7541 §5.2).
#[derive(Debug, Clone, Copy)]
pub(super) enum Role {
    /// A literal field name.
    Name,
    /// A field value; `authority`: rewrite it.
    Value { authority: bool },
}

/// What a prefixed integer (RFC 7541 §5.1) being read is for.
#[derive(Debug, Clone, Copy)]
pub(super) enum IntFor {
    /// An index or table size: nothing follows.
    Nothing,
    /// The name index of a literal field; 0 = a literal name follows.
    NameIndex,
    /// A string length.
    Length { role: Role, huffman: bool },
}

/// The field-block decoder, as far as finding `:authority` values needs
/// (RFC 7541 §6): no dynamic table, since a value is never resized.
///
/// ```text
///   0   1   2   3   4   5   6   7
/// +---+---+---+---+---+---+---+---+
/// | 1 |        Index (7+)         |  indexed field
/// | 0 | 1 |      Index (6+)       |  literal, incremental indexing
/// | 0 | 0 | 1 |   Max size (5+)   |  dynamic table size update
/// | 0 | 0 | 0 | N |  Index (4+)   |  literal, without / never indexed
/// +---+---------------------------+
/// | H |     Length (7+)           |  string (name when Index = 0, value)
/// +---+---------------------------+
/// |  String data (Length octets)  |
/// +-------------------------------+
/// ```
#[derive(Debug)]
pub(super) enum Hpack {
    /// The first octet of a field representation.
    Start,
    /// The continuation octets of an integer.
    Int {
        value: u64,
        shift: u32,
        then: IntFor,
    },
    /// The first octet of a string: H and the length prefix.
    StringHead(Role),
    /// Inside a string.
    String {
        left: u64,
        role: Role,
        huffman: bool,
        /// For names: the bytes so far equal `:authority`'s.
        matched: bool,
        at: usize,
    },
    /// Malformed for us: stop looking (h2 will answer the error).
    Lost,
}

impl Hpack {
    /// One octet of a field block, at stream position `pos`. Returns a
    /// Huffman-coded authority value that ends here: (position, length).
    pub(super) fn byte(&mut self, b: &mut u8, pos: u64) -> Option<(u64, usize)> {
        match self {
            Hpack::Lost => {}
            Hpack::Start => {
                let (prefix, then) = if *b & 0x80 != 0 {
                    (7, IntFor::Nothing)
                } else if *b & 0x40 != 0 {
                    (6, IntFor::NameIndex)
                } else if *b & 0x20 != 0 {
                    (5, IntFor::Nothing)
                } else {
                    (4, IntFor::NameIndex)
                };
                self.int_first(*b, prefix, then);
            }
            Hpack::StringHead(role) => {
                let role = *role;
                self.int_first(
                    *b,
                    7,
                    IntFor::Length {
                        role,
                        huffman: *b & 0x80 != 0,
                    },
                );
            }
            Hpack::Int { value, shift, then } => {
                if *shift > MAX_INT_SHIFT {
                    *self = Hpack::Lost;
                    return None;
                }
                *value += u64::from(*b & 0x7f) << *shift;
                *shift += 7;
                if *b & 0x80 == 0 {
                    let (v, t) = (*value, *then);
                    self.int_done(v, t);
                }
            }
            Hpack::String {
                left,
                role,
                huffman,
                matched,
                at,
            } => {
                match role {
                    Role::Value { authority: true } if !*huffman && !allowed(*b) => {
                        *b = REPLACEMENT;
                    }
                    Role::Name => {
                        *matched &= AUTHORITY_NAME.get(*at) == Some(b);
                    }
                    Role::Value { .. } => {}
                }
                *at += 1;
                *left -= 1;
                if *left == 0 {
                    let authority = matches!(role, Role::Name)
                        && !*huffman
                        && *matched
                        && *at == AUTHORITY_NAME.len();
                    let done = (matches!(role, Role::Value { authority: true }) && *huffman)
                        .then(|| (pos + 1 - *at as u64, *at));
                    let role = *role;
                    self.string_done(role, authority);
                    return done;
                }
            }
        }
        None
    }

    /// Bytes of a Huffman-coded authority value read so far, when inside one.
    pub(super) fn held(&self) -> Option<u64> {
        match self {
            Hpack::String {
                role: Role::Value { authority: true },
                huffman: true,
                at,
                ..
            } if *at > 0 => Some(*at as u64),
            _ => None,
        }
    }

    /// A Huffman-coded value in progress is no longer treated as the
    /// authority (raw values are rewritten byte by byte, wherever they are).
    pub(super) fn drop_authority(&mut self) {
        if let Hpack::String {
            role,
            huffman: true,
            ..
        } = self
        {
            *role = Role::Value { authority: false };
        }
    }

    /// The first octet of an integer with an `n`-bit prefix.
    fn int_first(&mut self, b: u8, n: u32, then: IntFor) {
        let max = (1u16 << n) - 1;
        let v = u16::from(b) & max;
        if v < max {
            self.int_done(u64::from(v), then);
        } else {
            *self = Hpack::Int {
                value: u64::from(max),
                shift: 0,
                then,
            };
        }
    }

    fn int_done(&mut self, value: u64, then: IntFor) {
        *self = match then {
            IntFor::Nothing => Hpack::Start,
            IntFor::NameIndex if value == 0 => Hpack::StringHead(Role::Name),
            IntFor::NameIndex => Hpack::StringHead(Role::Value {
                authority: value == STATIC_AUTHORITY,
            }),
            IntFor::Length { role, .. } if value == 0 => {
                self.string_done(role, false);
                return;
            }
            IntFor::Length { role, huffman } => Hpack::String {
                left: value,
                role,
                huffman,
                matched: true,
                at: 0,
            },
        };
    }

    /// A string ended; `authority`: it was the name `:authority`.
    fn string_done(&mut self, role: Role, authority: bool) {
        *self = match role {
            Role::Name => Hpack::StringHead(Role::Value { authority }),
            Role::Value { .. } => Hpack::Start,
        };
    }
}
