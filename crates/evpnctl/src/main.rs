//! `evpnctl`: the operator's tool for evpnd.
//!
//! Today: `evpnctl decode` turns BGP messages in hex into readable text or
//! JSON with the RFC 7606 verdict. Queries of a running daemon arrive with the
//! management API.

mod decode;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "evpnctl", version, about = "Operate and inspect evpnd")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode BGP messages given as hex (arguments, a file, or stdin).
    Decode(decode::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(args),
    }
}
