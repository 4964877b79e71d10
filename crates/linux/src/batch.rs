//! Kernel writes in batches: many netlink requests in one `sendmsg`, their
//! outcomes matched back by sequence number.
//!
//! rtnetlink handles a `sendmsg` synchronously and in order: when the call
//! returns, every request in it has been carried out, and the kernel has
//! queued an `NLMSG_ERROR` on our socket for every request that failed
//! (failures are reported with or without `NLM_F_ACK`). So the requests go
//! without `NLM_F_ACK`, and the chunk ends with one `NLMSG_NOOP` that asks
//! for an ACK: the kernel answers control messages with an ACK at once.
//! When that ACK arrives, every failure before it has arrived too; a request
//! without an error before it succeeded. A chunk thus costs one `sendmsg`
//! and one `recv` (plus one per failure) instead of a `recv` per request
//! (each ACK is a datagram of its own: 1,000 system calls per chunk, a
//! sixth of the writer's time in `fdb-bench.sh`). A barrier ACK that never
//! comes (2 s), or a receive buffer overrun (`ENOBUFS`), leaves the outcome
//! of the chunk's requests unknown: those without an error are failed and
//! the reconciler retries them (every write is idempotent).
//!
//! ```text
//! sendmsg  [nlmsghdr seq=n   RTM_NEWNEIGH ...][nlmsghdr seq=n+1 ...] ... [NLMSG_NOOP seq=b ACK]
//! recv     [nlmsghdr NLMSG_ERROR seq=k   | i32 -errno | original header]   (only failed k)
//!          [nlmsghdr NLMSG_ERROR seq=b   | i32 0 ...]                      (the barrier)
//! ```

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST, NetlinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

/// Octets of requests per `sendmsg` (well under the default 208 KiB send
/// buffer): about 1,000 FDB entries.
const CHUNK: usize = 64 * 1024;
/// Room for the ACKs of several chunks.
const RECV_BUFFER: usize = 8 << 20;
/// An ACK not there by then is taken as lost.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const HEADER: usize = 16;

/// One kernel change: its messages, and whether it is a delete (a delete
/// of what is already gone has succeeded).
pub struct Request {
    pub messages: Vec<Message>,
    pub delete: bool,
}

/// One netlink request: a typed `netlink-packet-route` message, or a raw
/// one for what that crate lacks (nexthop objects, `crate::nexthop`).
#[derive(Debug, Clone)]
pub enum Message {
    Route(NetlinkMessage<RouteNetlinkMessage>),
    /// `nlmsg_type`, `nlmsg_flags` and the payload after the nlmsghdr
    /// (already 4-octet aligned); length and sequence are the batcher's.
    Raw {
        kind: u16,
        flags: u16,
        payload: Vec<u8>,
    },
}

impl From<NetlinkMessage<RouteNetlinkMessage>> for Message {
    fn from(m: NetlinkMessage<RouteNetlinkMessage>) -> Message {
        Message::Route(m)
    }
}

impl Message {
    /// Appends the message's octets to `out`, with sequence number `seq`
    /// and without `NLM_F_ACK` (failures are reported anyway).
    fn serialize_into(&self, seq: u32, out: &mut Vec<u8>) {
        match self {
            Message::Route(m) => {
                let mut m = m.clone();
                m.header.sequence_number = seq;
                m.header.flags &= !NLM_F_ACK;
                m.finalize();
                let at = out.len();
                out.resize(at + m.buffer_len(), 0);
                m.serialize(&mut out[at..]);
            }
            Message::Raw {
                kind,
                flags,
                payload,
            } => {
                let len = (HEADER + payload.len()) as u32;
                out.extend_from_slice(&len.to_ne_bytes());
                out.extend_from_slice(&kind.to_ne_bytes());
                out.extend_from_slice(&(flags & !NLM_F_ACK).to_ne_bytes());
                out.extend_from_slice(&seq.to_ne_bytes());
                out.extend_from_slice(&0u32.to_ne_bytes());
                out.extend_from_slice(payload);
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Message::Route(m) => {
                let mut m = m.clone();
                m.finalize();
                m.buffer_len()
            }
            Message::Raw { payload, .. } => HEADER + payload.len(),
        }
    }
}

pub struct Batcher {
    sock: Socket,
    seq: u32,
    out: Vec<u8>,
    inbuf: Vec<u8>,
}

impl Batcher {
    /// A socket of its own, in the calling thread's network namespace.
    pub fn new() -> io::Result<Batcher> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        // Error ACKs carry only the failed request's header.
        sock.set_cap_ack(true)?;
        sock.set_rx_buf_sz(RECV_BUFFER)?;
        crate::sockopt::force_rx_buf(sock.as_raw_fd(), RECV_BUFFER);
        crate::sockopt::recv_timeout(sock.as_raw_fd(), ACK_TIMEOUT)?;
        Ok(Batcher {
            sock,
            seq: 1,
            out: Vec::with_capacity(CHUNK),
            inbuf: vec![0; 1 << 20],
        })
    }

    /// Carries out the requests in order; one result per request: `Ok`, or
    /// the first error of its messages.
    pub fn run(&mut self, requests: &[Request]) -> Vec<Result<(), io::Error>> {
        let mut results: Vec<Result<(), io::Error>> = requests.iter().map(|_| Ok(())).collect();
        // owner[k]: the request of the k-th message of the current chunk.
        let mut owner: Vec<usize> = Vec::new();
        let mut first_seq = self.seq;
        self.out.clear();
        for (i, r) in requests.iter().enumerate() {
            for m in &r.messages {
                let len = m.len();
                if !owner.is_empty() && self.out.len() + len + HEADER > CHUNK {
                    self.flush(first_seq, &owner, requests, &mut results);
                    owner.clear();
                    self.out.clear();
                    first_seq = self.seq;
                }
                // Failures are reported anyway; success is the barrier's.
                m.serialize_into(self.seq, &mut self.out);
                owner.push(i);
                self.seq = self.seq.wrapping_add(1);
            }
        }
        if !owner.is_empty() {
            self.flush(first_seq, &owner, requests, &mut results);
        }
        results
    }

    /// Sends the chunk in `self.out` with its barrier and collects the
    /// failures reported before the barrier's ACK.
    fn flush(
        &mut self,
        first_seq: u32,
        owner: &[usize],
        requests: &[Request],
        results: &mut [Result<(), io::Error>],
    ) {
        let barrier = self.seq;
        self.seq = self.seq.wrapping_add(1);
        self.out.extend_from_slice(&noop(barrier));
        // Outcome not known: every request of the chunk not failed already.
        let fail_rest = |results: &mut [Result<(), io::Error>], why: &str| {
            for &r in owner {
                if results[r].is_ok() {
                    results[r] = Err(io::Error::other(why.to_string()));
                }
            }
        };
        if let Err(e) = self.sock.send(&self.out, 0) {
            fail_rest(results, &format!("netlink send: {e}"));
            return;
        }
        loop {
            let n = match self.sock.recv(&mut &mut self.inbuf[..], 0) {
                Ok(n) => n,
                Err(e) => {
                    fail_rest(results, &format!("no ACK from the kernel: {e}"));
                    return;
                }
            };
            for (seq, code) in acks(&self.inbuf[..n]) {
                if seq == barrier {
                    return; // every failure of the chunk came before it
                }
                let k = seq.wrapping_sub(first_seq) as usize;
                if k >= owner.len() {
                    continue; // a stray from an earlier, timed-out chunk
                }
                let r = owner[k];
                let enoent = code == -libc::ENOENT;
                if code != 0 && results[r].is_ok() && !(requests[r].delete && enoent) {
                    results[r] = Err(io::Error::from_raw_os_error(-code));
                }
            }
        }
    }
}

/// `NLMSG_NOOP` with `NLM_F_ACK`: the kernel skips it and ACKs it.
fn noop(seq: u32) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[0..4].copy_from_slice(&(HEADER as u32).to_ne_bytes());
    h[4..6].copy_from_slice(&NLMSG_NOOP.to_ne_bytes());
    h[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    h[8..12].copy_from_slice(&seq.to_ne_bytes());
    h
}

/// The (sequence number, error code) of every NLMSG_ERROR in a datagram.
fn acks(buf: &[u8]) -> Vec<(u32, i32)> {
    let mut out = Vec::new();
    let mut at = 0;
    while buf.len() >= at + HEADER {
        let h = &buf[at..];
        let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len < HEADER || at + len > buf.len() {
            break;
        }
        let kind = u16::from_ne_bytes([h[4], h[5]]);
        let seq = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
        if kind == NLMSG_ERROR && len >= HEADER + 4 {
            let code = i32::from_ne_bytes([h[16], h[17], h[18], h[19]]);
            out.push((seq, code));
        }
        // Messages are 4-octet aligned.
        at += (len + 3) & !3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(seq: u32, code: i32, extra: usize) -> Vec<u8> {
        let len = (HEADER + 4 + extra) as u32;
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        v.extend_from_slice(&0u16.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&code.to_ne_bytes());
        v.resize(len as usize, 0);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    /// A neighbour request on `ifindex` (AF_INET, 192.0.2.`n`).
    fn neigh(ifindex: u32, n: u8, delete: bool) -> Request {
        use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
        use netlink_packet_route::neighbour::{
            NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
        };
        let mut m = NeighbourMessage::default();
        m.header.family = netlink_packet_route::AddressFamily::Inet;
        m.header.ifindex = ifindex;
        m.header.state = NeighbourState::Permanent;
        m.attributes = vec![
            NeighbourAttribute::Destination(NeighbourAddress::Inet([192, 0, 2, n].into())),
            NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, n]),
        ];
        let payload = if delete {
            RouteNetlinkMessage::DelNeighbour(m)
        } else {
            RouteNetlinkMessage::NewNeighbour(m)
        };
        let mut msg = NetlinkMessage::from(payload);
        msg.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        if !delete {
            msg.header.flags |= NLM_F_CREATE | NLM_F_EXCL;
        }
        Request {
            messages: vec![msg.into()],
            delete,
        }
    }

    /// Against the kernel, in a network namespace of the test thread's own
    /// (root, as every kernel test): failures are matched to their requests
    /// across several chunks, everything else succeeded.
    #[test]
    fn failures_reach_their_request_and_silence_means_success() {
        std::thread::spawn(|| {
            // SAFETY: unshare only changes this thread's network namespace.
            let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
            assert_eq!(
                rc,
                0,
                "unshare(CLONE_NEWNET) needs root: {}",
                io::Error::last_os_error()
            );
            // A bridge to hold neighbours (a child process inherits this
            // thread's namespace).
            let made = std::process::Command::new("ip")
                .args(["link", "add", "br0", "type", "bridge"])
                .status()
                .expect("ip");
            assert!(made.success(), "ip link add br0 type bridge");
            // SAFETY: a NUL-terminated name.
            let br = unsafe { libc::if_nametoindex(c"br0".as_ptr()) };
            assert_ne!(br, 0, "br0 has an ifindex");
            let mut b = Batcher::new().expect("netlink socket");
            // 3,000 deletes of what is not there (ENOENT: success for a
            // delete), an add on a device that does not exist in the middle,
            // an add on br0, the same add again (EEXIST) at the end.
            let mut reqs: Vec<Request> = (0..3000)
                .map(|i| neigh(br, (i % 200) as u8, true))
                .collect();
            reqs[1500] = neigh(9999, 1, false);
            reqs.push(neigh(br, 7, false));
            reqs.push(neigh(br, 7, false));
            let results = b.run(&reqs);
            let failed: Vec<(usize, Option<i32>)> = results
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.raw_os_error())))
                .collect();
            assert_eq!(
                failed,
                [(1500, Some(libc::ENODEV)), (3001, Some(libc::EEXIST))]
            );
            // The add on br0 happened: deleting it now succeeds, twice.
            let again = b.run(&[neigh(br, 7, true), neigh(br, 7, true)]);
            assert!(again.iter().all(|r| r.is_ok()), "{again:?}");
        })
        .join()
        .expect("test thread");
    }

    #[test]
    fn acks_are_read_in_order_and_truncation_stops_the_walk() {
        let mut buf = ack(7, 0, 16);
        buf.extend(ack(8, -libc::EEXIST, 16));
        buf.extend(ack(9, 0, 0));
        assert_eq!(acks(&buf), [(7, 0), (8, -libc::EEXIST), (9, 0)]);
        let cut = &buf[..buf.len() - 3];
        assert_eq!(acks(cut), [(7, 0), (8, -libc::EEXIST)]);
        assert_eq!(acks(&[1, 2, 3]), []);
        // A zero length would loop forever: it ends the walk.
        assert_eq!(acks(&[0; 20]), []);
    }
}
