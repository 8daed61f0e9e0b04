//! Reading manifest files and reporting their problems, one line each.

use std::path::Path;

use sparkplane_api::{parse_documents_with, LoadOptions, LoadedManifest, Problem};

use crate::Reported;

/// Reads and validates every file; prints warnings; on any error prints every problem of
/// every file and fails with exit code 2.
pub fn load(files: &[&Path]) -> anyhow::Result<Vec<LoadedManifest>> {
    load_with(files, &LoadOptions::default())
}

/// Like [`load`], with `options` (documents of other API groups skipped, sparkConf keys
/// admitted past the tenancy boundary).
pub fn load_with(files: &[&Path], options: &LoadOptions) -> anyhow::Result<Vec<LoadedManifest>> {
    let mut all = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    for f in files {
        let source = f.display().to_string();
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::error(
                    source,
                    None,
                    "",
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        match parse_documents_with(&source, &text, options) {
            Ok((manifests, warnings)) => {
                all.extend(manifests);
                problems.extend(warnings);
            }
            Err(ps) => problems.extend(ps),
        }
    }
    let failed = problems.iter().any(Problem::is_error);
    for p in &problems {
        eprintln!("{p}");
    }
    if failed {
        return Err(Reported(crate::EXIT_INVALID).into());
    }
    Ok(all)
}
