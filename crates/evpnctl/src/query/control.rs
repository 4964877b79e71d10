//! Watch, reload and log level.

use evpnd_api::pb::{
    self, daemon_service_client::DaemonServiceClient, peer_service_client::PeerServiceClient,
    watch_service_client::WatchServiceClient,
};
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::{Fail, Out};
use crate::json::{self as j, enum_word};
use crate::{Level, PeerAction, ResetArg};

pub(super) async fn watch(ch: Channel, peers: bool, routes: bool, json: bool) -> Result<(), Fail> {
    use pb::watch_response::Event;
    let mut topics = Vec::new();
    if peers {
        topics.push(pb::WatchTopic::Peers.into());
    }
    if routes {
        topics.push(pb::WatchTopic::Routes.into());
    }
    let mut s = WatchServiceClient::new(ch)
        .watch(pb::WatchRequest { topics })
        .await?
        .into_inner();
    while let Some(m) = s.message().await? {
        let Some(e) = m.event else { continue };
        let text = if json {
            Some(j::event(&e).to_string())
        } else {
            match &e {
                Event::Peer(p) => {
                    let p = p.peer.clone().unwrap_or_default();
                    Some(format!("peer {} {}", p.address, j::state(&p)))
                }
                Event::Route(r) => {
                    let k = r
                        .route
                        .as_ref()
                        .and_then(|r| r.key.clone())
                        .unwrap_or_default();
                    let change = enum_word(r.change().as_str_name(), "ROUTE_CHANGE_");
                    Some(format!("route {change} {} {}", k.rd, k.prefix))
                }
                Event::EndOfSnapshot(_) => Some("-- end of snapshot --".into()),
                Event::ResyncRequired(_) => None,
            }
        };
        if let Some(t) = text {
            match crate::output::line(&t) {
                Ok(()) => {}
                // `watch | head`: the reader has what it wanted.
                Err(crate::output::Stopped::Closed) => return Ok(()),
                Err(crate::output::Stopped::Failed(e)) => {
                    return Err(Fail(format!("cannot write the output: {e}"), 1));
                }
            }
        }
        if let Event::ResyncRequired(r) = e {
            return Err(Fail(
                format!(
                    "too slow: {} events missed, watch again to resync",
                    r.missed_events
                ),
                super::EXIT_RESYNC,
            ));
        }
    }
    Ok(())
}

pub(super) async fn reload(ch: Channel) -> Result<Out, Fail> {
    let r = DaemonServiceClient::new(ch)
        .reload_config(pb::ReloadConfigRequest {})
        .await?
        .into_inner();
    let changes: Vec<Value> = r
        .changes
        .iter()
        .map(|c| json!({ "kind": enum_word(c.kind().as_str_name(), "CHANGE_KIND_"), "path": c.path, "detail": c.detail }))
        .collect();
    let errors: Vec<Value> = r
        .errors
        .iter()
        .map(
            |e| json!({ "file": e.file, "line": e.line, "column": e.column, "message": e.message }),
        )
        .collect();
    let mut text = if r.applied {
        format!("applied, generation {}\n", r.generation)
    } else {
        "refused\n".to_string()
    };
    for c in &r.changes {
        text.push_str(&format!(
            "  {} {}: {}\n",
            enum_word(c.kind().as_str_name(), "CHANGE_KIND_"),
            c.path,
            c.detail
        ));
    }
    for e in &r.errors {
        text.push_str(&format!(
            "  {}:{}:{}: {}\n",
            e.file, e.line, e.column, e.message
        ));
    }
    let json = json!({ "applied": r.applied, "generation": r.generation, "changes": changes, "errors": errors });
    if !r.applied {
        let first = r
            .errors
            .first()
            .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message));
        return Err(Fail(
            format!("reload refused: {}", first.unwrap_or_default()),
            1,
        ));
    }
    Ok(Out { json, text })
}

pub(super) async fn log_level(ch: Channel, l: Level) -> Result<Out, Fail> {
    let level = match l {
        Level::Error => pb::LogLevel::Error,
        Level::Warn => pb::LogLevel::Warn,
        Level::Info => pb::LogLevel::Info,
        Level::Debug => pb::LogLevel::Debug,
        Level::Trace => pb::LogLevel::Trace,
    };
    let req = pb::SetLogLevelRequest {
        level: level.into(),
    };
    let r = DaemonServiceClient::new(ch)
        .set_log_level(req)
        .await?
        .into_inner();
    let (now, was) = (
        enum_word(level.as_str_name(), "LOG_LEVEL_"),
        enum_word(r.previous().as_str_name(), "LOG_LEVEL_"),
    );
    Ok(Out {
        text: format!("log level {now} (was {was})\n"),
        json: json!({ "level": now, "previous": was }),
    })
}

/// Enables, disables or resets a peer.
pub(super) async fn peer_action(ch: Channel, address: String, a: PeerAction) -> Result<Out, Fail> {
    let mut c = PeerServiceClient::new(ch);
    let done = match a {
        PeerAction::Enable => {
            let req = pb::EnablePeerRequest {
                address: address.clone(),
            };
            c.enable_peer(req).await?;
            "enabled".to_string()
        }
        PeerAction::Disable { reason } => {
            let req = pb::DisablePeerRequest {
                address: address.clone(),
                reason,
            };
            c.disable_peer(req).await?;
            "disabled".to_string()
        }
        PeerAction::Reset { kind } => {
            let kind = match kind {
                ResetArg::SoftIn => pb::ResetKind::SoftIn,
                ResetArg::SoftOut => pb::ResetKind::SoftOut,
                ResetArg::Hard => pb::ResetKind::Hard,
            };
            let req = pb::ResetPeerRequest {
                address: address.clone(),
                kind: kind.into(),
            };
            c.reset_peer(req).await?;
            format!("reset_{}", enum_word(kind.as_str_name(), "RESET_KIND_"))
        }
    };
    Ok(Out {
        text: format!("peer {address}: {}\n", done.replace('_', " ")),
        json: json!({ "address": address, "done": done }),
    })
}

/// The daemon's configuration size limit (`MAX_CONFIG_BYTES` in
/// crates/config, docs/limits.md): a larger file is refused here, before
/// it is read whole or sent.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Sends a local file's text to ValidateConfig; fails (exit 1) when invalid.
pub(super) async fn validate(ch: Channel, file: std::path::PathBuf) -> Result<Out, Fail> {
    use std::io::Read;
    let cannot = |e: std::io::Error| Fail(format!("cannot read {}: {e}", file.display()), 1);
    let mut bytes = Vec::new();
    std::fs::File::open(&file)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Fail(
            format!(
                "{}: larger than the daemon's limit of {MAX_CONFIG_BYTES} bytes",
                file.display()
            ),
            1,
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Fail(
            format!(
                "{}: not valid UTF-8 at byte {}",
                file.display(),
                e.utf8_error().valid_up_to()
            ),
            1,
        )
    })?;
    let source = Some(pb::validate_config_request::Source::Text(text));
    let req = pb::ValidateConfigRequest { source };
    let r = DaemonServiceClient::new(ch)
        .validate_config(req)
        .await?
        .into_inner();
    let name = file.display().to_string();
    let lines: Vec<String> = r
        .errors
        .iter()
        .map(|e| format!("{name}:{}:{}: {}", e.line, e.column, e.message))
        .collect();
    if lines.is_empty() {
        return Ok(Out {
            text: format!("{name}: valid\n"),
            json: json!({ "file": name, "valid": true, "errors": [] }),
        });
    }
    // Like a compiler: one line per problem, then the one-line failure.
    for l in &lines {
        eprintln!("{l}");
    }
    let n = lines.len();
    let s = if n == 1 { "" } else { "s" };
    Err(Fail(format!("{name}: {n} problem{s}"), 1))
}
