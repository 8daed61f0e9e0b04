//! Names of what the operator creates, kept within Kubernetes' 63-character limit.

use sha2::{Digest, Sha256};

/// `<name>-<suffix>`; when longer than 63 characters, `name` is cut and a hash of the whole
/// keeps it unique (kubeflow cuts the same way, with an MD5 hash).
pub fn with_suffix(name: &str, suffix: &str) -> String {
    let preferred = format!("{name}-{suffix}");
    if preferred.len() <= 63 {
        return preferred;
    }
    let hash = hex::encode(Sha256::digest(preferred.as_bytes()));
    let keep = 63 - suffix.len() - 10;
    let cut: String = name.chars().take(keep).collect();
    format!(
        "{}-{}-{suffix}",
        cut.trim_end_matches(['-', '.']),
        &hash[..8]
    )
}

/// The driver pod of attempt `attempt` (counted from 1): `<app>-driver` for the first, as
/// kubeflow names it, `<app>-<attempt>-driver` for reruns, so that a rerun never waits for
/// the old pod's name to be free. A name set in the manifest is used for every attempt.
pub fn driver_pod(app: &str, explicit: Option<&str>, attempt: u32) -> String {
    if let Some(name) = explicit.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    if attempt <= 1 {
        with_suffix(app, "driver")
    } else {
        with_suffix(app, &format!("{attempt}-driver"))
    }
}

/// The Service in front of the Spark UI.
pub fn ui_service(app: &str) -> String {
    with_suffix(app, "ui-svc")
}

/// The Ingress in front of the Spark UI.
pub fn ui_ingress(app: &str) -> String {
    with_suffix(app, "ui-ingress")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_stay_unique() {
        let long = "a".repeat(70);
        let long2 = format!("{}b", "a".repeat(69));
        let cases: &[(&str, &str, usize)] = &[("pi", "driver", 9), (&long, "driver", 63)];
        for (name, suffix, len) in cases {
            let n = with_suffix(name, suffix);
            assert_eq!(n.len(), *len, "{n}");
            assert!(n.ends_with(suffix));
        }
        assert_ne!(with_suffix(&long, "ui-svc"), with_suffix(&long2, "ui-svc"));
        assert_eq!(driver_pod("pi", None, 1), "pi-driver");
        assert_eq!(driver_pod("pi", None, 3), "pi-3-driver");
        assert_eq!(driver_pod("pi", Some("mine"), 3), "mine");
        assert_eq!(ui_service("pi"), "pi-ui-svc");
        assert_eq!(ui_ingress("pi"), "pi-ui-ingress");
    }
}
