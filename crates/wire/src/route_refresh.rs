//! ROUTE-REFRESH message (RFC 2918) with the RFC 7313 message subtype.
//!
//! ```text
//! +-----------------+--------------------+------------+
//! | AFI (2)         | Subtype (1)        | SAFI (1)   |   message length is exactly 23
//! +-----------------+--------------------+------------+
//! Subtype: 0 normal request, 1 Beginning of Route Refresh, 2 End of Route Refresh
//! ```

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::{NotifyError, code, subcode};
use crate::types::{Afi, Family, Safi};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RouteRefresh {
    pub family: Family,
    /// 0 = refresh request, 1 = BoRR, 2 = EoRR (RFC 7313); others kept as received.
    pub subtype: u8,
}

impl RouteRefresh {
    pub fn request(family: Family) -> RouteRefresh {
        RouteRefresh { family, subtype: 0 }
    }

    /// `header` is the whole message's header, used as NOTIFICATION data on error (RFC 7313 §5).
    pub fn decode(body: &[u8], whole: &[u8]) -> Result<RouteRefresh, NotifyError> {
        match body {
            [a0, a1, st, safi] => Ok(RouteRefresh {
                family: Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi)),
                subtype: *st,
            }),
            _ => Err(NotifyError::new(
                code::ROUTE_REFRESH,
                subcode::INVALID_MESSAGE_LENGTH,
                whole.to_vec(),
                format!("ROUTE-REFRESH length {} (must be 23)", whole.len()),
            )),
        }
    }

    pub fn subtype_name(&self) -> &'static str {
        match self.subtype {
            0 => "request",
            1 => "begin",
            2 => "end",
            _ => "reserved",
        }
    }

    pub fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.family.afi.0);
        out.put_u8(self.subtype);
        out.put_u8(self.family.safi.0);
    }
}
