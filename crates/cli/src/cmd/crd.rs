//! `sparkplane crd`: the CRDs, generated from the API types.

use anyhow::Context;

use crate::cli::CrdArgs;

/// Prints every CRD as a YAML document, or writes one file each into `--out-dir`.
pub fn run(args: &CrdArgs) -> anyhow::Result<u8> {
    for (file, crd) in sparkplane_api::crd::crds() {
        let yaml = crate::yaml::to_yaml(&serde_json::to_value(&crd)?);
        match &args.out_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                let path = dir.join(file);
                std::fs::write(&path, format!("---\n{yaml}"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => print!("---\n{yaml}"),
        }
    }
    Ok(0)
}
