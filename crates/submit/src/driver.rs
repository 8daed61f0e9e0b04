//! The builder: a [`DriverRequest`] in, every object spark-submit creates for it out.

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, KeyToPath, PersistentVolumeClaim, Pod, Service, Volume,
    VolumeMount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde_json::Value;

use crate::conf::SparkConf;
use crate::error::SubmitError;
use crate::features::{self, SparkPod};
use crate::names;
use crate::properties;
use crate::request::DriverRequest;
use crate::version::Behaviour;

/// `spark.kubernetes.configMap.maxSize`'s default.
const CONF_MAP_MAX_SIZE: usize = 1_048_576;

/// What the steps share: the request and the names and settings derived from it.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The request.
    pub req: &'a DriverRequest,
    /// Its configuration.
    pub conf: &'a SparkConf,
    /// The version's behaviour.
    pub behaviour: Behaviour,
    /// `spark.kubernetes.namespace`.
    pub namespace: String,
    /// The resource name prefix.
    pub prefix: String,
    /// The driver pod's name.
    pub pod_name: String,
    /// The Service's name.
    pub service_name: String,
    /// The driver image.
    pub image: String,
    /// The driver pod's labels (Spark's and `spark.kubernetes.driver.label.*`).
    pub labels: Vec<(String, String)>,
    /// The driver pod's annotations.
    pub annotations: Vec<(String, String)>,
    /// `spark.driver.port`.
    pub driver_port: i32,
    /// The block manager port on the pod (falls back to `spark.blockManager.port`).
    pub pod_block_manager_port: i32,
    /// `spark.ui.port`.
    pub ui_port: i32,
    /// The Spark Connect port.
    pub connect_port: i32,
    /// The executors' pod template the driver gets (the request's, with the Pod Security
    /// level's settings when one is asked for).
    pub executor_template: Option<String>,
}

const RESERVED_LABELS: [&str; 2] = ["spark-app-selector", "spark-role"];

impl<'a> Ctx<'a> {
    /// `conf.getAllWithPrefix(prefix).toMap`, in Spark's order.
    pub fn prefixed(&self, prefix: &str) -> Vec<(String, String)> {
        self.conf.prefixed(prefix, self.behaviour.scala)
    }

    fn new(req: &'a DriverRequest) -> Result<Self, SubmitError> {
        let conf = &req.conf;
        let behaviour = Behaviour::of(req.version);
        let app_name = conf.get("spark.app.name").unwrap_or("spark");
        let prefix = names::resource_name_prefix(app_name, &req.ids.prefix_id);
        let pod_name = conf
            .get("spark.kubernetes.driver.pod.name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{prefix}-driver"));
        let image = conf
            .get("spark.kubernetes.driver.container.image")
            .or_else(|| conf.get("spark.kubernetes.container.image"))
            .ok_or_else(|| SubmitError::Missing {
                setting: "spark.kubernetes.container.image".into(),
                reason: "the driver and executors run in this container image".into(),
            })?
            .to_string();
        let app_id = &req.ids.app_id;
        let mut labels = vec![
            ("spark-version".to_string(), req.version.to_string()),
            ("spark-app-selector".to_string(), app_id.clone()),
            (
                "spark-app-name".to_string(),
                names::app_name_label(app_name),
            ),
            ("spark-role".to_string(), "driver".to_string()),
        ];
        for (k, v) in conf.prefixed("spark.kubernetes.driver.label.", behaviour.scala) {
            if RESERVED_LABELS.contains(&k.as_str()) {
                return Err(SubmitError::invalid(
                    format!("spark.kubernetes.driver.label.{k}"),
                    "a label key Spark does not manage itself",
                    k,
                ));
            }
            let v = if behaviour.label_app_id_substitution {
                v.replace("{{APP_ID}}", app_id)
            } else {
                v
            };
            labels.push((k, v));
        }
        let annotations = conf
            .prefixed("spark.kubernetes.driver.annotation.", behaviour.scala)
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.replace("{{APP_ID}}", app_id)
                        .replace("{{EXECUTOR_ID}}", ""),
                )
            })
            .collect();
        let driver_port = conf.get_int("spark.driver.port", 7078)?;
        let pod_block_manager_port = match conf.get("spark.driver.blockManager.port") {
            Some(_) => conf.get_int("spark.driver.blockManager.port", 7079)?,
            None => conf.get_int("spark.blockManager.port", 7079)?,
        };
        Ok(Ctx {
            req,
            conf,
            behaviour,
            namespace: conf
                .get("spark.kubernetes.namespace")
                .unwrap_or("default")
                .to_string(),
            service_name: names::driver_service_name(&prefix, &req.ids.service_id),
            prefix,
            pod_name,
            image,
            labels,
            annotations,
            driver_port,
            pod_block_manager_port,
            ui_port: conf.get_int("spark.ui.port", 4040)?,
            connect_port: conf.get_int("spark.connect.grpc.binding.port", 15002)?,
            executor_template: features::pod_security::executor_template(req)?,
        })
    }
}

/// Every object of one submission, in the order spark-submit creates them.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverObjects {
    /// The namespace of every object.
    pub namespace: String,
    /// The driver pod (created first, with `POST`).
    pub pod: Pod,
    /// The headless Service.
    pub service: Service,
    /// The NetworkPolicy (Spark 4.1+).
    pub network_policy: Option<NetworkPolicy>,
    /// PVCs for on-demand claims.
    pub claims: Vec<PersistentVolumeClaim>,
    /// The ConfigMap carrying the executor pod template.
    pub pod_template: Option<ConfigMap>,
    /// The ConfigMap carrying `spark.properties` and the submitter's conf files.
    pub conf_map: ConfigMap,
}

impl DriverObjects {
    /// `namespace:pod`, which `--status` and `--kill` take.
    pub fn submission_id(&self) -> String {
        format!(
            "{}:{}",
            self.namespace,
            self.pod.metadata.name.as_deref().unwrap_or_default()
        )
    }

    /// Makes every object but the pod owned by the driver pod with `uid`, as Spark does once
    /// the pod exists: deleting the pod then deletes them.
    pub fn set_owner(&mut self, uid: &str) {
        let owner = OwnerReference {
            api_version: "v1".into(),
            kind: "Pod".into(),
            name: self.pod.metadata.name.clone().unwrap_or_default(),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: None,
        };
        let mut metas: Vec<&mut ObjectMeta> = vec![&mut self.service.metadata];
        if let Some(n) = self.network_policy.as_mut() {
            metas.push(&mut n.metadata);
        }
        metas.extend(self.claims.iter_mut().map(|c| &mut c.metadata));
        if let Some(t) = self.pod_template.as_mut() {
            metas.push(&mut t.metadata);
        }
        metas.push(&mut self.conf_map.metadata);
        for m in metas {
            m.owner_references = Some(vec![owner.clone()]);
        }
    }

    /// The objects after the pod, in Spark's order, as JSON.
    pub fn owned_resources(&self) -> Vec<Value> {
        let mut out = vec![to_value(&self.service)];
        out.extend(self.network_policy.as_ref().map(to_value));
        out.extend(self.claims.iter().map(to_value));
        out.extend(self.pod_template.as_ref().map(to_value));
        out.push(to_value(&self.conf_map));
        out
    }

    /// Every object, pod first, as JSON.
    pub fn all(&self) -> Vec<Value> {
        let mut out = vec![to_value(&self.pod)];
        out.extend(self.owned_resources());
        out
    }
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    // Serialising k8s-openapi types to a JSON value cannot fail: they have string keys only.
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// Settings whose effect sparkplane does not reproduce, refused with the reason.
fn refuse_unsupported(conf: &SparkConf) -> Result<(), SubmitError> {
    const REFUSED: &[(&str, &str)] = &[
        ("spark.kubernetes.driver.pod.featureSteps", "feature steps are JVM classes run by spark-submit"),
        ("spark.kubernetes.driver.pod.excludedFeatureSteps", "sparkplane always applies Spark's built-in steps"),
        ("spark.kubernetes.scheduler.volcano.podGroupTemplateFile", "the Volcano PodGroup step is not reproduced"),
        ("spark.kerberos.keytab", "Kerberos delegation is not reproduced"),
        ("spark.kerberos.principal", "Kerberos delegation is not reproduced"),
        ("spark.kubernetes.kerberos.krb5.path", "Kerberos delegation is not reproduced"),
        ("spark.kubernetes.kerberos.krb5.configMapName", "Kerberos delegation is not reproduced"),
        ("spark.kubernetes.kerberos.tokenSecret.name", "Kerberos delegation is not reproduced"),
        ("spark.kubernetes.hadoop.configMapName", "Hadoop configuration shipping is not reproduced"),
        ("spark.kubernetes.authenticate.driver.caCertFile", "uploading credentials into a Secret is not reproduced: use the driver's service account, or mount them and set spark.kubernetes.authenticate.driver.mounted.*"),
        ("spark.kubernetes.authenticate.driver.clientKeyFile", "uploading credentials into a Secret is not reproduced: use the driver's service account"),
        ("spark.kubernetes.authenticate.driver.clientCertFile", "uploading credentials into a Secret is not reproduced: use the driver's service account"),
        ("spark.kubernetes.authenticate.driver.oauthToken", "uploading credentials into a Secret is not reproduced: use the driver's service account"),
        ("spark.kubernetes.authenticate.driver.oauthTokenFile", "uploading credentials into a Secret is not reproduced: use the driver's service account"),
        ("spark.driver.bindAddress", "on Kubernetes the driver binds to its pod IP (Spark refuses this setting too)"),
    ];
    for (key, why) in REFUSED {
        if conf.contains(key) {
            return Err(SubmitError::unsupported(*key, *why));
        }
    }
    Ok(())
}

/// Builds every object `spark-submit --deploy-mode cluster` creates for `req`, without owner
/// references (they need the created pod's uid: see [`DriverObjects::set_owner`]).
pub fn build_driver(req: &DriverRequest) -> Result<DriverObjects, SubmitError> {
    refuse_unsupported(&req.conf)?;
    features::pod_security::check_conf(req)?;
    let ctx = Ctx::new(req)?;
    let mut p = features::pod_template::initial_pod(&ctx)?;
    features::basic::apply(&ctx, &mut p)?;
    let service = features::service::build(&ctx)?;
    features::secrets::mount(&ctx, &mut p);
    features::secrets::env(&ctx, &mut p)?;
    let network_policy = ctx
        .behaviour
        .network_policy
        .then(|| features::network_policy::build(&ctx));
    let claims = features::volumes::apply(&ctx, &mut p)?;
    features::command::apply(&ctx, &mut p);
    let pod_template = features::pod_template::apply(&ctx, &mut p);
    features::local_dirs::apply(&ctx, &mut p)?;

    let mut props: Vec<(String, String)> = req.conf.entries().to_vec();
    let system = [
        features::basic::properties(&ctx)?,
        features::service::properties(&ctx)?,
        features::command::properties(&ctx),
        features::pod_template::properties(&ctx),
    ]
    .concat();
    for (k, v) in system {
        match props.iter_mut().find(|(pk, _)| *pk == k) {
            Some(e) => e.1 = v,
            None => props.push((k, v)),
        }
    }
    props.sort();
    let conf_map = conf_map(&ctx, &mut p, &props);
    let SparkPod { mut pod, container } = p;
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.containers.push(container);
    features::pod_security::driver(&ctx, &mut pod)?;
    Ok(DriverObjects {
        namespace: ctx.namespace.clone(),
        pod,
        service,
        network_policy,
        claims,
        pod_template,
        conf_map,
    })
}

/// `Client.run`'s last touch: the conf ConfigMap, mounted at `/opt/spark/conf`.
fn conf_map(ctx: &Ctx, p: &mut SparkPod, props: &[(String, String)]) -> ConfigMap {
    let name = names::config_map_name(&format!("spark-drv-{}", ctx.req.ids.conf_map_id));
    let date = chrono::DateTime::from_timestamp_millis(ctx.req.ids.submit_time_millis)
        .unwrap_or_default()
        .format("%a %b %d %H:%M:%S UTC %Y")
        .to_string();
    let spark_properties = properties::store(
        props,
        &format!("Java properties built from Kubernetes config map with name: {name}"),
        &date,
    );
    // Conf files go in smallest first while the total (name + contents) fits.
    let mut files: Vec<_> = ctx.req.conf_files.iter().collect();
    files.sort_by_key(|f| f.contents.len());
    let mut total = 0;
    let mut data = std::collections::BTreeMap::new();
    for f in files {
        total += f.name.len() + f.contents.len();
        if total > CONF_MAP_MAX_SIZE {
            break;
        }
        data.insert(f.name.clone(), f.contents.clone());
    }
    data.insert("spark.properties".to_string(), spark_properties);
    let items = data
        .keys()
        .map(|k| KeyToPath {
            key: k.clone(),
            path: k.clone(),
            mode: Some(420),
            ..Default::default()
        })
        .collect();
    // Spark puts the namespace in the data map too (to read it back); it is not mounted.
    data.insert("spark.kubernetes.namespace".into(), ctx.namespace.clone());
    p.add_env("SPARK_CONF_DIR", "/opt/spark/conf");
    p.add_mount(VolumeMount {
        name: "spark-conf-volume-driver".into(),
        mount_path: "/opt/spark/conf".into(),
        ..Default::default()
    });
    p.add_volume(Volume {
        name: "spark-conf-volume-driver".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: name.clone(),
            items: Some(items),
            ..Default::default()
        }),
        ..Default::default()
    });
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(ctx.namespace.clone()),
            ..Default::default()
        },
        immutable: Some(true),
        data: Some(data),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::MainResource;
    use sparkplane_api::version::SparkVersion;

    fn request(
        version: (u32, u32),
        resource: MainResource,
        conf: &[(&str, &str)],
    ) -> DriverRequest {
        let mut c = SparkConf::new();
        c.set("spark.app.name", "t");
        c.set("spark.kubernetes.container.image", "img");
        for (k, v) in conf {
            c.set(*k, *v);
        }
        DriverRequest {
            conf: c,
            resource,
            app_args: vec![],
            proxy_user: None,
            submitter: crate::user::SubmitterUser::with_spark_user("u"),
            version: SparkVersion::new(version.0, version.1, 0),
            ids: crate::ids::SubmissionIds::derived("t", 0),
            env_local_dirs: None,
            conf_files: vec![],
            driver_template: None,
            executor_template: None,
            pod_security: Default::default(),
        }
    }

    fn memory(pod: &Pod) -> String {
        let c = pod.spec.as_ref().unwrap().containers.last().unwrap();
        c.resources.as_ref().unwrap().limits.as_ref().unwrap()["memory"]
            .0
            .clone()
    }

    type MemoryCase<'a> = ((u32, u32), MainResource, Vec<(&'a str, &'a str)>, &'a str);

    #[test]
    fn memory_overhead_rules() {
        let jvm = || MainResource::Java {
            jar: Some("local:///a.jar".into()),
            main_class: "A".into(),
        };
        let py = || MainResource::Python("local:///a.py".into());
        let cases: Vec<MemoryCase> = vec![
            ((4, 3), jvm(), vec![], "1408Mi"),
            ((4, 3), py(), vec![], "1433Mi"),
            ((4, 3), jvm(), vec![("spark.driver.memory", "8g")], "9011Mi"),
            (
                (4, 3),
                jvm(),
                vec![
                    ("spark.driver.memory", "8g"),
                    ("spark.driver.memoryOverheadFactor", "0.2"),
                ],
                "9830Mi",
            ),
            (
                (4, 3),
                py(),
                vec![
                    ("spark.kubernetes.memoryOverheadFactor", "0.3"),
                    ("spark.driver.memory", "3g"),
                ],
                "3993Mi",
            ),
            (
                (4, 3),
                jvm(),
                vec![
                    ("spark.driver.memoryOverhead", "1g"),
                    ("spark.driver.memory", "4g"),
                ],
                "5120Mi",
            ),
            (
                (4, 3),
                jvm(),
                vec![("spark.driver.minMemoryOverhead", "512m")],
                "1536Mi",
            ),
            (
                (3, 5),
                jvm(),
                vec![("spark.driver.minMemoryOverhead", "512m")],
                "1408Mi",
            ),
        ];
        for (version, resource, conf, want) in cases {
            let req = request(version, resource, &conf);
            let objects = build_driver(&req).unwrap();
            assert_eq!(memory(&objects.pod), want, "{version:?} {conf:?}");
        }
    }

    #[test]
    fn version_specific_objects() {
        let jvm = || MainResource::Java {
            jar: None,
            main_class: "A".into(),
        };
        let v35 = build_driver(&request((3, 5), jvm(), &[])).unwrap();
        let v43 = build_driver(&request((4, 3), jvm(), &[])).unwrap();
        assert!(v35.network_policy.is_none() && v43.network_policy.is_some());
        let ports = |o: &DriverObjects| {
            o.service
                .spec
                .as_ref()
                .unwrap()
                .ports
                .as_ref()
                .unwrap()
                .len()
        };
        assert_eq!((ports(&v35), ports(&v43)), (3, 4));
        let args = v43.pod.spec.as_ref().unwrap().containers[0]
            .args
            .clone()
            .unwrap();
        assert!(
            args.contains(&"spark-internal".to_string()),
            "no jar: spark-internal"
        );
    }

    #[test]
    fn owners_are_set_on_everything_but_the_pod() {
        let req = request((4, 3), MainResource::R("local:///a.R".into()), &[]);
        let mut o = build_driver(&req).unwrap();
        o.set_owner("uid-1");
        assert!(o.pod.metadata.owner_references.is_none());
        for v in o.owned_resources() {
            assert_eq!(v["metadata"]["ownerReferences"][0]["uid"], "uid-1");
            assert_eq!(v["metadata"]["ownerReferences"][0]["controller"], true);
        }
        assert_eq!(
            o.submission_id(),
            format!("default:{}", o.pod.metadata.name.clone().unwrap())
        );
    }

    #[test]
    fn refused_settings_are_named() {
        for key in [
            "spark.kerberos.keytab",
            "spark.kubernetes.driver.pod.featureSteps",
            "spark.driver.bindAddress",
        ] {
            let req = request(
                (4, 3),
                MainResource::Python("local:///a.py".into()),
                &[(key, "x")],
            );
            let e = build_driver(&req).unwrap_err();
            assert!(e.to_string().starts_with(key), "{e}");
        }
    }
}
