//! Legacy VXLAN fabrics for the cut-over tests (issue 12): VTEPs that flood
//! and learn without BGP, on one underlay L2 segment, and hosts pinging each
//! other while the VTEPs are converted to evpnd one by one.
//!
//! ```text
//!          underlay namespace: bridge `seg` (10.9.0.254/24, evpnd reflector)
//!            |p1            |p2            |p3
//!   VTEP 1 u0 10.9.0.1   VTEP 2 10.9.0.2  VTEP 3 10.9.0.3   (one namespace each)
//!     br100 = vxlan100 (VNI 100, learning on) + acc ── host i eth0 192.168.100.i
//! ```
//!
//! A legacy VTEP floods BUM either head-end (`bridge fdb append
//! 00:00:00:00:00:00 dst PEER`, one static entry per peer) or to the
//! multicast group [`GROUP`] on the segment (multicast snooping off on
//! `seg`: every port gets every group packet, as with a querier-less
//! switch). Both learn remote MACs from the packets they receive.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{Netns, host_mac, sh, wait_until};

/// The underlay multicast group of the multicast fabric.
pub const GROUP: &str = "239.1.1.100";
/// The reflector's address on the segment.
pub const RR_ADDR: &str = "10.9.0.254";
/// Convergence waits.
pub const T: Duration = Duration::from_secs(30);
/// Pings per host pair in a settled window (20 ms apart: 1 s).
pub const SETTLED_PINGS: u32 = 50;
/// The ping interval of the traffic (seconds, as `ping -i` takes it).
pub const INTERVAL: &str = "0.02";

/// How a legacy VTEP floods BUM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bum {
    /// Static all-zero flood entries, one per peer (head-end replication).
    HeadEnd,
    /// The VXLAN device's `group` ([`GROUP`]) on the segment.
    Group,
}

/// VTEP `i`'s underlay address (its VXLAN `local`, evpnd's router id).
pub fn vtep_ip(i: u8) -> String {
    format!("10.9.0.{i}")
}

/// Host `i`'s overlay address.
pub fn host_ip(i: u8) -> String {
    format!("192.168.100.{i}")
}

/// The segment, its VTEPs (index `i - 1`) and their hosts. VTEPs drop first
/// (their daemons stop before the reflector's namespace goes).
pub struct Segment {
    pub vteps: Vec<Netns>,
    pub hosts: Vec<Netns>,
    pub underlay: Netns,
}

impl Segment {
    pub fn vtep(&self, i: u8) -> &Netns {
        &self.vteps[usize::from(i - 1)]
    }

    pub fn vtep_mut(&mut self, i: u8) -> &mut Netns {
        &mut self.vteps[usize::from(i - 1)]
    }

    pub fn host(&self, i: u8) -> &Netns {
        &self.hosts[usize::from(i - 1)]
    }
}

fn run(ns: &Netns, cmds: &[String]) {
    for cmd in cmds {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        ns.exec(&args)
            .unwrap_or_else(|e| panic!("{}: {e}", ns.name));
    }
}

/// `n` VTEP namespaces cabled to the segment, each with its host namespace
/// (no VXLAN device yet: [`learning_vtep`]), and the reflector's namespace.
pub fn segment(tag: &str, n: u8) -> Segment {
    let underlay = Netns::new(&format!("{tag}u"));
    run(
        &underlay,
        &[
            "ip link add seg type bridge mcast_snooping 0".into(),
            "ip link set seg up".into(),
            format!("ip addr add {RR_ADDR}/24 dev seg"),
        ],
    );
    let mut vteps = Vec::new();
    let mut hosts = Vec::new();
    for i in 1..=n {
        let v = Netns::new(&format!("{tag}v{i}"));
        let h = Netns::new(&format!("{tag}h{i}"));
        sh(&[
            "ip",
            "link",
            "add",
            "u0",
            "netns",
            &v.name,
            "type",
            "veth",
            "peer",
            "name",
            &format!("p{i}"),
            "netns",
            &underlay.name,
        ])
        .expect("underlay veth");
        run(
            &underlay,
            &[
                format!("ip link set p{i} master seg"),
                format!("ip link set p{i} up"),
            ],
        );
        run(
            &v,
            &[
                format!("ip addr add {}/24 dev u0", vtep_ip(i)),
                "ip link set u0 up".into(),
            ],
        );
        vteps.push(v);
        hosts.push(h);
    }
    Segment {
        vteps,
        hosts,
        underlay,
    }
}

/// VTEP `i`'s `vxlan100` (learning on, on `u0`, on [`GROUP`] with
/// [`Bum::Group`]) in `br100` (port learning on, no ARP suppression: ARP
/// must flood to the legacy VTEPs), its host behind `acc`, and a static flood
/// entry towards each of `flood_to` (none needed on the group).
pub fn learning_vtep(seg: &Segment, i: u8, bum: Bum, flood_to: &[u8]) {
    vxlan_vtep(seg, i, bum, true);
    for &j in flood_to {
        flood_to_vtep(seg.vtep(i), j);
    }
}

/// VTEP `i`'s `vxlan100` in `br100` and its host, as [`learning_vtep`];
/// with `learning` off, the device and its bridge port learn nothing
/// (an EVPN-only VTEP).
pub fn vxlan_vtep(seg: &Segment, i: u8, bum: Bum, learning: bool) {
    let (v, h) = (seg.vtep(i), seg.host(i));
    let group = match bum {
        Bum::Group => format!(" group {GROUP}"),
        Bum::HeadEnd => String::new(),
    };
    let nolearning = if learning { "" } else { " nolearning" };
    run(
        v,
        &[
            "ip link add br100 type bridge".into(),
            format!(
                "ip link add vxlan100 type vxlan id 100 local {} dstport 4789 dev u0{group}{nolearning}",
                vtep_ip(i)
            ),
            "ip link set vxlan100 master br100".into(),
        ],
    );
    if !learning {
        run(v, &["bridge link set dev vxlan100 learning off".into()]);
    }
    sh(&[
        "ip", "link", "add", "acc", "netns", &v.name, "type", "veth", "peer", "name", "eth0",
        "netns", &h.name,
    ])
    .expect("host veth");
    run(
        v,
        &[
            "ip link set acc master br100".into(),
            "ip link set br100 up".into(),
            "ip link set vxlan100 up".into(),
            "ip link set acc up".into(),
        ],
    );
    run(
        h,
        &[
            format!("ip link set eth0 address {}", host_mac(i)),
            format!("ip addr add {}/24 dev eth0", host_ip(i)),
            "ip link set eth0 up".into(),
        ],
    );
}

/// `bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst VTEP-j`: what a
/// legacy VTEP's operator adds for a new peer.
pub fn flood_to_vtep(v: &Netns, j: u8) {
    run(
        v,
        &[format!(
            "bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst {}",
            vtep_ip(j)
        )],
    );
}

/// The reflector's config: every VTEP of the segment a client (the legacy
/// ones refuse the connection until they run evpnd).
pub fn rr_conf(n: u8) -> String {
    let mut c = format!(
        "[bgp]\nasn = 65000\nrouter_id = \"{RR_ADDR}\"\nhold_time = 9\nconnect_retry = 1\n\
         [evpn]\nlearn_from_kernel = false\n"
    );
    for i in 1..=n {
        c += &format!(
            "[[neighbor]]\naddress = \"{}\"\nremote_asn = 65000\nroute_reflector_client = true\n",
            vtep_ip(i)
        );
    }
    c
}

/// An evpnd VTEP's config: iBGP to the reflector, VNI 100 with
/// `static_vteps` (the VTEPs of the fabric that speak no BGP yet).
pub fn leaf_conf(i: u8, static_vteps: &[u8]) -> String {
    let list: Vec<String> = static_vteps
        .iter()
        .map(|j| format!("\"{}\"", vtep_ip(*j)))
        .collect();
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"{}\"\nhold_time = 9\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"{RR_ADDR}\"\nremote_asn = 65000\n\
         [[evpn.vni]]\nvni = 100\nstatic_vteps = [{}]\n",
        vtep_ip(i),
        list.join(", ")
    )
}

/// Starts the reflector of an `n`-VTEP segment.
pub fn start_rr(seg: &mut Segment, n: u8) {
    seg.underlay.start_evpnd("evpnd", &rr_conf(n));
}

/// Starts evpnd on VTEP `i` with `static_vteps`.
pub fn start_leaf(seg: &mut Segment, i: u8, static_vteps: &[u8]) {
    seg.vtep_mut(i)
        .start_evpnd("evpnd", &leaf_conf(i, static_vteps));
}

/// Rewrites evpnd's `static_vteps` on VTEP `i` and reloads it (SIGHUP).
pub fn set_static_vteps(seg: &Segment, i: u8, static_vteps: &[u8]) {
    let v = seg.vtep(i);
    std::fs::write(
        v.dir.join("evpnd.toml"),
        with_api(v, &leaf_conf(i, static_vteps)),
    )
    .expect("rewrite config");
    let pid = v.pid("evpnd").expect("evpnd runs");
    let applied = |log: &str| log.matches("reload applied").count();
    let before = applied(&v.log("evpnd"));
    sh(&["kill", "-HUP", &pid.to_string()]).expect("SIGHUP");
    wait_until(&format!("VTEP {i} applies its new config"), T, || {
        let log = v.log("evpnd");
        if log.contains("reload rejected") || applied(&log) > before {
            Ok(())
        } else {
            Err(log)
        }
    });
    let log = v.log("evpnd");
    assert!(
        !log.contains("reload rejected") && !log.contains("reload: these keys"),
        "VTEP {i}: the migrated config did not apply:\n{log}"
    );
}

/// The config as [`Netns::start_evpnd`] wrote it (with the API socket).
fn with_api(v: &Netns, conf: &str) -> String {
    format!(
        "{conf}\n[api]\nsocket = \"{}\"\n",
        v.api_socket("evpnd").display()
    )
}

/// `evpnctl [--json] migrate ARGS…` in VTEP `i`'s namespace (it reads
/// and changes that namespace's kernel).
pub fn evpnctl_migrate(
    seg: &Segment,
    i: u8,
    json: bool,
    args: &[String],
) -> Result<String, String> {
    let ctl = super::l3::evpnctl_path();
    let mut v = vec![ctl.to_str().expect("utf-8 path").to_string()];
    if json {
        v.push("--json".into());
    }
    v.push("migrate".into());
    v.extend_from_slice(args);
    let v: Vec<&str> = v.iter().map(String::as_str).collect();
    seg.vtep(i).exec(&v)
}

/// The planner options of VTEP `i` once the VTEPs `evpnd` speak EVPN,
/// its journal in its lab directory.
fn migrate_opts(seg: &Segment, i: u8, evpnd: &[u8], extra: &[&str]) -> Vec<String> {
    let mut o: Vec<String> = extra.iter().map(|x| x.to_string()).collect();
    o.extend([
        "--asn".to_string(),
        "65000".into(),
        "--vtep-ip".into(),
        vtep_ip(i),
    ]);
    for j in evpnd {
        o.push("--evpn-vtep".into());
        o.push(vtep_ip(*j));
    }
    let cfg = seg.vtep(i).dir.join("evpnd.toml");
    if cfg.exists() {
        o.push("--config".into());
        o.push(cfg.display().to_string());
    }
    o
}

/// `evpnctl migrate plan` (JSON) then `apply` (after a `--dry-run`) on
/// VTEP `i`, the VTEPs `evpnd` speaking EVPN, with the `extra` planner
/// options (`--flood keep`); the plan's `fabric.toml` (merged into evpnd's
/// config when it runs) is returned.
pub fn migrate_apply(seg: &Segment, i: u8, evpnd: &[u8], extra: &[&str]) -> String {
    let opts = migrate_opts(seg, i, evpnd, extra);
    let mut plan_args = vec!["plan".to_string()];
    plan_args.extend(opts.iter().cloned());
    let plan = evpnctl_migrate(seg, i, true, &plan_args)
        .unwrap_or_else(|e| panic!("migrate plan on VTEP {i}: {e}"));
    let plan: Value = serde_json::from_str(&plan).unwrap_or_else(|e| panic!("plan JSON: {e}"));
    assert_eq!(
        plan["refusals"].as_array().map(Vec::len),
        Some(0),
        "VTEP {i}: {plan}"
    );
    let journal = seg.vtep(i).dir.join("migrate-journal.json");
    for dry in [true, false] {
        let mut a = vec!["apply".to_string()];
        a.extend(opts.iter().cloned());
        a.extend(["--journal".to_string(), journal.display().to_string()]);
        if dry {
            a.push("--dry-run".into());
        }
        evpnctl_migrate(seg, i, false, &a)
            .unwrap_or_else(|e| panic!("migrate apply (dry run: {dry}) on VTEP {i}: {e}"));
    }
    plan["fabric_toml"]
        .as_str()
        .unwrap_or_else(|| panic!("no fabric_toml in {plan}"))
        .to_string()
}

/// Converts legacy VTEP `i` with `evpnctl migrate`: plan and apply with
/// the VTEPs `evpnd` as EVPN speakers, then evpnd starts on the proposed
/// `fabric.toml` plus the reflector as neighbour.
pub fn migrate_legacy(seg: &mut Segment, i: u8, evpnd: &[u8], extra: &[&str]) {
    let toml = migrate_apply(seg, i, evpnd, extra);
    let conf = format!("{toml}\n[[neighbor]]\naddress = \"{RR_ADDR}\"\nremote_asn = 65000\n");
    seg.vtep_mut(i).start_evpnd("evpnd", &conf);
}

/// Re-plans evpnd VTEP `i` with `evpnctl migrate plan --config` now that
/// the VTEPs `evpnd` speak EVPN (their `static_vteps` go; learning stops
/// once none is left), applies it and reloads evpnd (SIGHUP) when its
/// config changed.
pub fn migrate_replan(seg: &Segment, i: u8, evpnd: &[u8], extra: &[&str]) {
    let toml = migrate_apply(seg, i, evpnd, extra);
    let v = seg.vtep(i);
    let path = v.dir.join("evpnd.toml");
    if std::fs::read_to_string(&path).is_ok_and(|old| old == toml) {
        return;
    }
    std::fs::write(&path, toml).expect("rewrite config");
    let pid = v.pid("evpnd").expect("evpnd runs");
    sh(&["kill", "-HUP", &pid.to_string()]).expect("SIGHUP");
}

/// `bridge -j fdb show dev vxlan100` in `ns`.
pub fn fdb(ns: &Netns) -> Vec<Value> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", "vxlan100"])
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&out).unwrap_or_default()
}

/// The destinations of the all-zero (flood) entries of `vxlan100`, sorted.
pub fn flood_list(ns: &Netns) -> Vec<String> {
    let mut v: Vec<String> = fdb(ns)
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .filter_map(|e| e["dst"].as_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Waits until VTEP `i`'s flood list is exactly `want` (VTEP numbers, or
/// the group).
pub fn wait_flood_list(seg: &Segment, i: u8, want: &[String]) {
    let mut want = want.to_vec();
    want.sort();
    wait_until(&format!("VTEP {i} floods to {want:?}"), T, || {
        let got = flood_list(seg.vtep(i));
        if got == want {
            Ok(())
        } else {
            Err(format!("{got:?}; log:\n{}", seg.vtep(i).log("evpnd")))
        }
    });
}

/// Every VTEP `i` of `to` as its address.
pub fn ips(to: &[u8]) -> Vec<String> {
    to.iter().map(|j| vtep_ip(*j)).collect()
}

/// `evpnctl --json routes` on `ns`'s evpnd mentions `needle`.
pub fn evpnd_routes_mention(ns: &Netns, needle: &str) -> Result<(), String> {
    let ctl = super::l3::evpnctl_path();
    let sock = ns.api_socket("evpnd");
    let out = sh(&[
        ctl.to_str().expect("utf-8 path"),
        "--socket",
        sock.to_str().expect("utf-8 path"),
        "--json",
        "routes",
    ])?;
    if out.contains(needle) {
        Ok(())
    } else {
        Err(format!("no {needle} in {out}"))
    }
}

/// Waits until every evpnd in `speakers` (VTEP numbers) holds a route of
/// VTEP `i` (its auto RD `10.9.0.i:100`): `i` speaks EVPN to them.
pub fn wait_speaks_evpn(seg: &Segment, i: u8, speakers: &[u8]) {
    let rd = format!("\"{}:100\"", vtep_ip(i));
    for &j in speakers {
        wait_until(&format!("VTEP {j} has VTEP {i}'s routes"), T, || {
            evpnd_routes_mention(seg.vtep(j), &rd)
                .map_err(|e| format!("{e}\nlog of {i}:\n{}", seg.vtep(i).log("evpnd")))
        });
    }
}

/// `bridge monitor fdb` in a namespace: every FDB change while it runs.
pub struct FdbMonitor {
    child: Option<Child>,
}

impl FdbMonitor {
    pub fn start(ns: &Netns) -> FdbMonitor {
        let child = Command::new("ip")
            .args(["netns", "exec", &ns.name, "bridge", "monitor", "fdb"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start bridge monitor: {e}"));
        FdbMonitor { child: Some(child) }
    }

    /// Stops the monitor; the changes it printed, one a line.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        let out = child.wait_with_output().expect("monitor output");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for FdbMonitor {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The flood-entry deletions among `bridge monitor fdb` lines.
pub fn flood_deletions(monitor: &str) -> Vec<&str> {
    monitor
        .lines()
        .filter(|l| l.starts_with("Deleted 00:00:00:00:00:00"))
        .collect()
}

/// VNI 100's remote VTEPs on evpnd VTEP `i` as `evpnctl --json vnis`
/// explains them: (VTEP, source: `evpn`, `static`, `evpn+static` or
/// `none`, reason).
pub fn remote_vteps(seg: &Segment, i: u8) -> Result<Vec<(String, String, String)>, String> {
    let v = super::l3::evpnctl_json(seg.vtep(i), "evpnd", &["vnis"])?;
    let list = v
        .as_array()
        .or_else(|| v["vnis"].as_array())
        .ok_or_else(|| format!("unexpected `vnis` JSON: {v}"))?;
    let vni = list
        .iter()
        .find(|x| x["vni"] == 100)
        .ok_or_else(|| format!("no VNI 100: {v}"))?;
    Ok(vni["remote_vteps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("vtep"), s("source"), s("reason"))
        })
        .collect())
}

/// Waits until evpnd VTEP `i` explains VTEP `j` with `source` (and a
/// reason containing `reason`).
pub fn wait_remote_vtep(seg: &Segment, i: u8, j: u8, source: &str, reason: &str) {
    wait_until(&format!("VTEP {i} lists VTEP {j} as {source}"), T, || {
        let r = remote_vteps(seg, i)?;
        if r.iter()
            .any(|(v, s, why)| *v == vtep_ip(j) && s == source && why.contains(reason))
        {
            Ok(())
        } else {
            Err(format!("{r:?}"))
        }
    });
}

/// The losses of one ping stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loss {
    pub sent: u32,
    pub lost: u32,
}

/// `ping -i 0.02` from host `from` to host `to`, running until stopped.
pub struct Pinger {
    pub from: u8,
    pub to: u8,
    child: Option<Child>,
}

impl Pinger {
    pub fn start(seg: &Segment, from: u8, to: u8) -> Pinger {
        let child = Command::new("ip")
            .args(["netns", "exec", &seg.host(from).name])
            .args(["ping", "-n", "-i", INTERVAL, "-W", "1", &host_ip(to)])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start ping: {e}"));
        Pinger {
            from,
            to,
            child: Some(child),
        }
    }

    /// Stops the stream (SIGINT: ping prints its summary) and counts the
    /// requests that got no reply. The last request may still be in flight
    /// when ping stops: it is not counted.
    pub fn stop(mut self) -> Loss {
        let child = self.child.take().expect("running");
        // `ip netns exec` execs ping: the PID is ping's.
        let _ = sh(&["kill", "-INT", &child.id().to_string()]);
        let out = child.wait_with_output().expect("ping output");
        parse_ping(&String::from_utf8_lossy(&out.stdout))
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The replies' sequence numbers and the summary's `N packets transmitted`
/// → requests without a reply, the last one (maybe in flight) excepted.
pub fn parse_ping(out: &str) -> Loss {
    let mut replied = std::collections::BTreeSet::new();
    let mut sent: u32 = 0;
    for line in out.lines() {
        if let Some(rest) = line.split("icmp_seq=").nth(1)
            && line.contains("bytes from")
            && let Ok(seq) = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("")
                .parse::<u32>()
        {
            replied.insert(seq);
        }
        if let Some((n, _)) = line.split_once(" packets transmitted") {
            sent = n.trim().parse().unwrap_or(0);
        }
    }
    let counted = sent.saturating_sub(1);
    let lost = (1..=counted).filter(|s| !replied.contains(s)).count() as u32;
    Loss { sent, lost }
}

/// Every unordered pair of the hosts `hosts`.
pub fn pairs(hosts: &[u8]) -> Vec<(u8, u8)> {
    let mut v = Vec::new();
    for (k, a) in hosts.iter().enumerate() {
        for b in &hosts[k + 1..] {
            v.push((*a, *b));
        }
    }
    v
}

/// What one step of a cut-over cost.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub name: String,
    /// Per host pair pinging through the step: the loss.
    pub losses: Vec<((u8, u8), Loss)>,
}

impl StepReport {
    pub fn lost(&self) -> u32 {
        self.losses.iter().map(|(_, l)| l.lost).sum()
    }
}

/// Runs `action` while the hosts of `before` ping each other (every pair,
/// every 20 ms); then waits until every pair of `after` reaches each other,
/// stops the streams and counts their losses; then asserts a settled window
/// ([`SETTLED_PINGS`] per pair of `after`, all at once) loses nothing.
pub fn step(
    seg: &mut Segment,
    name: &str,
    before: &[u8],
    after: &[u8],
    action: impl FnOnce(&mut Segment),
) -> StepReport {
    let streams: Vec<Pinger> = pairs(before)
        .into_iter()
        .map(|(a, b)| Pinger::start(seg, a, b))
        .collect();
    // The streams have started (ping resolves ARP first).
    std::thread::sleep(Duration::from_millis(300));
    action(seg);
    for (a, b) in pairs(after) {
        wait_until(&format!("host {a} reaches host {b} ({name})"), T, || {
            seg.host(a)
                .exec(&["ping", "-n", "-c", "1", "-W", "1", &host_ip(b)])
        });
    }
    // A moment of traffic on the new state before the streams stop.
    std::thread::sleep(Duration::from_millis(500));
    let losses: Vec<((u8, u8), Loss)> = streams
        .into_iter()
        .map(|p| ((p.from, p.to), p.stop()))
        .collect();
    let report = StepReport {
        name: name.to_string(),
        losses,
    };
    eprintln!("cut-over step `{name}`: {report:?}");
    settled(seg, name, after);
    report
}

/// The legacy fabric a cut-over starts from: VTEP `k + 1` floods as
/// `vteps[k]` says, with static flood entries towards its VTEPs
/// ([`learning_vtep`]); the reflector runs on the segment. Returns once
/// host 1 reaches host 2.
pub fn legacy_fabric(tag: &str, vteps: &[(Bum, &[u8])]) -> Segment {
    let n = u8::try_from(vteps.len()).expect("a few VTEPs");
    let mut seg = segment(tag, n);
    for (i, (bum, flood_to)) in (1..).zip(vteps) {
        learning_vtep(&seg, i, *bum, flood_to);
    }
    start_rr(&mut seg, n);
    wait_until("legacy fabric: host 1 reaches host 2", T, || {
        seg.host(1)
            .exec(&["ping", "-n", "-c", "1", "-W", "1", &host_ip(2)])
    });
    seg
}

/// Cut-over step 1 (`name`): the evpnd leaf VTEP 3 joins with
/// `static_vteps = [1, 2]`; the legacy VTEPs 1 and 2 get a head-end flood
/// entry towards it.
pub fn evpnd_leaf_joins(seg: &mut Segment, name: &str) -> StepReport {
    step(seg, name, &[1, 2], &[1, 2, 3], |seg| {
        flood_to_vtep(seg.vtep(1), 3);
        flood_to_vtep(seg.vtep(2), 3);
        start_leaf(seg, 3, &[1, 2]);
        wait_flood_list(seg, 3, &ips(&[1, 2]));
    })
}

/// Every pair of `hosts` pings [`SETTLED_PINGS`] times at once; none lost.
pub fn settled(seg: &Segment, name: &str, hosts: &[u8]) {
    let count = SETTLED_PINGS.to_string();
    let children: Vec<((u8, u8), Child)> = pairs(hosts)
        .into_iter()
        .map(|(a, b)| {
            let c = Command::new("ip")
                .args(["netns", "exec", &seg.host(a).name])
                .args(["ping", "-n", "-q", "-i", INTERVAL, "-W", "1", "-c", &count])
                .arg(host_ip(b))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start ping: {e}"));
            ((a, b), c)
        })
        .collect();
    let mut bad = Vec::new();
    for ((a, b), c) in children {
        let out = c.wait_with_output().expect("ping output");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let want = format!("{count} packets transmitted, {count} received");
        if !text.contains(&want) {
            bad.push(format!("{a} → {b}: {}", text.trim()));
        }
    }
    assert!(
        bad.is_empty(),
        "after `{name}` settled, traffic was still lost:\n{}\n{}",
        bad.join("\n"),
        seg.vteps
            .iter()
            .map(|v| format!("{}: {:?}", v.name, flood_list(v)))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The measured steps as a Markdown table (docs/migration.md).
pub fn table(title: &str, steps: &[StepReport]) -> String {
    let mut s = format!(
        "{title}\n\n| step | pairs pinging (every 20 ms) | sent | lost |\n|---|---|---|---|\n"
    );
    for r in steps {
        let pairs: Vec<String> = r
            .losses
            .iter()
            .map(|((a, b), _)| format!("h{a}→h{b}"))
            .collect();
        let sent: u32 = r.losses.iter().map(|(_, l)| l.sent).sum();
        let by_pair: Vec<String> = r
            .losses
            .iter()
            .filter(|(_, l)| l.lost > 0)
            .map(|((a, b), l)| format!("h{a}→h{b}: {}", l.lost))
            .collect();
        let lost = if by_pair.is_empty() {
            "0".to_string()
        } else {
            format!("{} ({})", r.lost(), by_pair.join(", "))
        };
        s += &format!("| {} | {} | {sent} | {lost} |\n", r.name, pairs.join(", "));
    }
    s
}
