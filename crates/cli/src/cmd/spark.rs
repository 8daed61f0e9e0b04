//! `sparkplane spark ...`.

use sparkplane_api::SparkVersion;
use sparkplane_distro::{Distributions, InstallRequest, VersionSpec};

use crate::cli::SparkCommand;

pub fn run(cmd: SparkCommand) -> anyhow::Result<u8> {
    let distros = Distributions::from_env()?;
    match cmd {
        SparkCommand::Install(args) => {
            let version = match &args.spark_version {
                Some(v) => Some(
                    v.parse::<VersionSpec>()
                        .map_err(|e| anyhow::anyhow!("VERSION: {e}"))?,
                ),
                None => None,
            };
            let mut req = InstallRequest::new(version);
            if let Some(u) = args.index_url {
                req.index_url = u;
            }
            req.from_file = args.from_file;
            req.progress = true;
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
            Ok(0)
        }
        SparkCommand::Home(args) => {
            let version: SparkVersion = args
                .spark_version
                .parse()
                .map_err(|e| anyhow::anyhow!("VERSION: {e}"))?;
            let i = distros.exact(&version)?;
            println!("{}", i.home.display());
            Ok(0)
        }
        SparkCommand::List => {
            let all = distros.installed()?;
            if all.is_empty() {
                println!("no Spark installed (run: sparkplane spark install)");
            }
            for i in all {
                println!("{}\t{}\t{}", i.version, i.home.display(), i.origin);
            }
            Ok(0)
        }
    }
}
