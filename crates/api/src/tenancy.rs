//! The tenancy boundary: the `sparkConf` keys through which a SparkApplication would take
//! what belongs to the operator that submits it (the service account its pods run as, the
//! API server the driver talks to, credentials, the container image, the namespace).
//!
//! An operator's RBAC is broader than each user's, so a key that overrides one of these is
//! a privilege escalation in a shared cluster. kubeflow's admission webhook refuses the same
//! keys (`internal/webhook/sparkconf_validator.go`); sparkplane refuses them in `validate`,
//! `render` and the operator, each naming the key and the field to use instead. An operator
//! may admit some of them with `--allow-spark-conf KEY` ([`SparkConfPolicy::allowing`]).
//!
//! `sparkplane submit` does not apply this policy: it is spark-submit's own command line,
//! run with the user's own credentials, so every object it creates is authorised by the
//! user's own rights, and these keys are spark-submit's documented way to set the image, the
//! service account and the master (see docs/submission.md).

use std::collections::{BTreeMap, BTreeSet};

/// The key that must name the application's own namespace, when it is set at all.
pub const NAMESPACE_KEY: &str = "spark.kubernetes.namespace";

/// One key the operator owns: what it would take over and where the user says it instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedKey {
    /// The sparkConf key.
    pub key: &'static str,
    /// What the key would take from the operator.
    pub takes: &'static str,
    /// The legitimate way to get the same effect.
    pub instead: &'static str,
}

const CREDENTIALS: &str = "the credentials the operator hands out";
const CREDENTIALS_INSTEAD: &str =
    "the driver authenticates as its service account: set spec.driver.serviceAccount instead";

/// The keys kubeflow's webhook refuses outright (its `deniedSparkConfKeys`), in its order.
pub const OWNED_KEYS: &[OwnedKey] = &[
    OwnedKey {
        key: "spark.kubernetes.authenticate.driver.serviceAccountName",
        takes: "the service account the driver runs as",
        instead: "set spec.driver.serviceAccount instead",
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.executor.serviceAccountName",
        takes: "the service account the executors run as",
        instead: "set spec.executor.serviceAccount instead",
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.oauthTokenFile",
        takes: CREDENTIALS,
        instead: CREDENTIALS_INSTEAD,
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.oauthToken",
        takes: CREDENTIALS,
        instead: CREDENTIALS_INSTEAD,
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.driver.oauthTokenFile",
        takes: CREDENTIALS,
        instead: CREDENTIALS_INSTEAD,
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.driver.oauthToken",
        takes: CREDENTIALS,
        instead: CREDENTIALS_INSTEAD,
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.executor.oauthTokenFile",
        takes: CREDENTIALS,
        instead: CREDENTIALS_INSTEAD,
    },
    OwnedKey {
        key: "spark.kubernetes.authenticate.executor.oauthToken",
        takes: CREDENTIALS,
        instead: CREDENTIALS_INSTEAD,
    },
    OwnedKey {
        key: "spark.master",
        takes: "the API server applications are submitted to",
        instead: "the operator sets it (its --driver-master)",
    },
    OwnedKey {
        key: "spark.kubernetes.driver.master",
        takes: "the API server the driver talks to",
        instead: "set spec.driver.kubernetesMaster instead",
    },
    OwnedKey {
        key: "spark.kubernetes.container.image",
        takes: "the container image",
        instead: "set spec.image instead",
    },
    OwnedKey {
        key: "spark.kubernetes.driver.container.image",
        takes: "the driver's container image",
        instead: "set spec.image or spec.driver.image instead",
    },
    OwnedKey {
        key: "spark.kubernetes.executor.container.image",
        takes: "the executors' container image",
        instead: "set spec.image or spec.executor.image instead",
    },
];

/// Every key the operator refuses unless allowed: [`OWNED_KEYS`] and [`NAMESPACE_KEY`].
pub fn refusable_keys() -> impl Iterator<Item = &'static str> {
    OWNED_KEYS
        .iter()
        .map(|o| o.key)
        .chain(std::iter::once(NAMESPACE_KEY))
}

/// Checks one `--allow-spark-conf` value: it must be a key the operator refuses, so that a
/// misspelt key is an error instead of an allow-list entry that never matches.
pub fn parse_allowed_key(key: &str) -> Result<String, String> {
    if refusable_keys().any(|k| k == key) {
        Ok(key.to_string())
    } else {
        Err(format!(
            "expected one of the sparkConf keys the operator refuses ({}), got {key:?}",
            refusable_keys().collect::<Vec<_>>().join(", ")
        ))
    }
}

/// A sparkConf key refused at the boundary, with the one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The refused key.
    pub key: String,
    /// What was expected, what the key would do, and what to do instead.
    pub message: String,
}

impl Refusal {
    /// The field path of the key under `spec` (`spec` or `spec.template`):
    /// `spec.sparkConf["spark.master"]`.
    pub fn path(&self, spec: &str) -> String {
        format!("{spec}.sparkConf[{:?}]", self.key)
    }
}

/// Which refused keys an operator lets through; the default refuses them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SparkConfPolicy {
    allowed: BTreeSet<String>,
}

impl SparkConfPolicy {
    /// A policy that admits `keys` (each checked with [`parse_allowed_key`]).
    pub fn allowing<I, S>(keys: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let allowed = keys
            .into_iter()
            .map(|k| parse_allowed_key(k.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(SparkConfPolicy { allowed })
    }

    /// The keys this policy admits.
    pub fn allowed(&self) -> impl Iterator<Item = &str> {
        self.allowed.iter().map(String::as_str)
    }

    /// Every key of `conf` this policy refuses, in key order. `namespace` is the
    /// application's `metadata.namespace`.
    pub fn refusals(
        &self,
        conf: &BTreeMap<String, String>,
        namespace: Option<&str>,
    ) -> Vec<Refusal> {
        conf.iter()
            .filter(|(k, _)| !self.allowed.contains(k.as_str()))
            .filter_map(|(k, v)| refusal(k, v, namespace))
            .collect()
    }
}

fn refusal(key: &str, value: &str, namespace: Option<&str>) -> Option<Refusal> {
    let admit = format!("or let the operator admit the key with --allow-spark-conf {key}");
    let message = if let Some(o) = OWNED_KEYS.iter().find(|o| o.key == key) {
        // The value is not repeated: it may be a token.
        format!(
            "expected no such key: it would take over {} from the operator (kubeflow's admission refuses it too); {}, {admit}",
            o.takes, o.instead
        )
    } else if key == NAMESPACE_KEY {
        match namespace {
            Some(ns) if ns == value => return None,
            Some(ns) => format!(
                "expected the application's own namespace {ns:?} or no such key, got {value:?}: the objects would be created in another namespace; {admit}"
            ),
            None => format!(
                "expected no such key without metadata.namespace, got {value:?}: the objects could be created in another namespace than the application's; set metadata.namespace instead, {admit}"
            ),
        }
    } else {
        return None;
    };
    Some(Refusal {
        key: key.to_string(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// kubeflow's own cases (`sparkConfSecurityVectors` in
    /// `internal/webhook/sparkapplication_validator_test.go`): every one is refused, in an
    /// application of namespace "default", naming the key.
    #[test]
    fn kubeflows_security_vectors_are_refused() {
        let vectors = [
            (
                "spark.kubernetes.authenticate.driver.serviceAccountName",
                "cluster-admin",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.executor.serviceAccountName",
                "cluster-admin",
                "spec.executor.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.oauthTokenFile",
                "/var/run/secrets/attacker/token",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.oauthToken",
                "stolen-token",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.driver.oauthTokenFile",
                "/var/run/secrets/attacker/token",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.driver.oauthToken",
                "stolen-token",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.executor.oauthTokenFile",
                "/var/run/secrets/attacker/token",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.authenticate.executor.oauthToken",
                "stolen-token",
                "spec.driver.serviceAccount",
            ),
            (
                "spark.kubernetes.namespace",
                "kube-system",
                "the application's own namespace \"default\"",
            ),
            (
                "spark.master",
                "k8s://https://attacker-cluster:443",
                "--driver-master",
            ),
            (
                "spark.kubernetes.driver.master",
                "k8s://https://attacker-cluster:443",
                "spec.driver.kubernetesMaster",
            ),
            (
                "spark.kubernetes.container.image",
                "attacker/malicious-image:latest",
                "spec.image",
            ),
            (
                "spark.kubernetes.driver.container.image",
                "attacker/malicious-image:latest",
                "spec.driver.image",
            ),
            (
                "spark.kubernetes.executor.container.image",
                "attacker/malicious-image:latest",
                "spec.executor.image",
            ),
        ];
        let policy = SparkConfPolicy::default();
        for (key, value, alternative) in vectors {
            let refused = policy.refusals(&conf(&[(key, value)]), Some("default"));
            assert_eq!(refused.len(), 1, "{key}: {refused:?}");
            let r = &refused[0];
            assert_eq!(r.key, key);
            assert_eq!(r.path("spec"), format!("spec.sparkConf[\"{key}\"]"));
            assert!(r.message.contains(alternative), "{key}: {}", r.message);
            assert!(
                r.message.ends_with(&format!("--allow-spark-conf {key}")),
                "{key}: {}",
                r.message
            );
            assert!(!r.message.contains('\n'), "{}", r.message);
            // Tokens are never repeated back.
            if key.ends_with("oauthToken") {
                assert!(!r.message.contains(value), "{}", r.message);
            }
        }
        // Every refusable key is one of kubeflow's vectors, and the other way round.
        let mut theirs: Vec<&str> = vectors.iter().map(|v| v.0).collect();
        let mut ours: Vec<&str> = refusable_keys().collect();
        theirs.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, theirs);
    }

    /// kubeflow's benign cases (`TestSparkApplicationValidatorSparkConf_BenignKeysPass`).
    #[test]
    fn kubeflows_benign_keys_pass() {
        let policy = SparkConfPolicy::default();
        for (key, value) in [
            ("spark.executor.memory", "4g"),
            ("spark.sql.shuffle.partitions", "200"),
            ("spark.kubernetes.namespace", "default"),
            ("spark.myapp.customSetting", "42"),
            // Near misses: other keys under the same prefixes are the user's.
            (
                "spark.kubernetes.authenticate.driver.mounted.oauthTokenFile",
                "/t",
            ),
            ("spark.kubernetes.container.image.pullPolicy", "Always"),
            ("spark.masterx", "x"),
        ] {
            assert_eq!(
                policy.refusals(&conf(&[(key, value)]), Some("default")),
                Vec::new(),
                "{key}"
            );
        }
    }

    #[test]
    fn a_namespace_key_without_metadata_namespace_is_refused() {
        let r = SparkConfPolicy::default().refusals(&conf(&[(NAMESPACE_KEY, "default")]), None);
        assert_eq!(r.len(), 1);
        assert!(
            r[0].message.contains("set metadata.namespace instead"),
            "{}",
            r[0].message
        );
    }

    #[test]
    fn every_refused_key_is_reported_in_key_order() {
        let c = conf(&[
            ("spark.master", "k8s://x"),
            ("spark.app.name", "a"),
            ("spark.kubernetes.container.image", "i"),
        ]);
        let keys: Vec<String> = SparkConfPolicy::default()
            .refusals(&c, Some("default"))
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(keys, ["spark.kubernetes.container.image", "spark.master"]);
    }

    #[test]
    fn an_allow_list_lets_its_keys_through_and_no_other() {
        let policy = SparkConfPolicy::allowing([
            "spark.kubernetes.authenticate.driver.serviceAccountName",
            NAMESPACE_KEY,
        ])
        .unwrap();
        let c = conf(&[
            (
                "spark.kubernetes.authenticate.driver.serviceAccountName",
                "spark-admin",
            ),
            (
                "spark.kubernetes.authenticate.executor.serviceAccountName",
                "spark-admin",
            ),
            (NAMESPACE_KEY, "other"),
        ]);
        let keys: Vec<String> = policy
            .refusals(&c, Some("default"))
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(
            keys,
            ["spark.kubernetes.authenticate.executor.serviceAccountName"]
        );
    }

    #[test]
    fn only_refusable_keys_can_be_allowed() {
        for key in refusable_keys() {
            assert_eq!(parse_allowed_key(key).as_deref(), Ok(key));
        }
        for bad in [
            "spark.executor.memory",
            "spark.kubernetes.authenticate.driver.serviceaccountname",
            "",
        ] {
            let e = parse_allowed_key(bad).unwrap_err();
            assert!(
                e.contains("expected one of the sparkConf keys the operator refuses"),
                "{e}"
            );
            assert!(e.ends_with(&format!("got {bad:?}")), "{e}");
        }
        assert!(SparkConfPolicy::allowing(["spark.master", "spark.mastr"]).is_err());
    }
}
