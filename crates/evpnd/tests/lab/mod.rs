//! A minimal network-namespace lab for the daemon's interop tests: one
//! namespace per test with loopback addresses, FRR (zebra + bgpd), gobgpd
//! and evpnd started inside it and stopped by PID. Everything is removed on
//! drop, also when the test panics. A lab that cannot start FAILS the test
//! (it tells you to run `interop/setup.sh`); nothing is skipped.
#![allow(dead_code)]

pub mod clos;
pub mod fabric;
pub mod l2gw;
pub mod l3;
pub mod legacy;
pub mod vlan;
pub mod watch;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn sh(args: &[&str]) -> Result<String, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Fails with instructions when the machine cannot run the lab.
pub fn require_lab() {
    let uid = sh(&["id", "-u"]).unwrap_or_default();
    assert_eq!(
        uid.trim(),
        "0",
        "the interop tests create network namespaces and must run as root"
    );
    for bin in [
        "/usr/lib/frr/zebra",
        "/usr/lib/frr/bgpd",
        "/usr/bin/vtysh",
        "/usr/bin/gobgpd",
        "/usr/bin/gobgp",
        "/usr/sbin/ip",
    ] {
        assert!(
            Path::new(bin).exists() || Path::new(&bin.replace("/usr/sbin/", "/sbin/")).exists(),
            "{bin} is missing: run `bash interop/setup.sh` (installs FRR, GoBGP, iproute2)"
        );
    }
}

pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        match f() {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out after {timeout:?} waiting for {what}; last: {last}");
}

pub struct Netns {
    pub name: String,
    pub dir: PathBuf,
    procs: Vec<(String, Child)>,
    frr: bool,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        require_lab();
        let name = format!("ev{tag}{}", std::process::id());
        let _ = sh(&["ip", "netns", "del", &name]);
        sh(&["ip", "netns", "add", &name]).expect("create namespace");
        let dir = std::env::temp_dir().join(format!("evpnd-lab-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("lab dir");
        let ns = Netns {
            name,
            dir,
            procs: Vec::new(),
            frr: false,
        };
        ns.exec(&["ip", "link", "set", "lo", "up"]).expect("lo up");
        ns
    }

    pub fn exec(&self, args: &[&str]) -> Result<String, String> {
        let mut v = vec!["ip", "netns", "exec", &self.name];
        v.extend_from_slice(args);
        sh(&v)
    }

    pub fn add_lo_addr(&self, cidr: &str) {
        self.exec(&["ip", "addr", "add", cidr, "dev", "lo"])
            .expect("address on lo");
    }

    /// Starts a long-running process inside the namespace, output to a log file.
    pub fn spawn(&mut self, label: &str, args: &[&str]) {
        let log = std::fs::File::create(self.dir.join(format!("{label}.log"))).expect("log file");
        let err = log.try_clone().expect("log clone");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {label}: {e}"));
        self.procs.push((label.to_string(), child));
    }

    pub fn log(&self, label: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{label}.log"))).unwrap_or_default()
    }

    /// Starts zebra and bgpd with `bgpd_conf` (FRR 8.4, per lab-notes: `-N` pathspace, `-P 0`).
    pub fn start_frr(&mut self, bgpd_conf: &str, listen: &str) {
        self.start_frr_listening(bgpd_conf, &["-l", listen]);
    }

    /// [`Netns::start_frr`] with bgpd on every address of the namespace
    /// (unnumbered peers connect to link-local addresses).
    pub fn start_frr_any(&mut self, bgpd_conf: &str) {
        self.start_frr_listening(bgpd_conf, &[]);
    }

    fn start_frr_listening(&mut self, bgpd_conf: &str, listen: &[&str]) {
        let run = format!("/var/run/frr/{}", self.name);
        let etc = format!("/etc/frr/{}", self.name);
        for d in [&run, &etc] {
            std::fs::create_dir_all(d).expect("frr dir");
            sh(&["chown", "frr:frr", d]).expect("chown frr dir");
        }
        std::fs::write(format!("{etc}/vtysh.conf"), "").expect("vtysh.conf");
        let conf = self.dir.join("bgpd.conf");
        std::fs::write(&conf, bgpd_conf).expect("bgpd.conf");
        sh(&["chown", "frr:frr", conf.to_str().expect("path")]).expect("chown conf");
        sh(&["chmod", "755", self.dir.to_str().expect("path")]).expect("chmod dir");
        let zconf = self.dir.join("zebra.conf");
        std::fs::write(&zconf, "").expect("zebra.conf");
        self.frr = true;
        let zpid = format!("{run}/zebra.pid");
        let bpid = format!("{run}/bgpd.pid");
        let name = self.name.clone();
        self.spawn(
            "zebra",
            &[
                "/usr/lib/frr/zebra",
                "-N",
                &name,
                "-f",
                zconf.to_str().expect("p"),
                "-i",
                &zpid,
                "-P",
                "0",
            ],
        );
        std::thread::sleep(Duration::from_millis(500));
        let mut bgpd = vec![
            "/usr/lib/frr/bgpd",
            "-N",
            &name,
            "-f",
            conf.to_str().expect("p"),
            "-i",
            &bpid,
            "-P",
            "0",
        ];
        bgpd.extend_from_slice(listen);
        self.spawn("bgpd", &bgpd);
    }

    pub fn vtysh_json(&self, cmd: &str) -> Result<serde_json::Value, String> {
        let out = sh(&["vtysh", "-N", &self.name, "-c", cmd])?;
        serde_json::from_str(&out).map_err(|e| format!("{cmd}: not JSON ({e}): {out}"))
    }

    /// FRR's `show bgp l2vpn evpn json`: { RD: { "rd": .., PREFIX: { "paths": [..] or [[..]] } } }
    /// flattened to (rd, prefix, path) triples.
    pub fn frr_routes(&self) -> Result<Vec<(String, String, serde_json::Value)>, String> {
        let v = self.vtysh_json("show bgp l2vpn evpn json")?;
        let mut out = Vec::new();
        let Some(obj) = v.as_object() else {
            return Err(format!("unexpected JSON: {v}"));
        };
        for (rd, body) in obj {
            let Some(b) = body.as_object() else { continue };
            for (prefix, p) in b {
                let Some(paths) = p.get("paths").and_then(|x| x.as_array()) else {
                    continue;
                };
                for path in paths {
                    match path {
                        serde_json::Value::Array(inner) => inner
                            .iter()
                            .for_each(|x| out.push((rd.clone(), prefix.clone(), x.clone()))),
                        x => out.push((rd.clone(), prefix.clone(), x.clone())),
                    }
                }
            }
        }
        Ok(out)
    }

    pub fn frr_has(&self, rd: &str, prefix_part: &str) -> Result<serde_json::Value, String> {
        let routes = self.frr_routes()?;
        routes
            .iter()
            .find(|(r, p, _)| r == rd && p.contains(prefix_part))
            .map(|(_, _, path)| path.clone())
            .ok_or_else(|| {
                format!(
                    "FRR has no {rd} {prefix_part}; it has {:?}",
                    routes
                        .iter()
                        .map(|(r, p, _)| format!("{r} {p}"))
                        .collect::<Vec<_>>()
                )
            })
    }

    pub fn start_gobgp(&mut self, toml: &str) {
        let conf = self.dir.join("gobgpd.toml");
        std::fs::write(&conf, toml).expect("gobgpd.toml");
        self.spawn(
            "gobgpd",
            &[
                "gobgpd",
                "-f",
                conf.to_str().expect("p"),
                "--api-hosts",
                "127.0.0.1:50051",
                "-p",
            ],
        );
    }

    pub fn gobgp(&self, args: &[&str]) -> Result<String, String> {
        let mut v = vec!["gobgp", "-u", "127.0.0.1", "-p", "50051"];
        v.extend_from_slice(args);
        self.exec(&v)
    }

    /// Adds (`add = true`) or deletes a type-2 route in gobgpd's RIB:
    /// MAC (+IP unless 0.0.0.0), VNI 100 label, RD, route target, VXLAN, next hop.
    pub fn gobgp_macadv(&self, add: bool, mac: &str, ip: &str, rd: &str, rt: &str, next_hop: &str) {
        let mut args = vec![
            "global",
            "rib",
            "-a",
            "evpn",
            if add { "add" } else { "del" },
            "macadv",
            mac,
            ip,
        ];
        args.extend(["etag", "0", "label", "100", "rd", rd]);
        if add {
            args.extend(["rt", rt, "encap", "vxlan", "nexthop", next_hop]);
        }
        self.gobgp(&args)
            .unwrap_or_else(|e| panic!("gobgp macadv {mac}: {e}"));
    }

    /// Writes `conf` to `<label>.toml` in the lab directory and starts evpnd on
    /// it inside the namespace, logging its decisions at debug level.
    pub fn start_evpnd(&mut self, label: &str, conf: &str) {
        let path = self.dir.join(format!("{label}.toml"));
        // Each instance gets its own API socket in the lab directory
        // (namespaces share the filesystem).
        let conf = if conf.contains("[api]") {
            conf.to_string()
        } else {
            format!(
                "{conf}\n[api]\nsocket = \"{}\"\n",
                self.api_socket(label).display()
            )
        };
        std::fs::write(&path, conf).expect("write evpnd config");
        let p = path.to_str().expect("utf-8 path").to_string();
        let log = "RUST_LOG=evpnd=debug,evpnd_session=debug,info";
        self.spawn(label, &["env", log, env!("CARGO_BIN_EXE_evpnd"), "-c", &p]);
    }

    /// The API socket of the evpnd started as `label`.
    pub fn api_socket(&self, label: &str) -> PathBuf {
        self.dir.join(format!("{label}.sock"))
    }

    /// `kill -9` of the latest process started as `label`, returning once it
    /// is reaped: its sockets are closed, so a restart can bind the same
    /// address (a restart racing the dying process got `EADDRINUSE`).
    pub fn kill_9(&mut self, label: &str) {
        let (_, c) = self
            .procs
            .iter_mut()
            .rev()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no process {label} to kill"));
        c.kill().unwrap_or_else(|e| panic!("kill -9 {label}: {e}"));
        c.wait().unwrap_or_else(|e| panic!("reap {label}: {e}"));
    }

    /// PID of a started process by label (for kill tests); the latest one
    /// when a label was started again (a restart test).
    pub fn pid(&self, label: &str) -> Option<u32> {
        self.procs
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .map(|(_, c)| c.id())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // `ip netns exec` execs the daemon, so the child PID is the daemon's.
        for (_, c) in &mut self.procs {
            let _ = sh(&["kill", "-TERM", &c.id().to_string()]);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        for (_, c) in &mut self.procs {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        // FRR daemons fork? With -d they would; we run them in the foreground, so the PIDs above are theirs.
        let _ = sh(&["ip", "netns", "del", &self.name]);
        if self.frr {
            let _ = std::fs::remove_dir_all(format!("/var/run/frr/{}", self.name));
            let _ = std::fs::remove_dir_all(format!("/etc/frr/{}", self.name));
        }
        if std::thread::panicking() {
            eprintln!("lab logs kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A veth pair `a_if` in `a` ↔ `b_if` in `b`: both ends down, no address.
pub fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) -> Result<String, String> {
    sh(&[
        "ip", "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ])
}

/// A veth pair between two namespaces with the given addresses (CIDR), both up.
pub fn link(a: &Netns, a_if: &str, a_addr: &str, b: &Netns, b_if: &str, b_addr: &str) {
    veth(a, a_if, b, b_if).expect("veth pair");
    for (ns, ifn, addr) in [(a, a_if, a_addr), (b, b_if, b_addr)] {
        ns.exec(&["ip", "addr", "add", addr, "dev", ifn])
            .expect("veth address");
        ns.exec(&["ip", "link", "set", ifn, "up"]).expect("veth up");
    }
}

/// A gobgpd configuration with one L2VPN EVPN neighbour.
pub fn gobgp_conf(asn: u32, router_id: &str, neighbor: &str) -> String {
    format!(
        "[global.config]\nas = {asn}\nrouter-id = \"{router_id}\"\nport = 179\n\n\
         [[neighbors]]\n[neighbors.config]\nneighbor-address = \"{neighbor}\"\npeer-as = {asn}\n\
         [[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"l2vpn-evpn\"\n"
    )
}

/// A leaf's VXLAN/bridge setup (VNI 100, VTEP 10.0.0.`i` on lo, SVI
/// 192.168.100.25`i`) and its host (192.168.100.`i`, MAC [`host_mac`]), as
/// an operator would do it. Routing to the other VTEPs is the caller's.
pub fn vtep(leaf: &Netns, host: &Netns, i: u8) {
    vtep_at(leaf, host, i, &format!("10.0.0.{i}"));
}

/// [`vtep`] with the VTEP address `local` (IPv4 or IPv6, put on lo).
pub fn vtep_at(leaf: &Netns, host: &Netns, i: u8, local: &str) {
    let x = |args: &[&str]| leaf.exec(args).unwrap_or_else(|e| panic!("{e}"));
    if local.contains(':') {
        // No duplicate address detection: usable at once.
        x(&[
            "ip",
            "addr",
            "add",
            &format!("{local}/128"),
            "dev",
            "lo",
            "nodad",
        ]);
    } else {
        x(&["ip", "addr", "add", &format!("{local}/32"), "dev", "lo"]);
    }
    x(&["ip", "link", "add", "br100", "type", "bridge"]);
    x(&[
        "ip",
        "link",
        "add",
        "vxlan100",
        "type",
        "vxlan",
        "id",
        "100",
        "local",
        local,
        "dstport",
        "4789",
        "nolearning",
    ]);
    x(&["ip", "link", "set", "vxlan100", "master", "br100"]);
    x(&[
        "bridge",
        "link",
        "set",
        "dev",
        "vxlan100",
        "neigh_suppress",
        "on",
        "learning",
        "off",
    ]);
    sh(&[
        "ip", "link", "add", "acc", "netns", &leaf.name, "type", "veth", "peer", "name", "eth0",
        "netns", &host.name,
    ])
    .expect("host veth");
    x(&["ip", "link", "set", "acc", "master", "br100"]);
    for d in ["br100", "vxlan100", "acc"] {
        x(&["ip", "link", "set", d, "up"]);
    }
    x(&[
        "ip",
        "addr",
        "add",
        &format!("192.168.100.25{i}/24"),
        "dev",
        "br100",
    ]);
    host.exec(&["ip", "link", "set", "eth0", "address", &host_mac(i)])
        .expect("host mac");
    host.exec(&[
        "ip",
        "addr",
        "add",
        &format!("192.168.100.{i}/24"),
        "dev",
        "eth0",
    ])
    .expect("host addr");
    host.exec(&["ip", "link", "set", "eth0", "up"])
        .expect("host up");
}

pub fn host_mac(i: u8) -> String {
    format!("02:00:00:00:01:{i:02x}")
}

/// (VNI, VXLAN device, VLAN, SVI) as the leaf's management API lists them.
pub fn api_vnis(leaf: &Netns, label: &str) -> Vec<(u32, String, u32, String)> {
    use evpnd_api::pb;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(leaf.api_socket(label))
            .await
            .expect("API socket");
        let mut evpn = pb::evpn_service_client::EvpnServiceClient::new(ch);
        let mut v: Vec<_> = evpn
            .list_vnis(pb::ListVnisRequest { vni: None })
            .await
            .expect("vnis")
            .into_inner()
            .vnis
            .into_iter()
            .map(|v| (v.vni, v.vxlan_device, v.vlan, v.svi))
            .collect();
        v.sort();
        v
    })
}
