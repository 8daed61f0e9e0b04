//! Helpers shared by the CLI's integration tests.

use std::path::PathBuf;
use std::process::Command;

/// The `kubernetes-validate` executable (PyPI), which `scripts/test.sh` installs.
pub fn kubernetes_validate() -> PathBuf {
    let candidates = [
        std::env::var_os("SPARKPLANE_KUBERNETES_VALIDATE").map(PathBuf::from),
        Some(PathBuf::from("kubernetes-validate")),
    ];
    for c in candidates.into_iter().flatten() {
        if Command::new(&c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!(
        "kubernetes-validate is not installed: run scripts/test.sh (installs it), or \
         `pip install kubernetes-validate` and put it on PATH (or set SPARKPLANE_KUBERNETES_VALIDATE)"
    );
}

/// The newest Kubernetes version the installed `kubernetes-validate` has schemas for (its
/// default, which `--help` shows).
#[allow(dead_code)]
pub fn newest_kubernetes(validator: &PathBuf) -> String {
    let o = Command::new(validator).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout).replace('\n', " ");
    let words: Vec<&str> = help.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| *w == "Defaults")
        .expect("kubernetes-validate --help names its default version");
    words[i + 2].trim_end_matches('.').to_string()
}
