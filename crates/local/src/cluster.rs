//! Cluster operations behind `sparkplane cluster ...`: up, status, scale, logs, down, list.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use sparkplane_api::version::DEFAULT_VERSION;
use sparkplane_api::{SparkCluster, SparkVersion};
use sparkplane_distro::Distributions;
use sparkplane_plan::{ClusterLayout, ResolvedPorts, Role};

use crate::control::{self, ProcState, Request, Response, StatusReport};
use crate::daemon::{self, Daemon};
use crate::spark_http::{self, MasterState};
use crate::state::{self, ClusterState};
use crate::{ports, procs, secret, Home, LocalError};

pub use sparkplane_plan::cluster::CLUSTER_MARKER_ENV as MARKER_ENV;

/// Address every local cluster binds to: loopback only, so nothing is exposed to the network.
pub const LOCAL_HOST: &str = "127.0.0.1";

/// Options of `cluster up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// How long to wait for every worker to register.
    pub timeout: Duration,
    /// The program to run as `<exe> __supervise --cluster-dir DIR` (normally this binary).
    pub exe: PathBuf,
}

/// What `cluster up` started.
#[derive(Debug, Clone)]
pub struct UpReport {
    /// The recorded state.
    pub state: ClusterState,
    /// `spark://host:port`.
    pub master_url: String,
    /// Master UI.
    pub master_ui_url: String,
    /// History server UI.
    pub history_ui_url: Option<String>,
    /// Warnings to show (e.g. a substituted patch release).
    pub warnings: Vec<String>,
}

/// True when the cluster's supervisor is running.
pub fn is_up(layout: &ClusterLayout) -> bool {
    supervisor_pid(layout).is_some_and(procs::is_alive)
}

fn supervisor_pid(layout: &ClusterLayout) -> Option<u32> {
    std::fs::read_to_string(layout.supervisor_pid_file())
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// Resolves the version a manifest asks for to an installed distribution.
pub fn resolve_spark(
    distros: &Distributions,
    source: &str,
    field: &str,
    requested: Option<&str>,
) -> Result<(SparkVersion, PathBuf, Vec<String>), LocalError> {
    let wanted = match requested {
        Some(v) => SparkVersion::parse_supported(v)
            .map_err(|e| LocalError::Other(format!("{source}: {field}: {e}")))?,
        None => DEFAULT_VERSION,
    };
    let resolved = distros
        .resolve(&wanted)
        .map_err(|e| LocalError::Other(format!("{source}: {field}: {e}")))?;
    let mut warnings = Vec::new();
    if resolved.substituted {
        warnings.push(format!(
            "{source}: {field}: Spark {wanted} is not installed; using {} of the same line",
            resolved.installation.version
        ));
    }
    Ok((
        resolved.installation.version,
        resolved.installation.home,
        warnings,
    ))
}

fn pick_port(
    source: &str,
    field: &str,
    wanted: Option<u16>,
    default_start: u16,
    taken: &[u16],
) -> Result<u16, LocalError> {
    match wanted {
        Some(port) if taken.contains(&port) || !ports::is_free(LOCAL_HOST, port) => {
            Err(LocalError::PortTaken {
                source_name: source.to_string(),
                field: field.to_string(),
                host: LOCAL_HOST.to_string(),
                port,
            })
        }
        Some(port) => Ok(port),
        None => ports::first_free_from(LOCAL_HOST, default_start, taken),
    }
}

/// Starts the cluster described by `cluster` (already validated) and waits until every
/// worker is registered. On any failure nothing of the cluster is left running.
pub async fn up(
    home: &Home,
    distros: &Distributions,
    source: &str,
    cluster: &SparkCluster,
    opts: &UpOptions,
) -> Result<UpReport, LocalError> {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let layout = home.cluster(&name);
    if is_up(&layout) {
        return Err(LocalError::ClusterAlreadyUp(name));
    }
    let spec = &cluster.spec;
    let (version, spark_home, warnings) = resolve_spark(
        distros,
        source,
        "spec.sparkVersion",
        spec.spark_version.as_deref(),
    )?;
    let java = sparkplane_distro::find_java(version.min_java())?;
    let java_home = java.home();

    let mut taken = Vec::new();
    let master_rpc = pick_port(source, "spec.master.port", spec.master.port, 7077, &taken)?;
    taken.push(master_rpc);
    let master_ui = pick_port(
        source,
        "spec.master.webUIPort",
        spec.master.web_ui_port,
        8080,
        &taken,
    )?;
    taken.push(master_ui);
    let history_ui = match &spec.history_server {
        Some(h) if h.enabled => Some(pick_port(
            source,
            "spec.historyServer.port",
            h.port,
            18080,
            &taken,
        )?),
        _ => None,
    };

    // A fresh start: whatever a previous run left (logs, recovery state) goes.
    if layout.root().exists() {
        std::fs::remove_dir_all(layout.root())
            .map_err(LocalError::io("cannot clear", layout.root()))?;
    }
    for dir in layout.directories() {
        std::fs::create_dir_all(&dir).map_err(LocalError::io("cannot create", &dir))?;
    }
    let id = format!("{name}-{}", hex::encode(rand::random::<[u8; 6]>()));
    let state = ClusterState {
        name: name.clone(),
        id: id.clone(),
        source: source.to_string(),
        manifest: cluster.clone(),
        version: version.to_string(),
        spark_home,
        java_home,
        host: LOCAL_HOST.to_string(),
        ports: ResolvedPorts {
            master_rpc,
            master_ui,
            history_ui,
        },
        created: chrono::Utc::now().to_rfc3339(),
    };
    let plan = state.plan(&layout)?;
    if plan.authenticate {
        secret::create(&layout.secret_file())?;
    }
    state::write_json(&layout.state_file(), &state)?;

    spawn_supervisor(&layout, &id, &opts.exe)?;
    match wait_ready(
        &name,
        &layout,
        &plan.master_ui_url,
        plan.initial_workers,
        opts.timeout,
    )
    .await
    {
        Ok(()) => Ok(UpReport {
            state,
            master_url: plan.master_url,
            master_ui_url: plan.master_ui_url,
            history_ui_url: plan.history_ui_url,
            warnings,
        }),
        Err(reason) => {
            let _ = stop(&name, &layout, &id).await;
            Err(LocalError::StartFailed { name, reason })
        }
    }
}

fn spawn_supervisor(layout: &ClusterLayout, id: &str, exe: &Path) -> Result<(), LocalError> {
    daemon::start(&Daemon {
        what: "supervisor",
        exe,
        args: vec![
            "__supervise".as_ref(),
            "--cluster-dir".as_ref(),
            layout.root().as_os_str(),
        ],
        marker: (MARKER_ENV, id),
        log: layout.supervisor_log(),
    })
}

/// The last lines of a log that explain a failure (errors and exceptions first).
pub fn log_hint(path: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(path) else {
        return String::new();
    };
    let interesting = text
        .lines()
        .rev()
        .find(|l| l.contains("Exception") || l.contains("ERROR") || l.contains("Error"));
    match interesting {
        Some(l) => format!("{} (see {})", l.trim(), path.display()),
        None => format!("see {}", path.display()),
    }
}

async fn wait_ready(
    name: &str,
    layout: &ClusterLayout,
    master_ui: &str,
    workers: u32,
    timeout: Duration,
) -> Result<(), String> {
    let http = spark_http::client().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    let json_url = format!("{master_ui}/json/");
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if Instant::now() > deadline {
            return Err(format!(
                "not all {workers} workers registered within {} s; {}",
                timeout.as_secs(),
                log_hint(&layout.log_file(Role::Master))
            ));
        }
        if !layout.control_socket().exists() {
            if supervisor_pid(layout).is_some_and(|p| !procs::is_alive(p)) {
                return Err(format!(
                    "the supervisor exited; {}",
                    log_hint(&layout.supervisor_log())
                ));
            }
            continue;
        }
        // A daemon that already crashed during start-up will most likely keep crashing (port
        // taken, bad configuration): fail fast with its log line instead of waiting it out.
        if let Ok(Response::Status(report)) =
            control::call(name, &layout.control_socket(), &Request::Status).await
        {
            if let Some(p) = report
                .processes
                .iter()
                .find(|p| p.restarts >= 1 || p.state == ProcState::Backoff)
            {
                return Err(format!(
                    "{} exited during start-up: {}",
                    p.role,
                    log_hint(&layout.log_file(p.role))
                ));
            }
        }
        if let Ok(m) = spark_http::get_json::<MasterState>(&http, &json_url).await {
            if m.status == "ALIVE" && m.aliveworkers >= workers {
                return Ok(());
            }
        }
    }
}

/// Everything `cluster status` shows.
#[derive(Debug, Clone)]
pub struct ClusterStatus {
    /// The recorded state.
    pub state: ClusterState,
    /// Whether the supervisor runs.
    pub up: bool,
    /// The supervisor's report.
    pub processes: Option<StatusReport>,
    /// The master's view, when it answers.
    pub master: Option<MasterState>,
    /// `spark://host:port`.
    pub master_url: String,
    /// Master UI.
    pub master_ui_url: String,
    /// History server UI.
    pub history_ui_url: Option<String>,
}

/// The layout and recorded state of cluster `name`; NoSuchCluster when it was never up.
pub(crate) fn load_state(
    home: &Home,
    name: &str,
) -> Result<(ClusterLayout, ClusterState), LocalError> {
    let layout = home.cluster(name);
    if !layout.state_file().exists() {
        return Err(LocalError::NoSuchCluster(name.to_string()));
    }
    let st = ClusterState::load(&layout.state_file())?;
    Ok((layout, st))
}

/// Reads the cluster's state from its supervisor and its master.
pub async fn status(home: &Home, name: &str) -> Result<ClusterStatus, LocalError> {
    let (layout, st) = load_state(home, name)?;
    let plan = st.plan(&layout)?;
    let up = is_up(&layout);
    let (processes, master) = if up {
        let procs = match control::call(name, &layout.control_socket(), &Request::Status).await {
            Ok(Response::Status(r)) => Some(r),
            _ => None,
        };
        let http = spark_http::client()?;
        let master =
            spark_http::get_json::<MasterState>(&http, &format!("{}/json/", plan.master_ui_url))
                .await
                .ok();
        (procs, master)
    } else {
        (None, None)
    };
    Ok(ClusterStatus {
        state: st,
        up,
        processes,
        master,
        master_url: plan.master_url,
        master_ui_url: plan.master_ui_url,
        history_ui_url: plan.history_ui_url,
    })
}

/// Names of every cluster with its up/down state.
pub fn list(home: &Home) -> Result<Vec<(String, bool)>, LocalError> {
    Ok(Home::list_names(&home.clusters_dir())?
        .into_iter()
        .map(|n| {
            let up = is_up(&home.cluster(&n));
            (n, up)
        })
        .collect())
}

/// Scales the cluster to `workers` and waits until exactly that many are registered and no
/// worker is still draining.
pub async fn scale(
    home: &Home,
    name: &str,
    workers: u32,
    timeout: Duration,
) -> Result<(), LocalError> {
    let (layout, st) = load_state(home, name)?;
    if !is_up(&layout) {
        return Err(LocalError::ClusterNotRunning(name.to_string()));
    }
    let plan = st.plan(&layout)?;
    match control::call(name, &layout.control_socket(), &Request::Scale { workers }).await? {
        Response::Ok => {}
        Response::Error { message } => {
            return Err(LocalError::ScaleOutOfBounds {
                name: name.to_string(),
                wanted: workers,
                reason: message,
            })
        }
        Response::Status(_) => {
            return Err(LocalError::Control {
                name: name.to_string(),
                reason: "unexpected answer".into(),
            })
        }
    }
    let http = spark_http::client()?;
    let deadline = Instant::now() + timeout;
    loop {
        let draining = match control::call(name, &layout.control_socket(), &Request::Status).await?
        {
            Response::Status(r) => r.processes.iter().any(|p| {
                matches!(p.role, Role::Worker(_))
                    && matches!(p.state, ProcState::Decommissioning | ProcState::Stopping)
            }),
            _ => true,
        };
        let alive =
            spark_http::get_json::<MasterState>(&http, &format!("{}/json/", plan.master_ui_url))
                .await
                .map(|m| m.workers.iter().filter(|w| w.state == "ALIVE").count() as u32)
                .unwrap_or(u32::MAX);
        if !draining && alive == workers {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(LocalError::Other(format!(
                "cluster {name:?}: scaling to {workers} workers did not finish within {} s",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn stop(name: &str, layout: &ClusterLayout, id: &str) -> Result<(), LocalError> {
    if layout.control_socket().exists() {
        let _ = control::call(name, &layout.control_socket(), &Request::Down).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Some(pid) = supervisor_pid(layout).filter(|p| procs::is_alive(*p)) {
        if Instant::now() > deadline {
            procs::signal(pid, Signal::SIGKILL);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let left = procs::kill_marked(MARKER_ENV, id, 50);
    if !left.is_empty() {
        return Err(LocalError::Other(format!(
            "cluster {name:?}: processes {left:?} survived SIGKILL"
        )));
    }
    Ok(())
}

/// Stops every process of the cluster and removes its runtime files; logs and `cluster.json`
/// stay for `cluster logs` until the next `cluster up`.
pub async fn down(home: &Home, name: &str) -> Result<(), LocalError> {
    let (layout, st) = load_state(home, name)?;
    stop(name, &layout, &st.id).await?;
    for p in [
        layout.secret_file(),
        layout.control_socket(),
        layout.supervisor_pid_file(),
    ] {
        let _ = std::fs::remove_file(p);
    }
    for d in [
        layout.conf_dir(),
        layout.root().join("work"),
        layout.recovery_dir(),
    ] {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(())
}

/// Log files of the cluster, optionally of one component (`master`, `worker-N`, `history`,
/// `supervisor`).
pub fn log_files(
    home: &Home,
    name: &str,
    component: Option<&str>,
) -> Result<Vec<PathBuf>, LocalError> {
    let (layout, _) = load_state(home, name)?;
    let dir = layout.logs_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(LocalError::io("cannot list", &dir))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    if let Some(c) = component {
        let want = format!("{c}.log");
        files.retain(|p| p.file_name().is_some_and(|f| f.to_string_lossy() == want));
        if files.is_empty() {
            return Err(LocalError::Other(format!(
                "cluster {name:?} has no component {c:?} (components: master, worker-N, history, supervisor)"
            )));
        }
    }
    Ok(files)
}
