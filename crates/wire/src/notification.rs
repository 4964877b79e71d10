//! NOTIFICATION message (RFC 4271 §4.5), with the typed readings of
//! RFC 8203/9003 (shutdown communication) and RFC 8538 (Hard Reset).
//!
//! ```text
//! +-----------------+------------------+---------------------+
//! | Error code (1)  | Error subcode (1)| Data (variable)     |
//! +-----------------+------------------+---------------------+
//! Cease/2 (Administrative Shutdown), Cease/4 (Administrative Reset), RFC 9003:
//!   Data = | Length (1) | UTF-8 message (Length ≤ 255) | [anything after: kept]
//! Cease/9 (Hard Reset), RFC 8538:  Data = | inner code (1) | inner subcode (1) | inner data |
//! ```

use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::{NotifyError, code, subcode};
use crate::hex::{Hex, ser_hex};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    #[serde(serialize_with = "ser_hex")]
    pub data: Vec<u8>,
}

/// What the data field says, read according to code/subcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotificationData {
    None,
    /// RFC 9003 shutdown communication.
    Shutdown {
        message: String,
    },
    /// The data claimed to be a shutdown communication but was not valid (kept raw, not an error).
    MalformedShutdown {
        reason: String,
    },
    /// RFC 8538 Hard Reset with the real reason inside: its code, subcode,
    /// name, data, and the data read in turn (e.g. the RFC 9003 text of an
    /// inner Administrative Shutdown).
    HardReset {
        code: u8,
        subcode: u8,
        name: String,
        #[serde(serialize_with = "ser_hex")]
        data: Vec<u8>,
        inner: Box<NotificationData>,
    },
    HardResetMissingData,
    Raw {
        #[serde(serialize_with = "ser_hex")]
        data: Vec<u8>,
    },
}

impl Notification {
    pub fn new(code: u8, subcode: u8, data: Vec<u8>) -> Notification {
        Notification {
            code,
            subcode,
            data,
        }
    }

    /// Cease / Administrative Shutdown with an RFC 9003 message (truncated to 255 octets on a char boundary).
    pub fn shutdown(message: &str) -> Notification {
        let mut end = message.len().min(255);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let mut data = vec![end as u8];
        data.extend_from_slice(&message.as_bytes()[..end]);
        Notification::new(code::CEASE, subcode::ADMINISTRATIVE_SHUTDOWN, data)
    }

    pub fn decode(body: &[u8]) -> Result<Notification, NotifyError> {
        match body {
            [c, s, data @ ..] => Ok(Notification {
                code: *c,
                subcode: *s,
                data: data.to_vec(),
            }),
            _ => Err(NotifyError::bad_length(
                (body.len() + 19) as u16,
                "NOTIFICATION shorter than 21 octets",
            )),
        }
    }

    pub fn encode_body(&self, out: &mut BytesMut) {
        out.put_u8(self.code);
        out.put_u8(self.subcode);
        out.put_slice(&self.data);
    }

    pub fn reading(&self) -> NotificationData {
        self.read(true)
    }

    /// `hard_reset`: whether a Cease/Hard Reset is read as one (not inside
    /// another: RFC 8538 nests one level, so the recursion is bounded).
    fn read(&self, hard_reset: bool) -> NotificationData {
        if !hard_reset && self.code == code::CEASE && self.subcode == subcode::HARD_RESET {
            return match self.data.is_empty() {
                true => NotificationData::None,
                false => NotificationData::Raw {
                    data: self.data.clone(),
                },
            };
        }
        match (self.code, self.subcode, self.data.as_slice()) {
            (_, _, []) if !(self.code == code::CEASE && self.subcode == subcode::HARD_RESET) => {
                NotificationData::None
            }
            (
                code::CEASE,
                subcode::ADMINISTRATIVE_SHUTDOWN | subcode::ADMINISTRATIVE_RESET,
                [len, rest @ ..],
            ) => {
                let len = usize::from(*len);
                match rest.get(..len).map(std::str::from_utf8) {
                    Some(Ok(m)) => NotificationData::Shutdown {
                        message: m.to_string(),
                    },
                    Some(Err(_)) => NotificationData::MalformedShutdown {
                        reason: "message is not valid UTF-8".into(),
                    },
                    None => NotificationData::MalformedShutdown {
                        reason: format!("length {len} exceeds the {} octets present", rest.len()),
                    },
                }
            }
            (code::CEASE, subcode::HARD_RESET, [c, s, d @ ..]) => NotificationData::HardReset {
                code: *c,
                subcode: *s,
                name: describe(*c, *s),
                data: d.to_vec(),
                inner: Box::new(Notification::new(*c, *s, d.to_vec()).read(false)),
            },
            (code::CEASE, subcode::HARD_RESET, _) => NotificationData::HardResetMissingData,
            (_, _, d) => NotificationData::Raw { data: d.to_vec() },
        }
    }
}

impl From<&NotifyError> for Notification {
    fn from(e: &NotifyError) -> Notification {
        Notification::new(e.code, e.subcode, e.data.clone())
    }
}

/// Human names of error codes and subcodes (RFC 4271 §4.5, IANA registry).
pub fn describe(c: u8, s: u8) -> String {
    let (cn, subs): (&str, &[&str]) = match c {
        code::MESSAGE_HEADER => (
            "Message Header Error",
            &[
                "",
                "Connection Not Synchronized",
                "Bad Message Length",
                "Bad Message Type",
            ],
        ),
        code::OPEN_MESSAGE => (
            "OPEN Message Error",
            &[
                "",
                "Unsupported Version Number",
                "Bad Peer AS",
                "Bad BGP Identifier",
                "Unsupported Optional Parameter",
                "(deprecated)",
                "Unacceptable Hold Time",
                "Unsupported Capability",
                "(deprecated)",
                "(deprecated)",
                "(deprecated)",
                "Role Mismatch",
            ],
        ),
        code::UPDATE_MESSAGE => (
            "UPDATE Message Error",
            &[
                "",
                "Malformed Attribute List",
                "Unrecognized Well-known Attribute",
                "Missing Well-known Attribute",
                "Attribute Flags Error",
                "Attribute Length Error",
                "Invalid ORIGIN Attribute",
                "(deprecated)",
                "Invalid NEXT_HOP Attribute",
                "Optional Attribute Error",
                "Invalid Network Field",
                "Malformed AS_PATH",
            ],
        ),
        code::HOLD_TIMER_EXPIRED => ("Hold Timer Expired", &[]),
        code::FSM => (
            "Finite State Machine Error",
            &[
                "",
                "Unexpected Message in OpenSent State",
                "Unexpected Message in OpenConfirm State",
                "Unexpected Message in Established State",
            ],
        ),
        code::CEASE => (
            "Cease",
            &[
                "",
                "Maximum Number of Prefixes Reached",
                "Administrative Shutdown",
                "Peer De-configured",
                "Administrative Reset",
                "Connection Rejected",
                "Other Configuration Change",
                "Connection Collision Resolution",
                "Out of Resources",
                "Hard Reset",
                "BFD Down",
            ],
        ),
        code::ROUTE_REFRESH => (
            "ROUTE-REFRESH Message Error",
            &["", "Invalid Message Length"],
        ),
        _ => return format!("error {c}/{s}"),
    };
    match subs.get(usize::from(s)).filter(|n| !n.is_empty()) {
        Some(n) => format!("{cn} / {n}"),
        None if s == 0 => cn.to_string(),
        None => format!("{cn} / subcode {s}"),
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}/{})",
            describe(self.code, self.subcode),
            self.code,
            self.subcode
        )?;
        write_reading(f, &self.reading())
    }
}

fn write_reading(f: &mut fmt::Formatter<'_>, r: &NotificationData) -> fmt::Result {
    {
        match r {
            NotificationData::None => Ok(()),
            NotificationData::Shutdown { message } => write!(f, ": \"{message}\""),
            NotificationData::MalformedShutdown { reason } => {
                write!(f, ": malformed shutdown communication ({reason})")
            }
            NotificationData::HardReset {
                code,
                subcode,
                name,
                inner,
                ..
            } => {
                write!(f, ": hard reset for {name} ({code}/{subcode})")?;
                write_reading(f, inner)
            }
            NotificationData::HardResetMissingData => {
                f.write_str(": hard reset without the inner reason")
            }
            NotificationData::Raw { data } => write!(f, " data {}", Hex(data)),
        }
    }
}
