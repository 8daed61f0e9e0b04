//! `kube-double`: serves the Kubernetes API double on loopback until stopped, appending every
//! request as a JSON line to a file. The conformance recorder runs the real `spark-submit`
//! against it.

use std::path::PathBuf;

use clap::Parser;

/// Serve the Kubernetes API double.
#[derive(Parser)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Append each request as a JSON line here.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Write the URL here once listening.
    #[arg(long)]
    url_file: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let double = sparkplane_kube_double::KubeDouble::start_with(args.record.as_deref(), args.port)?;
    match &args.url_file {
        Some(f) => std::fs::write(f, double.url())?,
        None => println!("{}", double.url()),
    }
    // Serve until killed.
    loop {
        std::thread::park();
    }
}
