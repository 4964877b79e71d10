//! The client's HTTP/2 frames (RFC 9113 §4.1, §6.2, §6.10): which bytes
//! are field blocks, handed to [`Hpack`] one by one.

use super::hpack::Hpack;

/// The client connection preface (RFC 9113 §3.4).
const PREFACE_LEN: usize = 24;
/// The frame header (RFC 9113 §4.1).
const FRAME_HEADER_LEN: usize = 9;
/// Frame types (RFC 9113 §6).
pub(super) const TYPE_HEADERS: u8 = 0x1;
pub(super) const TYPE_CONTINUATION: u8 = 0x9;
/// HEADERS flags (RFC 9113 §6.2).
pub(super) const FLAG_PADDED: u8 = 0x8;
pub(super) const FLAG_PRIORITY: u8 = 0x20;
/// Stream dependency (4) and weight (1) of a HEADERS frame with PRIORITY.
const PRIORITY_LEN: usize = 5;

/// Where the client's byte stream is, frame by frame (RFC 9113 §4.1):
///
/// ```text
/// +-----------------------------------------------+
/// |                 Length (24)                   |
/// +---------------+---------------+---------------+
/// |   Type (8)    |   Flags (8)   |
/// +-+-------------+---------------+-------------------------------+
/// |R|                 Stream Identifier (31)                      |
/// +=+=============================================================+
/// |                   Frame Payload (0...)                      ...
/// +---------------------------------------------------------------+
/// ```
///
/// HEADERS payload (§6.2): `[Pad Length (8)]`, `[Exclusive (1), Stream
/// Dependency (31), Weight (8)]`, Field Block Fragment, Padding; a
/// CONTINUATION payload (§6.10) is all fragment.
#[derive(Debug)]
enum Frame {
    /// Bytes of the connection preface still to come.
    Preface(usize),
    /// Collecting a frame header.
    Header([u8; FRAME_HEADER_LEN], usize),
    /// The pad-length octet of a padded HEADERS frame is next.
    PadLength { rest: usize, priority: bool },
    /// Inside a payload: skip, then field block, then skip.
    Payload {
        skip: usize,
        block: usize,
        padding: usize,
    },
    /// Something did not add up: pass everything through, h2 will complain.
    Lost,
}

/// Scans the client's bytes for `:authority` values and rewrites them.
#[derive(Debug)]
pub(crate) struct FrameScanner {
    frame: Frame,
    hpack: Hpack,
    /// Bytes consumed so far.
    pos: u64,
    /// Huffman-coded authority values that are complete: (position, length).
    pub(crate) rewrites: Vec<(u64, usize)>,
}

impl Default for FrameScanner {
    fn default() -> Self {
        FrameScanner {
            frame: Frame::Preface(PREFACE_LEN),
            hpack: Hpack::Start,
            pos: 0,
            rewrites: Vec::new(),
        }
    }
}

impl FrameScanner {
    /// Looks at the next bytes from the client, rewriting raw authority
    /// values in place; complete Huffman-coded ones are left in `rewrites`.
    pub(crate) fn feed(&mut self, mut bytes: &mut [u8]) {
        while !bytes.is_empty() {
            let used = self.step(bytes);
            self.pos += used as u64;
            bytes = &mut bytes[used..];
        }
    }

    /// The stream position of the next byte.
    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    /// Where a Huffman-coded authority value in progress starts: bytes from
    /// there on must wait until it is complete.
    pub(crate) fn hold_from(&self) -> Option<u64> {
        self.hpack.held().map(|n| self.pos - n)
    }

    /// Gives up on the value in progress (too long to hold).
    pub(crate) fn stop_holding(&mut self) {
        self.hpack.drop_authority();
    }

    /// Consumes at least one byte of `bytes`; returns how many.
    fn step(&mut self, bytes: &mut [u8]) -> usize {
        match &mut self.frame {
            Frame::Lost => bytes.len(),
            Frame::Preface(left) => {
                let n = (*left).min(bytes.len());
                *left -= n;
                if *left == 0 {
                    self.frame = Frame::Header([0; FRAME_HEADER_LEN], 0);
                }
                n
            }
            Frame::Header(h, have) => {
                h[*have] = bytes[0];
                *have += 1;
                if *have == FRAME_HEADER_LEN {
                    let h = *h;
                    self.frame = self.payload_of(h);
                }
                1
            }
            Frame::PadLength { rest, priority } => {
                let pad = usize::from(bytes[0]);
                let skip = if *priority { PRIORITY_LEN } else { 0 };
                self.frame = match rest.checked_sub(skip + pad) {
                    Some(block) => Frame::Payload {
                        skip,
                        block,
                        padding: pad,
                    },
                    None => Frame::Lost,
                };
                self.settle();
                1
            }
            Frame::Payload {
                skip,
                block,
                padding,
            } => {
                let n = if *skip > 0 {
                    let n = (*skip).min(bytes.len());
                    *skip -= n;
                    n
                } else if *block > 0 {
                    let n = (*block).min(bytes.len());
                    *block -= n;
                    for (i, b) in bytes[..n].iter_mut().enumerate() {
                        if let Some(done) = self.hpack.byte(b, self.pos + i as u64) {
                            self.rewrites.push(done);
                        }
                    }
                    n
                } else {
                    let n = (*padding).min(bytes.len());
                    *padding -= n;
                    n
                };
                self.settle();
                n
            }
        }
    }

    /// After a payload is done, the next frame header. A Huffman-coded
    /// value that goes on in the next frame is not rewritten: the frame
    /// header in between would be in the way.
    fn settle(&mut self) {
        if let Frame::Payload {
            skip: 0,
            block: 0,
            padding: 0,
        } = self.frame
        {
            self.frame = Frame::Header([0; FRAME_HEADER_LEN], 0);
            self.hpack.drop_authority();
        }
    }

    /// The payload state for a frame header.
    fn payload_of(&mut self, h: [u8; FRAME_HEADER_LEN]) -> Frame {
        let len = usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
        let (kind, flags) = (h[3], h[4]);
        let frame = match kind {
            TYPE_HEADERS => {
                // A new field block: whatever the last one left is over.
                self.hpack = Hpack::Start;
                let priority = flags & FLAG_PRIORITY != 0;
                if flags & FLAG_PADDED != 0 {
                    match len.checked_sub(1) {
                        Some(rest) => return Frame::PadLength { rest, priority },
                        None => return Frame::Lost,
                    }
                }
                let skip = if priority { PRIORITY_LEN } else { 0 };
                match len.checked_sub(skip) {
                    Some(block) => Frame::Payload {
                        skip,
                        block,
                        padding: 0,
                    },
                    None => return Frame::Lost,
                }
            }
            TYPE_CONTINUATION => Frame::Payload {
                skip: 0,
                block: len,
                padding: 0,
            },
            _ => Frame::Payload {
                skip: len,
                block: 0,
                padding: 0,
            },
        };
        match frame {
            Frame::Payload {
                skip: 0,
                block: 0,
                padding: 0,
            } => Frame::Header([0; FRAME_HEADER_LEN], 0),
            f => f,
        }
    }
}
