//! One FIB lookup (`ip route get`): what leads to an underlay gateway that
//! came without a device (`crate::l3` underlay routes).
//!
//! ```text
//! request  RTM_GETROUTE NLM_F_REQUEST (no dump)
//!          rtmsg { family, dst_len 32 | 128, rest 0 }  RTA_DST address
//! answer   RTM_NEWROUTE rtmsg { type }  RTA_OIF device, [RTA_GATEWAY | RTA_VIA]
//!          (one path of a multipath route), or NLMSG_ERROR -errno
//! ```

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteType, RouteVia,
};

use super::{AF_INET, AF_INET6, Dumper, HEADER, NLMSG_ERROR, RTM_GETROUTE, RTMSG_LEN};

const RTA_DST: u16 = 1;

/// The request payload (rtmsg and `RTA_DST`) of a lookup of `ip`.
pub fn encode(ip: IpAddr) -> Vec<u8> {
    let (family, len, octets) = match ip {
        IpAddr::V4(a) => (AF_INET, 32u8, a.octets().to_vec()),
        IpAddr::V6(a) => (AF_INET6, 128u8, a.octets().to_vec()),
    };
    let mut p = vec![0u8; RTMSG_LEN];
    p[0] = family;
    p[1] = len;
    p.extend_from_slice(&((4 + octets.len()) as u16).to_ne_bytes());
    p.extend_from_slice(&RTA_DST.to_ne_bytes());
    p.extend_from_slice(&octets);
    p
}

/// What an answer says leads to `ip`: the gateway to use (`ip` itself when
/// it is on the link) and the device; `None` for an answer that is no
/// unicast route over a device (a local address, unreachable).
pub fn decode(ip: IpAddr, m: &RouteMessage) -> Option<(IpAddr, u32)> {
    if m.header.kind != RouteType::Unicast {
        return None;
    }
    let (mut oif, mut via) = (None, None);
    for a in &m.attributes {
        match a {
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::Gateway(RouteAddress::Inet(g)) => via = Some(IpAddr::V4(*g)),
            RouteAttribute::Gateway(RouteAddress::Inet6(g)) => via = Some(IpAddr::V6(*g)),
            RouteAttribute::Via(RouteVia::Inet(g)) => via = Some(IpAddr::V4(*g)),
            RouteAttribute::Via(RouteVia::Inet6(g)) => via = Some(IpAddr::V6(*g)),
            _ => {}
        }
    }
    Some((via.unwrap_or(ip), oif?))
}

impl Dumper {
    /// Looks `ip` up in the FIB: `Ok(None)` when nothing leads there.
    pub fn lookup(&mut self, ip: IpAddr) -> io::Result<Option<(IpAddr, u32)>> {
        let seq = self.request(RTM_GETROUTE, NLM_F_REQUEST, &encode(ip))?;
        self.answer(seq, "a lookup", |t, whole| {
            if t == NLMSG_ERROR {
                let code = whole
                    .get(HEADER..HEADER + 4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, i32::from_ne_bytes);
                return Some(match -code {
                    0 => Err(io::Error::other("route lookup answered without a route")),
                    libc::ENETUNREACH | libc::EHOSTUNREACH | libc::ENETDOWN => Ok(None),
                    e => Err(io::Error::from_raw_os_error(e)),
                });
            }
            Some(
                NetlinkMessage::<RouteNetlinkMessage>::deserialize(whole)
                    .map_err(|e| io::Error::other(format!("route lookup answer: {e}")))
                    .map(|m| match m.payload {
                        NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(r)) => {
                            decode(ip, &r)
                        }
                        _ => None,
                    }),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_asks_for_one_host_and_reads_device_and_gateway() {
        let p = encode("10.0.0.2".parse().expect("ip"));
        assert_eq!(&p[..2], &[AF_INET, 32]);
        assert_eq!(&p[RTMSG_LEN + 4..], &[10, 0, 0, 2]);
        let gw: IpAddr = "10.0.0.2".parse().expect("ip");
        let mut m = RouteMessage::default();
        m.header.kind = RouteType::Unicast;
        m.attributes = vec![RouteAttribute::Oif(3)];
        assert_eq!(decode(gw, &m), Some((gw, 3)), "on the link");
        m.attributes.push(RouteAttribute::Via(RouteVia::Inet6(
            "fe80::1".parse().expect("ip"),
        )));
        assert_eq!(
            decode(gw, &m),
            Some(("fe80::1".parse().expect("ip"), 3)),
            "behind an RFC 8950 route"
        );
        m.header.kind = RouteType::Local;
        assert_eq!(decode(gw, &m), None);
    }
}
