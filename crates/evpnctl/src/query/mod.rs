//! The client commands: connect, call the API, print JSON or a table.
//!
//! Every failure ends as one line on stderr (`evpnctl: ...`) and an exit
//! status that says what kind (docs/evpnctl.md): the daemon refused (1),
//! the watch must resynchronise (3), the daemon cannot be reached (4), or
//! the socket or the RPC is not ours to use (5). Clap's usage errors are 2.

use std::path::PathBuf;
use std::process::ExitCode;

mod control;
mod local;
mod routes;
mod tables;
mod tenant;
mod unicast;

use serde_json::Value;
use tonic::transport::Channel;

use crate::{Level, LocalRouteArg, MacArgs, PeerAction, RouteArgs, VrfRouteArgs};
use control::{log_level, reload, watch};
use routes::{explain, routes};
use tables::{dataplane, macs, neigh, peer, peers, status, vnis, vteps};

/// Where the daemon listens.
pub enum Target {
    /// A unix socket.
    Socket(PathBuf),
    /// A URL (`http://host:port`).
    Url(String, Option<evpnd_api::client::ClientTls>),
}

/// One client command.
pub enum Query {
    Status,
    Peers,
    Peer(String),
    PeerAction(String, PeerAction),
    Routes(RouteArgs),
    Explain {
        key: String,
        rd: String,
    },
    AddRoute(LocalRouteArg),
    DeleteRoute(LocalRouteArg),
    Duplicates(Option<u32>),
    ClearDuplicate {
        vni: u32,
        mac: String,
    },
    Vnis,
    Macs(MacArgs),
    Neigh(Option<u32>),
    Vteps,
    Dataplane(Option<u32>),
    Vrfs(Option<String>),
    VrfRoutes(VrfRouteArgs),
    Rmacs(Option<String>),
    Unicast {
        family: Option<String>,
        prefix: Option<String>,
    },
    Watch {
        peers: bool,
        routes: bool,
    },
    Validate(PathBuf),
    Reload,
    LogLevel(Level),
}

/// A command's answer in both forms.
struct Out {
    json: Value,
    text: String,
}

/// Exit status: the daemon answered with an error (or refused a config).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: `watch` was too slow and must be restarted.
pub const EXIT_RESYNC: u8 = 3;
/// Exit status: the daemon cannot be reached (no socket, nobody listening,
/// the connection dropped: gRPC `unavailable`).
pub const EXIT_UNREACHABLE: u8 = 4;
/// Exit status: not allowed — the socket's permissions, or a mutating RPC
/// on the read-only socket (gRPC `permission_denied`).
pub const EXIT_DENIED: u8 = 5;

/// A one-line failure.
struct Fail(String, u8);

impl From<tonic::Status> for Fail {
    fn from(s: tonic::Status) -> Self {
        let exit = match s.code() {
            tonic::Code::Unavailable => EXIT_UNREACHABLE,
            tonic::Code::PermissionDenied => EXIT_DENIED,
            _ => EXIT_FAILED,
        };
        Fail(
            format!("{}: {}", snake(&format!("{:?}", s.code())), s.message()),
            exit,
        )
    }
}

/// The exit status of a connection failure: denied by the socket's
/// permissions, or unreachable.
fn connect_exit(e: &(dyn std::error::Error + 'static)) -> u8 {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::PermissionDenied
        {
            return EXIT_DENIED;
        }
        cur = c.source();
    }
    EXIT_UNREACHABLE
}

/// Runs `q` against `target` and prints the result.
pub fn run(target: Target, q: Query, json: bool) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(Fail(format!("cannot start the runtime: {e}"), 1)),
    };
    match rt.block_on(execute(target, q, json)) {
        Ok(Some(out)) => {
            let written = if json {
                crate::output::line(&serde_json::to_string_pretty(&out.json).unwrap_or_default())
            } else {
                crate::output::emit(&out.text)
            };
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(s) => crate::output::exit_code(s),
            }
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(f) => fail(f),
    }
}

fn fail(f: Fail) -> ExitCode {
    eprintln!("evpnctl: {}", f.0.replace('\n', " "));
    ExitCode::from(f.1)
}

/// `InvalidArgument` → `invalid_argument` (gRPC's canonical code names).
fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

async fn connect(target: Target) -> Result<Channel, Fail> {
    match target {
        Target::Socket(p) => evpnd_api::client::connect_unix(&p).await.map_err(|e| {
            Fail(
                format!("cannot connect to {}: {}", p.display(), source_chain(&e)),
                connect_exit(&e),
            )
        }),
        Target::Url(u, tls) => evpnd_api::client::connect_url(u.clone(), tls)
            .await
            .map_err(|e| {
                Fail(
                    format!("cannot connect to {u}: {}", source_chain(&e)),
                    connect_exit(&e),
                )
            }),
    }
}

/// The error and its causes on one line.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn yes(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

async fn execute(target: Target, q: Query, json: bool) -> Result<Option<Out>, Fail> {
    let ch = connect(target).await?;
    Ok(Some(match q {
        Query::Status => status(ch).await?,
        Query::Peers => peers(ch).await?,
        Query::Peer(a) => peer(ch, a).await?,
        Query::PeerAction(a, act) => control::peer_action(ch, a, act).await?,
        Query::Routes(a) => routes(ch, a).await?,
        Query::Explain { key, rd } => explain(ch, key, rd).await?,
        Query::AddRoute(r) => local::add(ch, r).await?,
        Query::DeleteRoute(r) => local::delete(ch, r).await?,
        Query::Duplicates(vni) => local::duplicates(ch, vni).await?,
        Query::ClearDuplicate { vni, mac } => local::clear(ch, vni, mac).await?,
        Query::Vnis => vnis(ch).await?,
        Query::Macs(a) => macs(ch, a).await?,
        Query::Neigh(vni) => neigh(ch, vni).await?,
        Query::Vteps => vteps(ch).await?,
        Query::Dataplane(vni) => dataplane(ch, vni).await?,
        Query::Vrfs(name) => tenant::vrfs(ch, name).await?,
        Query::VrfRoutes(a) => tenant::vrf_routes(ch, a).await?,
        Query::Rmacs(vrf) => tenant::rmacs(ch, vrf).await?,
        Query::Unicast { family, prefix } => unicast::unicast(ch, family, prefix).await?,
        Query::Watch { peers, routes } => {
            watch(ch, peers, routes, json).await?;
            return Ok(None);
        }
        Query::Validate(f) => control::validate(ch, f).await?,
        Query::Reload => reload(ch).await?,
        Query::LogLevel(l) => log_level(ch, l).await?,
    }))
}
