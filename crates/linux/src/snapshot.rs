//! Bounded re-reads of the L3 state: routes (all tables at start, then only
//! the tenants' tables), nexthop objects, rules and addresses, each a dump
//! on a blocking socket of its own with strict checking (so the kernel
//! honours a route dump's table filter). Tenant state is small: the linux
//! task reads it in one go, at start and as a repair unit
//! (`crate::repair`), never periodically.
//!
//! ```text
//! routes    RTM_GETROUTE   NLM_F_DUMP  rtmsg { family, rest 0 } [RTA_TABLE table]
//! nexthops  RTM_GETNEXTHOP NLM_F_DUMP  nhmsg all 0
//! rules     RTM_GETRULE    NLM_F_DUMP  fib_rule_hdr all 0 (every family)
//! addresses RTM_GETADDR    NLM_F_DUMP  ifaddrmsg all 0 (every family)
//! answers   one or more datagrams of messages, then NLMSG_DONE (or NLMSG_ERROR)
//! ```

use std::collections::BTreeSet;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::l3::{Obj, Snapshot};
use crate::nexthop::{self, Body};
use crate::route::{self, Route};

mod lookup;

const HEADER: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_GETADDR: u16 = 22;
const RTM_GETROUTE: u16 = 26;
const RTM_GETRULE: u16 = 34;
const AF_UNSPEC: u8 = 0;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const RTA_TABLE: u16 = 15;
/// `struct rtmsg { u8 family; u8 dst_len; u8 src_len; u8 tos; u8 table;
/// u8 protocol @5; u8 scope; u8 type; u32 flags; }`: a dump filter.
const RTM_PROTOCOL_AT: usize = 5;
/// `struct rtmsg`, `struct ifaddrmsg`, `struct fib_rule_hdr` lengths.
const RTMSG_LEN: usize = 12;
const IFADDRMSG_LEN: usize = 8;
const FIB_RULE_HDR_LEN: usize = 12;
/// A dump answer that does not come within this is failed.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Nexthop objects of ours (id, object) and the ids of everyone else's.
pub type Nexthops = (Vec<(u32, Obj)>, Vec<u32>);

/// The dump socket.
pub struct Dumper {
    sock: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl Dumper {
    pub fn new() -> io::Result<Dumper> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        crate::sockopt::strict_dumps(sock.as_raw_fd())?;
        crate::sockopt::recv_timeout(sock.as_raw_fd(), TIMEOUT)?;
        Ok(Dumper {
            sock,
            seq: 1,
            buf: vec![0; 1 << 20],
        })
    }

    /// Sends one request (`kind`, `flags`, its payload); returns its
    /// sequence number.
    pub(crate) fn request(&mut self, kind: u16, flags: u16, payload: &[u8]) -> io::Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut req = Vec::with_capacity(HEADER + payload.len());
        req.extend_from_slice(&((HEADER + payload.len()) as u32).to_ne_bytes());
        req.extend_from_slice(&kind.to_ne_bytes());
        req.extend_from_slice(&flags.to_ne_bytes());
        req.extend_from_slice(&seq.to_ne_bytes());
        req.extend_from_slice(&0u32.to_ne_bytes());
        req.extend_from_slice(payload);
        self.sock.send(&req, 0)?;
        Ok(seq)
    }

    /// Reads the answer to request `seq`: every message of it (type, the
    /// whole message with its nlmsghdr) goes to `f` until `f` returns the
    /// outcome. Messages of other sequence numbers (stray answers of an
    /// earlier, failed request) are skipped; `what` names the request in
    /// errors.
    pub(crate) fn answer<T>(
        &mut self,
        seq: u32,
        what: &str,
        mut f: impl FnMut(u16, &[u8]) -> Option<io::Result<T>>,
    ) -> io::Result<T> {
        loop {
            let n = self.sock.recv(&mut &mut self.buf[..], 0)?;
            let mut at = 0;
            while n >= at + HEADER {
                let h = &self.buf[at..n];
                let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
                if len < HEADER || len > h.len() {
                    return Err(io::Error::other(format!(
                        "truncated netlink message in {what}"
                    )));
                }
                let t = u16::from_ne_bytes([h[4], h[5]]);
                let s = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
                at += (len + 3) & !3;
                if s != seq {
                    continue;
                }
                if let Some(outcome) = f(t, &h[..len]) {
                    return outcome;
                }
            }
        }
    }

    /// Sends one dump request (`kind`, its payload) and hands every message
    /// of the answer (type, payload after the nlmsghdr) to `f`.
    pub fn dump(
        &mut self,
        kind: u16,
        payload: &[u8],
        mut f: impl FnMut(u16, &[u8]),
    ) -> io::Result<()> {
        let seq = self.request(kind, NLM_F_REQUEST | NLM_F_DUMP, payload)?;
        self.answer(seq, "a dump", |t, whole| {
            let body = &whole[HEADER..];
            match t {
                NLMSG_DONE => Some(Ok(())),
                NLMSG_ERROR => {
                    let code = body
                        .get(..4)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map_or(0, i32::from_ne_bytes);
                    Some(Err(if code < 0 {
                        io::Error::from_raw_os_error(-code)
                    } else {
                        io::Error::other("dump ended without NLMSG_DONE")
                    }))
                }
                _ => {
                    f(t, body);
                    None
                }
            }
        })
    }

    /// Dumps and parses typed (`netlink-packet-route`) messages.
    fn dump_typed(
        &mut self,
        kind: u16,
        payload: &[u8],
        mut f: impl FnMut(RouteNetlinkMessage),
    ) -> io::Result<()> {
        let mut whole = Vec::new();
        self.dump(kind, payload, |t, body| {
            whole.clear();
            whole.extend_from_slice(&((HEADER + body.len()) as u32).to_ne_bytes());
            whole.extend_from_slice(&t.to_ne_bytes());
            whole.extend_from_slice(&[0; 10]);
            whole.extend_from_slice(body);
            if let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&whole)
                && let NetlinkPayload::InnerMessage(i) = m.payload
            {
                f(i);
            }
        })
    }

    /// Every route of `tables` (`None`: of every table), of `protocol`
    /// only when it is not 0 (the kernel filters), read.
    pub fn routes(
        &mut self,
        tables: Option<&BTreeSet<u32>>,
        protocol: u8,
        mut f: impl FnMut(Route),
    ) -> io::Result<()> {
        let mut each = |m: RouteNetlinkMessage| {
            if let RouteNetlinkMessage::NewRoute(r) = m
                && let Some(r) = route::parse_route(&r)
            {
                f(r);
            }
        };
        match tables {
            None => {
                let mut p = vec![0u8; RTMSG_LEN];
                p[0] = AF_UNSPEC;
                p[RTM_PROTOCOL_AT] = protocol;
                self.dump_typed(RTM_GETROUTE, &p, &mut each)
            }
            Some(ts) => {
                for t in ts {
                    for family in [AF_INET, AF_INET6] {
                        let mut p = vec![0u8; RTMSG_LEN];
                        p[0] = family;
                        p[RTM_PROTOCOL_AT] = protocol;
                        p.extend_from_slice(&8u16.to_ne_bytes());
                        p.extend_from_slice(&RTA_TABLE.to_ne_bytes());
                        p.extend_from_slice(&t.to_ne_bytes());
                        self.dump_typed(RTM_GETROUTE, &p, &mut each)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Nexthop objects: ours, and the ids of everyone else's.
    pub fn nexthops(&mut self) -> io::Result<Nexthops> {
        let (mut ours, mut foreign) = (Vec::new(), Vec::new());
        let mut bad = None;
        self.dump(
            nexthop::RTM_GETNEXTHOP,
            &nexthop::encode_dump(),
            |t, body| {
                if t != nexthop::RTM_NEWNEXTHOP {
                    return;
                }
                match nexthop::decode(body) {
                    Ok(n) if n.protocol == crate::PROTOCOL => match n.body {
                        Body::Hop { gateway, oif } => ours.push((
                            n.id,
                            Obj::Hop(crate::l3::Hop {
                                gateway,
                                oif,
                                onlink: n.flags & nexthop::RTNH_F_ONLINK != 0,
                            }),
                        )),
                        Body::Group(mut m) => {
                            m.sort_unstable();
                            ours.push((n.id, Obj::Group(m)))
                        }
                        // Not what we write: someone else's under our protocol.
                        _ => foreign.push(n.id),
                    },
                    Ok(n) => foreign.push(n.id),
                    Err(e) => bad = Some(e),
                }
            },
        )?;
        if let Some(e) = bad {
            tracing::warn!("nexthop dump: {e}");
        }
        Ok((ours, foreign))
    }

    /// Rules of ours.
    pub fn rules(&mut self) -> io::Result<Vec<crate::l3::RuleKey>> {
        let mut out = Vec::new();
        self.dump_typed(RTM_GETRULE, &[0u8; FIB_RULE_HDR_LEN], |m| {
            if let RouteNetlinkMessage::NewRule(r) = m
                && let Some((p, k)) = route::parse_rule(&r)
                && p == crate::PROTOCOL
            {
                out.push(k);
            }
        })?;
        Ok(out)
    }

    /// Every address of every device: (ifindex, address/prefix length).
    pub fn addresses(&mut self) -> io::Result<Vec<(u32, ipnet::IpNet)>> {
        let mut out = Vec::new();
        self.dump_typed(RTM_GETADDR, &[0u8; IFADDRMSG_LEN], |m| {
            if let RouteNetlinkMessage::NewAddress(a) = m
                && let Some(x) = route::parse_addr(&a)
            {
                out.push(x);
            }
        })?;
        Ok(out)
    }

    /// The L3 state of ours in `tables` (`None`: all), and every other
    /// unicast route of `watched` tables (for `LocalEvent::TableRoute`).
    pub fn l3(
        &mut self,
        tables: Option<&BTreeSet<u32>>,
        watched: &BTreeSet<u32>,
    ) -> io::Result<(Snapshot, Vec<Route>)> {
        let mut snap = Snapshot {
            tables: tables.cloned(),
            ..Snapshot::default()
        };
        let mut others = Vec::new();
        // Ours, in every table at start: filtered by the kernel, so a main
        // table with a full Internet table costs no parse here.
        let mine: Option<BTreeSet<u32>> = tables.map(|t| t.difference(watched).copied().collect());
        if mine.as_ref().is_none_or(|t| !t.is_empty()) {
            self.routes(mine.as_ref(), crate::PROTOCOL, |r| {
                if r.protocol == crate::PROTOCOL {
                    snap.routes.push((r.key, r.metric, r.target));
                }
            })?;
        }
        // The watched tables whole: ours, and the others to report.
        let read: BTreeSet<u32> = match tables {
            None => watched.clone(),
            Some(t) => t.intersection(watched).copied().collect(),
        };
        if !read.is_empty() {
            self.routes(Some(&read), 0, |r| {
                if r.protocol == crate::PROTOCOL {
                    if tables.is_some() {
                        snap.routes.push((r.key, r.metric, r.target));
                    }
                } else if r.unicast {
                    others.push(r);
                }
            })?;
        }
        let (objs, foreign) = self.nexthops()?;
        snap.objs = objs;
        snap.foreign = foreign;
        snap.rules = self.rules()?;
        Ok((snap, others))
    }
}
