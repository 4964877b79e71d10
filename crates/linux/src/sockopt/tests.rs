//! The echo filter against the kernel, each test in a network namespace of
//! its own thread (root, as every kernel test).

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use evpnd_wire::{MacAddr, Vni};
use netlink_sys::{Socket, protocols::NETLINK_ROUTE};

use crate::VniInfo;
use crate::batch::{Batcher, Request};
use crate::reconcile::{Key, Op, Value};

const RTNLGRP_NEIGH: u32 = 3;

fn sh(cmd: &str) {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let ok = std::process::Command::new(args[0])
        .args(&args[1..])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{cmd}");
}

/// Runs `f` on a thread of its own in a new network namespace.
fn in_netns(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        // SAFETY: unshare only changes this thread's network namespace.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare(CLONE_NEWNET) needs root");
        f();
    })
    .join()
    .expect("test thread");
}

fn ifindex(name: &std::ffi::CStr) -> u32 {
    // SAFETY: a NUL-terminated name.
    let i = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert_ne!(i, 0, "{name:?} has an ifindex");
    i
}

/// br0 (also the SVI, 192.0.2.1/24), vx1 (VNI 100) and an access port d1
/// in it; the VniInfo evpnd would find.
fn setup() -> VniInfo {
    sh("ip link add br0 type bridge");
    sh("ip link add vx1 type vxlan id 100 local 10.9.0.1 dstport 4789 nolearning");
    sh("ip link add d1 type veth peer name d1p");
    sh("ip link set vx1 master br0");
    sh("ip link set d1 master br0");
    for d in ["br0", "vx1", "d1"] {
        sh(&format!("ip link set {d} up"));
    }
    sh("ip addr add 192.0.2.1/24 dev br0");
    let (br, vx) = (ifindex(c"br0"), ifindex(c"vx1"));
    VniInfo {
        vni: Vni::new(100).expect("vni"),
        vxlan_ifindex: vx,
        vxlan_name: "vx1".into(),
        local_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 9, 0, 1))),
        dstport: 4789,
        learning: false,
        group: None,
        bridge_ifindex: Some(br),
        bridge_name: Some("br0".into()),
        vlan: None,
        single_device: false,
        svi_ifindex: Some(br),
        svi_name: Some("br0".into()),
        neigh_suppress: false,
        svi_mac: None,
        vrf_master: None,
        up: true,
    }
}

/// A notification socket as the linux task has it, with `buffer` octets.
fn listener(buffer: usize, filtered: bool) -> Socket {
    let mut sock = Socket::new(NETLINK_ROUTE).expect("socket");
    sock.bind_auto().expect("bind");
    sock.add_membership(RTNLGRP_NEIGH).expect("RTNLGRP_NEIGH");
    sock.set_rx_buf_sz(buffer).expect("SO_RCVBUF");
    super::force_rx_buf(sock.as_raw_fd(), buffer);
    if filtered {
        super::drop_own_echoes(sock.as_raw_fd()).expect("filter");
    }
    super::recv_timeout(sock.as_raw_fd(), Duration::from_millis(300)).expect("timeout");
    sock
}

/// One received neighbour notification.
#[derive(Debug)]
struct Note {
    kind: u16,
    family: u8,
    ifindex: u32,
    flags: u8,
    protocol: Option<u8>,
}

/// Everything queued on `sock` until it is quiet; `Err(ENOBUFS)` on overrun.
fn drain(sock: &Socket) -> Result<Vec<Note>, std::io::Error> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match sock.recv(&mut &mut buf[..], 0) {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => return Ok(out),
            Err(e) => return Err(e),
        };
        let mut at = 0;
        while at + 28 <= n {
            let h = &buf[at..n];
            let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
            if len < 28 || len > h.len() {
                break;
            }
            let mut note = Note {
                kind: u16::from_ne_bytes([h[4], h[5]]),
                family: h[16],
                ifindex: u32::from_ne_bytes([h[20], h[21], h[22], h[23]]),
                flags: h[26],
                protocol: None,
            };
            let mut a = 28;
            while a + 4 <= len {
                let alen = usize::from(u16::from_ne_bytes([h[a], h[a + 1]]));
                let atype = u16::from_ne_bytes([h[a + 2], h[a + 3]]);
                if alen < 4 || a + alen > len {
                    break;
                }
                if atype == 12 && alen >= 5 {
                    note.protocol = Some(h[a + 4]);
                }
                a += (alen + 3) & !3;
            }
            out.push(note);
            at += (len + 3) & !3;
        }
    }
}

fn mac(i: u32) -> MacAddr {
    let b = i.to_be_bytes();
    MacAddr([2, 0x42, b[0], b[1], b[2], b[3]])
}

fn remote_macs(v: &VniInfo, n: u32, delete: bool) -> Vec<Request> {
    let vtep = IpAddr::V4(Ipv4Addr::new(10, 9, 0, 2));
    (0..n)
        .map(|i| {
            let k = Key::Mac {
                vni: v.vni,
                mac: mac(i),
            };
            let val = Value::Mac {
                vtep,
                sticky: false,
            };
            let op = if delete {
                Op::Del(k, val)
            } else {
                Op::Set(k, val)
            };
            Request {
                messages: crate::program::messages(&op, v)
                    .expect("a message")
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                delete,
            }
        })
        .collect()
}

fn remote_neigh(v: &VniInfo, delete: bool) -> Request {
    let k = Key::Neigh {
        vni: v.vni,
        ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
    };
    let val = Value::Neigh { mac: mac(7) };
    let op = if delete {
        Op::Del(k, val)
    } else {
        Op::Set(k, val)
    };
    Request {
        messages: crate::program::messages(&op, v)
            .expect("a message")
            .into_iter()
            .map(Into::into)
            .collect(),
        delete,
    }
}

fn all_ok(results: Vec<Result<(), std::io::Error>>) {
    let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

/// Our writes (remote MAC add and delete, both copies; remote neighbour add
/// and delete) raise nothing; the operator's entries (an access-port MAC, a
/// neighbour, a flood entry) still come through.
#[test]
fn the_filter_drops_every_echo_of_ours_and_nothing_else() {
    in_netns(|| {
        let v = setup();
        let sock = listener(1 << 20, true);
        let mut b = Batcher::new().expect("netlink write socket");
        all_ok(b.run(&remote_macs(&v, 3, false)));
        all_ok(b.run(&[remote_neigh(&v, false)]));
        all_ok(b.run(&remote_macs(&v, 3, true)));
        all_ok(b.run(&[remote_neigh(&v, true)]));
        let ours = drain(&sock).expect("no overrun");
        assert!(ours.is_empty(), "echoes of our writes came: {ours:?}");
        sh("bridge fdb add 02:00:00:00:00:09 dev d1 master static");
        sh("ip neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev br0");
        sh("bridge fdb append 00:00:00:00:00:00 dev vx1 dst 10.9.0.3 self permanent");
        sh("ip neigh del 192.0.2.9 dev br0");
        let theirs = drain(&sock).expect("no overrun");
        let seen: Vec<(u16, u8, u32)> = theirs
            .iter()
            .map(|n| (n.kind, n.family, n.ifindex))
            .collect();
        let (d1, br, vx) = (ifindex(c"d1"), ifindex(c"br0"), ifindex(c"vx1"));
        assert!(
            theirs
                .iter()
                .all(|n| n.flags & 0x10 == 0 && n.protocol != Some(crate::PROTOCOL)),
            "{theirs:?}"
        );
        for want in [(28, 7, d1), (28, 2, br), (28, 7, vx), (29, 2, br)] {
            assert!(seen.contains(&want), "{want:?} missing from {theirs:?}");
        }
    });
}

/// A large load and its withdrawal through a notification socket of the
/// kernel's default size raise no overrun with the filter; without it a
/// tenth of the load overruns the same buffer (the test can fail).
#[test]
fn a_large_load_and_withdrawal_raise_no_overrun() {
    const MACS: u32 = 100_000;
    const BUFFER: usize = 256 << 10;
    in_netns(|| {
        let v = setup();
        let unfiltered = listener(BUFFER, false);
        let filtered = listener(BUFFER, true);
        let mut b = Batcher::new().expect("netlink write socket");
        all_ok(b.run(&remote_macs(&v, MACS / 10, false)));
        assert!(
            drain(&unfiltered).is_err_and(|e| e.raw_os_error() == Some(libc::ENOBUFS)),
            "without the filter the echoes of {} writes overrun {BUFFER} octets",
            MACS / 10
        );
        all_ok(b.run(&remote_macs(&v, MACS / 10, true)));
        drop(unfiltered);
        let quiet = drain(&filtered).expect("no overrun");
        assert!(quiet.is_empty(), "{} echoes came", quiet.len());
        all_ok(b.run(&remote_macs(&v, MACS, false)));
        let loaded = drain(&filtered).expect("no overrun after the load");
        assert!(loaded.is_empty(), "{} echoes came", loaded.len());
        all_ok(b.run(&remote_macs(&v, MACS, true)));
        let withdrawn = drain(&filtered).expect("no overrun after the withdrawal");
        assert!(withdrawn.is_empty(), "{} echoes came", withdrawn.len());
    });
}

/// Tenant routes: ours (protocol 245), added and deleted, raise nothing;
/// an operator's route in the same table comes through.
#[test]
fn the_filter_drops_our_route_echoes() {
    const RTNLGRP_IPV4_ROUTE: u32 = 7;
    in_netns(|| {
        sh("ip link set lo up");
        let sock = listener(1 << 20, true);
        sock.add_membership(RTNLGRP_IPV4_ROUTE)
            .expect("RTNLGRP_IPV4_ROUTE");
        let mut b = Batcher::new().expect("netlink write socket");
        let key = crate::l3::RouteKey {
            table: 1000,
            prefix: "10.66.0.0/16".parse().expect("prefix"),
        };
        for op in [
            crate::l3::L3Op::RouteSet {
                key,
                metric: 20,
                target: crate::l3::Target::Unreachable,
                replace: false,
            },
            crate::l3::L3Op::RouteDel {
                key,
                metric: 20,
                target: crate::l3::Target::Unreachable,
            },
        ] {
            let (m, delete) = crate::route::request(&op);
            all_ok(b.run(&[Request {
                messages: vec![m],
                delete,
            }]));
        }
        let ours = drain(&sock).expect("no overrun");
        assert!(ours.is_empty(), "echoes of our routes came: {ours:?}");
        sh("ip route add unreachable 10.77.0.0/16 table 1000 proto static");
        let theirs = drain(&sock).expect("no overrun");
        assert!(theirs.iter().any(|n| n.kind == 24), "{theirs:?}");
    });
}
