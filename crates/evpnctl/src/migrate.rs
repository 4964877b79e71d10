//! `evpnctl migrate`: move a host's VLAN or flood-and-learn setup to EVPN
//! (docs/migration.md, ADR 0033).
//!
//! ```text
//! evpnctl migrate inventory                                   the live inventory (JSON)
//! evpnctl migrate plan [--from INV.json] [--config FILE] [options]   review; --json saves it
//! evpnctl migrate apply [PLAN.json | --from INV.json | live] [--dry-run] [--journal PATH]
//! evpnctl migrate rollback [--journal PATH] [--dry-run]
//! ```
//!
//! The planner is `evpnd-migrate` (pure); the kernel is read and changed by
//! `evpnd_linux::migrate`. Files (inventory, plan, journal, configuration)
//! are read and written here. Exit status: 0 done, 1 refused or failed.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use evpnd_migrate::{Flood, Inventory, Journal, Kernel, Model, Options, Plan};

use crate::migrate_output as out;

/// Where `apply` journals what it made by default.
pub const DEFAULT_JOURNAL: &str = "/var/lib/evpnd/migrate-journal.json";
/// The largest inventory, plan, journal or configuration read (16 MiB).
const MAX_FILE: u64 = 16 << 20;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print this host's bridges, VLAN devices and VXLAN devices (JSON), as
    /// `plan --from` reads them.
    Inventory,
    /// Propose the VLAN→VNI map, the fabric.toml and the kernel steps.
    /// Exits 1 when something is refused.
    Plan(PlanArgs),
    /// Make a plan's kernel changes, step by step; each step made is
    /// journaled with its undo.
    Apply(ApplyArgs),
    /// Undo what the journal says apply made, newest first, then clear it.
    Rollback(RollbackArgs),
}

/// Where the plan comes from and how it maps.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// Plan from a saved inventory (JSON from `migrate inventory`) instead
    /// of this host's kernel.
    #[arg(long, value_name = "INVENTORY.json")]
    pub from: Option<PathBuf>,
    /// The current fabric.toml: the proposal is merged into it and shown as
    /// a unified diff.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// VLAN V becomes VNI BASE + V.
    #[arg(long, default_value_t = evpnd_migrate::DEFAULT_VNI_BASE)]
    pub vni_base: u32,
    /// This VTEP's address: source of new VXLAN devices and [evpn] vtep_ip.
    #[arg(long)]
    pub vtep_ip: Option<IpAddr>,
    /// [bgp] asn of a new fabric.toml.
    #[arg(long)]
    pub asn: Option<u32>,
    /// [bgp] router_id of a new fabric.toml (default: the VTEP address).
    #[arg(long)]
    pub router_id: Option<Ipv4Addr>,
    /// BUM of multicast-group VXLAN devices: re-create them for ingress
    /// replication (disruptive), or keep the group.
    #[arg(long, value_enum, default_value = "ingress-replication")]
    pub flood: FloodArg,
    /// A VTEP that already speaks EVPN (repeatable): its static flood
    /// entries are no longer needed.
    #[arg(long = "evpn-vtep", value_name = "IP")]
    pub evpn_vteps: Vec<IpAddr>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FloodArg {
    /// Re-create group devices without the group (disruptive).
    IngressReplication,
    /// Keep the group: evpnd advertises a multicast PMSI.
    Keep,
}

#[derive(clap::Args)]
pub struct ApplyArgs {
    /// A plan saved with `migrate plan --json > PLAN.json`. Without it, plan
    /// now with the options below.
    #[arg(
        value_name = "PLAN.json",
        conflicts_with_all = ["from", "config", "vni_base", "vtep_ip", "asn", "router_id", "flood", "evpn_vteps"]
    )]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub options: PlanArgs,
    /// Show what would be done (checked against the kernel), change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The journal of the steps made.
    #[arg(long, default_value = DEFAULT_JOURNAL)]
    pub journal: PathBuf,
}

#[derive(clap::Args)]
pub struct RollbackArgs {
    /// The journal `apply` wrote.
    #[arg(long, default_value = DEFAULT_JOURNAL)]
    pub journal: PathBuf,
    /// Show what would be undone, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs a `migrate` command; `json` is the global `--json`.
pub fn run(cmd: Command, json: bool) -> ExitCode {
    let r = match cmd {
        Command::Inventory => inventory(),
        Command::Plan(a) => plan(&a, json),
        Command::Apply(a) => apply(&a, json),
        Command::Rollback(a) => rollback(&a, json),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("evpnctl migrate: {e}");
            ExitCode::from(1)
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut s = String::new();
    f.take(MAX_FILE + 1)
        .read_to_string(&mut s)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if s.len() as u64 > MAX_FILE {
        return Err(format!("{}: larger than {MAX_FILE} bytes", path.display()));
    }
    Ok(s)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    serde_json::from_str(&read_text(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn live() -> Result<evpnd_linux::migrate::LiveKernel, String> {
    evpnd_linux::migrate::LiveKernel::open()
}

fn inventory() -> Result<ExitCode, String> {
    let inv = live()?.read()?;
    Ok(out::print(&out::json(&inv)))
}

fn make_plan(a: &PlanArgs) -> Result<Plan, String> {
    let inv: Inventory = match &a.from {
        Some(p) => {
            let mut inv: Inventory = read_json(p)?;
            inv.normalise();
            inv
        }
        None => live()?.read()?,
    };
    let opts = Options {
        vni_base: a.vni_base,
        vtep_ip: a.vtep_ip,
        asn: a.asn,
        router_id: a.router_id,
        flood: match a.flood {
            FloodArg::IngressReplication => Flood::IngressReplication,
            FloodArg::Keep => Flood::Keep,
        },
        evpn_vteps: a.evpn_vteps.clone(),
    };
    let config = match &a.config {
        Some(p) => Some((p.display().to_string(), read_text(p)?)),
        None => None,
    };
    Ok(evpnd_migrate::plan(
        &inv,
        &opts,
        config.as_ref().map(|(f, t)| (f.as_str(), t.as_str())),
    ))
}

fn plan(a: &PlanArgs, json: bool) -> Result<ExitCode, String> {
    let p = make_plan(a)?;
    let code = if json {
        out::print(&out::json(&p))
    } else {
        out::print(&out::plan(&p))
    };
    Ok(if p.ok() { code } else { ExitCode::from(1) })
}

fn load_journal(path: &Path) -> Result<Option<Journal>, String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
        Ok(_) => read_json(path).map(Some),
    }
}

/// Writes the journal whole (a temporary file renamed over it), so a crash
/// leaves the old or the new one, never half of one.
fn save_journal(path: &Path, j: &Journal) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(j).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, text + "\n").map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `f` on the live kernel with a journal saved to `journal` after
/// each step, or with `dry` on a model of the live inventory, nothing
/// saved.
fn on_kernel<T>(
    dry: bool,
    journal: &Path,
    f: impl FnOnce(&mut dyn Kernel, &mut dyn FnMut(&Journal) -> Result<(), String>) -> T,
) -> Result<T, String> {
    let mut save = |j: &Journal| {
        if dry {
            Ok(())
        } else {
            save_journal(journal, j)
        }
    };
    if dry {
        let mut model = Model {
            inv: live()?.read()?,
        };
        Ok(f(&mut model, &mut save))
    } else {
        Ok(f(&mut live()?, &mut save))
    }
}

fn apply(a: &ApplyArgs, json: bool) -> Result<ExitCode, String> {
    let p = match &a.plan {
        Some(f) => read_json::<Plan>(f)?,
        None => make_plan(&a.options)?,
    };
    if !p.ok() {
        eprint!("{}", out::refusals(&p));
        return Err("the plan has refusals: nothing applied".into());
    }
    let mut journal = load_journal(&a.journal)?.unwrap_or_default();
    let r = on_kernel(a.dry_run, &a.journal, |kernel, save| {
        evpnd_migrate::apply(&p.steps, kernel, &mut journal, save)
    })?;
    Ok(out::applied(&r, &a.journal, a.dry_run, json, &journal))
}

fn rollback(a: &RollbackArgs, json: bool) -> Result<ExitCode, String> {
    let Some(mut journal) = load_journal(&a.journal)? else {
        return Ok(out::print(&format!(
            "{}: no journal: nothing to roll back\n",
            a.journal.display()
        )));
    };
    let r = on_kernel(a.dry_run, &a.journal, |kernel, save| {
        evpnd_migrate::rollback(kernel, &mut journal, save)
    })?;
    if r.is_ok() && !a.dry_run {
        std::fs::remove_file(&a.journal).map_err(|e| format!("{}: {e}", a.journal.display()))?;
    }
    Ok(out::rolled_back(&r, &a.journal, a.dry_run, json))
}
