//! The Kubernetes side of `submit`: create the objects as spark-submit does (the pod, then
//! the rest server-side applied with the pod as owner), follow the driver, show its status,
//! kill it.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sparkplane_submit::DriverObjects;

use crate::cli::SubmitArgs as Cli;
use crate::Reported;

/// The field manager of sparkplane's server-side applies.
const FIELD_MANAGER: &str = "sparkplane";

/// A client for `api_url`, authenticated as kubectl would be (kubeconfig, else the in-cluster
/// service account); without either, unauthenticated.
pub async fn client(api_url: &str) -> anyhow::Result<Client> {
    // Checked here so that the error names the option it came from.
    api_url
        .parse::<http::Uri>()
        .map_err(|e| anyhow::anyhow!("--master: not a URL: k8s://{api_url}: {e}"))?;
    Ok(sparkplane_operator::client::client(Some(api_url), None).await?)
}

async fn apply<T>(client: &Client, ns: &str, obj: &T) -> anyhow::Result<()>
where
    T: kube::Resource<Scope = kube::core::NamespaceResourceScope>
        + Clone
        + Serialize
        + DeserializeOwned
        + std::fmt::Debug,
    <T as kube::Resource>::DynamicType: Default,
{
    let api: Api<T> = Api::namespaced(client.clone(), ns);
    let name = obj.meta().name.clone().unwrap_or_default();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(&name, &params, &Patch::Apply(obj))
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot apply {} {name}: {e}", T::kind(&Default::default()))
        })?;
    Ok(())
}

/// Creates the objects; with `wait`, follows the driver to the end.
pub async fn create(
    api_url: &str,
    objects: DriverObjects,
    wait: bool,
    idempotent: bool,
) -> anyhow::Result<u8> {
    let client = client(api_url).await?;
    let submission_id = objects.submission_id();
    let (pods, name, app_id) = create_with(&client, objects, idempotent).await?;
    eprintln!(
        "Deployed Spark application with application ID {app_id} and submission ID {submission_id}"
    );
    if !wait {
        return Ok(0);
    }
    follow(&pods, &name, &app_id).await
}

/// Creates the objects through `client`; returns the pods API, the pod's name and the
/// application id.
pub async fn create_with(
    client: &Client,
    mut objects: DriverObjects,
    idempotent: bool,
) -> anyhow::Result<(Api<Pod>, String, String)> {
    let client = client.clone();
    let ns = objects.namespace.clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let name = objects.pod.metadata.name.clone().unwrap_or_default();
    let created = match pods.create(&PostParams::default(), &objects.pod).await {
        Ok(p) => p,
        Err(kube::Error::Api(e)) if e.code == 409 && idempotent => {
            // Same submission id, same objects: the first submission created this pod.
            let existing = pods.get(&name).await?;
            let label = |p: &Pod| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("spark-app-selector").cloned())
            };
            if label(&existing) != label(&objects.pod) {
                anyhow::bail!("pod {ns}/{name} exists and belongs to another application");
            }
            existing
        }
        Err(e) => anyhow::bail!("cannot create the driver pod {ns}/{name}: {e}"),
    };
    let uid = created.metadata.uid.clone().unwrap_or_default();
    objects.set_owner(&uid);
    let applied = async {
        apply(&client, &ns, &objects.service).await?;
        if let Some(n) = &objects.network_policy {
            apply::<NetworkPolicy>(&client, &ns, n).await?;
        }
        for c in &objects.claims {
            apply::<PersistentVolumeClaim>(&client, &ns, c).await?;
        }
        if let Some(t) = &objects.pod_template {
            apply::<ConfigMap>(&client, &ns, t).await?;
        }
        apply::<ConfigMap>(&client, &ns, &objects.conf_map).await
    }
    .await;
    if let Err(e) = applied {
        // As spark-submit: delete the pod; its owned objects go with it.
        let _ = pods.delete(&name, &DeleteParams::default()).await;
        return Err(e);
    }
    let app_id = objects
        .pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("spark-app-selector").cloned())
        .unwrap_or_default();
    Ok((pods, name, app_id))
}

fn phase(p: &Pod) -> String {
    p.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Unknown".into())
}

/// Watches the driver pod until it succeeds or fails. Like spark-submit, returns 0 either
/// way once the application has finished; the final phase is printed.
async fn follow(pods: &Api<Pod>, name: &str, app_id: &str) -> anyhow::Result<u8> {
    let mut last = String::new();
    loop {
        let current = pods.get(name).await?;
        let rv = current
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        let mut report = |p: &Pod| -> bool {
            let ph = phase(p);
            if ph != last {
                eprintln!("Application status for {app_id} (phase: {ph})");
                last = ph.clone();
            }
            matches!(ph.as_str(), "Succeeded" | "Failed")
        };
        if report(&current) {
            return Ok(0);
        }
        let params = WatchParams::default().fields(&format!("metadata.name={name}"));
        let mut stream = pods.watch(&params, &rv).await?.boxed();
        while let Some(event) = stream.try_next().await? {
            match event {
                WatchEvent::Added(p) | WatchEvent::Modified(p) => {
                    if report(&p) {
                        return Ok(0);
                    }
                }
                WatchEvent::Deleted(_) => {
                    eprintln!("Application {app_id}: the driver pod {name} was deleted");
                    return Ok(0);
                }
                // Expired resource version, or a bookmark: start over from a fresh read.
                WatchEvent::Error(_) | WatchEvent::Bookmark(_) => break,
            }
        }
    }
}

/// `namespace:pod-glob`; without a namespace, `spark.kubernetes.namespace` or `default`.
fn parse_id(cli: &Cli, id: &str) -> (String, String) {
    match id.split_once(':') {
        Some((ns, pod)) => (ns.to_string(), pod.to_string()),
        None => {
            let ns = cli
                .conf
                .iter()
                .filter_map(|c| c.strip_prefix("spark.kubernetes.namespace="))
                .next_back()
                .unwrap_or("default")
                .to_string();
            (ns, id.to_string())
        }
    }
}

fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|i| glob_match(tail, &name[head.len() + i..]))
        }
    }
}

async fn matching(cli: &Cli, id: &str) -> anyhow::Result<(Api<Pod>, Vec<Pod>)> {
    let master = cli
        .master
        .as_deref()
        .and_then(|m| m.strip_prefix("k8s://"))
        .ok_or_else(|| anyhow::anyhow!("--master: expected k8s://https://<api-server>"))?;
    let (ns, pattern) = parse_id(cli, id);
    let pods: Api<Pod> = Api::namespaced(client(master).await?, &ns);
    let found: Vec<Pod> = pods
        .list(&ListParams::default().labels("spark-role=driver"))
        .await?
        .items
        .into_iter()
        .filter(|p| glob_match(&pattern, p.metadata.name.as_deref().unwrap_or_default()))
        .collect();
    if found.is_empty() {
        eprintln!("error: no driver pod matches {ns}:{pattern}");
        return Err(Reported(crate::EXIT_FAILED).into());
    }
    Ok((pods, found))
}

/// `--status`.
pub async fn status(cli: &Cli, id: &str) -> anyhow::Result<u8> {
    let (_, found) = matching(cli, id).await?;
    for p in found {
        let labels = p.metadata.labels.clone().unwrap_or_default();
        println!("Application status (driver):");
        println!(
            "  pod name: {}",
            p.metadata.name.as_deref().unwrap_or_default()
        );
        println!(
            "  namespace: {}",
            p.metadata.namespace.as_deref().unwrap_or_default()
        );
        println!(
            "  application id: {}",
            labels
                .get("spark-app-selector")
                .map(String::as_str)
                .unwrap_or_default()
        );
        println!("  phase: {}", phase(&p));
        if let Some(start) = p.status.as_ref().and_then(|s| s.start_time.as_ref()) {
            println!("  start time: {}", start.0);
        }
    }
    Ok(0)
}

/// `--kill`: deletes the driver pods (their owned objects go with them), with the grace
/// period `spark.kubernetes.appKillPodDeletionGracePeriod` when set.
pub async fn kill(cli: &Cli, id: &str) -> anyhow::Result<u8> {
    let grace = cli
        .conf
        .iter()
        .filter_map(|c| c.strip_prefix("spark.kubernetes.appKillPodDeletionGracePeriod="))
        .next_back()
        .map(|v| v.trim_end_matches('s').parse::<u32>())
        .transpose()
        .map_err(|_| {
            anyhow::anyhow!("spark.kubernetes.appKillPodDeletionGracePeriod: expected seconds")
        })?;
    let (pods, found) = matching(cli, id).await?;
    let params = DeleteParams {
        grace_period_seconds: grace,
        ..Default::default()
    };
    for p in found {
        let name = p.metadata.name.clone().unwrap_or_default();
        pods.delete(&name, &params).await?;
        println!("Deleting driver pod {name}");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        for (p, n, want) in [
            ("spark-pi-*", "spark-pi-1-driver", true),
            ("spark-pi-*", "other", false),
            ("*-driver", "a-driver", true),
            ("exact", "exact", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
        ] {
            assert_eq!(glob_match(p, n), want, "{p} {n}");
        }
    }
}
