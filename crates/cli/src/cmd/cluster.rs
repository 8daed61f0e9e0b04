//! `sparkplane cluster ...`.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use sparkplane_api::Manifest;
use sparkplane_local::cluster::{self, ClusterStatus, UpOptions};
use sparkplane_local::Home;

use crate::cli::{ClusterCommand, Output};
use crate::manifests;

pub async fn run(cmd: ClusterCommand) -> anyhow::Result<u8> {
    let home = Home::from_env()?;
    match cmd {
        ClusterCommand::Up { file, timeout } => {
            let loaded = manifests::load(&[file.as_path()])?;
            let clusters: Vec<_> = loaded
                .iter()
                .filter_map(|m| match &m.manifest {
                    Manifest::SparkCluster(c) => Some((m.source.clone(), c.as_ref().clone())),
                    _ => None,
                })
                .collect();
            if clusters.is_empty() {
                anyhow::bail!(
                    "{}: kind: expected at least one SparkCluster document",
                    file.display()
                );
            }
            let distros = sparkplane_distro::Distributions::from_env()?;
            let opts = UpOptions {
                timeout: Duration::from_secs(timeout),
                exe: std::env::current_exe()?,
            };
            for (source, c) in &clusters {
                let name = c.metadata.name.clone().unwrap_or_default();
                eprintln!("starting cluster {name} ...");
                let report = cluster::up(&home, &distros, source, c, &opts).await?;
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
                println!(
                    "cluster {name} is up: Spark {}, {} workers\n  master:  {}\n  web UI:  {}",
                    report.state.version,
                    c.spec.workers.replicas,
                    report.master_url,
                    report.master_ui_url
                );
                if let Some(h) = &report.history_ui_url {
                    println!("  history: {h}");
                }
            }
            Ok(0)
        }
        ClusterCommand::Status { name, output } => {
            let names = match name {
                Some(n) => vec![n],
                None => cluster::list(&home)?.into_iter().map(|(n, _)| n).collect(),
            };
            let mut statuses = Vec::new();
            for n in &names {
                statuses.push(cluster::status(&home, n).await?);
            }
            match output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &statuses.iter().map(status_json).collect::<Vec<_>>()
                    )?
                ),
                Output::Text => {
                    if statuses.is_empty() {
                        println!("no clusters");
                    }
                    for s in &statuses {
                        print_status(s);
                    }
                }
            }
            Ok(0)
        }
        ClusterCommand::List => {
            let all = cluster::list(&home)?;
            if all.is_empty() {
                println!("no clusters");
            }
            for (n, up) in all {
                println!("{n}\t{}", if up { "up" } else { "down" });
            }
            Ok(0)
        }
        ClusterCommand::Scale {
            name,
            workers,
            timeout,
        } => {
            eprintln!("scaling {name} to {workers} workers ...");
            cluster::scale(&home, &name, workers, Duration::from_secs(timeout)).await?;
            println!("cluster {name} has {workers} workers");
            Ok(0)
        }
        ClusterCommand::Logs {
            name,
            component,
            tail,
        } => {
            for f in cluster::log_files(&home, &name, component.as_deref())? {
                println!("==> {} <==", f.display());
                let file = std::fs::File::open(&f)?;
                let lines: Vec<String> = BufReader::new(file).lines().collect::<Result<_, _>>()?;
                let start = tail.map(|t| lines.len().saturating_sub(t)).unwrap_or(0);
                for l in &lines[start..] {
                    println!("{l}");
                }
            }
            Ok(0)
        }
        ClusterCommand::Down { name } => {
            cluster::down(&home, &name).await?;
            println!("cluster {name} is down");
            Ok(0)
        }
    }
}

fn status_json(s: &ClusterStatus) -> serde_json::Value {
    serde_json::json!({
        "name": s.state.name,
        "up": s.up,
        "sparkVersion": s.state.version,
        "masterUrl": s.master_url,
        "webUI": s.master_ui_url,
        "historyUI": s.history_ui_url,
        "master": s.master.as_ref().map(|m| serde_json::json!({
            "status": m.status,
            "aliveWorkers": m.aliveworkers,
            "cores": m.cores,
            "coresUsed": m.coresused,
            "memoryMiB": m.memory,
            "memoryUsedMiB": m.memoryused,
            "workers": m.workers.iter().map(|w| serde_json::json!({
                "id": w.id, "host": w.host, "port": w.port, "state": w.state,
                "cores": w.cores, "coresUsed": w.coresused, "memoryMiB": w.memory, "memoryUsedMiB": w.memoryused,
            })).collect::<Vec<_>>(),
            "activeApps": m.activeapps.iter().map(|a| serde_json::json!({"id": a.id, "name": a.name, "cores": a.cores, "state": a.state})).collect::<Vec<_>>(),
            "completedApps": m.completedapps.len(),
        })),
        "processes": s.processes,
    })
}

fn print_status(s: &ClusterStatus) {
    println!(
        "cluster {} ({}) — Spark {}",
        s.state.name,
        if s.up { "up" } else { "down" },
        s.state.version
    );
    println!(
        "  master:  {}\n  web UI:  {}",
        s.master_url, s.master_ui_url
    );
    if let Some(h) = &s.history_ui_url {
        println!("  history: {h}");
    }
    let Some(m) = &s.master else {
        if s.up {
            println!("  (the master does not answer yet)");
        }
        return;
    };
    println!(
        "  status:  {}, {} workers alive, cores {}/{} used, memory {}/{} MiB used",
        m.status, m.aliveworkers, m.coresused, m.cores, m.memoryused, m.memory
    );
    for w in &m.workers {
        if w.state == "DEAD" {
            continue;
        }
        println!(
            "    worker {} {}:{} {} cores {}/{} memory {}/{} MiB",
            w.id, w.host, w.port, w.state, w.coresused, w.cores, w.memoryused, w.memory
        );
    }
    for a in &m.activeapps {
        println!(
            "    app {} {:?} {} cores {}",
            a.id, a.name, a.state, a.cores
        );
    }
    if !m.completedapps.is_empty() {
        println!("  completed applications: {}", m.completedapps.len());
    }
}
