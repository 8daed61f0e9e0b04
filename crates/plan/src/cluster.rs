//! A local standalone cluster as processes: the master, N workers and the history server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sparkplane_api::cluster::{RecoveryMode, SparkCluster, SparkClusterSpec};
use sparkplane_api::SparkVersion;

use crate::conf::{layer, render_properties, SparkConf};
use crate::layout::ClusterLayout;
use crate::process::{ProcessSpec, Role};

/// Environment variable that marks every process of a cluster (daemons and, through
/// inheritance, their executors), so that `cluster down` and the tests can find them all.
pub const CLUSTER_MARKER_ENV: &str = "SPARKPLANE_CLUSTER_ID";

/// Environment variable Spark reads the RPC authentication secret from. Env rather than a
/// `-D` flag or a properties file so the secret never shows in `ps` or on disk beyond the
/// 0600 secret file.
pub const AUTH_SECRET_ENV: &str = "_SPARK_AUTH_SECRET";

/// Default heap of the master daemon.
pub const DEFAULT_MASTER_MEMORY: &str = "1g";
/// Default heap of a worker daemon.
pub const DEFAULT_WORKER_DAEMON_MEMORY: &str = "512m";
pub use sparkplane_api::cluster::DEFAULT_DECOMMISSION_TIMEOUT_SECONDS;

/// Ports chosen for the cluster's fixed endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedPorts {
    /// Master RPC port.
    pub master_rpc: u16,
    /// Master web UI port.
    pub master_ui: u16,
    /// History server UI port, when there is one.
    pub history_ui: Option<u16>,
}

/// Everything `plan_cluster` needs besides the manifest, gathered by the shell.
#[derive(Debug, Clone)]
pub struct ClusterInputs<'a> {
    /// The validated manifest.
    pub cluster: &'a SparkCluster,
    /// The Spark release that will run (may differ in patch from the manifest's request).
    pub version: SparkVersion,
    /// Its SPARK_HOME.
    pub spark_home: &'a Path,
    /// JAVA_HOME to pass on, if the shell found one.
    pub java_home: Option<&'a Path>,
    /// Where the cluster keeps its files.
    pub layout: &'a ClusterLayout,
    /// The ports.
    pub ports: ResolvedPorts,
    /// The address everything binds to and advertises.
    pub host: &'a str,
    /// A unique id for this run of the cluster (the process marker).
    pub cluster_id: &'a str,
}

/// The cluster as processes, plus what applications need to use it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPlan {
    /// The master process.
    pub master: ProcessSpec,
    /// The history server, if enabled.
    pub history: Option<ProcessSpec>,
    /// `spark://host:port`.
    pub master_url: String,
    /// `http://host:port` of the master UI (its `/json/` endpoint gives the cluster state).
    pub master_ui_url: String,
    /// `http://host:port` of the history server.
    pub history_ui_url: Option<String>,
    /// Spark configuration every application submitted to this cluster starts from.
    pub app_defaults: SparkConf,
    /// Whether RPC authentication is on (the shell must then provide the secret).
    pub authenticate: bool,
    /// Workers wanted initially.
    pub initial_workers: u32,
    /// Lower bound for scaling.
    pub min_workers: u32,
    /// Upper bound for scaling (None: unbounded).
    pub max_workers: Option<u32>,
    /// How long scale-down waits for a decommissioned worker's executors, in seconds.
    pub decommission_timeout_seconds: u64,
    worker_template: WorkerTemplate,
}

/// What every worker shares; ports and index are filled in per worker.
#[derive(Debug, Clone, PartialEq)]
struct WorkerTemplate {
    program: PathBuf,
    env: BTreeMap<String, String>,
    secret_env: Vec<String>,
    conf: SparkConf,
    cores: i32,
    memory: String,
    host: String,
    master_url: String,
    layout: ClusterLayout,
}

impl ClusterPlan {
    /// The process of worker `index` listening on `rpc_port` and serving its UI on `ui_port`.
    pub fn worker(&self, index: u32, rpc_port: u16, ui_port: u16) -> ProcessSpec {
        let t = &self.worker_template;
        let role = Role::Worker(index);
        let props = t.layout.properties_file(role);
        ProcessSpec {
            role,
            program: t.program.clone(),
            args: vec![
                "org.apache.spark.deploy.worker.Worker".into(),
                "--host".into(),
                t.host.clone(),
                "--port".into(),
                rpc_port.to_string(),
                "--webui-port".into(),
                ui_port.to_string(),
                "--cores".into(),
                t.cores.to_string(),
                "--memory".into(),
                t.memory.clone(),
                "--work-dir".into(),
                t.layout.worker_dir(index).display().to_string(),
                "--properties-file".into(),
                props.display().to_string(),
                t.master_url.clone(),
            ],
            env: t.env.clone(),
            secret_env: t.secret_env.clone(),
            log: t.layout.log_file(role),
            properties: Some((props, render_properties(&t.conf))),
        }
    }
}

fn conf_of(pairs: &[(&str, &str)]) -> SparkConf {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What every process of the cluster shares, derived once from the inputs.
struct Shared<'a> {
    spec: &'a SparkClusterSpec,
    layout: &'a ClusterLayout,
    host: &'a str,
    authenticate: bool,
    spark_class: PathBuf,
    base_env: BTreeMap<String, String>,
    secret_env: Vec<String>,
    /// The conf every daemon gets on top of its own sparkConf.
    common: SparkConf,
}

/// Plans the processes of a local cluster. Pure: the same inputs give the same plan.
pub fn plan_cluster(inputs: &ClusterInputs<'_>) -> ClusterPlan {
    let sh = shared(inputs);
    let spec = sh.spec;
    let master_url = format!("spark://{}:{}", sh.host, inputs.ports.master_rpc);
    let master_ui_url = format!("http://{}:{}", sh.host, inputs.ports.master_ui);
    let master = master_process(inputs, &sh);
    let worker_template = worker_template(&sh, &master_url);
    let mut app_own = app_own_conf(sh.authenticate);
    let history = history_server(inputs, &sh, &mut app_own);
    let (history, history_ui_url) = history.unzip();
    let app_defaults = layer([&spec.spark_conf, &app_own]);

    let clamp = |v: i32| u32::try_from(v).unwrap_or(0);
    ClusterPlan {
        master,
        history,
        master_url,
        master_ui_url,
        history_ui_url,
        app_defaults,
        authenticate: sh.authenticate,
        initial_workers: clamp(spec.workers.replicas),
        min_workers: spec.workers.min_replicas.map(clamp).unwrap_or(0),
        max_workers: spec.workers.max_replicas.map(clamp),
        decommission_timeout_seconds: u64::try_from(
            spec.workers
                .decommission_timeout_seconds
                .unwrap_or(DEFAULT_DECOMMISSION_TIMEOUT_SECONDS),
        )
        .unwrap_or(0),
        worker_template,
    }
}

/// The environment, secret variables and conf every daemon shares.
fn shared<'a>(inputs: &ClusterInputs<'a>) -> Shared<'a> {
    let spec = &inputs.cluster.spec;
    let layout = inputs.layout;
    let authenticate = spec
        .security
        .as_ref()
        .map(|s| s.authenticate)
        .unwrap_or(true);
    let mut base_env = BTreeMap::new();
    base_env.insert(
        "SPARK_HOME".to_string(),
        inputs.spark_home.display().to_string(),
    );
    base_env.insert(
        "SPARK_CONF_DIR".to_string(),
        layout.conf_dir().display().to_string(),
    );
    base_env.insert("SPARK_LOCAL_IP".to_string(), inputs.host.to_string());
    base_env.insert(
        CLUSTER_MARKER_ENV.to_string(),
        inputs.cluster_id.to_string(),
    );
    if let Some(j) = inputs.java_home {
        base_env.insert("JAVA_HOME".to_string(), j.display().to_string());
    }
    let secret_env = if authenticate {
        vec![AUTH_SECRET_ENV.to_string()]
    } else {
        Vec::new()
    };
    // Every daemon: fail instead of drifting to the next port, so the ports sparkplane reports
    // are the ports in use and a taken port is an error, not a surprise.
    let mut common = conf_of(&[("spark.port.maxRetries", "0")]);
    if authenticate {
        common.insert("spark.authenticate".into(), "true".into());
    }
    Shared {
        spec,
        layout,
        host: inputs.host,
        authenticate,
        spark_class: inputs.spark_home.join("bin").join("spark-class"),
        base_env,
        secret_env,
        common,
    }
}

/// The master's own conf: no REST submission server, and recovery when asked for.
fn master_own_conf(spec: &SparkClusterSpec, layout: &ClusterLayout) -> SparkConf {
    let mut master_own = conf_of(&[("spark.master.rest.enabled", "false")]);
    if let Some(rec) = &spec.recovery {
        let dir = rec
            .directory
            .clone()
            .unwrap_or_else(|| layout.recovery_dir().display().to_string());
        match rec.mode {
            RecoveryMode::None => {}
            RecoveryMode::FileSystem => {
                master_own.insert("spark.deploy.recoveryMode".into(), "FILESYSTEM".into());
                master_own.insert("spark.deploy.recoveryDirectory".into(), dir);
            }
            RecoveryMode::RocksDb => {
                master_own.insert("spark.deploy.recoveryMode".into(), "ROCKSDB".into());
                master_own.insert("spark.deploy.recoveryDirectory".into(), dir);
            }
        }
    }
    master_own
}

/// The master process.
fn master_process(inputs: &ClusterInputs<'_>, sh: &Shared<'_>) -> ProcessSpec {
    let spec = sh.spec;
    let master_own = master_own_conf(spec, sh.layout);
    let master_conf = layer([
        &spec.spark_conf,
        &spec.master.spark_conf,
        &sh.common,
        &master_own,
    ]);
    let mut master_env = sh.base_env.clone();
    master_env.insert(
        "SPARK_DAEMON_MEMORY".into(),
        spec.master
            .memory
            .clone()
            .unwrap_or_else(|| DEFAULT_MASTER_MEMORY.to_string()),
    );
    let master_props = sh.layout.properties_file(Role::Master);
    ProcessSpec {
        role: Role::Master,
        program: sh.spark_class.clone(),
        args: vec![
            "org.apache.spark.deploy.master.Master".into(),
            "--host".into(),
            sh.host.to_string(),
            "--port".into(),
            inputs.ports.master_rpc.to_string(),
            "--webui-port".into(),
            inputs.ports.master_ui.to_string(),
            "--properties-file".into(),
            master_props.display().to_string(),
        ],
        env: master_env,
        secret_env: sh.secret_env.clone(),
        log: sh.layout.log_file(Role::Master),
        properties: Some((master_props, render_properties(&master_conf))),
    }
}

/// What every worker shares. Decommissioning is what makes scale-down graceful (SIGPWR →
/// the master stops placing work there and drivers migrate blocks off its executors).
fn worker_template(sh: &Shared<'_>, master_url: &str) -> WorkerTemplate {
    let spec = sh.spec;
    let worker_own = conf_of(&sparkplane_api::cluster::WORKER_DECOMMISSION_CONF);
    let worker_conf = layer([
        &spec.spark_conf,
        &spec.workers.spark_conf,
        &sh.common,
        &worker_own,
    ]);
    let mut worker_env = sh.base_env.clone();
    worker_env.insert(
        "SPARK_DAEMON_MEMORY".into(),
        spec.workers
            .daemon_memory
            .clone()
            .unwrap_or_else(|| DEFAULT_WORKER_DAEMON_MEMORY.to_string()),
    );
    WorkerTemplate {
        program: sh.spark_class.clone(),
        env: worker_env,
        secret_env: sh.secret_env.clone(),
        conf: worker_conf,
        cores: spec.workers.cores,
        memory: spec.workers.memory.clone(),
        host: sh.host.to_string(),
        master_url: master_url.to_string(),
        layout: sh.layout.clone(),
    }
}

/// Applications' own conf: graceful decommissioning on their side too.
fn app_own_conf(authenticate: bool) -> SparkConf {
    let mut app_own = conf_of(&sparkplane_api::cluster::APP_DECOMMISSION_CONF);
    if authenticate {
        app_own.insert("spark.authenticate".into(), "true".into());
    }
    app_own
}

/// The history server and its UI URL, when enabled and given a port; applications then write
/// event logs where it reads them (added to `app_own`).
fn history_server(
    inputs: &ClusterInputs<'_>,
    sh: &Shared<'_>,
    app_own: &mut SparkConf,
) -> Option<(ProcessSpec, String)> {
    let spec = sh.spec;
    let history_enabled = spec.history_server.as_ref().is_some_and(|h| h.enabled);
    let (true, Some(port)) = (history_enabled, inputs.ports.history_ui) else {
        return None;
    };
    let events_dir = spec
        .history_server
        .as_ref()
        .and_then(|h| h.log_directory.clone())
        .unwrap_or_else(|| format!("file:{}", sh.layout.events_dir().display()));
    app_own.insert("spark.eventLog.enabled".into(), "true".into());
    app_own.insert("spark.eventLog.dir".into(), events_dir.clone());
    let own = conf_of(&[
        ("spark.history.fs.logDirectory", events_dir.as_str()),
        ("spark.history.ui.port", &port.to_string()),
    ]);
    let conf = layer([
        &spec.spark_conf,
        &conf_of(&[("spark.port.maxRetries", "0")]),
        &own,
    ]);
    let props = sh.layout.properties_file(Role::HistoryServer);
    let mut env = sh.base_env.clone();
    env.insert("SPARK_DAEMON_MEMORY".into(), "512m".into());
    let process = ProcessSpec {
        role: Role::HistoryServer,
        program: sh.spark_class.clone(),
        args: vec![
            "org.apache.spark.deploy.history.HistoryServer".into(),
            "--properties-file".into(),
            props.display().to_string(),
        ],
        env,
        secret_env: Vec::new(),
        log: sh.layout.log_file(Role::HistoryServer),
        properties: Some((props, render_properties(&conf))),
    };
    Some((process, format!("http://{}:{port}", sh.host)))
}

#[cfg(test)]
mod tests;
