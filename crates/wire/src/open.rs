//! OPEN message (RFC 4271 §4.2) with RFC 9072 extended optional parameters.
//!
//! ```text
//! +-----------------+------------+------------------+------------------------+
//! | Version (1) = 4 | My AS (2)  | Hold Time (2)    | BGP Identifier (4)     |
//! +-----------------+------------+------------------+------------------------+
//! | Opt Parm Len (1)| Optional Parameters: { Type (1) | Length (1) | Value }* |
//! +-----------------+--------------------------------------------------------+
//! RFC 9072: Opt Parm Len = 255 and first type = 255 → a 2-octet length follows,
//! and every parameter's length is 2 octets.
//! Parameter type 2 = Capabilities (RFC 5492); several may appear.
//! ```

use std::net::Ipv4Addr;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::capability::{AddPathMode, Capability, GracefulRestart};
use crate::error::{NotifyError, code, subcode};
use crate::hex::ser_hex;
use crate::read::Reader;
use crate::types::Family;

/// RFC 6793 AS_TRANS.
pub const AS_TRANS: u16 = 23456;
const PARAM_CAPABILITIES: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "param", rename_all = "snake_case")]
pub enum OptParam {
    Capabilities {
        capabilities: Vec<Capability>,
    },
    Raw {
        param_type: u8,
        #[serde(serialize_with = "ser_hex")]
        value: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open {
    pub version: u8,
    pub my_as: u16,
    pub hold_time: u16,
    pub router_id: Ipv4Addr,
    pub params: Vec<OptParam>,
    /// Encoded with the RFC 9072 extended parameter lengths.
    pub extended_params: bool,
}

fn open_err(sub: u8, data: Vec<u8>, reason: String) -> NotifyError {
    NotifyError::new(code::OPEN_MESSAGE, sub, data, reason)
}

impl Open {
    /// A standard OPEN: one Capabilities parameter; AS_TRANS when `asn` needs 4 octets.
    pub fn new(
        asn: u32,
        hold_time: u16,
        router_id: Ipv4Addr,
        capabilities: Vec<Capability>,
    ) -> Open {
        Open {
            version: 4,
            my_as: u16::try_from(asn).unwrap_or(AS_TRANS),
            hold_time,
            router_id,
            params: vec![OptParam::Capabilities { capabilities }],
            extended_params: false,
        }
    }

    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> {
        self.params.iter().flat_map(|p| match p {
            OptParam::Capabilities { capabilities } => capabilities.as_slice(),
            OptParam::Raw { .. } => &[],
        })
    }

    pub fn four_octet_asn(&self) -> Option<u32> {
        self.capabilities().find_map(|c| match c {
            Capability::FourOctetAs { asn } => Some(*asn),
            _ => None,
        })
    }

    /// The peer's AS: the 4-octet capability when present, else My AS.
    pub fn effective_asn(&self) -> u32 {
        self.four_octet_asn().unwrap_or(u32::from(self.my_as))
    }

    pub fn families(&self) -> Vec<Family> {
        self.capabilities()
            .filter_map(|c| match c {
                Capability::Multiprotocol { family, .. } => Some(*family),
                _ => None,
            })
            .collect()
    }

    pub fn has(&self, code: u8) -> bool {
        self.capabilities().any(|c| c.code() == code)
    }

    pub fn graceful_restart(&self) -> Option<&GracefulRestart> {
        self.capabilities().find_map(|c| match c {
            Capability::GracefulRestart(g) => Some(g),
            _ => None,
        })
    }

    /// Families for which the sender offers `mode` (Both counts for either).
    pub fn add_path(&self, mode: AddPathMode) -> Vec<Family> {
        self.capabilities()
            .flat_map(|c| match c {
                Capability::AddPath { families } => families.as_slice(),
                _ => &[],
            })
            .filter(|f| f.mode == mode || f.mode == AddPathMode::Both)
            .map(|f| f.family)
            .collect()
    }

    /// Decodes the OPEN body (after the 19-octet header).
    pub fn decode(body: &[u8]) -> Result<Open, NotifyError> {
        let mut r = Reader::new(body);
        let short = || {
            NotifyError::bad_length((body.len() + 19) as u16, "OPEN shorter than its fixed part")
        };
        let version = r.u8().ok_or_else(short)?;
        if version != 4 {
            return Err(open_err(
                subcode::UNSUPPORTED_VERSION,
                vec![0, 4],
                format!("BGP version {version} (we speak 4)"),
            ));
        }
        let my_as = r.u16().ok_or_else(short)?;
        let hold_time = r.u16().ok_or_else(short)?;
        let router_id = Ipv4Addr::from(r.array::<4>().ok_or_else(short)?);
        let plen = r.u8().ok_or_else(short)?;
        let bad_len = |why: &str| open_err(0, Vec::new(), format!("optional parameters: {why}"));
        // RFC 9072 §2: the extended form is announced by length 255 and type 255.
        let extended_params = plen == 255 && r.rest().first() == Some(&255);
        let params_bytes = if extended_params {
            r.u8();
            let ext_len = r
                .u16()
                .ok_or_else(|| bad_len("extended length truncated"))?;
            r.bytes(usize::from(ext_len))
                .ok_or_else(|| bad_len("extended length overruns the message"))?
        } else {
            r.bytes(usize::from(plen))
                .ok_or_else(|| bad_len("length overruns the message"))?
        };
        if !r.is_empty() {
            return Err(bad_len("octets after the optional parameters"));
        }
        let mut p = Reader::new(params_bytes);
        let mut params = Vec::new();
        while !p.is_empty() {
            let t = p.u8().ok_or_else(|| bad_len("parameter type truncated"))?;
            let len = if extended_params {
                p.u16()
            } else {
                p.u8().map(u16::from)
            };
            let v = len
                .and_then(|l| p.bytes(usize::from(l)))
                .ok_or_else(|| bad_len("parameter overruns its list"))?;
            if t != PARAM_CAPABILITIES {
                return Err(open_err(
                    subcode::UNSUPPORTED_OPTIONAL_PARAMETER,
                    Vec::new(),
                    format!("optional parameter type {t} is not supported"),
                ));
            }
            let mut c = Reader::new(v);
            let mut capabilities = Vec::new();
            while !c.is_empty() {
                let (Some(code), Some(l)) = (c.u8(), c.u8()) else {
                    return Err(bad_len("capability header truncated"));
                };
                let value = c
                    .bytes(usize::from(l))
                    .ok_or_else(|| bad_len("capability overruns its parameter"))?;
                capabilities.push(Capability::decode(code, value));
            }
            params.push(OptParam::Capabilities { capabilities });
        }
        Ok(Open {
            version,
            my_as,
            hold_time,
            router_id,
            params,
            extended_params,
        })
    }

    fn params_bytes(&self) -> BytesMut {
        let mut o = BytesMut::new();
        for p in &self.params {
            let (t, v) = match p {
                OptParam::Capabilities { capabilities } => {
                    let mut v = BytesMut::new();
                    capabilities.iter().for_each(|c| c.encode(&mut v));
                    (PARAM_CAPABILITIES, v.to_vec())
                }
                OptParam::Raw { param_type, value } => (*param_type, value.clone()),
            };
            o.put_u8(t);
            if self.extended_params {
                o.put_u16(v.len() as u16);
            } else {
                o.put_u8(v.len().min(255) as u8);
            }
            o.put_slice(&v);
        }
        o
    }

    pub fn encode_body(&self, out: &mut BytesMut) {
        out.put_u8(self.version);
        out.put_u16(self.my_as);
        out.put_u16(self.hold_time);
        out.put_slice(&self.router_id.octets());
        let params = self.params_bytes();
        if self.extended_params {
            out.put_u8(255);
            out.put_u8(255);
            out.put_u16(params.len() as u16);
        } else {
            out.put_u8(params.len().min(255) as u8);
        }
        out.put_slice(&params);
    }
}
