//! Command implementations: each turns parsed arguments into calls on the library crates and
//! prints the result.

mod app;
mod app_kube;
mod cluster;
mod crd;
mod internal;
mod operator;
mod render;
mod spark;
mod submit;
mod validate;

use crate::cli::Command;

/// Runs one command; returns the process exit code.
pub async fn run(cmd: Command) -> anyhow::Result<u8> {
    match cmd {
        Command::Validate(args) => validate::run(&args),
        Command::Spark(c) => spark::run(c),
        Command::Cluster(c) => cluster::run(c).await,
        Command::App(c) => app::run(c).await,
        Command::Submit(args) => submit::run(*args).await,
        Command::Crd(args) => crd::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Operator(args) => operator::run(*args).await,
        Command::Supervise(args) => internal::supervise(&args).await,
        Command::AppRunner(args) => internal::app_runner(&args).await,
    }
}
