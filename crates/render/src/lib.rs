//! Everything the operator creates for one submission of a SparkApplication, built by pure
//! functions: the driver's objects (through the native builder of `sparkplane-submit`), the
//! webhook-style pod settings applied directly, the executor pod template, the UI Service and
//! Ingress, the metrics ConfigMap, the batch scheduler's PodGroup and the driver's
//! PodDisruptionBudget. `sparkplane render` prints the result; the controller applies it.
//!
//! No I/O: nothing here reads the clock, the environment, files or the network, and the crate
//! depends on no async runtime or Kubernetes client (only `kube`'s core types); everything a
//! rendering depends on is in its arguments ([`RenderOptions`]).

#![warn(missing_docs)]

pub mod batch;
pub mod labels;
pub mod monitoring;
pub mod names;
pub mod pdb;
pub mod pod_patch;
pub mod pod_security;
pub mod submit_args;
pub mod templates;
pub mod ui;

#[cfg(test)]
mod fixtures;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressTLS};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::Value;
use sparkplane_api::{SparkApplication, SparkConfPolicy, SparkVersion};
use sparkplane_submit::{
    build_driver, resolve, DriverObjects, DriverRequest, PodSecurity, SubmissionIds, SubmitterEnv,
    SubmitterUser,
};

pub use pod_security::PodSecurityOptions;
pub use submit_args::Role;

/// Why a SparkApplication cannot be rendered: a field of the manifest and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RenderError {
    /// The field path in the manifest (`spec.driver.volumeMounts[0].name`), or the Spark
    /// setting the native builder refused.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl RenderError {
    /// An error about one field.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        RenderError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The operator's settings for the UI Service and Ingress (kubeflow's `--enable-ui-service`,
/// `--ingress-url-format`, `--ingress-class-name`, and default Ingress TLS and annotations).
#[derive(Debug, Clone, PartialEq)]
pub struct UiOptions {
    /// Create the UI Service.
    pub service: bool,
    /// Create a UI Ingress at this URL (`{{$appName}}`, `{{$appNamespace}}`, `{{$appId}}`).
    pub ingress_url_format: Option<String>,
    /// The Ingress class.
    pub ingress_class_name: Option<String>,
    /// Ingress annotations unless the application sets its own.
    pub ingress_annotations: BTreeMap<String, String>,
    /// Ingress TLS unless the application sets its own.
    pub ingress_tls: Vec<IngressTLS>,
}

impl Default for UiOptions {
    fn default() -> Self {
        UiOptions {
            service: true,
            ingress_url_format: None,
            ingress_class_name: None,
            ingress_annotations: BTreeMap::new(),
            ingress_tls: Vec::new(),
        }
    }
}

/// What one submission needs besides the manifest.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The API server URL the driver is told (`spark.master` without `k8s://`).
    pub master: String,
    /// The submission's id; every generated name and id derives from it.
    pub submission_id: String,
    /// The attempt number, from 1; reruns get their own driver pod name.
    pub attempt: u32,
    /// `spark.app.submitTime`.
    pub now_millis: i64,
    /// The user Spark runs as (`SPARK_USER`).
    pub spark_user: String,
    /// UI exposure.
    pub ui: UiOptions,
    /// The Pod Security level of the pods.
    pub pod_security: PodSecurityOptions,
    /// The sparkConf keys admitted past the tenancy boundary (`--allow-spark-conf`).
    pub spark_conf: SparkConfPolicy,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            master: "https://kubernetes.default.svc".into(),
            submission_id: String::new(),
            attempt: 1,
            now_millis: 0,
            spark_user: "spark".into(),
            ui: UiOptions::default(),
            pod_security: PodSecurityOptions::default(),
            spark_conf: SparkConfPolicy::default(),
        }
    }
}

/// Everything created for one submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The batch scheduler's PodGroup, created before the driver so that the scheduler
    /// knows the group when the driver pod reaches it.
    pub pod_group: Option<batch::PodGroup>,
    /// The driver pod and the objects spark-submit would create with it.
    pub driver: DriverObjects,
    /// UI and driver-port Services.
    pub services: Vec<Service>,
    /// UI and driver-port Ingresses.
    pub ingresses: Vec<Ingress>,
    /// The metrics ConfigMap, with Prometheus monitoring.
    pub metrics_config_map: Option<ConfigMap>,
    /// The driver's PodDisruptionBudget, with `driverPodDisruptionBudget`.
    pub driver_pdb: Option<PodDisruptionBudget>,
    /// The UI Service's name and port.
    pub ui_service: Option<(String, i32)>,
    /// The UI Ingress's name and URL.
    pub ui_ingress: Option<(String, String)>,
}

impl Rendered {
    /// Every object, in creation order, as JSON: the PodGroup, the driver pod, its
    /// objects, then the operator's own.
    pub fn all(&self) -> Vec<Value> {
        let mut out: Vec<Value> = self.pod_group.iter().map(to_value).collect();
        out.extend(self.driver.all());
        out.extend(self.metrics_config_map.iter().map(to_value));
        out.extend(self.services.iter().map(to_value));
        out.extend(self.ingresses.iter().map(to_value));
        out.extend(self.driver_pdb.iter().map(to_value));
        out
    }

    /// The driver pod's name.
    pub fn driver_pod_name(&self) -> &str {
        self.driver.pod.metadata.name.as_deref().unwrap_or_default()
    }
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    // k8s-openapi types and the PodGroup have string keys only, so serialising them cannot
    // fail.
    serde_json::to_value(t).unwrap_or_default()
}

/// The owner reference every object of `app` carries.
pub fn owner_reference(app: &SparkApplication) -> OwnerReference {
    OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".into(),
        kind: "SparkApplication".into(),
        name: app.metadata.name.clone().unwrap_or_default(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Renders one submission of `app`, in steps: what the operator refuses, its own settings
/// (UI proxy, monitoring, batch scheduling), spark-submit's resolution of the options and
/// the native driver builder, then the webhook-style pod settings, and the objects the
/// operator adds around the driver.
pub fn render(app: &SparkApplication, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let version = preflight(app, options)?;
    let level = pod_security::level(app, &options.pod_security)?;
    let owner = owner_reference(app);
    let mut app = app.clone();
    ui_proxy(&mut app, &options.ui);
    let metrics = monitoring::apply(&mut app, &owner);
    let pod_group = batch::apply(&mut app, &owner)?;
    let request = driver_request(&app, options, version, &owner, &metrics, level)?;
    let mut driver = build_driver(&request).map_err(|e| builder_error(&e))?;
    patch_driver_pod(&mut driver.pod, &app, &owner, &metrics, level, options)?;
    let exposure = ui::build(
        &app,
        &owner,
        &options.submission_id,
        &request.ids.app_id,
        &options.ui,
    )?;
    let driver_pdb = pdb::build(&app, &owner);
    Ok(Rendered {
        pod_group,
        driver,
        services: exposure.services,
        ingresses: exposure.ingresses,
        metrics_config_map: metrics.config_map,
        driver_pdb,
        ui_service: exposure.ui_service,
        ui_ingress: exposure.ui_ingress,
    })
}

/// What the operator refuses before anything is built: an unsupported version, client mode,
/// and sparkConf keys past the tenancy boundary. The version, when it passes.
fn preflight(app: &SparkApplication, options: &RenderOptions) -> Result<SparkVersion, RenderError> {
    let version = SparkVersion::parse_supported(&app.spec.spark_version).map_err(|_| {
        RenderError::field(
            "spec.sparkVersion",
            format!(
                "expected a supported Spark version (3.5.x or 4.0.x to 4.3.x), got {:?}",
                app.spec.spark_version
            ),
        )
    })?;
    if matches!(
        app.spec.mode,
        Some(sparkplane_api::v1beta2::DeployMode::Client)
            | Some(sparkplane_api::v1beta2::DeployMode::InClusterClient)
    ) {
        return Err(RenderError::field(
            "spec.mode",
            "the operator runs applications in cluster mode only (kubeflow's client mode \
             would run the driver inside the operator)",
        ));
    }
    // The user's own keys, before render adds any: those that would take over what
    // belongs to the operator are refused (the first is named; `validate` names them all).
    let refused = options
        .spark_conf
        .refusals(&app.spec.spark_conf, app.metadata.namespace.as_deref());
    if let Some(r) = refused.into_iter().next() {
        return Err(RenderError::field(r.path("spec"), r.message));
    }
    Ok(version)
}

/// The UI's proxy settings when the operator serves the UI under a path; the user's own win.
fn ui_proxy(app: &mut SparkApplication, ui: &UiOptions) {
    if let Some(base) = ui::ui_proxy_base(ui, app) {
        app.spec
            .spark_conf
            .entry("spark.ui.proxyBase".into())
            .or_insert(base);
        app.spec
            .spark_conf
            .entry("spark.ui.proxyRedirectUri".into())
            .or_insert_with(|| "/".into());
    }
}

/// spark-submit's resolution of the options `app` translates to, checked at the Pod
/// Security level, with the pod templates: what the native builder takes.
fn driver_request(
    app: &SparkApplication,
    options: &RenderOptions,
    version: SparkVersion,
    owner: &OwnerReference,
    metrics: &monitoring::Monitoring,
    level: PodSecurity,
) -> Result<DriverRequest, RenderError> {
    let app_name = app.metadata.name.clone().unwrap_or_default();
    let explicit_pod_name = app.spec.driver.pod_name.clone().or_else(|| {
        app.spec
            .spark_conf
            .get("spark.kubernetes.driver.pod.name")
            .cloned()
    });
    let pod_name = names::driver_pod(&app_name, explicit_pod_name.as_deref(), options.attempt);
    let args = submit_args::submit_args(app, &options.submission_id, &options.master, &pod_name)?;
    let resolved = resolve(
        &args,
        &SubmitterEnv {
            now_millis: options.now_millis,
            ..SubmitterEnv::default()
        },
    )
    .map_err(|e| builder_error(&e))?;
    let conf = resolved.conf.entries().iter();
    pod_security::check_conf(
        conf.map(|(k, v)| (k.as_str(), v.as_str())),
        app,
        level,
        &options.pod_security,
    )?;
    let executor_template = templates::executor(
        app,
        owner,
        metrics.executor.as_ref(),
        level,
        &options.pod_security,
    )?;
    Ok(DriverRequest {
        conf: resolved.conf,
        resource: resolved.resource,
        app_args: resolved.app_args,
        proxy_user: resolved.proxy_user,
        submitter: SubmitterUser::with_spark_user(options.spark_user.clone()),
        version,
        ids: SubmissionIds::derived(&options.submission_id, options.now_millis),
        env_local_dirs: None,
        conf_files: Vec::new(),
        driver_template: Some(templates::driver(app, owner)),
        executor_template: Some(executor_template),
        // Applied by `patch_driver_pod`, once the webhook-style settings are in and with the
        // manifest's field paths.
        pod_security: PodSecurity::None,
    })
}

/// The webhook-style settings of the driver pod, its Pod Security settings, and the
/// application as its owner.
fn patch_driver_pod(
    pod: &mut k8s_openapi::api::core::v1::Pod,
    app: &SparkApplication,
    owner: &OwnerReference,
    metrics: &monitoring::Monitoring,
    level: PodSecurity,
    options: &RenderOptions,
) -> Result<(), RenderError> {
    pod_patch::apply(pod, app, Role::Driver, metrics.driver.as_ref())?;
    let spark = templates::spark_container_name(pod, Role::Driver);
    pod_security::apply(pod, app, Role::Driver, &spark, level, &options.pod_security)?;
    let refs = pod.metadata.owner_references.get_or_insert_with(Vec::new);
    if !refs.contains(owner) {
        refs.push(owner.clone());
    }
    Ok(())
}

/// The native builder names Spark settings and spark-submit options; say which manifest
/// field they come from where that is unambiguous.
fn builder_error(e: &sparkplane_submit::SubmitError) -> RenderError {
    let text = e.to_string();
    let (setting, message) = text.split_once(": ").unwrap_or(("spec", text.as_str()));
    let path = match setting {
        "--packages" => "spec.deps.packages".to_string(),
        "--exclude-packages" => "spec.deps.excludePackages".to_string(),
        "--repositories" => "spec.deps.repositories".to_string(),
        "--jars" => "spec.deps.jars".to_string(),
        "--files" => "spec.deps.files".to_string(),
        "--py-files" => "spec.deps.pyFiles".to_string(),
        "--archives" => "spec.deps.archives".to_string(),
        "primary resource" => "spec.mainApplicationFile".to_string(),
        "spark.kubernetes.container.image" => "spec.image".to_string(),
        s if s.starts_with("spark.") => format!("spec.sparkConf.{s}"),
        s => s.to_string(),
    };
    RenderError::field(path, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Maven packages reach the driver as the confs spark-submit makes of them; the driver
    /// resolves them in its pod.
    #[test]
    fn maven_packages_become_driver_confs() {
        let app = fixtures::app(
            "pkgs",
            &json!({"mainClass": "Main", "mainApplicationFile": "local:///app.jar", "image": "spark:4.0.0",
                    "deps": {"packages": ["org.a:b:1.0", "org.c:d:2.0"],
                             "excludePackages": ["org.e:f"],
                             "repositories": ["https://repo.example.com/maven"]}}),
        );
        let r = render(&app, &RenderOptions::default()).unwrap();
        let props = r.driver.conf_map.data.as_ref().unwrap()["spark.properties"].clone();
        for line in [
            r"spark.jars.packages=org.a\:b\:1.0,org.c\:d\:2.0",
            r"spark.jars.excludes=org.e\:f",
            r"spark.jars.repositories=https\://repo.example.com/maven",
        ] {
            assert!(props.lines().any(|l| l == line), "{line} in {props}");
        }
    }

    /// `executor.memoryLimit` reaches Spark as the executor overhead, in the driver's
    /// `spark.properties`, and the PodGroup reserves the same executor memory.
    #[test]
    fn executor_memory_limit_renders_as_the_overhead() {
        // Executor 1024 MiB with a 2Gi limit: overhead 2048 − 1024 = 1024 MiB, over the
        // user's 512m. The PodGroup reserves the driver's 1024 + 384 = 1408 and one executor
        // of 2048: 3456Mi.
        let app = fixtures::app(
            "limited",
            &json!({"mainClass": "Main", "mainApplicationFile": "local:///app.jar", "image": "spark:4.0.0",
                    "batchScheduler": "volcano",
                    "executor": {"memoryLimit": "2Gi", "memoryOverhead": "512m",
                                 "instances": 1}}),
        );
        let r = render(&app, &RenderOptions::default()).unwrap();
        let props = r.driver.conf_map.data.as_ref().unwrap()["spark.properties"].clone();
        let overheads: Vec<&str> = props
            .lines()
            .filter(|l| l.starts_with("spark.executor.memoryOverhead"))
            .collect();
        assert_eq!(
            overheads,
            ["spark.executor.memoryOverhead=1024m"],
            "{props}"
        );
        // The limit itself is not put in the executor template, where Spark would drop it.
        let template = serde_json::to_string(&r.driver.pod_template).unwrap();
        assert!(!template.contains("2Gi"), "{template}");
        let group = r.pod_group.unwrap();
        assert_eq!(group.spec.min_resources["memory"], "3456Mi");
    }

    /// Every key of the tenancy boundary fails the render, naming it; an operator's
    /// allow-list lets it through, with the effect it has on spark-submit.
    #[test]
    fn keys_past_the_tenancy_boundary_fail_the_render_unless_allowed() {
        let base = json!({"mainClass": "Main", "mainApplicationFile": "local:///app.jar", "image": "spark:4.0.0"});
        for key in sparkplane_api::tenancy::refusable_keys() {
            let mut spec = base.clone();
            spec["sparkConf"] = json!({ key: "elsewhere" });
            let e = render(&fixtures::app("t", &spec), &RenderOptions::default()).unwrap_err();
            assert_eq!(e.path, format!("spec.sparkConf[\"{key}\"]"), "{e}");
            assert!(
                e.message.ends_with(&format!("--allow-spark-conf {key}")),
                "{e}"
            );
        }
        let key = "spark.kubernetes.authenticate.driver.serviceAccountName";
        let mut spec = base.clone();
        spec["sparkConf"] = json!({ key: "spark-admin" });
        let app = fixtures::app("t", &spec);
        let options = RenderOptions {
            spark_conf: SparkConfPolicy::allowing([key]).unwrap(),
            ..RenderOptions::default()
        };
        let r = render(&app, &options).unwrap();
        let pod = r.driver.pod.spec.unwrap();
        assert_eq!(pod.service_account_name.as_deref(), Some("spark-admin"));
    }

    #[test]
    fn executor_memory_limit_under_the_minimum_fails_the_render() {
        let app = fixtures::app(
            "limited",
            &json!({"mainClass": "Main", "mainApplicationFile": "local:///app.jar", "image": "spark:4.0.0",
                    "executor": {"memoryLimit": "1g"}}),
        );
        let e = render(&app, &RenderOptions::default()).unwrap_err();
        assert_eq!(e.path, "spec.executor.memoryLimit");
        assert!(e.message.contains("at least 1408Mi"), "{}", e.message);
    }
}
