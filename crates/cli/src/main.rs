//! `sparkplane`: one binary for the local runtime (and, later, Kubernetes submission and the
//! operator). This file only parses the command line and dispatches; each command lives in
//! `cmd/`.

mod cli;
mod cmd;
mod manifests;
mod yaml;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit code for input the user must fix (bad manifest, bad flag value).
const EXIT_INVALID: u8 = 2;
/// Exit code for anything that failed at run time.
const EXIT_FAILED: u8 = 1;

/// An error already reported to the user, carrying the exit code to use.
#[derive(Debug)]
pub struct Reported(pub u8);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failed (exit {})", self.0)
    }
}
impl std::error::Error for Reported {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.command);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match rt.block_on(cmd::run(cli.command)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(Reported(code)) = e.downcast_ref::<Reported>() {
                return ExitCode::from(*code);
            }
            // One line: the chain joined, as every error here already names its subject.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn init_tracing(cmd: &Command) {
    // The daemons log with timestamps to their log files; interactive commands only show
    // warnings unless RUST_LOG asks for more.
    let default = match cmd {
        Command::Supervise(_) | Command::AppRunner(_) => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
