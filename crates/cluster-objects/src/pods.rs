//! The pod templates of the master and the workers, each a list of steps over one template.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    ExecAction, HTTPGetAction, KeyToPath, Lifecycle, LifecycleHandler, ObjectFieldSelector, Pod,
    PodSpec, PodTemplateSpec, Probe, SecretKeySelector, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::sizing::{master_resources, WorkerSize};
use crate::{
    conf_keys, names, role_labels, Cluster, AUTH_SECRET_ENV, AUTH_SECRET_KEY, MASTER_REST_PORT,
    WORKER_RPC_PORT, WORKER_UI_PORT,
};

/// Where each role's `spark-defaults.conf` is mounted (`SPARK_CONF_DIR`).
pub const CONF_DIR: &str = "/etc/sparkplane/conf";
/// A worker's work directory (applications' files and executor logs), an emptyDir.
pub const WORK_DIR: &str = "/opt/spark/work";

/// The steps of a pod template, in order; each changes one aspect.
type Step<'a> = Box<dyn Fn(&mut PodTemplateSpec) + 'a>;

fn run(steps: Vec<Step<'_>>) -> PodTemplateSpec {
    let mut t = PodTemplateSpec {
        metadata: Some(ObjectMeta::default()),
        spec: Some(PodSpec {
            containers: vec![Container::default()],
            ..Default::default()
        }),
    };
    for step in steps {
        step(&mut t);
    }
    t
}

fn spec(t: &mut PodTemplateSpec) -> &mut PodSpec {
    t.spec.get_or_insert_with(Default::default)
}

fn container(t: &mut PodTemplateSpec) -> &mut Container {
    let s = spec(t);
    if s.containers.is_empty() {
        s.containers.push(Container::default());
    }
    &mut s.containers[0]
}

fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    }
}

fn pod_ip(name: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "status.podIP".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tcp(name: &str, port: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: i32::from(port),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

// ---- steps both roles share

/// Labels selecting the pod, and the role's container with the cluster's image.
fn identity<'a>(c: &'a Cluster<'a>, role: &'static str) -> Step<'a> {
    Box::new(move |t| {
        t.metadata.get_or_insert_with(Default::default).labels = Some(role_labels(&c.name, role));
        let k = container(t);
        k.name = format!("spark-{role}");
        k.image = Some(c.image.clone());
        k.args = Some(vec![role.to_string()]);
    })
}

/// Spark finds the role's configuration and advertises the pod's IP (pod host names do not
/// resolve; the IP is what executors and drivers reach).
fn daemon_env(heap_mib: u64) -> Step<'static> {
    Box::new(move |t| {
        let e = container(t).env.get_or_insert_with(Vec::new);
        e.push(env("SPARK_CONF_DIR", CONF_DIR));
        e.push(pod_ip("SPARK_LOCAL_HOSTNAME"));
        e.push(env("SPARK_DAEMON_MEMORY", format!("{heap_mib}m")));
    })
}

/// The authentication secret, from the Secret into `_SPARK_AUTH_SECRET` (never a file or an
/// argument, so it shows in no log and no process listing).
fn auth_env<'a>(c: &'a Cluster<'a>) -> Step<'a> {
    Box::new(move |t| {
        if !c.authenticate {
            return;
        }
        container(t).env.get_or_insert_with(Vec::new).push(EnvVar {
            name: AUTH_SECRET_ENV.into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: names::auth_secret(&c.name),
                    key: AUTH_SECRET_KEY.into(),
                    optional: Some(false),
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    })
}

/// The role's key of the ConfigMap as `spark-defaults.conf`, and a writable `/tmp`.
fn conf_volume<'a>(c: &'a Cluster<'a>, key: &'static str) -> Step<'a> {
    Box::new(move |t| {
        let s = spec(t);
        let volumes = s.volumes.get_or_insert_with(Vec::new);
        volumes.push(Volume {
            name: "spark-conf".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: names::config(&c.name),
                items: Some(vec![KeyToPath {
                    key: key.into(),
                    path: "spark-defaults.conf".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        });
        volumes.push(empty_dir("tmp"));
        let mounts = container(t).volume_mounts.get_or_insert_with(Vec::new);
        mounts.push(mount("spark-conf", CONF_DIR, true));
        mounts.push(mount("tmp", "/tmp", false));
    })
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

/// Ready once the web UI answers (the daemon is up and, for a worker, has started).
fn readiness(port: &'static str) -> Step<'static> {
    Box::new(move |t| {
        container(t).readiness_probe = Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/".into()),
                port: IntOrString::String(port.into()),
                ..Default::default()
            }),
            period_seconds: Some(5),
            failure_threshold: Some(3),
            ..Default::default()
        });
    })
}

/// The role's node selector and tolerations.
fn scheduling<'a>(
    selector: &'a BTreeMap<String, String>,
    tolerations: &'a [Toleration],
) -> Step<'a> {
    Box::new(move |t| {
        let s = spec(t);
        if !selector.is_empty() {
            s.node_selector = Some(selector.clone());
        }
        if !tolerations.is_empty() {
            s.tolerations = Some(tolerations.to_vec());
        }
    })
}

/// Pod Security "restricted", through the step `submit --pod-security` and the
/// SparkApplication controller use: non-root, no privilege escalation, every capability
/// dropped, the runtime's default seccomp profile. No service account token either: the
/// daemons never call the API.
fn restricted() -> Step<'static> {
    Box::new(|t| {
        let mut pod = Pod {
            metadata: ObjectMeta::default(),
            spec: t.spec.take(),
            status: None,
        };
        sparkplane_submit::pod_security::fill_restricted(&mut pod);
        let s = pod.spec.get_or_insert_with(Default::default);
        s.automount_service_account_token = Some(false);
        t.spec = pod.spec;
    })
}

// ---- the master

pub(crate) fn master_template(c: &Cluster<'_>) -> PodTemplateSpec {
    let m = &c.spec.master;
    run(vec![
        identity(c, "master"),
        daemon_env(c.master_heap_mib),
        Box::new(|t| {
            let k = container(t);
            let e = k.env.get_or_insert_with(Vec::new);
            e.push(env("SPARK_MASTER_PORT", c.rpc_port.to_string()));
            e.push(env("SPARK_MASTER_WEBUI_PORT", c.ui_port.to_string()));
            k.ports = Some(vec![
                tcp("rpc", c.rpc_port),
                tcp("ui", c.ui_port),
                tcp("rest", MASTER_REST_PORT),
            ]);
            k.resources = Some(
                m.resources
                    .clone()
                    .unwrap_or_else(|| master_resources(c.master_heap_mib)),
            );
        }),
        auth_env(c),
        conf_volume(c, conf_keys::MASTER),
        readiness("ui"),
        scheduling(&m.node_selector, &m.tolerations),
        restricted(),
    ])
}

// ---- the workers

pub(crate) fn worker_template(c: &Cluster<'_>, size: &WorkerSize) -> PodTemplateSpec {
    let w = &c.spec.workers;
    let master_url = format!(
        "spark://{}.{}.svc:{}",
        names::master(&c.name),
        c.namespace,
        c.rpc_port
    );
    run(vec![
        identity(c, "worker"),
        daemon_env(size.daemon_mib),
        Box::new(move |t| {
            let k = container(t);
            let e = k.env.get_or_insert_with(Vec::new);
            e.push(env("SPARK_MASTER_URL", master_url.clone()));
            // What Spark offers is what the container is granted (crate::sizing).
            e.push(env("SPARK_WORKER_CORES", size.cores.to_string()));
            e.push(env("SPARK_WORKER_MEMORY", format!("{}m", size.memory_mib)));
            e.push(env("SPARK_WORKER_PORT", WORKER_RPC_PORT.to_string()));
            e.push(env("SPARK_WORKER_WEBUI_PORT", WORKER_UI_PORT.to_string()));
            e.push(env("SPARK_WORKER_DIR", WORK_DIR));
            k.ports = Some(vec![tcp("rpc", WORKER_RPC_PORT), tcp("ui", WORKER_UI_PORT)]);
            k.resources = Some(size.resources.clone());
        }),
        auth_env(c),
        conf_volume(c, conf_keys::WORKER),
        Box::new(|t| {
            spec(t)
                .volumes
                .get_or_insert_with(Vec::new)
                .push(empty_dir("work"));
            container(t)
                .volume_mounts
                .get_or_insert_with(Vec::new)
                .push(mount("work", WORK_DIR, false));
        }),
        readiness("ui"),
        decommission_on_stop(
            w.decommission_timeout_seconds
                .unwrap_or(sparkplane_api::cluster::DEFAULT_DECOMMISSION_TIMEOUT_SECONDS),
        ),
        scheduling(&w.node_selector, &w.tolerations),
        restricted(),
    ])
}

/// The hook the image runs before a worker pod stops (a StatefulSet scaling down, a rolling
/// update): it decommissions the worker (SIGPWR) and returns once its executors are gone, as
/// the local runtime's supervisor does on scale-down.
pub const DECOMMISSION_HOOK: [&str; 2] = ["/opt/decom.sh", "worker"];

/// What a worker's JVM gets, after the hook, to stop on SIGTERM.
pub const WORKER_STOP_GRACE_SECONDS: i64 = 30;

/// Scale-down by decommissioning: the preStop hook drains the worker, within the manifest's
/// timeout, which the grace period bounds (the kubelet counts the hook inside it).
fn decommission_on_stop(timeout_seconds: i64) -> Step<'static> {
    Box::new(move |t| {
        container(t).lifecycle = Some(Lifecycle {
            pre_stop: Some(LifecycleHandler {
                exec: Some(ExecAction {
                    command: Some(DECOMMISSION_HOOK.iter().map(|s| s.to_string()).collect()),
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        spec(t).termination_grace_period_seconds =
            Some(timeout_seconds.max(0) + WORKER_STOP_GRACE_SECONDS);
    })
}
