//! Application operations behind `sparkplane app ...`: submit, wait, list, status, logs, kill.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use sparkplane_api::{SparkApplication, SparkVersion};
use sparkplane_distro::Distributions;
use sparkplane_plan::submit::{self, SubmitInputs, Target};

use super::progress::{self, Progress};
use super::record::{AppLayout, AppRecord, AppStatus};
use super::APP_MARKER_ENV;
use crate::cluster::{is_up, load_state, resolve_spark};
use crate::daemon::{self, Daemon};
use crate::state::{read_json, write_json};
use crate::{ports, procs, spark_http, Home, LocalError};

/// What `submit` did.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The stored record.
    pub record: AppRecord,
    /// Warnings to show (fields without local meaning, substitutions).
    pub warnings: Vec<String>,
}

/// Where to run.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// A local cluster, or `local[*]` when None.
    pub cluster: Option<String>,
    /// The program to run as `<exe> __app-runner --app-dir DIR` (normally this binary).
    pub exe: PathBuf,
}

fn absolute_dir_of(source: &str) -> PathBuf {
    let parent = Path::new(source)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    if parent.is_absolute() {
        parent
    } else {
        std::env::current_dir()
            .map(|d| d.join(&parent))
            .unwrap_or(parent)
    }
}

/// Runs `app` (validated) from manifest `source` in the background and returns once its
/// runner recorded the first state.
pub async fn submit(
    home: &Home,
    distros: &Distributions,
    source: &str,
    app: &SparkApplication,
    opts: &SubmitOptions,
) -> Result<Submitted, LocalError> {
    let name = app.metadata.name.clone().unwrap_or_default();
    let mut warnings = Vec::new();
    let (version, spark_home, master, defaults, secret_file, authenticate, cluster_name) =
        match &opts.cluster {
            Some(cname) => {
                let (layout, st) = load_state(home, cname)?;
                if !is_up(&layout) {
                    return Err(LocalError::ClusterNotRunning(cname.clone()));
                }
                let plan = st.plan(&layout)?;
                let version = st.spark_version(&layout)?;
                if let Ok(asked) = app.spec.spark_version.parse::<SparkVersion>() {
                    if (asked.major, asked.minor) != (version.major, version.minor) {
                        warnings.push(format!(
                            "{source}: spec.sparkVersion: asks for {asked} but cluster {cname:?} runs {version}; the application runs on {version}"
                        ));
                    }
                }
                let secret = plan.authenticate.then(|| layout.secret_file());
                (
                    version,
                    st.spark_home.clone(),
                    plan.master_url.clone(),
                    plan.app_defaults.clone(),
                    secret,
                    plan.authenticate,
                    Some(cname.clone()),
                )
            }
            None => {
                let (version, spark_home, w) = resolve_spark(
                    distros,
                    source,
                    "spec.sparkVersion",
                    Some(&app.spec.spark_version),
                )?;
                warnings.extend(w);
                (
                    version,
                    spark_home,
                    "local[*]".to_string(),
                    Default::default(),
                    None,
                    false,
                    None,
                )
            }
        };
    let java = sparkplane_distro::find_java(version.min_java())?;
    let java_home = java.home();

    let layout = AppLayout::new(home.app_dir(&name));
    if let Ok(st) = read_json::<AppStatus>(&layout.status_file()) {
        if !st.finished && procs::is_alive(st.runner_pid) {
            return Err(LocalError::AppActive(name));
        }
    }

    let ui_port = ports::ephemeral("127.0.0.1", &[])?;
    let secret_properties = layout.secret_properties();
    let manifest_dir = absolute_dir_of(source);
    let target = match &opts.cluster {
        Some(_) => Target::Cluster {
            master_url: &master,
            defaults: &defaults,
            authenticate,
        },
        None => Target::Local,
    };
    let planned = submit::plan_submit(&SubmitInputs {
        app,
        source,
        manifest_dir: &manifest_dir,
        spark_home: &spark_home,
        java_home: java_home.as_deref(),
        target,
        ui_port,
        secret_properties: secret_file.as_ref().map(|_| secret_properties.as_path()),
    })
    .map_err(|ps| LocalError::Invalid(ps.iter().map(ToString::to_string).collect()))?;
    warnings.extend(planned.warnings.iter().map(ToString::to_string));
    let missing: Vec<String> = planned
        .local_files
        .iter()
        .filter(|(_, p)| !p.exists())
        .map(|(field, p)| format!("error: {source}: {field}: {} does not exist", p.display()))
        .collect();
    if !missing.is_empty() {
        return Err(LocalError::Invalid(missing));
    }

    if layout.root().exists() {
        std::fs::remove_dir_all(layout.root())
            .map_err(LocalError::io("cannot clear", layout.root()))?;
    }
    std::fs::create_dir_all(layout.root())
        .map_err(LocalError::io("cannot create", layout.root()))?;
    let record = AppRecord {
        name: name.clone(),
        id: format!("{name}-{}", hex::encode(rand::random::<[u8; 6]>())),
        source: source.to_string(),
        cluster: cluster_name,
        master,
        spark_version: version.to_string(),
        command: planned.command,
        secret_file,
        ui_port,
        retry: planned.retry,
        time_to_live_seconds: planned.time_to_live_seconds,
        suspend: planned.suspend,
        created: chrono::Utc::now().to_rfc3339(),
    };
    write_json(&layout.record_file(), &record)?;
    spawn_runner(&layout, &record, &opts.exe)?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !layout.status_file().exists() {
        if Instant::now() > deadline {
            return Err(LocalError::Other(format!(
                "the runner of {name:?} did not start; see {}",
                layout.runner_log().display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Submitted { record, warnings })
}

fn spawn_runner(layout: &AppLayout, record: &AppRecord, exe: &Path) -> Result<(), LocalError> {
    // A fresh log per submission: the runner's log describes this run only.
    let _ = std::fs::remove_file(layout.runner_log());
    daemon::start(&Daemon {
        what: "application runner",
        exe,
        args: vec![
            "__app-runner".as_ref(),
            "--app-dir".as_ref(),
            layout.root().as_os_str(),
        ],
        marker: (APP_MARKER_ENV, &record.id),
        log: layout.runner_log(),
    })
}

fn load(home: &Home, name: &str) -> Result<(AppLayout, AppRecord, AppStatus), LocalError> {
    let layout = AppLayout::new(home.app_dir(name));
    if !layout.record_file().exists() {
        return Err(LocalError::NoSuchApp(name.to_string()));
    }
    let record: AppRecord = read_json(&layout.record_file())?;
    let status: AppStatus = read_json(&layout.status_file())?;
    Ok((layout, record, status))
}

/// The record and status of one application.
pub fn status(home: &Home, name: &str) -> Result<(AppRecord, AppStatus), LocalError> {
    let (_, r, s) = load(home, name)?;
    Ok((r, s))
}

/// Every application with its status.
pub fn list(home: &Home) -> Result<Vec<(AppRecord, AppStatus)>, LocalError> {
    let mut out = Vec::new();
    for n in Home::list_names(&home.apps_dir())? {
        if let Ok((_, r, s)) = load(home, &n) {
            out.push((r, s));
        }
    }
    Ok(out)
}

/// The driver's combined log and its stdout only.
pub fn log_files(home: &Home, name: &str) -> Result<(PathBuf, PathBuf), LocalError> {
    let (layout, _, _) = load(home, name)?;
    Ok((layout.driver_log(), layout.driver_stdout()))
}

/// Stops the application and waits until its runner recorded the final state.
pub async fn kill(home: &Home, name: &str) -> Result<AppStatus, LocalError> {
    let (layout, _, status) = load(home, name)?;
    if status.finished || !procs::is_alive(status.runner_pid) {
        return Ok(status);
    }
    procs::signal(status.runner_pid, Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let st: AppStatus = read_json(&layout.status_file())?;
        if st.finished || !procs::is_alive(st.runner_pid) {
            return Ok(st);
        }
        if Instant::now() > deadline {
            return Err(LocalError::Other(format!(
                "application {name:?} did not stop within 30 s"
            )));
        }
    }
}

/// Follows the application until its state is final, reporting each change and the driver's
/// job progress to `on_update`.
pub async fn wait(
    home: &Home,
    name: &str,
    mut on_update: impl FnMut(&AppStatus, Option<&Progress>),
) -> Result<AppStatus, LocalError> {
    let layout = AppLayout::new(home.app_dir(name));
    let http = spark_http::client()?;
    loop {
        let st: AppStatus = read_json(&layout.status_file())?;
        let prog = match (&st.spark_application_id, &st.web_ui_address) {
            (Some(id), Some(ui)) if !st.finished => progress::fetch(&http, ui, id).await,
            _ => None,
        };
        on_update(&st, prog.as_ref());
        if st.finished {
            return Ok(st);
        }
        if !procs::is_alive(st.runner_pid) {
            return Err(LocalError::Other(format!(
                "the runner of {name:?} died; see {}",
                layout.runner_log().display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
