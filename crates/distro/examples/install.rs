//! Installs a Spark release with this crate, for trying it out by hand:
//!
//! ```text
//! cargo run -p sparkplane-distro --example install -- [VERSION] [--from FILE] [--sha256 HEX]
//! cargo run -p sparkplane-distro --example install -- --list
//! cargo run -p sparkplane-distro --example install -- --java 17
//! ```
//!
//! Installs under `$SPARKPLANE_SPARK_DIR` (else the data directory).

use std::path::PathBuf;
use std::process::ExitCode;

use sparkplane_distro::{default_index_url, fetch_releases, Distributions, InstallRequest};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut req = InstallRequest::new(None);
    req.progress = true;
    let mut list = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--java" => {
                let min: u32 = args.next().ok_or("--java MIN_MAJOR")?.parse()?;
                let java = sparkplane_distro::find_java(min)?;
                println!(
                    "{} {} (major {})",
                    java.path.display(),
                    java.version_string,
                    java.major
                );
                return Ok(());
            }
            "--from" => req.from_file = Some(PathBuf::from(args.next().ok_or("--from FILE")?)),
            "--sha256" => req.expected_sha256 = Some(args.next().ok_or("--sha256 HEX")?),
            v => req.version = Some(v.parse()?),
        }
    }
    let distros = Distributions::from_env()?;
    if list {
        println!("index: {}", default_index_url());
        for e in fetch_releases(&req.index_url)? {
            if e.version.is_supported() {
                let sha = e.sha256.as_deref().unwrap_or("-");
                println!("{} {} {}", e.version, sha, e.url);
            }
        }
        println!("installed in {}:", distros.root().display());
        for i in distros.installed()? {
            println!("{} {} ({})", i.version, i.home.display(), i.origin);
        }
        return Ok(());
    }
    let out = distros.install(&req)?;
    let i = &out.installation;
    if out.already_installed {
        println!(
            "Spark {} is already installed in {}",
            i.version,
            i.home.display()
        );
    } else {
        println!("installed Spark {} in {}", i.version, i.home.display());
    }
    Ok(())
}
