//! Pod Security for a SparkApplication's pods: which level applies (the operator's setting,
//! or the application's `sparkplane.io/pod-security` annotation), and the step of
//! [`sparkplane_submit::pod_security`] applied to the driver pod and the executor template
//! once every other pod setting is in, with refusals named by the manifest field they come
//! from (`spec.driver.securityContext.privileged`).

use k8s_openapi::api::core::v1::{Container, Pod, PodTemplateSpec};
use sparkplane_api::SparkApplication;
use sparkplane_submit::pod_security::{self, At, ContainerList, Origin, Violation};
use sparkplane_submit::PodSecurity;

use super::submit_args::Role;
use super::RenderError;

/// The annotation with which an application chooses its own level (kubeflow's v1beta2 schema
/// has no field for it).
pub const ANNOTATION: &str = "sparkplane.io/pod-security";

/// The operator's Pod Security settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodSecurityOptions {
    /// The level of applications without the annotation.
    pub default: PodSecurity,
    /// The weakest level the annotation may choose.
    pub minimum: PodSecurity,
}

impl Default for PodSecurityOptions {
    /// Pods that a namespace enforcing "restricted" admits; applications may choose a weaker
    /// level (the namespace's own PodSecurity labels are what enforces one).
    fn default() -> Self {
        PodSecurityOptions {
            default: PodSecurity::Restricted,
            minimum: PodSecurity::None,
        }
    }
}

/// The level that applies to `app`.
pub fn level(
    app: &SparkApplication,
    options: &PodSecurityOptions,
) -> Result<PodSecurity, RenderError> {
    let path = || format!("metadata.annotations.{ANNOTATION}");
    let chosen = app
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION));
    let Some(value) = chosen else {
        return Ok(options.default);
    };
    let level: PodSecurity = value
        .parse()
        .map_err(|e: String| RenderError::field(path(), e))?;
    if level < options.minimum {
        return Err(RenderError::field(
            path(),
            format!(
                "expected a level of at least \"{}\" (the operator's --pod-security-minimum), got {value:?}",
                options.minimum
            ),
        ));
    }
    Ok(level)
}

/// The refusal of `v` for `app`, saying which level would allow the setting, if the operator
/// lets the application choose it.
fn refusal(v: Violation, options: &PodSecurityOptions) -> RenderError {
    let remedy = if v.allowed_by >= options.minimum {
        format!("the annotation {ANNOTATION}: {} allows it", v.allowed_by)
    } else {
        format!(
            "the operator's --pod-security-minimum \"{}\" does not allow it",
            options.minimum
        )
    };
    RenderError::field(
        v.path,
        format!(
            "expected {} for Pod Security \"{}\", got {}; {remedy}",
            v.expected, v.level, v.got
        ),
    )
}

/// Checks the Spark settings from which Spark adds volumes and annotations to either role's
/// pods (for executors, at run time: the template does not carry them).
pub fn check_conf<'a>(
    conf: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    app: &SparkApplication,
    level: PodSecurity,
    options: &PodSecurityOptions,
) -> Result<(), RenderError> {
    for role in [Role::Driver, Role::Executor] {
        let origin = ManifestOrigin::new(app, role, "");
        pod_security::check_conf(conf.clone(), role.conf_word(), level, &origin)
            .map_err(|v| refusal(v, options))?;
    }
    Ok(())
}

/// Applies `level` to `pod`, `role`'s pod with every pod setting of `app` in;
/// `spark_container` is the name of the container Spark runs in.
pub fn apply(
    pod: &mut Pod,
    app: &SparkApplication,
    role: Role,
    spark_container: &str,
    level: PodSecurity,
    options: &PodSecurityOptions,
) -> Result<(), RenderError> {
    let origin = ManifestOrigin::new(app, role, spark_container);
    pod_security::apply(pod, level, &origin).map_err(|v| refusal(v, options))
}

/// Names the parts of a role's pod by the manifest fields they come from, following the
/// order in which the pod is put together: the role's `template`, Spark's settings, then the
/// role's own fields (`securityContext`, `podSecurityContext`, `hostNetwork`, `lifecycle`,
/// `sidecars`, `initContainers`, the volumes it mounts), which win over the template's.
struct ManifestOrigin<'a> {
    app: &'a SparkApplication,
    role: Role,
    spark_container: &'a str,
}

impl<'a> ManifestOrigin<'a> {
    fn new(app: &'a SparkApplication, role: Role, spark_container: &'a str) -> Self {
        ManifestOrigin {
            app,
            role,
            spark_container,
        }
    }

    fn r(&self) -> &'static str {
        self.role.conf_word()
    }

    fn template(&self) -> Option<&'a PodTemplateSpec> {
        self.role.view(&self.app.spec).template
    }

    /// The field in the role's template, by the template's index of the named item.
    fn in_template<T: 'a>(
        &self,
        list: impl Fn(&'a PodTemplateSpec) -> Option<&'a Vec<T>>,
        named: impl Fn(&T) -> bool,
        field: &str,
    ) -> Option<String> {
        let i = self.template().and_then(&list)?.iter().position(named)?;
        Some(format!("spec.{}.template.spec.{field}[{i}]", self.r()))
    }

    /// Where a setting of Spark's configuration came from: a volume of `spec.volumes` that the
    /// role mounts as a Spark local directory, the role's annotations, or `spec.sparkConf`.
    fn conf_path(&self, key: &str) -> String {
        let r = self.r();
        let spec = &self.app.spec;
        let p = self.role.view(spec);
        if let Some(rest) = key.strip_prefix(&format!("spark.kubernetes.{r}.volumes.")) {
            let mut parts = rest.splitn(3, '.');
            let (kind, name) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let mounted = p.volume_mounts.iter().any(|m| m.name == name);
            if let Some(i) = spec
                .volumes
                .iter()
                .position(|v| v.name == name)
                .filter(|_| mounted)
            {
                return format!("spec.volumes[{i}].{kind}");
            }
        }
        if let Some(k) = key.strip_prefix(&format!("spark.kubernetes.{r}.annotation.")) {
            if p.annotations.contains_key(k) {
                return format!("spec.{r}.annotations.{k}");
            }
        }
        format!("spec.sparkConf.{key}")
    }

    fn container(&self, list: ContainerList, index: usize, name: &str, field: &str) -> String {
        let r = self.r();
        let p = self.role.view(&self.app.spec);
        let spark = list == ContainerList::Containers && name == self.spark_container;
        if spark && field == "securityContext" && p.security_context.is_some() {
            return format!("spec.{r}.securityContext");
        }
        if spark && field == "lifecycle" && p.lifecycle.is_some() {
            return format!("spec.{r}.lifecycle");
        }
        let of_template = |t: &'a PodTemplateSpec| -> Option<&'a Vec<Container>> {
            let s = t.spec.as_ref()?;
            match list {
                ContainerList::Containers => Some(&s.containers),
                ContainerList::InitContainers => s.init_containers.as_ref(),
            }
        };
        let named = |c: &Container| c.name == name;
        if let Some(path) = self.in_template(of_template, named, list.field()) {
            return format!("{path}.{field}");
        }
        let (added, added_field) = match list {
            ContainerList::Containers => (p.sidecars, "sidecars"),
            ContainerList::InitContainers => (p.init_containers, "initContainers"),
        };
        if let Some(i) = added.iter().position(named) {
            return format!("spec.{r}.{added_field}[{i}].{field}");
        }
        format!("{r} pod: spec.{}[{index}].{field}", list.field())
    }
}

impl<'a> Origin for ManifestOrigin<'a> {
    fn path(&self, at: At<'_>) -> String {
        let r = self.r();
        let p = self.role.view(&self.app.spec);
        let template_spec = self.template().and_then(|t| t.spec.as_ref());
        match at {
            At::Pod("securityContext") => {
                let in_template = template_spec.is_some_and(|s| s.security_context.is_some());
                if p.pod_security_context.is_none() && in_template {
                    format!("spec.{r}.template.spec.securityContext")
                } else {
                    format!("spec.{r}.podSecurityContext")
                }
            }
            At::Pod("hostNetwork") if p.host_network == Some(true) => {
                format!("spec.{r}.hostNetwork")
            }
            At::Pod(field) => format!("spec.{r}.template.spec.{field}"),
            At::Container {
                list,
                index,
                name,
                field,
            } => self.container(list, index, name, field),
            At::Volume { index, name } => {
                let volumes = |t: &'a PodTemplateSpec| t.spec.as_ref()?.volumes.as_ref();
                if let Some(path) = self.in_template(volumes, |v| v.name == name, "volumes") {
                    return path;
                }
                match self.app.spec.volumes.iter().position(|v| v.name == name) {
                    Some(i) => format!("spec.volumes[{i}]"),
                    None => format!("{r} pod: spec.volumes[{index}]"),
                }
            }
            At::Annotation(key) => {
                if p.annotations.contains_key(key) {
                    return format!("spec.{r}.annotations.{key}");
                }
                let in_template = self
                    .template()
                    .and_then(|t| t.metadata.as_ref())
                    .and_then(|m| m.annotations.as_ref())
                    .is_some_and(|a| a.contains_key(key));
                if in_template {
                    format!("spec.{r}.template.metadata.annotations.{key}")
                } else {
                    self.conf_path(&format!("spark.kubernetes.{r}.annotation.{key}"))
                }
            }
            At::Conf(key) => self.conf_path(key),
        }
    }
}

#[cfg(test)]
mod tests;
