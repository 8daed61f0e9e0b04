//! `sparkplane app ... --kube`: SparkApplications on a Kubernetes cluster.

use std::io::Write;

use anyhow::Context;
use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, LogParams};
use kube::ResourceExt;
use sparkplane_api::v1beta2::SparkApplicationStatus;
use sparkplane_operator::client;
use sparkplane_operator::controller::app_resource;

use crate::cli::{AppCommand, KubeTarget, Output};
use crate::Reported;

/// Runs `cmd` against Kubernetes when it asks for it (`--kube`); `None` for local commands.
pub async fn run(cmd: &AppCommand) -> anyhow::Result<Option<u8>> {
    let (target, name) = match cmd {
        AppCommand::List { kube } => (kube, None),
        AppCommand::Status { kube, name, .. }
        | AppCommand::Logs { kube, name }
        | AppCommand::Events { kube, name }
        | AppCommand::Ui { kube, name, .. }
        | AppCommand::Delete { kube, name } => (kube, Some(name.as_str())),
        AppCommand::Submit { .. } | AppCommand::Kill { .. } => return Ok(None),
    };
    // `events`, `ui` and `delete` without --kube are refused by the parser.
    if !target.kube {
        return Ok(None);
    }
    let client = client::client(target.kube_api.as_deref(), None).await?;
    let ns = namespace(target, &client);
    let apps: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &app_resource());
    let code = match cmd {
        AppCommand::List { .. } => list(&apps).await?,
        AppCommand::Status { output, .. } => {
            status(&apps, &ns, name.unwrap_or_default(), *output).await?
        }
        AppCommand::Logs { .. } => logs(&apps, &client, &ns, name.unwrap_or_default()).await?,
        AppCommand::Events { .. } => events(&client, &ns, name.unwrap_or_default()).await?,
        AppCommand::Ui { port, .. } => {
            ui(&apps, &client, &ns, name.unwrap_or_default(), *port).await?
        }
        AppCommand::Delete { .. } => {
            let n = name.unwrap_or_default();
            match apps.delete(n, &DeleteParams::background()).await {
                Ok(_) => {
                    println!("sparkapplication {ns}/{n} deleted");
                    0
                }
                Err(kube::Error::Api(s)) if s.code == 404 => return Err(not_found(&ns, n)),
                Err(e) => return Err(e.into()),
            }
        }
        AppCommand::Submit { .. } | AppCommand::Kill { .. } => return Ok(None),
    };
    Ok(Some(code))
}

fn namespace(target: &KubeTarget, client: &kube::Client) -> String {
    target
        .namespace
        .clone()
        .unwrap_or_else(|| client.default_namespace().to_string())
}

/// Says the application is missing; the error carries exit code 1.
fn not_found(ns: &str, name: &str) -> anyhow::Error {
    eprintln!("error: sparkapplication {ns}/{name}: not found");
    Reported(1).into()
}

fn status_of(obj: &DynamicObject) -> SparkApplicationStatus {
    sparkplane_operator::controller::status_of(obj)
}

async fn get(apps: &Api<DynamicObject>, name: &str) -> anyhow::Result<Option<DynamicObject>> {
    Ok(apps.get_opt(name).await?)
}

async fn list(apps: &Api<DynamicObject>) -> anyhow::Result<u8> {
    let list = apps.list(&ListParams::default()).await?;
    println!(
        "{:<40} {:<18} {:>8} {:<22} {:<22}",
        "NAME", "STATE", "ATTEMPTS", "SUBMITTED", "FINISHED"
    );
    for a in &list.items {
        let st = status_of(a);
        let time = |t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
            t.as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<40} {:<18} {:>8} {:<22} {:<22}",
            a.name_any(),
            st.application_state.state.to_string(),
            st.execution_attempts,
            time(&st.last_submission_attempt_time),
            time(&st.termination_time),
        );
    }
    Ok(0)
}

async fn status(
    apps: &Api<DynamicObject>,
    ns: &str,
    name: &str,
    output: Output,
) -> anyhow::Result<u8> {
    let Some(obj) = get(apps, name).await? else {
        return Err(not_found(ns, name));
    };
    let st = status_of(&obj);
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&obj.data["status"])?),
        Output::Text => {
            println!("application:   {name}");
            println!("state:         {}", st.application_state.state);
            if let Some(m) = &st.application_state.error_message {
                println!("error:         {m}");
            }
            let d = &st.driver_info;
            println!("driver pod:    {}", d.pod_name.as_deref().unwrap_or("-"));
            println!(
                "spark app id:  {}",
                st.spark_application_id.as_deref().unwrap_or("-")
            );
            println!(
                "submission:    {}",
                st.submission_id.as_deref().unwrap_or("-")
            );
            println!(
                "attempts:      {} run(s), {} submission(s)",
                st.execution_attempts, st.submission_attempts
            );
            if let Some(a) = &d.web_ui_address {
                println!("ui:            {a}");
            }
            if let Some(a) = &d.web_ui_ingress_address {
                println!("ui ingress:    {a}");
            }
            for c in &st.conditions {
                println!(
                    "condition:     {}={} ({}) {}",
                    c.type_, c.status, c.reason, c.message
                );
            }
            for (pod, state) in &st.executor_state {
                println!("executor:      {pod} {state}");
            }
        }
    }
    Ok(0)
}

async fn driver_pod(apps: &Api<DynamicObject>, ns: &str, name: &str) -> anyhow::Result<String> {
    let Some(obj) = get(apps, name).await? else {
        return Err(not_found(ns, name));
    };
    pod_name_of(&obj, ns, name)
}

/// The application's driver pod, as its status names it.
fn pod_name_of(obj: &DynamicObject, ns: &str, name: &str) -> anyhow::Result<String> {
    // Only this field, not the whole typed status: a status the typed reader cannot load
    // (written by another operator version, with a state this one does not know) still names
    // its driver, and the typed reader would then report none.
    obj.data
        .pointer("/status/driverInfo/podName")
        .and_then(serde_json::Value::as_str)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("sparkapplication {ns}/{name} has no driver pod yet"))
}

async fn logs(
    apps: &Api<DynamicObject>,
    client: &kube::Client,
    ns: &str,
    name: &str,
) -> anyhow::Result<u8> {
    let pod = driver_pod(apps, ns, name).await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let params = LogParams {
        container: Some("spark-kubernetes-driver".into()),
        ..LogParams::default()
    };
    let mut lines = pods.log_stream(&pod, &params).await?.lines();
    let mut out = std::io::stdout().lock();
    while let Some(line) = lines.try_next().await? {
        writeln!(out, "{line}")?;
    }
    Ok(0)
}

async fn events(client: &kube::Client, ns: &str, name: &str) -> anyhow::Result<u8> {
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    let mut list: Vec<Event> = api
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|e| {
            e.regarding.as_ref().is_some_and(|r| {
                r.kind.as_deref() == Some("SparkApplication") && r.name.as_deref() == Some(name)
            })
        })
        .collect();
    list.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
    println!("{:<22} {:<8} {:<36} MESSAGE", "TIME", "TYPE", "REASON");
    for e in list {
        println!(
            "{:<22} {:<8} {:<36} {}",
            e.event_time
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_else(|| "-".into()),
            e.type_.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or("-"),
            e.note.as_deref().unwrap_or("")
        );
    }
    Ok(0)
}

/// The port the driver's Spark UI listens on: `spark.ui.port` of the application's
/// `sparkConf`, else Spark's default, read as the operator reads it for the UI Service.
fn ui_port_of(obj: &DynamicObject) -> u16 {
    // 4040 fits in a u16; the operator keeps the port as a Kubernetes i32.
    const DEFAULT: u16 = sparkplane_render::ui::DEFAULT_UI_PORT as u16;
    obj.data
        .pointer("/spec/sparkConf/spark.ui.port")
        .and_then(serde_json::Value::as_str)
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(DEFAULT)
}

async fn ui(
    apps: &Api<DynamicObject>,
    client: &kube::Client,
    ns: &str,
    name: &str,
    port: u16,
) -> anyhow::Result<u8> {
    let Some(app) = get(apps, name).await? else {
        return Err(not_found(ns, name));
    };
    let pod = pod_name_of(&app, ns, name)?;
    let ui_port = ui_port_of(&app);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    // As kubectl port-forward does: say now that the UI is unreachable, rather than on every
    // connection the browser makes.
    let phase = match pods.get_opt(&pod).await? {
        Some(p) => p.status.and_then(|s| s.phase).unwrap_or_default(),
        None => anyhow::bail!("sparkapplication {ns}/{name}: driver pod {pod} not found"),
    };
    if phase != "Running" {
        let phase = if phase.is_empty() { "unknown" } else { &phase };
        anyhow::bail!(
            "sparkapplication {ns}/{name}: driver pod {pod} is not running (phase {phase})"
        );
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| {
            format!("sparkapplication {ns}/{name}: cannot listen on 127.0.0.1:{port}")
        })?;
    let local = listener.local_addr()?;
    eprintln!(
        "Spark UI of {ns}/{name} on http://{local} (driver pod {pod}, port {ui_port}); \
         Ctrl-C stops"
    );
    // One listener for the whole run: a Ctrl-C between two accepts is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            stop = &mut ctrl_c => {
                stop.context("cannot listen for Ctrl-C")?;
                return Ok(0);
            }
        };
        match accepted {
            // Each connection gets a port-forward of its own (a browser opens several), and
            // its failure is only its own.
            Ok((conn, _)) => {
                tokio::spawn(forward(pods.clone(), pod.clone(), ui_port, conn));
            }
            Err(e) => {
                // A connection reset before it was accepted, or no file descriptor left for
                // now: neither stops the others. The pause keeps the latter from spinning.
                eprintln!("warning: accepting a connection on {local}: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Copies one local connection to and from the driver's UI port until either side is done,
/// or the kubelet reports the port unusable.
async fn forward(pods: Api<Pod>, pod: String, port: u16, mut conn: tokio::net::TcpStream) {
    let forwarded = async {
        let mut pf = pods.portforward(&pod, &[port]).await?;
        let (Some(mut upstream), Some(refused)) = (pf.take_stream(port), pf.take_error(port))
        else {
            // Portforwarder holds a stream and an error for each port it was asked for.
            anyhow::bail!("no stream for port {port}");
        };
        tokio::select! {
            copied = tokio::io::copy_bidirectional(&mut conn, &mut upstream) => {
                copied?;
            }
            // `None` only says the forward ended; the copy sees that itself.
            Some(message) = refused => anyhow::bail!("{message}"),
        }
        anyhow::Ok(())
    };
    if let Err(e) = forwarded.await {
        eprintln!("warning: forwarding a connection to port {port} of driver pod {pod}: {e}");
    }
}
