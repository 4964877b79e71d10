//! `evpnctl`: the operator's tool for evpnd.
//!
//! `evpnctl decode` turns BGP messages in hex into readable text or JSON with
//! the RFC 7606 verdict; `evpnctl migrate` moves a host's VLAN or
//! flood-and-learn setup to EVPN (no daemon needed). The other commands query and steer a running daemon
//! over its gRPC API (`proto/evpn/v1`), on the unix socket by default.

mod decode;
mod json;
mod manual;
mod migrate;
mod migrate_output;
mod output;
mod query;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// The daemon's default API socket.
pub const DEFAULT_SOCKET: &str = "/run/evpnd/evpnd.sock";

#[derive(Parser)]
#[command(name = "evpnctl", version, about = "Operate and inspect evpnd")]
struct Cli {
    /// The daemon's API unix socket.
    #[arg(long, global = true, default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Reach the API over TCP instead, e.g. http://10.0.0.1:50051.
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// With an https endpoint: the CA that signed the daemon's certificate.
    #[arg(long, global = true, requires = "endpoint")]
    tls_ca: Option<PathBuf>,
    /// With an https endpoint: our client certificate (PEM).
    #[arg(long, global = true, requires_all = ["endpoint", "tls_key"])]
    tls_cert: Option<PathBuf>,
    /// With an https endpoint: our client certificate's key (PEM).
    #[arg(long, global = true, requires_all = ["endpoint", "tls_cert"])]
    tls_key: Option<PathBuf>,
    /// With an https endpoint: the name in the daemon's certificate.
    #[arg(long, global = true, requires = "endpoint")]
    tls_domain: Option<String>,
    /// Print JSON (stable field names, see docs/evpnctl.md) instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode BGP messages given as hex (arguments, a file, or stdin).
    Decode(decode::Args),
    /// Migrate this host's VLANs / flood-and-learn VXLAN to EVPN:
    /// inventory, plan, apply, rollback (docs/migration.md).
    Migrate {
        #[command(subcommand)]
        command: migrate::Command,
    },
    /// Daemon version, uptime, identity and counters.
    Status,
    /// All BGP peers.
    Peers,
    /// One BGP peer in detail.
    Peer {
        /// The peer's address.
        address: String,
        /// Instead of showing it: enable, disable or reset the peer.
        #[command(subcommand)]
        action: Option<PeerAction>,
    },
    /// Routes (all pages, streamed), optionally filtered.
    Routes(RouteArgs),
    /// One route.
    Route {
        #[command(subcommand)]
        command: RouteCommand,
    },
    /// Duplicate MACs (frozen or flagged by duplicate detection).
    Duplicates {
        /// Only this VNI.
        #[arg(long)]
        vni: Option<u32>,
        /// Instead of listing: clear one.
        #[command(subcommand)]
        action: Option<DuplicateAction>,
    },
    /// The VNIs.
    Vnis,
    /// The MAC table.
    Macs(MacArgs),
    /// The ARP/ND neighbour table.
    Neigh {
        /// Only this VNI.
        #[arg(long)]
        vni: Option<u32>,
    },
    /// The remote VTEPs.
    Vteps,
    /// The L3 tenants ([[evpn.vrf]]): L3VNI, table, RD/RTs, Router's MAC, route counts.
    Vrfs {
        /// Only this tenant.
        name: Option<String>,
    },
    /// Tenant routes (all pages): installed through which VTEPs, held back and why, or ours.
    VrfRoutes(VrfRouteArgs),
    /// The remote VTEPs' Router's MACs per tenant.
    Rmacs {
        /// Only this tenant.
        vrf: Option<String>,
    },
    /// IPv4/IPv6 unicast routes (the underlay): every path, best (>) and
    /// multipath (=), and the main-table route.
    Unicast {
        /// Only this family: ipv4-unicast or ipv6-unicast.
        #[arg(long)]
        family: Option<String>,
        /// Only this prefix.
        prefix: Option<String>,
    },
    /// Desired versus programmed kernel state per VNI.
    Dataplane {
        /// Only this VNI.
        #[arg(long)]
        vni: Option<u32>,
    },
    /// Follow peer and route changes (snapshot first).
    Watch {
        /// Only peer events.
        #[arg(long)]
        peers: bool,
        /// Only route events.
        #[arg(long)]
        routes: bool,
    },
    /// Have the daemon check a configuration file (read here, sent as text).
    Validate {
        /// The fabric.toml to check.
        file: PathBuf,
    },
    /// Reload the daemon's configuration file.
    Reload,
    /// Set the daemon's log level.
    LogLevel {
        /// The new level.
        level: Level,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (evpnctl.1 and one per command) into DIR.
    #[command(hide = true)]
    Manpages {
        /// The directory (created if missing).
        dir: PathBuf,
    },
}

/// What to do to a duplicate MAC.
#[derive(Subcommand)]
pub enum DuplicateAction {
    /// Clear a duplicate: the MAC is learned and advertised again.
    Clear {
        /// Its VNI.
        #[arg(long)]
        vni: u32,
        /// The MAC address.
        #[arg(long)]
        mac: String,
    },
}

/// A local route, for `route add` and `route delete`.
#[derive(Subcommand)]
pub enum LocalRouteArg {
    /// Type 2: a MAC, optionally with an IP.
    MacIp {
        /// The L2 VNI.
        #[arg(long)]
        vni: u32,
        /// The MAC address.
        #[arg(long)]
        mac: String,
        /// The IP address (none: MAC only).
        #[arg(long)]
        ip: Option<String>,
        /// Advertise as sticky (static; add only).
        #[arg(long)]
        sticky: bool,
    },
    /// Type 3: inclusive multicast (join the VNI's flood list).
    Imet {
        /// The L2 VNI.
        #[arg(long)]
        vni: u32,
    },
    /// Type 5: an IP prefix.
    IpPrefix {
        /// The L3 VNI.
        #[arg(long)]
        vni: u32,
        /// The prefix, e.g. 10.1.0.0/24.
        #[arg(long)]
        prefix: String,
    },
}

/// Which RIB `routes` reads.
#[derive(Clone, Copy, ValueEnum)]
pub enum ViewArg {
    /// Adj-RIB-In.
    In,
    /// Loc-RIB.
    Loc,
    /// Adj-RIB-Out.
    Out,
}

/// Filters and paging for `routes`.
#[derive(Args)]
pub struct RouteArgs {
    /// The RIB.
    #[arg(long, value_enum, default_value = "loc")]
    pub view: ViewArg,
    /// Only this route type (2, 3, 5, ...).
    #[arg(long = "type")]
    pub route_type: Option<i32>,
    /// Only this route distinguisher.
    #[arg(long)]
    pub rd: Option<String>,
    /// Only routes with this route target.
    #[arg(long)]
    pub rt: Option<String>,
    /// Only this VNI.
    #[arg(long)]
    pub vni: Option<u32>,
    /// Only this MAC.
    #[arg(long)]
    pub mac: Option<String>,
    /// Only IPs in this address or prefix.
    #[arg(long)]
    pub ip: Option<String>,
    /// Only paths from/to this peer.
    #[arg(long)]
    pub peer: Option<String>,
    /// Only best paths.
    #[arg(long)]
    pub best: bool,
    /// Fetch one page of this size instead of streaming everything.
    #[arg(long)]
    pub page_size: Option<u32>,
    /// Continue from a previous page's next_page_token.
    #[arg(long, requires = "page_size")]
    pub page_token: Option<String>,
}

/// Filters and paging for `vrf-routes`.
#[derive(Args)]
pub struct VrfRouteArgs {
    /// Only this tenant.
    pub vrf: Option<String>,
    /// Only this exact prefix, e.g. 10.1.0.0/24 (an address: its host route).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Routes per request; evpnctl fetches every page either way.
    #[arg(long, default_value_t = VRF_ROUTES_PAGE, value_parser = clap::value_parser!(u32).range(1..=VRF_ROUTES_PAGE_MAX))]
    pub page_size: u32,
}

/// `vrf-routes`' default page size: the daemon's largest.
const VRF_ROUTES_PAGE: u32 = 1000;
/// The largest page the daemon answers (`evpnd_api::service::MAX_VRF_PAGE_SIZE`).
const VRF_ROUTES_PAGE_MAX: i64 = 1000;

/// What to do to a peer.
#[derive(Subcommand)]
pub enum PeerAction {
    /// Administratively enable the peer.
    Enable,
    /// Administratively disable the peer (sends a Cease NOTIFICATION).
    Disable {
        /// The shutdown communication sent to the peer (RFC 9003).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Reset the session.
    Reset {
        /// soft-in (ask for the routes again), soft-out (resend ours) or hard.
        #[arg(value_enum, default_value = "hard")]
        kind: ResetArg,
    },
}

/// How to reset a peer.
#[derive(Clone, Copy, ValueEnum)]
pub enum ResetArg {
    /// ROUTE-REFRESH: the peer resends its routes.
    SoftIn,
    /// We resend our routes.
    SoftOut,
    /// Close the session and start again.
    Hard,
}

/// `route` subcommands.
#[derive(Subcommand)]
pub enum RouteCommand {
    /// Every path of one route and why the best one won.
    Explain {
        /// The route in FRR notation, e.g. "[3]:[0]:[32]:[10.0.0.2]".
        key: String,
        /// Its route distinguisher.
        #[arg(long)]
        rd: String,
    },
    /// Originate a local route (kept until deleted or the daemon restarts).
    Add {
        #[command(subcommand)]
        route: LocalRouteArg,
    },
    /// Withdraw a local route added with `route add`.
    Delete {
        #[command(subcommand)]
        route: LocalRouteArg,
    },
}

/// Filters for `macs`.
#[derive(Args)]
pub struct MacArgs {
    /// Only this VNI.
    #[arg(long)]
    pub vni: Option<u32>,
    /// Only this MAC.
    #[arg(long)]
    pub mac: Option<String>,
    /// Only local entries.
    #[arg(long, conflicts_with = "remote")]
    pub local: bool,
    /// Only remote entries.
    #[arg(long)]
    pub remote: bool,
}

/// Log levels.
#[derive(Clone, Copy, ValueEnum)]
pub enum Level {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Informational.
    Info,
    /// Debugging.
    Debug,
    /// Everything.
    Trace,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let target = match cli.endpoint {
        Some(url) => {
            let tls = url
                .starts_with("https:")
                .then_some(evpnd_api::client::ClientTls {
                    ca: cli.tls_ca,
                    cert: cli.tls_cert,
                    key: cli.tls_key,
                    domain: cli.tls_domain,
                });
            query::Target::Url(url, tls)
        }
        None => query::Target::Socket(cli.socket),
    };
    let q = match cli.command {
        Command::Decode(args) => return decode::run(args),
        Command::Migrate { command } => return migrate::run(command, cli.json),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "evpnctl", &mut script);
            return match output::emit(&String::from_utf8_lossy(&script)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(s) => output::exit_code(s),
            };
        }
        Command::Manpages { dir } => return manual::write(Cli::command(), &dir),
        Command::Status => query::Query::Status,
        Command::Peers => query::Query::Peers,
        Command::Peer {
            address,
            action: None,
        } => query::Query::Peer(address),
        Command::Peer {
            address,
            action: Some(a),
        } => query::Query::PeerAction(address, a),
        Command::Routes(a) => query::Query::Routes(a),
        Command::Route {
            command: RouteCommand::Explain { key, rd },
        } => query::Query::Explain { key, rd },
        Command::Route {
            command: RouteCommand::Add { route },
        } => query::Query::AddRoute(route),
        Command::Route {
            command: RouteCommand::Delete { route },
        } => query::Query::DeleteRoute(route),
        Command::Duplicates { vni, action: None } => query::Query::Duplicates(vni),
        Command::Duplicates {
            action: Some(DuplicateAction::Clear { vni, mac }),
            ..
        } => query::Query::ClearDuplicate { vni, mac },
        Command::Vnis => query::Query::Vnis,
        Command::Macs(a) => query::Query::Macs(a),
        Command::Neigh { vni } => query::Query::Neigh(vni),
        Command::Vteps => query::Query::Vteps,
        Command::Vrfs { name } => query::Query::Vrfs(name),
        Command::VrfRoutes(a) => query::Query::VrfRoutes(a),
        Command::Rmacs { vrf } => query::Query::Rmacs(vrf),
        Command::Unicast { family, prefix } => query::Query::Unicast { family, prefix },
        Command::Dataplane { vni } => query::Query::Dataplane(vni),
        Command::Watch { peers, routes } => query::Query::Watch { peers, routes },
        Command::Validate { file } => query::Query::Validate(file),
        Command::Reload => query::Query::Reload,
        Command::LogLevel { level } => query::Query::LogLevel(level),
    };
    query::run(target, q, cli.json)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap's own consistency checks (argument name clashes, bad `requires`).
    #[test]
    fn cli_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
