//! The application runner: a daemon per application that runs the driver through
//! `spark-submit`, tracks it through the kubeflow states, retries per `restartPolicy`, and
//! stops it on `app kill` (SIGTERM to the runner).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;
use sparkplane_api::restart::{self, Next, Outcome, DEFAULT_MAX_RETRY_DELAY};
use sparkplane_api::v1beta2::ApplicationStateType as S;
use tokio::fs::OpenOptions;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::record::{AppLayout, AppRecord, AppStatus};
use super::APP_MARKER_ENV;
use crate::spark_http::{self, DriverApp};
use crate::state::{read_json, write_json};
use crate::{procs, secret, spawn, LocalError};

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

struct Runner {
    layout: AppLayout,
    record: AppRecord,
    status: AppStatus,
}

impl Runner {
    fn save(&self) {
        if let Err(e) = write_json(&self.layout.status_file(), &self.status) {
            warn!("cannot record status: {e}");
        }
    }

    fn set(&mut self, state: S) {
        info!("{} -> {state}", self.record.name);
        self.status.state = state;
        self.save();
    }
}

enum Ended {
    Exited(Option<i32>),
    Killed,
}

/// Runs the application in `dir` until it reaches a final state (and its time to live, if
/// any, has passed).
pub async fn run(dir: &Path) -> Result<(), LocalError> {
    let layout = AppLayout::new(dir);
    let record: AppRecord = read_json(&layout.record_file())?;
    let mut r = Runner {
        status: AppStatus::new(S::New, std::process::id()),
        layout,
        record,
    };
    r.save();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(LocalError::io("cannot handle signals", dir))?;

    if r.record.suspend {
        r.status.finished = true;
        r.set(S::Suspended);
        return Ok(());
    }
    let secret = match &r.record.secret_file {
        Some(f) => {
            let s = secret::read(f)?;
            secret::write_properties(
                &r.layout.secret_properties(),
                "spark.authenticate.secret",
                &s,
            )?;
            Some(s)
        }
        None => None,
    };
    let result = run_attempts(&mut r, secret.as_deref(), &mut term).await;
    let _ = std::fs::remove_file(r.layout.secret_properties());
    result?;
    if let Some(ttl) = r.record.time_to_live_seconds {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(ttl)) => {
                info!("time to live reached; removing {}", r.layout.root().display());
                let _ = std::fs::remove_dir_all(r.layout.root());
            }
            _ = term.recv() => {}
        }
    }
    Ok(())
}

/// Runs attempts until the application reaches a final state or is killed.
async fn run_attempts(
    r: &mut Runner,
    secret: Option<&str>,
    term: &mut tokio::signal::unix::Signal,
) -> Result<(), LocalError> {
    loop {
        r.status.submission_attempts += 1;
        r.status.last_submission_attempt_time = Some(now());
        r.status.spark_application_id = None;
        r.status.web_ui_address = None;
        r.status.exit_code = None;
        let started = start_driver(&r.layout, &r.record, secret).await;
        let outcome = match started {
            Err(e) => {
                warn!("submission failed: {e}");
                r.status.error_message = Some(e.to_string());
                r.set(S::SubmissionFailed);
                Outcome::SubmissionFailed
            }
            Ok((mut child, writer)) => {
                r.status.execution_attempts += 1;
                r.status.driver_pid = child.id();
                r.status.error_message = None;
                r.set(S::Submitted);
                let (tx, mut rx) = mpsc::channel::<DriverApp>(1);
                let http = spark_http::client()?;
                let ui = format!("http://127.0.0.1:{}", r.record.ui_port);
                let poll_url = format!("{ui}/api/v1/applications");
                let poller = tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        if let Ok(apps) =
                            spark_http::get_json::<Vec<DriverApp>>(&http, &poll_url).await
                        {
                            if let Some(a) = apps.into_iter().next() {
                                let _ = tx.send(a).await;
                                return;
                            }
                        }
                    }
                });
                let ended = loop {
                    tokio::select! {
                        st = child.wait() => break Ended::Exited(st.ok().and_then(|s| s.code())),
                        Some(app) = rx.recv() => {
                            r.status.spark_application_id = Some(app.id);
                            r.status.web_ui_address = Some(ui.clone());
                            r.set(S::Running);
                        }
                        _ = term.recv() => break Ended::Killed,
                    }
                };
                poller.abort();
                let pid = r.status.driver_pid.take();
                match ended {
                    Ended::Killed => {
                        if let Some(pid) = pid {
                            stop_group(pid, &mut child).await;
                        }
                        finish_killed(r);
                        return Ok(());
                    }
                    Ended::Exited(code) => {
                        // The driver's last lines (its result) must be on disk before the
                        // final state is, so `app submit --wait` can print them.
                        let _ = tokio::time::timeout(Duration::from_secs(10), writer).await;
                        if let Some(pid) = pid {
                            // Python workers or anything else the driver left behind.
                            procs::signal_group(pid, Signal::SIGKILL);
                        }
                        r.status.exit_code = code;
                        if code == Some(0) {
                            r.set(S::Succeeding);
                            Outcome::Succeeded
                        } else {
                            r.status.error_message = Some(format!(
                                "driver exited with {} (see `sparkplane app logs {}`)",
                                code.map_or("a signal".to_string(), |c| format!("code {c}")),
                                r.record.name
                            ));
                            r.set(S::Failing);
                            Outcome::Failed
                        }
                    }
                }
            }
        };
        // The operator's policy (capped exponential backoff), with its default cap.
        match restart::next(
            &r.record.retry,
            outcome,
            r.status.execution_attempts,
            r.status.submission_attempts,
            DEFAULT_MAX_RETRY_DELAY,
        ) {
            Next::Rerun(pause) => {
                r.set(S::PendingRerun);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = term.recv() => {
                        finish_killed(r);
                        return Ok(());
                    }
                }
            }
            Next::Finish => {
                r.status.termination_time = Some(now());
                r.status.finished = true;
                r.set(match outcome {
                    Outcome::Succeeded => S::Completed,
                    Outcome::Failed | Outcome::SubmissionFailed => S::Failed,
                });
                return Ok(());
            }
        }
    }
}

fn finish_killed(r: &mut Runner) {
    r.status.error_message = Some("killed by `sparkplane app kill`".into());
    r.status.termination_time = Some(now());
    r.status.finished = true;
    r.set(S::Failed);
}

async fn stop_group(pid: u32, child: &mut tokio::process::Child) {
    procs::signal_group(pid, Signal::SIGTERM);
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        procs::signal_group(pid, Signal::SIGKILL);
        let _ = child.wait().await;
    }
    procs::signal_group(pid, Signal::SIGKILL);
}

async fn start_driver(
    layout: &AppLayout,
    record: &AppRecord,
    secret: Option<&str>,
) -> Result<(tokio::process::Child, tokio::task::JoinHandle<()>), LocalError> {
    let cmd = &record.command;
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args)
        .envs(&cmd.env)
        .env(APP_MARKER_ENV, &record.id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(&cmd.working_dir)
        .process_group(0);
    if let Some(s) = secret {
        for k in &cmd.secret_env {
            c.env(k, s);
        }
    }
    spawn::die_with_parent(&mut c);
    let mut child = c.spawn().map_err(|source| LocalError::Spawn {
        what: "spark-submit".into(),
        program: cmd.program.clone(),
        source,
    })?;
    let log = open_append(&layout.driver_log()).await?;
    let out = open_append(&layout.driver_stdout()).await?;
    let (tx, mut rx) = mpsc::channel::<(bool, String)>(256);
    if let Some(stdout) = child.stdout.take() {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                if tx.send((true, l)).await.is_err() {
                    break;
                }
            }
        });
    }
    if let Some(stderr) = child.stderr.take() {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                if tx.send((false, l)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    // One writer for both files keeps the combined log in the order lines arrived.
    let writer = tokio::spawn(async move {
        let (mut log, mut out) = (log, out);
        while let Some((is_stdout, mut line)) = rx.recv().await {
            line.push('\n');
            let _ = log.write_all(line.as_bytes()).await;
            if is_stdout {
                let _ = out.write_all(line.as_bytes()).await;
            }
        }
        let _ = log.flush().await;
        let _ = out.flush().await;
    });
    Ok((child, writer))
}

async fn open_append(path: &Path) -> Result<tokio::fs::File, LocalError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(LocalError::io("cannot open", path))
}
