//! The real-cluster tier's harness: the one-node cluster of `scripts/kube-lab.sh`, reached with
//! the upstream kubectl and helm it built, and this crate's `sparkplane` binary.
//!
//! Opt-in: `SPARKPLANE_KUBE_LAB` names the cluster's admin kubeconfig and the tests run with
//! `--ignored`; `scripts/test.sh` does both. Without the variable every test fails, naming it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use crate::common::wait_for;

/// The Spark version the images of the test path are built for.
pub const SPARK_VERSION: &str = "4.3.0";
/// The Spark image of that version, imported into the node's containerd.
pub const SPARK_IMAGE: &str = "sparkplane/spark:4.3.0";
/// The operator's release, its namespace and its ServiceAccount.
pub const RELEASE: &str = "sparkplane";
pub const OPERATOR_NS: &str = "sparkplane-system";
pub const OPERATOR_SA: &str = "sparkplane-operator";
/// Namespaces the operator runs applications in.
pub const JOBS_NS: &str = "spark-e2e";
pub const RESTRICTED_NS: &str = "spark-restricted";
/// The jar of the project's own Scala examples, inside the Spark image.
pub const EXAMPLES_JAR: &str = "local:///opt/spark/examples/jars/sparkplane-examples.jar";

/// The cluster and its tools.
pub struct Lab {
    pub kubeconfig: PathBuf,
    pub bin: PathBuf,
    pub sparkplane: PathBuf,
}

/// The cluster, with the operator's chart installed once per test process.
pub fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let kubeconfig = std::env::var_os("SPARKPLANE_KUBE_LAB")
            .map(PathBuf::from)
            .expect(
                "the real-cluster tier needs SPARKPLANE_KUBE_LAB=<admin kubeconfig>: \
             run `scripts/kube-lab.sh up` (scripts/test.sh does)",
            );
        let bin = std::env::var_os("SPARKPLANE_KUBE_LAB_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/sparkplane-kube-lab/bin/current"));
        let lab = Lab {
            kubeconfig,
            bin,
            sparkplane: PathBuf::from(env!("CARGO_BIN_EXE_sparkplane")),
        };
        lab.install_operator();
        lab
    })
}

/// The chart values of the tier: the job namespaces, a short image-pull timeout, and the
/// options whose rights the chart grants turned on (UI Ingresses, ResourceQuota checks), so
/// that every right is used on the real server.
pub const VALUES: &str = r#"jobNamespaces: [spark-e2e, spark-restricted]
controller:
  imagePullTimeoutSeconds: 60
  resourceQuotaEnforcement: true
uiIngress:
  urlFormat: "{{$appName}}.spark.test"
"#;

/// [`VALUES`] in a file, for helm's `-f`.
pub fn values_file() -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("sparkplane-e2e-values-{}.yaml", std::process::id()));
    std::fs::write(&path, VALUES).expect("write the values file");
    path
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The chart's directory.
pub fn chart() -> PathBuf {
    repo_root().join("deploy/helm/sparkplane-operator")
}

/// A command's output, as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

impl Lab {
    fn tool(&self, name: &str) -> Command {
        let mut c = Command::new(self.bin.join(name));
        c.env("KUBECONFIG", &self.kubeconfig);
        c
    }

    /// The API server's URL, from the kubeconfig.
    pub fn server(&self) -> String {
        let text = std::fs::read_to_string(&self.kubeconfig).expect("the lab's kubeconfig");
        text.lines()
            .find_map(|l| l.trim().strip_prefix("server: "))
            .expect("a server in the kubeconfig")
            .to_string()
    }

    /// Runs kubectl, feeding `stdin`.
    pub fn kubectl_in(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .tool("kubectl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("kubectl output")
    }

    /// Runs kubectl.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.tool("kubectl")
            .args(args)
            .output()
            .expect("kubectl runs")
    }

    /// Runs kubectl and returns its stdout; fails the test on a non-zero exit.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let o = self.kubectl(args);
        let (out, err) = text(&o);
        assert!(o.status.success(), "kubectl {args:?} failed: {err}{out}");
        out
    }

    /// `kubectl apply -f -` of `yaml`; fails the test if refused.
    pub fn apply(&self, yaml: &str) {
        let o = self.kubectl_in(&["apply", "-f", "-"], yaml);
        let (out, err) = text(&o);
        assert!(
            o.status.success(),
            "kubectl apply failed: {err}{out}\n{yaml}"
        );
    }

    /// An object as JSON, or None when it does not exist.
    pub fn get(&self, ns: &str, kind: &str, name: &str) -> Option<Value> {
        let o = self.kubectl(&["-n", ns, "get", kind, name, "-o", "json"]);
        if !o.status.success() {
            let (_, err) = text(&o);
            assert!(err.contains("NotFound"), "kubectl get {kind} {name}: {err}");
            return None;
        }
        Some(serde_json::from_slice(&o.stdout).expect("kubectl json"))
    }

    /// Items of a list, as JSON.
    pub fn list(&self, ns: &str, kind: &str, selector: &str) -> Vec<Value> {
        let mut args = vec!["-n", ns, "get", kind, "-o", "json"];
        if !selector.is_empty() {
            args.extend(["-l", selector]);
        }
        let v: Value = serde_json::from_str(&self.kubectl_ok(&args)).expect("list json");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    /// Runs helm.
    pub fn helm(&self, args: &[&str]) -> Output {
        self.tool("helm").args(args).output().expect("helm runs")
    }

    /// Runs this crate's sparkplane against the cluster.
    pub fn sparkplane(&self, args: &[&str]) -> Output {
        Command::new(&self.sparkplane)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env_remove("RUST_LOG")
            .output()
            .expect("sparkplane runs")
    }

    /// Runs sparkplane and returns its stdout; fails the test on a non-zero exit.
    pub fn sparkplane_ok(&self, args: &[&str]) -> String {
        let o = self.sparkplane(args);
        let (out, err) = text(&o);
        assert!(o.status.success(), "sparkplane {args:?} failed: {err}{out}");
        out
    }

    /// Creates a namespace (labelled as given) unless it exists.
    pub fn namespace(&self, name: &str, labels: &[(&str, &str)]) {
        let labels: String = labels
            .iter()
            .map(|(k, v)| format!("    {k}: \"{v}\"\n"))
            .collect();
        self.apply(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    sparkplane-e2e: \"true\"\n{labels}"
        ));
    }

    /// Installs (or upgrades) the chart with real helm and waits for the operator to be ready.
    fn install_operator(&self) {
        self.apply(&podgroup_crds());
        self.namespace(JOBS_NS, &[]);
        self.namespace(
            RESTRICTED_NS,
            &[
                ("pod-security.kubernetes.io/enforce", "restricted"),
                ("pod-security.kubernetes.io/enforce-version", "latest"),
            ],
        );
        let values = values_file();
        let chart = chart();
        let o = self.helm(&[
            "upgrade",
            "--install",
            RELEASE,
            chart.to_str().expect("utf-8 path"),
            "--namespace",
            OPERATOR_NS,
            "--create-namespace",
            "-f",
            values.to_str().expect("utf-8 path"),
            "--wait",
            "--timeout",
            "5m",
        ]);
        let (out, err) = text(&o);
        if !o.status.success() {
            let pods = self.kubectl(&["-n", OPERATOR_NS, "describe", "pods"]);
            panic!(
                "helm install failed: {err}{out}\n{}",
                String::from_utf8_lossy(&pods.stdout)
            );
        }
    }

    /// Waits until a SparkApplication's state is `want`; fails early on a terminal other state.
    pub fn wait_app_state(&self, ns: &str, name: &str, want: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            if let Some(app) = self.get(ns, "sparkapplication", name) {
                let state = app["status"]["applicationState"]["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                if state == want {
                    return app;
                }
                let terminal = matches!(state.as_str(), "COMPLETED" | "FAILED");
                if terminal && want != state {
                    self.dump(ns, name);
                    panic!(
                        "{ns}/{name} ended {state}, not {want}: {}",
                        app["status"]["applicationState"]["errorMessage"]
                    );
                }
                last = state;
            }
            if Instant::now() > deadline {
                self.dump(ns, name);
                panic!("{ns}/{name} did not reach {want} within {timeout:?} (last: {last:?})");
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Prints what explains a failure: the application, its pods, the events, the driver's log.
    pub fn dump(&self, ns: &str, name: &str) {
        for args in [
            vec!["-n", ns, "get", "sparkapplication", name, "-o", "yaml"],
            vec!["-n", ns, "get", "pods", "-o", "wide"],
            vec!["-n", ns, "get", "events", "--sort-by=.lastTimestamp"],
            vec![
                "-n",
                OPERATOR_NS,
                "logs",
                "deploy/sparkplane-operator",
                "--tail=60",
            ],
        ] {
            let o = self.kubectl(&args);
            let (out, err) = text(&o);
            eprintln!("--- kubectl {}\n{out}{err}", args.join(" "));
        }
        let o = self.sparkplane(&["app", "logs", name, "--kube", "-n", ns]);
        let (out, err) = text(&o);
        eprintln!("--- driver log\n{}{err}", tail(&out, 80));
    }

    /// Deletes an object and waits until it is gone.
    pub fn delete(&self, ns: &str, kind: &str, name: &str) {
        self.kubectl_ok(&[
            "-n",
            ns,
            "delete",
            kind,
            name,
            "--ignore-not-found",
            "--wait=true",
            "--timeout=120s",
        ]);
    }
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A SparkApplication of the examples' SparkPi on the Spark image, sized for a two-core node:
/// each pod asks for a quarter core, and the driver starts two executors.
pub fn spark_pi(ns: &str, name: &str, extra_spec: &str) -> String {
    format!(
        r#"apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: {name}
  namespace: {ns}
spec:
  type: Scala
  mode: cluster
  image: {SPARK_IMAGE}
  imagePullPolicy: IfNotPresent
  sparkVersion: "{SPARK_VERSION}"
  mainClass: org.sparkplane.examples.SparkPi
  mainApplicationFile: {EXAMPLES_JAR}
  arguments: ["20"]
  restartPolicy:
    type: Never
  driver:
    cores: 1
    coreRequest: 250m
    memory: 512m
    serviceAccount: spark
  executor:
    cores: 1
    coreRequest: 250m
    instances: 2
    memory: 512m
{extra_spec}"#
    )
}

/// The PodGroup kinds of Volcano and of scheduler-plugins, which the operator creates for
/// `batchScheduler` applications. The schedulers themselves are not part of the test cluster;
/// their kinds are, so that the chart's rules for them are checked on a server that knows them.
/// The schemas keep every field, as the upstream CRDs' status and spec would.
fn podgroup_crds() -> String {
    [
        ("scheduling.volcano.sh", "v1beta1"),
        ("scheduling.x-k8s.io", "v1alpha1"),
    ]
    .iter()
    .map(|(group, version)| {
        format!(
            r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: podgroups.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: podgroups, singular: podgroup, kind: PodGroup}}
  versions:
    - name: {version}
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
---
"#
        )
    })
    .collect()
}
