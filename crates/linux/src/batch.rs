//! Kernel writes in batches: many netlink requests in one `sendmsg`, every
//! one with `NLM_F_ACK`, the ACKs matched back by sequence number.
//!
//! rtnetlink handles a `sendmsg` synchronously: when the call returns, every
//! request in it has been carried out and its ACK queued on our socket, so a
//! chunk costs one `sendmsg` plus one `recv` per ACK (each ACK is a datagram
//! of its own), all on this thread, instead of a future, two system calls
//! and a task wake-up per entry. The receive buffer is sized for a whole chunk of ACKs; an ACK the
//! kernel could not queue (`ENOBUFS`) or that never comes (a receive
//! timeout) fails its request, and the reconciler retries it.
//!
//! ```text
//! sendmsg  [nlmsghdr seq=n   RTM_NEWNEIGH ...][nlmsghdr seq=n+1 ...] ... (≤ CHUNK octets)
//! recv     [nlmsghdr NLMSG_ERROR seq=n   | i32 error (0 = ACK, -errno) | original header]
//!          [nlmsghdr NLMSG_ERROR seq=n+1 | ...] ...
//! ```

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use netlink_packet_core::NetlinkMessage;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

/// Octets of requests per `sendmsg` (well under the default 208 KiB send
/// buffer): about 1,000 FDB entries.
const CHUNK: usize = 64 * 1024;
/// Room for the ACKs of several chunks.
const RECV_BUFFER: usize = 8 << 20;
/// An ACK not there by then is taken as lost.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
const NLMSG_ERROR: u16 = 2;
const HEADER: usize = 16;

/// One kernel change: its messages, and whether it is a delete (a delete
/// of what is already gone has succeeded).
pub struct Request {
    pub messages: Vec<NetlinkMessage<RouteNetlinkMessage>>,
    pub delete: bool,
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
                let mut m = m.clone();
                m.header.sequence_number = self.seq;
                m.finalize();
                let len = m.buffer_len();
                if !owner.is_empty() && self.out.len() + len > CHUNK {
                    self.flush(first_seq, &owner, requests, &mut results);
                    owner.clear();
                    self.out.clear();
                    first_seq = self.seq;
                }
                let at = self.out.len();
                self.out.resize(at + len, 0);
                m.serialize(&mut self.out[at..]);
                owner.push(i);
                self.seq = self.seq.wrapping_add(1);
            }
        }
        if !owner.is_empty() {
            self.flush(first_seq, &owner, requests, &mut results);
        }
        results
    }

    /// Sends the chunk in `self.out` and collects its ACKs.
    fn flush(
        &mut self,
        first_seq: u32,
        owner: &[usize],
        requests: &[Request],
        results: &mut [Result<(), io::Error>],
    ) {
        let mut acked = vec![false; owner.len()];
        let mut left = owner.len();
        let fail_rest = |acked: &[bool], results: &mut [Result<(), io::Error>], why: &str| {
            for (k, done) in acked.iter().enumerate() {
                if !done && results[owner[k]].is_ok() {
                    results[owner[k]] = Err(io::Error::other(why.to_string()));
                }
            }
        };
        if let Err(e) = self.sock.send(&self.out, 0) {
            fail_rest(&acked, results, &format!("netlink send: {e}"));
            return;
        }
        while left > 0 {
            let n = match self.sock.recv(&mut &mut self.inbuf[..], 0) {
                Ok(n) => n,
                Err(e) => {
                    fail_rest(&acked, results, &format!("no ACK from the kernel: {e}"));
                    return;
                }
            };
            for (seq, code) in acks(&self.inbuf[..n]) {
                let k = seq.wrapping_sub(first_seq) as usize;
                if k >= owner.len() || acked[k] {
                    continue; // a stray from an earlier, timed-out chunk
                }
                acked[k] = true;
                left -= 1;
                let r = owner[k];
                let enoent = code == -libc::ENOENT;
                if code != 0 && results[r].is_ok() && !(requests[r].delete && enoent) {
                    results[r] = Err(io::Error::from_raw_os_error(-code));
                }
            }
        }
    }
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
