//! Session context that changes how bytes are read: what was negotiated in OPEN.

use serde::{Deserialize, Serialize};

use crate::types::Family;

/// What the two OPENs negotiated that the codec must know (one per direction:
/// ADD-PATH may be on for receive and off for send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// RFC 6793: AS numbers in AS_PATH / AGGREGATOR are 4 octets.
    pub four_octet_as: bool,
    /// RFC 7911: families whose NLRI carry a 4-octet path identifier in this direction.
    pub add_path: Vec<Family>,
    /// RFC 8654: messages may be up to 65535 octets instead of 4096.
    pub extended_message: bool,
    /// The peer is in our AS (iBGP); changes a few RFC 7606 verdicts (LOCAL_PREF).
    pub ibgp: bool,
}

impl Default for Context {
    /// A modern session: 4-octet AS, no ADD-PATH, 4096-octet messages, iBGP.
    fn default() -> Self {
        Context {
            four_octet_as: true,
            add_path: Vec::new(),
            extended_message: false,
            ibgp: true,
        }
    }
}

impl Context {
    pub fn has_add_path(&self, family: Family) -> bool {
        self.add_path.contains(&family)
    }
    /// Largest message this session accepts (RFC 4271 §4.1, RFC 8654).
    pub fn max_message_len(&self) -> usize {
        if self.extended_message {
            crate::header::MAX_EXTENDED_LEN
        } else {
            crate::header::MAX_LEN
        }
    }
}
