//! `sparkplane operator`: wires the controllers, the metrics server and shutdown together.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use sparkplane_lifecycle::Settings;
use sparkplane_operator::controller::{self, Config};
use sparkplane_operator::metrics::Metrics;
use sparkplane_operator::{client, http, leader};

use crate::cli::OperatorArgs;

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Runs the operator until it is told to stop.
pub async fn run(args: OperatorArgs) -> anyhow::Result<u8> {
    let pod_security = args.pod_security.options()?;
    let metrics = Arc::new(Metrics::new());
    let client = client::client(args.kube_api.as_deref(), Some(metrics.clone())).await?;
    let shutdown = shutdown_signal().shared();
    let ready = Arc::new(AtomicBool::new(false));
    let (addr, server) = http::serve(
        args.metrics_addr,
        metrics.clone(),
        ready.clone(),
        shutdown.clone(),
    )
    .await?;
    tracing::info!(%addr, "metrics and health endpoints");
    tokio::spawn(sparkplane_operator::memory::trim_periodically(
        Duration::from_secs(10),
    ));
    let config = Config {
        namespaces: args.namespaces.clone(),
        namespace_selector: args.namespace_selector.clone(),
        lifecycle: Settings {
            driver_creation_grace: Duration::from_secs(args.driver_pod_creation_grace_period),
            image_pull_timeout: Duration::from_secs(args.image_pull_timeout),
            unschedulable_timeout: args.unschedulable_timeout.map(Duration::from_secs),
            max_retry_delay: Duration::from_secs(args.max_retry_delay),
            max_tracked_executors: args.max_tracked_executors,
            default_ttl: args.default_ttl.map(Duration::from_secs),
        },
        ui: args.ui.options(),
        master: args.driver_master.clone(),
        status_workers: args.status_workers,
        submit_workers: args.submit_workers,
        reporter: "sparkplane-operator".into(),
        resource_quota_enforcement: args.enable_resource_quota_enforcement,
        pod_security,
        spark_conf: args.tenancy.policy(),
    };
    if let Some(lease) = &args.leader_election_lease {
        let (ns, name) = lease.split_once('/').ok_or_else(|| {
            anyhow::anyhow!("--leader-election-lease: expected namespace/name, got {lease:?}")
        })?;
        let identity = std::env::var("POD_NAME")
            .unwrap_or_else(|_| format!("sparkplane-{}", std::process::id()));
        // A standby is ready: it takes over when the leader goes. Were it unready until it
        // leads, a rolling update (which waits for the new pod before stopping the old, the
        // leader) would never finish; found with helm upgrade on the real test cluster.
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        let elected =
            leader::acquire(client.clone(), ns, name, &identity, shutdown.clone()).await?;
        if !elected {
            server.await.ok();
            return Ok(0);
        }
        tracing::info!(lease = %lease, %identity, "leading");
        let keep = leader::keep(client.clone(), ns.to_string(), name.to_string(), identity);
        let lost = Arc::new(AtomicBool::new(false));
        let stop = {
            let lost = lost.clone();
            async move {
                tokio::select! {
                    _ = shutdown => {}
                    _ = keep => {
                        tracing::error!("lost the leader lease; stopping");
                        lost.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            }
            .shared()
        };
        controller::run(client, config, metrics, ready, stop).await;
        // A replica that lost the lease exits rather than wait as a candidate: its caches
        // and work queues may be stale by now (the API server may have been away), and the
        // restart the kubelet gives it starts it afresh. Found on the real test cluster: an
        // API server restart longer than the lease left the operator alive and idle.
        if lost.load(std::sync::atomic::Ordering::SeqCst) {
            anyhow::bail!("lost the leader lease {lease}; exiting so that a fresh start competes for it again");
        }
    } else {
        controller::run(client, config, metrics, ready, shutdown).await;
    }
    server.await.ok();
    Ok(0)
}
