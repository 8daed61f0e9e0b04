//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run Apache Spark standalone clusters and Spark applications: locally on real Spark, from the
/// same manifests you apply to Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "sparkplane", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline and print every problem.
    Validate(ValidateArgs),
    /// Install and list Spark distributions.
    #[command(subcommand)]
    Spark(SparkCommand),
    /// Local Spark standalone clusters.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Spark applications on a local cluster or in local mode.
    #[command(subcommand)]
    App(AppCommand),
    /// Submit to Kubernetes as `spark-submit --deploy-mode cluster` does, without a JVM.
    Submit(Box<SubmitArgs>),
    /// Print the CustomResourceDefinitions sparkplane serves (generated from its types).
    Crd(CrdArgs),
    /// Print, offline, the Kubernetes objects the operator creates for a SparkApplication.
    Render(RenderArgs),
    /// Run the operator: SparkApplication controllers against a Kubernetes cluster.
    Operator(Box<OperatorArgs>),
    /// (internal) Supervise a local cluster's processes.
    #[command(name = "__supervise", hide = true)]
    Supervise(SuperviseArgs),
    /// (internal) Run and supervise one local application.
    #[command(name = "__app-runner", hide = true)]
    AppRunner(AppRunnerArgs),
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files (YAML or JSON, one or more documents each).
    #[arg(short = 'f', long = "file", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Where the manifests must run: beyond the manifest's own rules, `kubernetes` also
    /// asks what `render` and the operator would refuse (a file of this machine, client mode,
    /// a pod the API server would refuse), `local` what the local runtime would; `both`
    /// (the default) asks both.
    #[arg(long, value_enum, default_value_t = ValidateTarget::Both)]
    pub target: ValidateTarget,
    /// The sparkConf keys admitted, as by an operator's.
    #[command(flatten)]
    pub tenancy: TenancyArgs,
}

/// Where `validate` checks that manifests can run.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ValidateTarget {
    /// The local runtime (`sparkplane app submit`, `sparkplane cluster up`).
    Local,
    /// Kubernetes (`sparkplane render`, the operator).
    Kubernetes,
    /// Both.
    Both,
}

impl ValidateTarget {
    /// Whether the local runtime's checks run.
    pub fn local(self) -> bool {
        matches!(self, ValidateTarget::Local | ValidateTarget::Both)
    }
    /// Whether Kubernetes' checks run.
    pub fn kubernetes(self) -> bool {
        matches!(self, ValidateTarget::Kubernetes | ValidateTarget::Both)
    }
}

/// The tenancy boundary, for `operator`, `render` and `validate` alike.
#[derive(Debug, Args, Clone, Default)]
pub struct TenancyArgs {
    /// Admit this sparkConf key, which would otherwise fail its application because it
    /// takes over what belongs to the operator (its service account, API server,
    /// credentials, image or namespace); repeat the flag for more keys.
    #[arg(long = "allow-spark-conf", value_name = "KEY",
          value_parser = sparkplane_api::tenancy::parse_allowed_key)]
    pub allow_spark_conf: Vec<String>,
}

impl TenancyArgs {
    /// The policy the flags describe.
    pub fn policy(&self) -> sparkplane_api::SparkConfPolicy {
        // Every key was checked by the value parser, so none is refused here.
        sparkplane_api::SparkConfPolicy::allowing(&self.allow_spark_conf).unwrap_or_default()
    }
}

/// `spark ...`.
#[derive(Debug, Subcommand)]
pub enum SparkCommand {
    /// Install an official Apache Spark release from its PyPI package.
    Install(SparkInstallArgs),
    /// List installed Spark distributions.
    List,
    /// Print the SPARK_HOME of an installed release (for scripts).
    Home(SparkHomeArgs),
}

/// `spark home`.
#[derive(Debug, Args)]
pub struct SparkHomeArgs {
    /// The release, `X.Y.Z`: exactly that one (`$SPARK_HOME` when it is that release,
    /// else sparkplane's install).
    // Named `spark_version` because `version` is the id of clap's own `--version` flag.
    #[arg(value_name = "VERSION")]
    pub spark_version: String,
}

/// `spark install`.
#[derive(Debug, Args)]
pub struct SparkInstallArgs {
    /// `X.Y.Z`, or `X.Y` for the newest patch release of that line; default: the newest
    /// supported release.
    // Named `spark_version` because `version` is the id of clap's own `--version` flag.
    #[arg(value_name = "VERSION")]
    pub spark_version: Option<String>,
    /// Install from an already downloaded `pyspark-X.Y.Z.tar.gz` instead of downloading.
    #[arg(long)]
    pub from_file: Option<PathBuf>,
    /// Python package index (simple API).
    #[arg(long, env = "SPARKPLANE_PYPI_INDEX")]
    pub index_url: Option<String>,
}

/// `submit`: spark-submit's options for Kubernetes cluster mode, plus sparkplane's own.
#[derive(Debug, Args)]
#[command(
    // As in spark-submit, a repeated option takes its last value.
    args_override_self = true,
    after_help = "Example:\n  sparkplane submit --master k8s://https://k8s.example.com:6443 --deploy-mode cluster \\\n    --name spark-pi --class org.apache.spark.examples.SparkPi \\\n    --conf spark.kubernetes.container.image=apache/spark:4.0.1 \\\n    local:///opt/spark/examples/jars/spark-examples.jar 1000"
)]
pub struct SubmitArgs {
    /// `k8s://https://<api-server>`: the cluster (credentials come from kubeconfig or the
    /// in-cluster service account, as kubectl's do).
    #[arg(long)]
    pub master: Option<String>,
    /// Must be `cluster`.
    #[arg(long)]
    pub deploy_mode: Option<String>,
    /// Application name.
    #[arg(long)]
    pub name: Option<String>,
    /// Main class of a JVM application.
    #[arg(long)]
    pub class: Option<String>,
    /// A Spark setting `KEY=VALUE` (repeatable).
    #[arg(long, short = 'c', value_name = "KEY=VALUE")]
    pub conf: Vec<String>,
    /// A file of Spark settings (instead of `$SPARK_CONF_DIR/spark-defaults.conf`).
    #[arg(long)]
    pub properties_file: Option<PathBuf>,
    /// Comma-separated jar URIs.
    #[arg(long)]
    pub jars: Option<String>,
    /// Comma-separated file URIs.
    #[arg(long)]
    pub files: Option<String>,
    /// Comma-separated .zip, .egg or .py URIs.
    #[arg(long)]
    pub py_files: Option<String>,
    /// Comma-separated archive URIs.
    #[arg(long)]
    pub archives: Option<String>,
    /// Maven coordinates, resolved by the driver in its pod (`spark.jars.packages`).
    #[arg(long)]
    pub packages: Option<String>,
    /// Maven `groupId:artifactId` pairs left out of the resolution (`spark.jars.excludes`).
    #[arg(long)]
    pub exclude_packages: Option<String>,
    /// Further Maven repositories searched for the packages (`spark.jars.repositories`).
    #[arg(long)]
    pub repositories: Option<String>,
    /// Run the application as this user.
    #[arg(long)]
    pub proxy_user: Option<String>,
    /// Kerberos principal (refused).
    #[arg(long)]
    pub principal: Option<String>,
    /// Kerberos keytab (refused).
    #[arg(long)]
    pub keytab: Option<String>,
    /// Driver memory (`2g`).
    #[arg(long)]
    pub driver_memory: Option<String>,
    /// Driver cores.
    #[arg(long)]
    pub driver_cores: Option<String>,
    /// Extra JVM options for the driver.
    #[arg(long, allow_hyphen_values = true)]
    pub driver_java_options: Option<String>,
    /// Extra library path for the driver.
    #[arg(long)]
    pub driver_library_path: Option<String>,
    /// Extra class path for the driver.
    #[arg(long)]
    pub driver_class_path: Option<String>,
    /// Executor memory (`4g`).
    #[arg(long)]
    pub executor_memory: Option<String>,
    /// Cores per executor.
    #[arg(long)]
    pub executor_cores: Option<String>,
    /// Number of executors.
    #[arg(long)]
    pub num_executors: Option<String>,
    /// Total executor cores.
    #[arg(long)]
    pub total_executor_cores: Option<String>,
    /// Print what would be created instead of creating it.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of --dry-run.
    #[arg(long, short = 'o', value_enum, default_value = "yaml")]
    pub output: ObjectFormat,
    /// Which Spark version's spark-submit to reproduce (default: the newest supported).
    #[arg(long)]
    pub spark_version: Option<String>,
    /// Derive every generated id from this, so that submitting twice creates the same
    /// objects once (default: random ids, as spark-submit draws).
    #[arg(long)]
    pub submission_id: Option<String>,
    /// Show the status of the driver `namespace:pod` (globs allowed in the pod name).
    #[arg(long, value_name = "SUBMISSION_ID", conflicts_with = "kill")]
    pub status: Option<String>,
    /// Kill the driver `namespace:pod` (globs allowed in the pod name).
    #[arg(long, value_name = "SUBMISSION_ID")]
    pub kill: Option<String>,
    /// (benchmarks) With --dry-run: build the objects this many times and print the CPU
    /// time per build instead of the objects.
    #[arg(long, hide = true, requires = "dry_run")]
    pub bench_builds: Option<u32>,
    /// (benchmarks) Create this many submissions of the same application (ids derived from
    /// `bench-<i>`) through one client, and print the wall and CPU time per submission.
    #[arg(long, hide = true, conflicts_with = "dry_run")]
    pub bench_submissions: Option<u32>,
    /// Make the driver pod and the executors' pod template meet this Pod Security level
    /// (spark-submit has no such option, so the default builds what it builds): restricted
    /// fills in runAsNonRoot, the RuntimeDefault seccomp profile, no privilege escalation
    /// and dropped capabilities where the pod templates leave them unset, and refuses what
    /// contradicts the level; baseline refuses only what "baseline" forbids.
    #[arg(long, value_enum, default_value_t = PodSecurityLevel::None)]
    pub pod_security: PodSecurityLevel,
    /// Accepted for compatibility; sparkplane always explains what it does on errors.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// The primary resource (jar, .py or .R URI), then the application's arguments.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "RESOURCE [ARGS]"
    )]
    pub rest: Vec<String>,
}

/// `crd`.
#[derive(Debug, Args)]
pub struct CrdArgs {
    /// Write one file per CRD into this directory (as checked in under `deploy/crds/`)
    /// instead of printing them.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

/// `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Manifest files with SparkApplications or ScheduledSparkApplications.
    #[arg(short = 'f', long = "file", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value = "yaml")]
    pub output: ObjectFormat,
    /// The submission id every generated name and id derives from.
    #[arg(long, default_value = "render")]
    pub submission_id: String,
    /// Render this attempt (reruns get their own driver pod name).
    #[arg(long, default_value_t = 1)]
    pub attempt: u32,
    /// The UI settings, as the operator's.
    #[command(flatten)]
    pub ui: UiArgs,
    /// The sparkConf keys admitted, as the operator's.
    #[command(flatten)]
    pub tenancy: TenancyArgs,
    /// The Pod Security settings, as the operator's.
    #[command(flatten)]
    pub pod_security: PodSecurityArgs,
}

/// A Pod Security Standards level, or none.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PodSecurityLevel {
    /// Fill in what "restricted" requires where unset; refuse what contradicts it.
    Restricted,
    /// Refuse what "baseline" forbids; fill in nothing (images running as root start).
    Baseline,
    /// Pods as the manifest or command line describes them.
    None,
}

impl PodSecurityLevel {
    /// The builder's level.
    pub fn level(self) -> sparkplane_submit::PodSecurity {
        match self {
            PodSecurityLevel::Restricted => sparkplane_submit::PodSecurity::Restricted,
            PodSecurityLevel::Baseline => sparkplane_submit::PodSecurity::Baseline,
            PodSecurityLevel::None => sparkplane_submit::PodSecurity::None,
        }
    }
}

/// The Pod Security of the Spark pods, for `operator` and `render` alike.
#[derive(Debug, Args)]
pub struct PodSecurityArgs {
    /// The Pod Security level of the driver and executor pods of applications that do not
    /// choose one with the annotation `sparkplane.io/pod-security`.
    #[arg(long, value_enum, default_value_t = PodSecurityLevel::Restricted)]
    pub pod_security: PodSecurityLevel,
    /// The weakest level an application's annotation may choose.
    #[arg(long, value_enum, default_value_t = PodSecurityLevel::None)]
    pub pod_security_minimum: PodSecurityLevel,
}

impl PodSecurityArgs {
    /// The operator's Pod Security options; the default may not be below the minimum.
    pub fn options(&self) -> anyhow::Result<sparkplane_render::PodSecurityOptions> {
        let (default, minimum) = (self.pod_security.level(), self.pod_security_minimum.level());
        if default < minimum {
            anyhow::bail!(
                "--pod-security: expected a level of at least --pod-security-minimum \"{minimum}\", got \"{default}\""
            );
        }
        Ok(sparkplane_render::PodSecurityOptions { default, minimum })
    }
}

/// The Spark UI's Service and Ingress, for `operator` and `render` alike.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Do not create Services for the Spark UI.
    #[arg(long)]
    pub no_ui_service: bool,
    /// Create a UI Ingress at this URL (`{{$appName}}`, `{{$appNamespace}}`).
    #[arg(long)]
    pub ingress_url_format: Option<String>,
    /// The UI Ingress class.
    #[arg(long)]
    pub ingress_class_name: Option<String>,
}

impl UiArgs {
    /// The operator's UI options.
    pub fn options(&self) -> sparkplane_render::UiOptions {
        sparkplane_render::UiOptions {
            service: !self.no_ui_service,
            ingress_url_format: self.ingress_url_format.clone(),
            ingress_class_name: self.ingress_class_name.clone(),
            ..Default::default()
        }
    }
}

/// `operator`.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The Kubernetes API server (default: from the kubeconfig or the pod's service account).
    #[arg(long, env = "SPARKPLANE_KUBE_API")]
    pub kube_api: Option<String>,
    /// Namespaces to watch (repeat the flag; default: all).
    #[arg(long = "namespace", short = 'n')]
    pub namespaces: Vec<String>,
    /// Watch the namespaces carrying these labels (a label selector such as
    /// `spark=enabled`), as they are created, labelled and deleted.
    #[arg(long, conflicts_with = "namespaces")]
    pub namespace_selector: Option<String>,
    /// Address of the metrics and health endpoints.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub metrics_addr: std::net::SocketAddr,
    /// The API server URL drivers use to create their executors.
    #[arg(long, default_value = "https://kubernetes.default.svc")]
    pub driver_master: String,
    /// Status reconciles run at once.
    #[arg(long, default_value_t = 16)]
    pub status_workers: u16,
    /// Submissions created at once (apart from status reconciles).
    #[arg(long, default_value_t = 16)]
    pub submit_workers: usize,
    /// Seconds a just-submitted driver pod may be missing before the application fails.
    #[arg(long, default_value_t = 10)]
    pub driver_pod_creation_grace_period: u64,
    /// Seconds a driver image may fail to pull before the application fails.
    #[arg(long, default_value_t = 300)]
    pub image_pull_timeout: u64,
    /// Seconds a driver may find no node before the application fails (default: no limit).
    #[arg(long)]
    pub unschedulable_timeout: Option<u64>,
    /// The longest delay between retries, in seconds.
    #[arg(long, default_value_t = sparkplane_api::restart::DEFAULT_MAX_RETRY_DELAY.as_secs())]
    pub max_retry_delay: u64,
    /// The most executors recorded in an application's status.
    #[arg(long, default_value_t = 1000)]
    pub max_tracked_executors: usize,
    /// Time to live, in seconds, of terminated applications that set none.
    #[arg(long)]
    pub default_ttl: Option<u64>,
    /// Fail applications that would exceed a ResourceQuota of their namespace (driver and
    /// initial executors, plus what the quota has used) instead of submitting them.
    #[arg(long)]
    pub enable_resource_quota_enforcement: bool,
    /// The UI settings.
    #[command(flatten)]
    pub ui: UiArgs,
    /// The Pod Security of the Spark pods.
    #[command(flatten)]
    pub pod_security: PodSecurityArgs,
    /// The sparkConf keys admitted past the tenancy boundary.
    #[command(flatten)]
    pub tenancy: TenancyArgs,
    /// Take part in leader election through this Lease (`namespace/name`); only the leader
    /// reconciles.
    #[arg(long)]
    pub leader_election_lease: Option<String>,
}

/// Formats for printed Kubernetes objects.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ObjectFormat {
    /// YAML documents.
    Yaml,
    /// A JSON `v1/List`.
    Json,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// `cluster ...`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Start the clusters described in a manifest and wait until all workers registered.
    Up {
        /// Manifest file with one or more SparkCluster documents.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Seconds to wait for the workers.
        #[arg(long, default_value_t = 180)]
        timeout: u64,
    },
    /// Show the master URL, UI, workers, cores, memory and applications.
    Status {
        /// Cluster name; all clusters when omitted.
        name: Option<String>,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// List clusters.
    List,
    /// Change the number of workers; scale-down decommissions workers so running tasks
    /// finish first.
    Scale {
        /// Cluster name.
        name: String,
        /// Desired number of workers.
        #[arg(long)]
        workers: u32,
        /// Seconds to wait for the change to complete.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
    },
    /// Print a cluster's logs.
    Logs {
        /// Cluster name.
        name: String,
        /// Only this component: master, worker-N, history or supervisor.
        #[arg(long)]
        component: Option<String>,
        /// Only the last N lines of each log.
        #[arg(long)]
        tail: Option<usize>,
    },
    /// Stop every process of a cluster.
    Down {
        /// Cluster name.
        name: String,
    },
}

/// `app ...`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Run the SparkApplications of a manifest.
    Submit {
        /// Manifest file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Local cluster to run on; `local[*]` when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// Follow progress and exit 0 only if the application completed.
        #[arg(long)]
        wait: bool,
    },
    /// List applications (local ones; with --kube, the cluster's SparkApplications).
    List {
        /// Where the applications are.
        #[command(flatten)]
        kube: KubeTarget,
    },
    /// Show one application's state.
    Status {
        /// Application name.
        name: String,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// Where the application is.
        #[command(flatten)]
        kube: KubeTarget,
    },
    /// Print the driver's output.
    Logs {
        /// Application name.
        name: String,
        /// Where the application is.
        #[command(flatten)]
        kube: KubeTarget,
    },
    /// Stop a running local application.
    Kill {
        /// Application name.
        name: String,
    },
    /// Print the Kubernetes Events of a SparkApplication (needs --kube).
    Events {
        /// Application name.
        // Only SparkApplications on Kubernetes have these: without --kube the parser
        // refuses the command.
        #[arg(requires = "kube")]
        name: String,
        /// Where the application is.
        #[command(flatten)]
        kube: KubeTarget,
    },
    /// Forward a local port to a SparkApplication's Spark UI (needs --kube).
    Ui {
        /// Application name.
        // Only SparkApplications on Kubernetes have these: without --kube the parser
        // refuses the command.
        #[arg(requires = "kube")]
        name: String,
        /// Local port.
        #[arg(long, default_value_t = 4040)]
        port: u16,
        /// Where the application is.
        #[command(flatten)]
        kube: KubeTarget,
    },
    /// Delete a SparkApplication; its pods and objects go with it (needs --kube).
    Delete {
        /// Application name.
        // Only SparkApplications on Kubernetes have these: without --kube the parser
        // refuses the command.
        #[arg(requires = "kube")]
        name: String,
        /// Where the application is.
        #[command(flatten)]
        kube: KubeTarget,
    },
}

/// Where `app` commands look: the local runtime, or with `--kube` a Kubernetes cluster.
#[derive(Debug, Args, Clone, Default)]
pub struct KubeTarget {
    /// Act on the Kubernetes cluster of the kubeconfig (or in-cluster service account).
    #[arg(long)]
    pub kube: bool,
    /// The namespace (default: the kubeconfig's, else `default`).
    #[arg(long, short = 'n', requires = "kube")]
    pub namespace: Option<String>,
    /// The API server URL, instead of the kubeconfig's.
    #[arg(long, requires = "kube")]
    pub kube_api: Option<String>,
}

/// `__supervise`.
#[derive(Debug, Args)]
pub struct SuperviseArgs {
    /// The cluster's state directory.
    #[arg(long)]
    pub cluster_dir: PathBuf,
}

/// `__app-runner`.
#[derive(Debug, Args)]
pub struct AppRunnerArgs {
    /// The application's state directory.
    #[arg(long)]
    pub app_dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks argument ids only when a subcommand is first parsed, and only in debug
    /// builds; this checks every subcommand up front.
    #[test]
    fn command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
