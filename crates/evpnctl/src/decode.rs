//! `evpnctl decode`: BGP messages in hex → human text or JSON.
//!
//! Input is hex, one message per line or several concatenated (a raw stream
//! as captured from a TCP session); whitespace, `:` and `0x` are ignored and
//! `#` starts a comment. Each line is split into messages by the same framer
//! the daemon uses. Exit status: 0 every message well-formed, 1 some message
//! malformed (its RFC 4271/7606 verdict is printed), 2 unusable input.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use evpnd_wire::framing::Framer;
use evpnd_wire::header::MAX_EXTENDED_LEN;
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::update::Update;
use evpnd_wire::{Action, Context, Family, NotifyError};
use serde_json::{Value, json};

mod human;

#[derive(clap::Args)]
pub struct Args {
    /// Messages as hex. Without any, read FILE or standard input.
    hex: Vec<String>,
    /// Read hex from this file ("-" for standard input).
    #[arg(short, long)]
    file: Option<PathBuf>,
    /// Print JSON (one object per message, one per line).
    #[arg(long)]
    json: bool,
    /// The session uses 2-octet AS numbers (no 4-octet AS capability).
    #[arg(long)]
    as2: bool,
    /// ADD-PATH path identifiers are present for FAMILY (l2vpn-evpn, ipv4-unicast, ipv6-unicast); repeatable.
    #[arg(long = "add-path", value_name = "FAMILY")]
    add_path: Vec<String>,
    /// The message came from an eBGP peer (changes some RFC 7606 verdicts).
    #[arg(long)]
    ebgp: bool,
}

/// One decoded input unit.
pub(crate) enum Outcome {
    Message { bytes: Vec<u8>, msg: Message },
    Error { bytes: Vec<u8>, err: NotifyError },
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("evpnctl decode: {msg}");
    ExitCode::from(2)
}

pub fn run(args: Args) -> ExitCode {
    let mut add_path = Vec::new();
    for f in &args.add_path {
        match f.parse::<Family>() {
            Ok(fam) => add_path.push(fam),
            Err(e) => return fail(&e.to_string()),
        }
    }
    let ctx = Context {
        four_octet_as: !args.as2,
        add_path,
        extended_message: true,
        ibgp: !args.ebgp,
    };
    let text = match input_text(&args) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let mut malformed = false;
    let mut any = false;
    'lines: for (lineno, line) in text.lines().enumerate() {
        let bytes = match parse_hex(line) {
            Ok(b) if b.is_empty() => continue,
            Ok(b) => b,
            Err(e) => return fail(&format!("line {}: {e}", lineno + 1)),
        };
        for out in split_and_decode(&bytes, &ctx) {
            any = true;
            malformed |= match &out {
                Outcome::Error { .. } => true,
                Outcome::Message {
                    msg: Message::Update(u),
                    ..
                } => u.verdict().is_some() || !u.issues.is_empty(),
                Outcome::Message { .. } => false,
            };
            let written = if args.json {
                crate::output::line(&to_json(&out).to_string())
            } else {
                crate::output::emit(&human::render(&out))
            };
            match written {
                Ok(()) => {}
                // The reader is gone (`| head`): what was read decides the status.
                Err(crate::output::Stopped::Closed) => break 'lines,
                Err(s) => return crate::output::exit_code(s),
            }
        }
    }
    if !any {
        return fail("no input: give hex as arguments, with --file, or on standard input");
    }
    if malformed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn input_text(args: &Args) -> Result<String, String> {
    if !args.hex.is_empty() {
        return Ok(args.hex.join("\n"));
    }
    let mut s = String::new();
    match &args.file {
        Some(p) if p.as_os_str() != "-" => {
            s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("standard input: {e}"))?;
        }
    }
    Ok(s)
}

/// Hex digits with whitespace, `:`, `0x` prefixes and `#` comments removed.
pub(crate) fn parse_hex(line: &str) -> Result<Vec<u8>, String> {
    let line = line.split('#').next().unwrap_or_default();
    let digits: String = line
        .split_whitespace()
        .map(|w| w.trim_start_matches("0x"))
        .collect::<String>()
        .replace(':', "");
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(digits.get(i..i + 2).unwrap_or("zz"), 16)
                .map_err(|_| format!("not hex: {:?}", digits.get(i..i + 2).unwrap_or("")))
        })
        .collect()
}

/// Splits a byte run into messages and decodes each; a framing error ends the run.
pub(crate) fn split_and_decode(bytes: &[u8], ctx: &Context) -> Vec<Outcome> {
    let mut framer = Framer::new(MAX_EXTENDED_LEN);
    framer.push(bytes);
    let mut out = Vec::new();
    loop {
        match framer.next_frame() {
            Ok(Some(frame)) => out.push(match decode_message(&frame, ctx) {
                Ok(msg) => Outcome::Message {
                    bytes: frame.to_vec(),
                    msg,
                },
                Err(err) => Outcome::Error {
                    bytes: frame.to_vec(),
                    err,
                },
            }),
            Ok(None) => {
                if framer.pending() > 0 {
                    let err = NotifyError::bad_length(
                        framer.pending() as u16,
                        format!(
                            "{} trailing octets do not form a whole message",
                            framer.pending()
                        ),
                    );
                    out.push(Outcome::Error {
                        bytes: bytes[bytes.len() - framer.pending()..].to_vec(),
                        err,
                    });
                }
                return out;
            }
            Err(err) => {
                out.push(Outcome::Error {
                    bytes: bytes[bytes.len() - framer.pending()..].to_vec(),
                    err,
                });
                return out;
            }
        }
    }
}

fn error_json(e: &NotifyError) -> Value {
    json!({
        "action": "session-reset",
        "notification": { "code": e.code, "subcode": e.subcode,
            "name": evpnd_wire::notification::describe(e.code, e.subcode),
            "data": e.data.iter().map(|b| format!("{b:02x}")).collect::<String>() },
        "reason": e.reason,
        "nlri_reason": e.nlri,
    })
}

/// An action as its JSON word (`"treat-as-withdraw"`).
pub(crate) fn action_word(a: Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// What the receiver does with an UPDATE: the UPDATE-wide verdict, else the
/// strongest route-only action (scope "route"), else nothing.
pub(crate) fn update_verdict(u: &Update) -> Option<(Action, &'static str)> {
    u.verdict().map(|v| (v, "update")).or_else(|| {
        u.issues
            .iter()
            .filter(|i| i.route_only)
            .map(|i| i.action)
            .max()
            .map(|v| (v, "route"))
    })
}

/// The JSON for one message: the typed message, plus for UPDATEs a flat
/// `routes` list (one entry per NLRI with its family, action and next hop)
/// and the RFC 7606 verdict.
pub(crate) fn to_json(o: &Outcome) -> Value {
    match o {
        Outcome::Error { bytes, err } => json!({
            "length": bytes.len(), "well_formed": false,
            "verdict": "session-reset", "verdict_scope": "session",
            "error": error_json(err),
        }),
        Outcome::Message { bytes, msg } => {
            let mut v = json!({ "length": bytes.len(), "well_formed": true });
            // {"type": "update", "message": {...}} merged into the envelope.
            if let (Value::Object(env), Ok(Value::Object(m))) = (&mut v, serde_json::to_value(msg))
            {
                env.extend(m);
            }
            if let Message::Update(u) = msg {
                v["routes"] = Value::Array(human::flat_routes(u));
                let verdict = update_verdict(u);
                v["verdict"] = json!(verdict.map(|(a, _)| action_word(a)));
                v["verdict_scope"] = json!(verdict.map(|(_, scope)| scope));
                v["well_formed"] = Value::Bool(u.issues.is_empty());
                if let Some(f) = u.is_end_of_rib() {
                    v["end_of_rib"] = json!(f.to_string());
                }
            }
            if let Message::Notification(n) = msg {
                v["name"] = json!(evpnd_wire::notification::describe(n.code, n.subcode));
                v["reading"] = serde_json::to_value(n.reading()).unwrap_or(Value::Null);
            }
            v
        }
    }
}
