//! The Pod Security step in `sparkplane submit`'s builder (not one of Spark's: spark-submit
//! has no such option). With a level other than none it makes the executors' pod template
//! and the driver pod meet it ([`crate::pod_security`]), and checks the Spark settings that
//! add volumes and annotations to either. Refusals name the pod template file and the field
//! in it, or the Spark setting.

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};

use crate::driver::Ctx;
use crate::error::SubmitError;
use crate::pod_security::{self, At, ContainerList, Origin, PodOrigin, PodSecurity};
use crate::request::DriverRequest;

const DRIVER_TEMPLATE: &str = "spark.kubernetes.driver.podTemplateFile";
const EXECUTOR_TEMPLATE: &str = "spark.kubernetes.executor.podTemplateFile";

/// The executors' pod template the driver gets: the request's, unchanged with no level; else
/// the request's (or, without one, a pod with one container for Spark to build on) with the
/// level's settings.
pub fn executor_template(req: &DriverRequest) -> Result<Option<String>, SubmitError> {
    if req.pod_security == PodSecurity::None {
        return Ok(req.executor_template.clone());
    }
    let mut pod: Pod = match &req.executor_template {
        Some(text) => serde_yaml_ng::from_str(text).map_err(|e| {
            SubmitError::invalid(
                EXECUTOR_TEMPLATE,
                "a Kubernetes Pod manifest",
                e.to_string(),
            )
        })?,
        None => Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "spark-kubernetes-executor".into(),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
            ..Pod::default()
        },
    };
    let file = req.conf.get(EXECUTOR_TEMPLATE).unwrap_or(EXECUTOR_TEMPLATE);
    let origin = PodOrigin {
        prefix: format!("{file}: "),
    };
    pod_security::apply(&mut pod, req.pod_security, &origin).map_err(SubmitError::from)?;
    // JSON is YAML too, and leaves no room for YAML 1.1 readers to misread a value.
    Ok(Some(serde_json::to_string_pretty(&pod).unwrap_or_default()))
}

/// Checks the settings from which Spark adds volumes and annotations to the driver and the
/// executors.
pub fn check_conf(req: &DriverRequest) -> Result<(), SubmitError> {
    for role in ["driver", "executor"] {
        let entries = req
            .conf
            .entries()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        pod_security::check_conf(entries, role, req.pod_security, &PodOrigin::default())?;
    }
    Ok(())
}

/// Applies the level to the finished driver pod.
pub fn driver(ctx: &Ctx, pod: &mut Pod) -> Result<(), SubmitError> {
    if ctx.req.pod_security == PodSecurity::None {
        return Ok(());
    }
    let template = match &ctx.req.driver_template {
        // The template was read by `pod_template::initial_pod` already.
        Some(text) => serde_yaml_ng::from_str::<Pod>(text).ok(),
        None => None,
    };
    let origin = DriverOrigin {
        file: ctx.conf.get(DRIVER_TEMPLATE).unwrap_or(DRIVER_TEMPLATE),
        template: template.as_ref(),
        pod: PodOrigin {
            prefix: "driver pod: ".into(),
        },
    };
    pod_security::apply(pod, ctx.req.pod_security, &origin)?;
    Ok(())
}

/// Names the driver pod's parts by the template file they came from, else by the pod.
struct DriverOrigin<'a> {
    file: &'a str,
    template: Option<&'a Pod>,
    pod: PodOrigin,
}

impl Origin for DriverOrigin<'_> {
    fn path(&self, at: At<'_>) -> String {
        let Some(t) = self.template else {
            return self.pod.path(at);
        };
        let spec = t.spec.as_ref();
        let file = self.file;
        match at {
            At::Pod(field) => format!("{file}: spec.{field}"),
            At::Container {
                list, name, field, ..
            } => {
                let containers = match list {
                    ContainerList::Containers => spec.map(|s| &s.containers),
                    ContainerList::InitContainers => spec.and_then(|s| s.init_containers.as_ref()),
                };
                match containers.and_then(|c| c.iter().position(|c| c.name == name)) {
                    Some(i) => format!("{file}: spec.{}[{i}].{field}", list.field()),
                    None => self.pod.path(at),
                }
            }
            At::Volume { name, .. } => {
                let volumes = spec.and_then(|s| s.volumes.as_ref());
                match volumes.and_then(|v| v.iter().position(|v| v.name == name)) {
                    Some(i) => format!("{file}: spec.volumes[{i}]"),
                    None => self.pod.path(at),
                }
            }
            At::Annotation(key) => {
                let annotations = t.metadata.annotations.as_ref();
                if annotations.is_some_and(|a| a.contains_key(key)) {
                    format!("{file}: metadata.annotations.{key}")
                } else {
                    format!("spark.kubernetes.driver.annotation.{key}")
                }
            }
            At::Conf(key) => key.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use sparkplane_api::version::SparkVersion;

    use super::*;
    use crate::conf::SparkConf;
    use crate::request::MainResource;
    use crate::{build_driver, DriverObjects};

    fn request(level: PodSecurity, conf: &[(&str, &str)]) -> DriverRequest {
        let mut c = SparkConf::new();
        c.set("spark.app.name", "t");
        c.set("spark.kubernetes.container.image", "sparkplane/spark:4.3.0");
        for (k, v) in conf {
            c.set(*k, *v);
        }
        DriverRequest {
            conf: c,
            resource: MainResource::Python("local:///a.py".into()),
            app_args: vec![],
            proxy_user: None,
            submitter: crate::user::SubmitterUser::with_spark_user("u"),
            version: SparkVersion::new(4, 0, 0),
            ids: crate::ids::SubmissionIds::derived("t", 0),
            env_local_dirs: None,
            conf_files: vec![],
            driver_template: None,
            executor_template: None,
            pod_security: level,
        }
    }

    fn executor_template(o: &DriverObjects) -> Value {
        let cm = o.pod_template.as_ref().expect("an executor template");
        let text = &cm.data.as_ref().unwrap()["podspec-configmap-key"];
        serde_yaml_ng::from_str(text).unwrap()
    }

    #[test]
    fn no_level_builds_what_spark_submit_builds() {
        let o = build_driver(&request(PodSecurity::None, &[])).unwrap();
        assert!(o.pod_template.is_none());
        assert!(o.pod.spec.unwrap().security_context.is_none());
    }

    /// Without templates, the driver pod is secured and the executors get a template that is.
    #[test]
    fn restricted_secures_the_driver_and_adds_an_executor_template() {
        let o = build_driver(&request(PodSecurity::Restricted, &[])).unwrap();
        let pod = serde_json::to_value(&o.pod).unwrap();
        assert_eq!(
            pod["spec"]["securityContext"],
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
        );
        assert_eq!(
            pod["spec"]["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})
        );
        let t = executor_template(&o);
        assert_eq!(
            t["spec"]["containers"][0]["name"],
            "spark-kubernetes-executor"
        );
        assert_eq!(t["spec"]["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            t["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"],
            json!(["ALL"])
        );
        let props = &o.conf_map.data.as_ref().unwrap()["spark.properties"];
        assert!(
            props.contains("spark.kubernetes.executor.podTemplateFile=/opt/spark/pod-template/pod-spec-template.yml"),
            "{props}"
        );
    }

    /// Templates keep what they set; their sidecars and init containers are secured too.
    #[test]
    fn templates_keep_their_settings() {
        let mut req = request(
            PodSecurity::Restricted,
            &[
                ("spark.kubernetes.driver.podTemplateFile", "/t/driver.yaml"),
                (
                    "spark.kubernetes.executor.podTemplateFile",
                    "/t/executor.yaml",
                ),
            ],
        );
        let template = json!({"spec": {
            "securityContext": {"runAsUser": 1000, "fsGroup": 1000},
            "containers": [{"name": "spark-kubernetes-driver"}, {"name": "sidecar", "image": "s"}],
            "initContainers": [{"name": "init", "image": "i"}]}});
        req.driver_template = Some(template.to_string());
        req.executor_template = Some(template.to_string());
        let o = build_driver(&req).unwrap();
        let pod = serde_json::to_value(&o.pod).unwrap();
        for p in [pod, executor_template(&o)] {
            assert_eq!(p["spec"]["securityContext"]["runAsUser"], 1000);
            assert_eq!(p["spec"]["securityContext"]["fsGroup"], 1000);
            assert_eq!(p["spec"]["securityContext"]["runAsNonRoot"], true);
            let mut names = vec![];
            for list in ["containers", "initContainers"] {
                for c in p["spec"][list].as_array().unwrap() {
                    names.push(c["name"].as_str().unwrap().to_string());
                    assert_eq!(
                        c["securityContext"]["allowPrivilegeEscalation"], false,
                        "{c}"
                    );
                }
            }
            names.sort();
            assert_eq!(names, ["init", "sidecar", "spark-kubernetes-driver"]);
        }
    }

    /// Refusals name the template file and the field in it, or the Spark setting, and the
    /// flag value that would allow it.
    #[test]
    fn refusals_name_the_file_or_setting() {
        let driver = json!({"spec": {"containers": [
            {"name": "spark-kubernetes-driver"},
            {"name": "debug", "image": "d", "securityContext": {"privileged": true}}]}});
        let executor = json!({"spec": {"securityContext": {"runAsUser": 0},
            "containers": [{"name": "spark-kubernetes-executor"}]}});
        let files = [
            ("spark.kubernetes.driver.podTemplateFile", "/t/driver.yaml"),
            (
                "spark.kubernetes.executor.podTemplateFile",
                "/t/executor.yaml",
            ),
        ];
        let mut req = request(PodSecurity::Restricted, &files);
        req.driver_template = Some(driver.to_string());
        let e = build_driver(&req).unwrap_err().to_string();
        assert_eq!(
            e,
            "/t/driver.yaml: spec.containers[1].securityContext.privileged: expected unset or \
             false for Pod Security \"restricted\", got true (--pod-security none allows it)"
        );
        let mut req = request(PodSecurity::Restricted, &files);
        req.executor_template = Some(executor.to_string());
        let e = build_driver(&req).unwrap_err().to_string();
        assert_eq!(
            e,
            "/t/executor.yaml: spec.securityContext.runAsUser: expected a user id other than 0, \
             or unset for Pod Security \"restricted\", got 0 (--pod-security baseline allows it)"
        );
        // "baseline" takes uid 0.
        req.pod_security = PodSecurity::Baseline;
        assert!(build_driver(&req).is_ok());
        let key = "spark.kubernetes.executor.volumes.hostPath.data.mount.path";
        let req = request(PodSecurity::Baseline, &[(key, "/data")]);
        let e = build_driver(&req).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{key}: expected no hostPath volume")),
            "{e}"
        );
        // Unreadable templates are refused only when the step has to read them.
        let mut req = request(PodSecurity::Restricted, &files);
        req.executor_template = Some("spec: [".into());
        let e = build_driver(&req).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "spark.kubernetes.executor.podTemplateFile: expected a Kubernetes Pod manifest"
            ),
            "{e}"
        );
    }
}
