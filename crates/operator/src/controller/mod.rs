//! The SparkApplication controller: the shell around [`sparkplane_lifecycle::decide`] and
//! [`sparkplane_render::render`].
//!
//! Applications are watched as untyped objects and parsed one by one, so a malformed one
//! gets a status naming its field instead of breaking the watch for everyone. Driver and
//! executor pods are cached (only those labelled as launched by the operator, and only the
//! fields the lifecycle reads). Status tracking runs on the controller's workers; creating a
//! submission's objects runs on a separate pool, so a burst of new applications never
//! delays status updates of running ones.

pub mod cluster;
mod events;
mod fresh;
mod index;
mod objects;
mod reconcile;
pub mod scheduled;
mod status;

pub use status::status_of;
mod submit;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ApiResource, DynamicObject, PartialObjectMeta};
use kube::runtime::controller::Controller;
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, ResourceExt};

use sparkplane_api::SparkConfPolicy;

use crate::metrics::Metrics;
use sparkplane_lifecycle::Settings;
use sparkplane_render::{labels, UiOptions};

/// The operator's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Namespaces to watch; empty for all.
    pub namespaces: Vec<String>,
    /// Watch the namespaces with these labels instead (a label selector), as they come
    /// and go.
    pub namespace_selector: Option<String>,
    /// Lifecycle timeouts and limits.
    pub lifecycle: Settings,
    /// UI Service and Ingress.
    pub ui: UiOptions,
    /// The API server URL drivers are told.
    pub master: String,
    /// Status reconciles run at once.
    pub status_workers: u16,
    /// Submissions created at once.
    pub submit_workers: usize,
    /// The name Events are reported under.
    pub reporter: String,
    /// Fail applications that would exceed a ResourceQuota of their namespace before they
    /// are submitted (kubeflow's `--enable-resource-quota-enforcement`).
    pub resource_quota_enforcement: bool,
    /// The Pod Security level of the pods (`--pod-security`, `--pod-security-minimum`).
    pub pod_security: sparkplane_render::PodSecurityOptions,
    /// The sparkConf keys admitted past the tenancy boundary (`--allow-spark-conf`); every
    /// other key of [`sparkplane_api::tenancy`] fails its application.
    pub spark_conf: SparkConfPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            namespaces: Vec::new(),
            namespace_selector: None,
            lifecycle: Settings::default(),
            ui: UiOptions::default(),
            master: "https://kubernetes.default.svc".into(),
            status_workers: 16,
            submit_workers: 16,
            reporter: "sparkplane-operator".into(),
            resource_quota_enforcement: false,
            pod_security: Default::default(),
            spark_conf: SparkConfPolicy::default(),
        }
    }
}

/// What reconciles share.
pub struct Context {
    pub(crate) client: Client,
    pub(crate) config: Config,
    pub(crate) index: Arc<index::PodIndex>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) recorder: events::Events,
    pub(crate) submit_queue: submit::Queue,
    pub(crate) in_flight: Mutex<HashSet<AppRef>>,
    pub(crate) fresh: fresh::Fresh,
}

/// What the controller keeps of an application: its metadata, typed so that each key into
/// the cache and the work queue is a name and a namespace (an untyped key would carry a
/// copy of the API resource's five names).
pub(crate) type AppMeta = PartialObjectMeta<sparkplane_api::SparkApplication>;

/// A key into the application cache and the work queue.
pub(crate) type AppRef = ObjectRef<AppMeta>;

/// The API resource of SparkApplication.
pub fn app_resource() -> ApiResource {
    ApiResource::erase::<sparkplane_api::SparkApplication>(&())
}

/// What the controllers of every namespace share.
struct Common {
    client: Client,
    config: Config,
    metrics: Arc<Metrics>,
    ready: Arc<std::sync::atomic::AtomicBool>,
    recorder: events::Events,
    submit_queue: submit::Queue,
}

type Stop = futures::future::Shared<futures::future::BoxFuture<'static, ()>>;

/// Starts the controllers of one namespace (`None`: all namespaces); they stop when `stop`
/// resolves: SparkApplications, ScheduledSparkApplications and SparkClusters, each with the
/// watches that wake it.
fn spawn_namespace(
    common: &Common,
    ns: Option<String>,
    stop: Stop,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        spawn_clusters(common, ns.as_deref(), stop.clone()),
        spawn_scheduled(common, ns.as_deref(), stop.clone()),
        spawn_applications(common, ns.as_deref(), stop),
    ]
}

/// An API of `K` in `ns`, or across all namespaces.
fn api_in<K>(client: &Client, ns: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match ns {
        Some(n) => Api::namespaced(client.clone(), n),
        None => Api::all(client.clone()),
    }
}

/// A dynamic API of `ar` in `ns`, or across all namespaces.
fn dynamic_api_in(client: &Client, ns: Option<&str>, ar: &ApiResource) -> Api<DynamicObject> {
    match ns {
        Some(n) => Api::namespaced_with(client.clone(), n, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// The SparkApplication controller: woken by the applications (cached as slim metadata) and
/// by the pods the operator launched (followed by the pod index).
fn spawn_applications(
    common: &Common,
    ns: Option<&str>,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    let client = &common.client;
    let config = &common.config;
    let index = Arc::new(index::PodIndex::default());
    let ctx = Arc::new(Context {
        client: client.clone(),
        config: config.clone(),
        index: index.clone(),
        metrics: common.metrics.clone(),
        recorder: common.recorder.clone(),
        submit_queue: common.submit_queue.clone(),
        in_flight: Mutex::new(HashSet::new()),
        fresh: fresh::Fresh::default(),
    });
    // Metadata-only requests: the cache and the watch carry no spec or status.
    let app_meta: Api<AppMeta> = api_in(client, ns);
    let pod_api: Api<Pod> = api_in(client, ns);
    let pod_config = watcher::Config::default().labels(&format!("{}=true", labels::LAUNCHED_BY));
    // The index follows every pod event; only those that change what the lifecycle reads
    // wake the pod's application.
    let pods = watcher(pod_api, pod_config)
        .default_backoff()
        .filter(move |e| {
            let wake = match e {
                Ok(e) => index.observe(e),
                Err(_) => true,
            };
            futures::future::ready(wake)
        })
        .touched_objects();
    // Applications are cached as metadata only, and read whole when reconciled: a cache of
    // 10,000 full objects would dominate the operator's memory. Of the metadata, only what
    // `reconcile` reads before its GET is kept.
    let app_writer = reflector::store::Writer::<AppMeta>::default();
    let app_reader = app_writer.as_reader();
    let app_trigger = reflector::reflector(
        app_writer,
        watcher(app_meta, watcher::Config::default())
            .default_backoff()
            .modify(|m| {
                m.types = None;
                m.metadata = slim(std::mem::take(&mut m.metadata));
            }),
    )
    .touched_objects();
    let controller = Controller::for_stream(app_trigger, app_reader)
        .with_config(
            kube::runtime::controller::Config::default().concurrency(config.status_workers),
        )
        .watches_stream(pods, app_of_pod)
        .graceful_shutdown_on(stop);
    let ready = common.ready.clone();
    tokio::spawn(async move {
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        controller
            .run(reconcile::reconcile, reconcile::error_policy, ctx)
            .for_each(|_| async {})
            .await;
    })
}

/// The ScheduledSparkApplication controller, woken also by the runs it created.
fn spawn_scheduled(common: &Common, ns: Option<&str>, stop: Stop) -> tokio::task::JoinHandle<()> {
    let client = &common.client;
    let sched_ctx = Arc::new(scheduled::ScheduledContext {
        client: client.clone(),
        metrics: common.metrics.clone(),
        spark_conf: common.config.spark_conf.clone(),
    });
    let app_meta: Api<AppMeta> = api_in(client, ns);
    let runs_config = watcher::Config::default().labels(labels::SCHEDULED_APP_NAME);
    let sched_controller = Controller::new_with(
        dynamic_api_in(client, ns, &scheduled::scheduled_resource()),
        watcher::Config::default(),
        scheduled::scheduled_resource(),
    )
    .watches_stream_with(
        watcher(app_meta, runs_config)
            .default_backoff()
            .touched_objects(),
        |app: AppMeta| {
            let owner = app.labels().get(labels::SCHEDULED_APP_NAME)?.clone();
            let ns = app.metadata.namespace.clone()?;
            Some(ObjectRef::new_with(&owner, scheduled::scheduled_resource()).within(&ns))
        },
        (),
    )
    .graceful_shutdown_on(stop);
    tokio::spawn(async move {
        sched_controller
            .run(scheduled::reconcile, scheduled::error_policy, sched_ctx)
            .for_each(|_| async {})
            .await;
    })
}

/// The SparkCluster controller, woken also by its Deployments and StatefulSets (only those
/// the operator labels as a cluster's).
fn spawn_clusters(common: &Common, ns: Option<&str>, stop: Stop) -> tokio::task::JoinHandle<()> {
    let client = &common.client;
    let cluster_ctx = Arc::new(cluster::ClusterContext {
        client: client.clone(),
        metrics: common.metrics.clone(),
        spark_conf: common.config.spark_conf.clone(),
        secrets: Mutex::new(HashSet::new()),
    });
    let owned = || {
        watcher::Config::default().labels(&format!(
            "{},{}={}",
            sparkplane_cluster_objects::labels::CLUSTER,
            sparkplane_cluster_objects::labels::MANAGED_BY,
            sparkplane_cluster_objects::labels::MANAGER
        ))
    };
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = api_in(client, ns);
    let stateful_sets: Api<k8s_openapi::api::apps::v1::StatefulSet> = api_in(client, ns);
    let cluster_controller = Controller::new_with(
        dynamic_api_in(client, ns, &cluster::cluster_resource()),
        watcher::Config::default(),
        cluster::cluster_resource(),
    )
    .owns(deployments, owned())
    .owns(stateful_sets, owned())
    .graceful_shutdown_on(stop);
    tokio::spawn(async move {
        cluster_controller
            .run(cluster::reconcile, cluster::error_policy, cluster_ctx)
            .for_each(|_| async {})
            .await;
    })
}

/// Runs the controllers until `shutdown` resolves: for each listed namespace (or all), or
/// for each namespace matching `namespace_selector` as namespaces come and go.
pub async fn run(
    client: Client,
    config: Config,
    metrics: Arc<Metrics>,
    ready: Arc<std::sync::atomic::AtomicBool>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + Clone + 'static,
) {
    let (submit_queue, workers) = submit::start_workers(config.submit_workers);
    let common = Common {
        recorder: events::Events::new(
            client.clone(),
            &config.reporter,
            std::env::var("POD_NAME").ok(),
        ),
        submit_queue,
        client,
        config,
        metrics,
        ready,
    };
    let global: Stop = shutdown.clone().boxed().shared();
    let Some(selector) = common.config.namespace_selector.clone() else {
        let namespaces: Vec<Option<String>> = if common.config.namespaces.is_empty() {
            vec![None]
        } else {
            common.config.namespaces.iter().cloned().map(Some).collect()
        };
        let tasks: Vec<_> = namespaces
            .into_iter()
            .flat_map(|ns| spawn_namespace(&common, ns, global.clone()))
            .collect();
        for t in tasks {
            // A task ends only at shutdown.
            let _ = t.await;
        }
        stop_workers(workers);
        return;
    };
    let api: Api<Namespace> = Api::all(common.client.clone());
    let events = watcher(api, watcher::Config::default().labels(&selector)).default_backoff();
    futures::pin_mut!(events);
    let mut running: HashMap<
        String,
        (
            tokio::sync::oneshot::Sender<()>,
            Vec<tokio::task::JoinHandle<()>>,
        ),
    > = HashMap::new();
    let mut seen: Option<HashSet<String>> = None;
    let start = |running: &mut HashMap<_, _>, ns: String| {
        if running.contains_key(&ns) {
            return;
        }
        tracing::info!(namespace = %ns, "watching namespace");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let global = global.clone();
        let stop: Stop = async move {
            tokio::select! {
                _ = global => {}
                _ = rx => {}
            }
        }
        .boxed()
        .shared();
        let tasks = spawn_namespace(&common, Some(ns.clone()), stop);
        running.insert(ns, (tx, tasks));
    };
    let stop_ns = |running: &mut HashMap<
        String,
        (
            tokio::sync::oneshot::Sender<()>,
            Vec<tokio::task::JoinHandle<()>>,
        ),
    >,
                   ns: &str| {
        if let Some((tx, _)) = running.remove(ns) {
            tracing::info!(namespace = %ns, "no longer watching namespace");
            let _ = tx.send(());
        }
    };
    let shutdown = global.clone();
    futures::pin_mut!(shutdown);
    loop {
        let event = tokio::select! {
            _ = &mut shutdown => break,
            e = events.next() => e,
        };
        let Some(event) = event else { break };
        match event {
            Ok(watcher::Event::Init) => seen = Some(HashSet::new()),
            Ok(watcher::Event::InitApply(n)) => {
                let name = n.name_any();
                if let Some(s) = seen.as_mut() {
                    s.insert(name.clone());
                }
                start(&mut running, name);
            }
            Ok(watcher::Event::InitDone) => {
                if let Some(s) = seen.take() {
                    let gone: Vec<String> = running
                        .keys()
                        .filter(|k| !s.contains(*k))
                        .cloned()
                        .collect();
                    for g in gone {
                        stop_ns(&mut running, &g);
                    }
                }
                common
                    .ready
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            }
            Ok(watcher::Event::Apply(n)) => start(&mut running, n.name_any()),
            Ok(watcher::Event::Delete(n)) => stop_ns(&mut running, &n.name_any()),
            Err(e) => tracing::warn!(error = %e, "namespace watch"),
        }
    }
    for (_, (tx, tasks)) in running.drain() {
        let _ = tx.send(());
        for t in tasks {
            let _ = t.await;
        }
    }
    stop_workers(workers);
}

/// Stops the submission workers once the controllers have stopped. A submission cut short
/// is finished by the next operator: its objects derive from its recorded id.
fn stop_workers(workers: Vec<tokio::task::JoinHandle<()>>) {
    for w in workers {
        w.abort();
    }
}

/// The application a pod belongs to, by its `app-name` label.
fn app_of_pod(pod: Pod) -> Option<AppRef> {
    let name = pod.metadata.labels.as_ref()?.get(labels::APP_NAME)?;
    let ns = pod.metadata.namespace.as_deref()?;
    Some(AppRef::new(name).within(ns))
}

/// The metadata `reconcile` reads before it GETs the whole object: the name, the namespace,
/// whether it is being deleted, and the resource version (whether the copy it last wrote is
/// still the latest).
fn slim(m: ObjectMeta) -> ObjectMeta {
    ObjectMeta {
        name: m.name,
        namespace: m.namespace,
        deletion_timestamp: m.deletion_timestamp,
        resource_version: m.resource_version,
        ..ObjectMeta::default()
    }
}

/// How long to wait before retrying after an error.
pub(crate) const ERROR_REQUEUE: Duration = Duration::from_secs(2);
