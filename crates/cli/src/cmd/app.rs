//! `sparkplane app ...`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sparkplane_api::v1beta2::ApplicationStateType;
use sparkplane_api::Manifest;
use sparkplane_local::app::ops::{self, SubmitOptions};
use sparkplane_local::app::record::{AppRecord, AppStatus};
use sparkplane_local::Home;

use crate::cli::{AppCommand, Output};
use crate::manifests;

pub async fn run(cmd: AppCommand) -> anyhow::Result<u8> {
    if let Some(code) = super::app_kube::run(&cmd).await? {
        return Ok(code);
    }
    let home = Home::from_env()?;
    match cmd {
        AppCommand::Submit {
            file,
            cluster,
            wait,
        } => {
            let loaded = manifests::load(&[file.as_path()])?;
            let mut apps = Vec::new();
            for m in &loaded {
                match &m.manifest {
                    Manifest::SparkApplication(a) => apps.push((m.source.clone(), a.as_ref().clone())),
                    Manifest::ScheduledSparkApplication(s) => anyhow::bail!(
                        "{}: kind: ScheduledSparkApplication {:?} runs on a schedule, which the local runtime does not do; submit its template as a SparkApplication",
                        m.source,
                        s.metadata.name.clone().unwrap_or_default()
                    ),
                    Manifest::SparkCluster(_) => {}
                }
            }
            if apps.is_empty() {
                anyhow::bail!(
                    "{}: kind: expected at least one SparkApplication document",
                    file.display()
                );
            }
            let distros = sparkplane_distro::Distributions::from_env()?;
            let opts = SubmitOptions {
                cluster,
                exe: std::env::current_exe()?,
            };
            let mut submitted = Vec::new();
            for (source, app) in &apps {
                let s = ops::submit(&home, &distros, source, app, &opts).await?;
                for w in &s.warnings {
                    eprintln!(
                        "{}",
                        w.strip_prefix("warning: ")
                            .map(|r| format!("warning: {r}"))
                            .unwrap_or_else(|| format!("warning: {w}"))
                    );
                }
                eprintln!(
                    "submitted {} to {} (Spark {})",
                    s.record.name, s.record.master, s.record.spark_version
                );
                submitted.push(s.record.name.clone());
            }
            if !wait {
                return Ok(0);
            }
            let mut all_completed = true;
            for name in &submitted {
                let st = follow(&home, name).await?;
                if let Ok((_, driver_stdout)) = ops::log_files(&home, name) {
                    if let Ok(out) = std::fs::read_to_string(driver_stdout) {
                        print!("{out}");
                    }
                }
                println!("application {name}: {}", st.state);
                if let Some(e) = &st.error_message {
                    eprintln!("error: application {name}: {e}");
                }
                all_completed &= st.state == ApplicationStateType::Completed;
            }
            Ok(if all_completed { 0 } else { 1 })
        }
        AppCommand::List { .. } => {
            let all = ops::list(&home)?;
            if all.is_empty() {
                println!("no applications");
            }
            for (r, s) in all {
                println!(
                    "{}\t{}\t{}\tattempts {}\t{}",
                    r.name,
                    s.state,
                    r.cluster.as_deref().unwrap_or("local[*]"),
                    s.execution_attempts,
                    s.spark_application_id.as_deref().unwrap_or("-")
                );
            }
            Ok(0)
        }
        AppCommand::Status { name, output, .. } => {
            let (r, s) = ops::status(&home, &name)?;
            match output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&status_json(&r, &s))?),
                Output::Text => print_status(&r, &s),
            }
            Ok(0)
        }
        AppCommand::Logs { name, .. } => {
            let (log, _) = ops::log_files(&home, &name)?;
            match std::fs::read_to_string(&log) {
                Ok(text) => print!("{text}"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => anyhow::bail!("{}: {e}", log.display()),
            }
            Ok(0)
        }
        AppCommand::Kill { name } => {
            let st = ops::kill(&home, &name).await?;
            println!("application {name}: {}", st.state);
            Ok(0)
        }
        // Handled by app_kube: the parser refuses them without --kube.
        AppCommand::Events { .. } | AppCommand::Ui { .. } | AppCommand::Delete { .. } => {
            anyhow::bail!("this command is for SparkApplications on Kubernetes: add --kube")
        }
    }
}

fn status_json(r: &AppRecord, s: &AppStatus) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("name".into(), r.name.clone().into());
        o.insert("cluster".into(), r.cluster.clone().into());
        o.insert("master".into(), r.master.clone().into());
        o.insert("sparkVersion".into(), r.spark_version.clone().into());
        o.insert("source".into(), r.source.clone().into());
    }
    v
}

fn print_status(r: &AppRecord, s: &AppStatus) {
    println!("application {} — {}", r.name, s.state);
    println!("  master:   {} (Spark {})", r.master, r.spark_version);
    println!(
        "  attempts: {} run(s), {} submission(s)",
        s.execution_attempts, s.submission_attempts
    );
    if let Some(id) = &s.spark_application_id {
        println!("  app id:   {id}");
    }
    if let Some(ui) = &s.web_ui_address {
        println!("  web UI:   {ui}");
    }
    if let Some(t) = &s.termination_time {
        println!("  ended:    {t}");
    }
    if let Some(e) = &s.error_message {
        println!("  error:    {e}");
    }
}

/// Follows one application with a live line: state, jobs and tasks.
async fn follow(home: &Home, name: &str) -> anyhow::Result<AppStatus> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut last = String::new();
    let mut last_state = String::new();
    let st = ops::wait(home, name, |st, prog| {
        // Without a terminal the bar is hidden: print each state change on its own line.
        let state = st.state.to_string();
        if bar.is_hidden() && state != last_state {
            eprintln!("{name}: {state}");
        }
        last_state = state;
        let msg = match prog {
            Some(p) => format!(
                "{name}: {} — jobs {}/{} done, tasks {}/{}",
                st.state, p.jobs_done, p.jobs, p.tasks_done, p.tasks
            ),
            None => format!("{name}: {}", st.state),
        };
        if msg != last {
            bar.set_message(msg.clone());
            last = msg;
        }
    })
    .await;
    bar.finish_and_clear();
    Ok(st?)
}
