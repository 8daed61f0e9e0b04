//! The "pod security" step: makes a pod (the driver pod, or the executors' pod template)
//! meet a level of the Kubernetes Pod Security Standards, as kube-apiserver's PodSecurity
//! admission checks them (policy version 1.36).
//!
//! With [`PodSecurity::Restricted`] the step fills in what the level requires and the pod does
//! not set: `runAsNonRoot: true` and `seccompProfile: RuntimeDefault` on the pod, and on every
//! container and init container `allowPrivilegeEscalation: false` and `ALL` among its dropped
//! capabilities. It never changes a value that is set, and it sets no user id: an image whose
//! `USER` is numeric and not 0 (Spark's images run as 185) starts as it is. With
//! [`PodSecurity::Baseline`] it fills in nothing. Either way it then checks the pod against
//! the level's rules and refuses the first setting that breaks one, naming where the setting
//! came from (an [`Origin`] turns a place in the pod into a manifest or command-line path).
//!
//! Spark adds some parts to executor pods at run time from its configuration (volumes from
//! `spark.kubernetes.executor.volumes.*`, annotations); [`check_conf`] checks those settings,
//! since the executor template does not carry them.

use std::fmt;
use std::str::FromStr;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, LifecycleHandler, Pod, PodSecurityContext, PodSpec, Probe,
    SELinuxOptions, SeccompProfile, SecurityContext, Volume,
};

/// A level of the Pod Security Standards that sparkplane makes its pods meet, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum PodSecurity {
    /// Pods as the manifest or command line describes them: nothing filled in or refused
    /// (what kubeflow's operator and spark-submit do).
    #[default]
    None,
    /// Refuse what the "baseline" level forbids (host namespaces, host paths and ports,
    /// privileged containers, added capabilities beyond the default set, ...); fill in nothing,
    /// so images that run as root still start.
    Baseline,
    /// Fill in what the "restricted" level requires and refuse what it forbids.
    Restricted,
}

impl PodSecurity {
    /// Every level, weakest first.
    pub const ALL: [PodSecurity; 3] = [
        PodSecurity::None,
        PodSecurity::Baseline,
        PodSecurity::Restricted,
    ];

    /// The level's name, as flags and annotations take it.
    pub fn name(self) -> &'static str {
        match self {
            PodSecurity::None => "none",
            PodSecurity::Baseline => "baseline",
            PodSecurity::Restricted => "restricted",
        }
    }
}

impl fmt::Display for PodSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PodSecurity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PodSecurity::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                format!("expected one of \"restricted\", \"baseline\", \"none\", got {s:?}")
            })
    }
}

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerList {
    /// `containers`.
    Containers,
    /// `initContainers`.
    InitContainers,
}

impl ContainerList {
    /// The field's name in the pod spec.
    pub fn field(self) -> &'static str {
        match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
        }
    }
}

/// A place in a pod that a rule found at fault; an [`Origin`] says where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At<'a> {
    /// A field of the pod spec: `securityContext`, `hostNetwork`, `hostPID`, `hostIPC`.
    Pod(&'static str),
    /// A volume of the pod.
    Volume {
        /// Its index in `spec.volumes`.
        index: usize,
        /// Its name.
        name: &'a str,
    },
    /// A field of a container: `securityContext`, `ports`, `lifecycle` or a probe.
    Container {
        /// The list it is in.
        list: ContainerList,
        /// Its index there.
        index: usize,
        /// Its name.
        name: &'a str,
        /// The container's field.
        field: &'static str,
    },
    /// An annotation of the pod.
    Annotation(&'a str),
    /// A Spark setting (`spark.kubernetes.executor.volumes.hostPath.data.mount.path`).
    Conf(&'a str),
}

/// Turns a place in the pod into the path of the setting it came from. The path of a
/// container's `securityContext`, for example, may be `spec.driver.securityContext` in a
/// SparkApplication, or `spec.containers[0].securityContext` of a pod template file.
pub trait Origin {
    /// The path of `at`; the rule appends the rest (`.privileged`).
    fn path(&self, at: At<'_>) -> String;
}

/// The origin of a pod's parts in the pod itself: `{prefix}spec.containers[0].securityContext`.
#[derive(Debug, Clone, Default)]
pub struct PodOrigin {
    /// Put before every path (`driver pod: `).
    pub prefix: String,
}

impl Origin for PodOrigin {
    fn path(&self, at: At<'_>) -> String {
        let p = &self.prefix;
        match at {
            At::Pod(field) => format!("{p}spec.{field}"),
            At::Volume { index, .. } => format!("{p}spec.volumes[{index}]"),
            At::Container {
                list, index, field, ..
            } => format!("{p}spec.{}[{index}].{field}", list.field()),
            At::Annotation(key) => format!("{p}metadata.annotations.{key}"),
            At::Conf(key) => key.to_string(),
        }
    }
}

/// A setting that breaks the level asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the setting came from, as the [`Origin`] names it.
    pub path: String,
    /// The level that was asked for.
    pub level: PodSecurity,
    /// What the level allows there.
    pub expected: String,
    /// What was set.
    pub got: String,
    /// The strictest level that allows the setting ([`PodSecurity::None`] for what even
    /// "baseline" forbids).
    pub allowed_by: PodSecurity,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {} for Pod Security \"{}\", got {}",
            self.path, self.expected, self.level, self.got
        )
    }
}

/// A rule's finding, before the origin names it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding<'a> {
    at: At<'a>,
    /// Appended to the origin's path.
    rest: String,
    expected: &'static str,
    got: String,
    allowed_by: PodSecurity,
}

impl Finding<'_> {
    fn named(&self, origin: &dyn Origin, level: PodSecurity) -> Violation {
        Violation {
            path: format!("{}{}", origin.path(self.at), self.rest),
            level,
            expected: self.expected.to_string(),
            got: self.got.clone(),
            allowed_by: self.allowed_by,
        }
    }
}

/// The step: fills in what `level` requires and `pod` leaves unset, then refuses the first
/// setting that breaks `level`. Does nothing with [`PodSecurity::None`].
pub fn apply(pod: &mut Pod, level: PodSecurity, origin: &dyn Origin) -> Result<(), Violation> {
    if level == PodSecurity::Restricted {
        fill_restricted(pod);
    }
    match check(pod, level).first() {
        Some(f) => Err(f.named(origin, level)),
        None => Ok(()),
    }
}

/// What "restricted" requires, where the pod does not say otherwise.
pub fn fill_restricted(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    // Windows pods may not carry Linux-only settings (the API refuses them), and the level
    // does not ask them to.
    let windows = is_windows(spec);
    let sc = spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default);
    sc.run_as_non_root.get_or_insert(true);
    if !windows {
        sc.seccomp_profile.get_or_insert_with(|| SeccompProfile {
            type_: RUNTIME_DEFAULT.into(),
            localhost_profile: None,
        });
        let inits = spec.init_containers.iter_mut().flatten();
        for c in spec.containers.iter_mut().chain(inits) {
            let sc = c
                .security_context
                .get_or_insert_with(SecurityContext::default);
            sc.allow_privilege_escalation.get_or_insert(false);
            // Dropping ALL takes nothing away that a container asked to keep: keeping a
            // capability is said with `add`, which is checked, not changed.
            let drop = sc
                .capabilities
                .get_or_insert_with(Capabilities::default)
                .drop
                .get_or_insert_with(Vec::new);
            if !drop.iter().any(|d| d == "ALL") {
                drop.push("ALL".into());
            }
        }
    }
}

const RUNTIME_DEFAULT: &str = "RuntimeDefault";
const LOCALHOST: &str = "Localhost";

/// Capabilities a container may add under "baseline" (the container runtime's defaults).
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls "baseline" allows (the namespaced, safe set of policy version 1.32 and later).
const SAFE_SYSCTLS: [&str; 12] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// SELinux types "baseline" allows.
const SELINUX_TYPES: [&str; 5] = [
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
    "",
];

/// Volume types "restricted" allows.
const RESTRICTED_VOLUME_TYPES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn is_windows(spec: &PodSpec) -> bool {
    spec.os.as_ref().is_some_and(|os| os.name == "windows")
}

/// Pods in their own user namespace (`hostUsers: false`) may run as uid 0 inside it.
fn in_user_namespace(spec: &PodSpec) -> bool {
    spec.host_users == Some(false)
}

/// Collects findings in the order the pod is read: pod fields, containers, volumes,
/// annotations.
struct Rules<'a> {
    level: PodSecurity,
    out: Vec<Finding<'a>>,
}

impl<'a> Rules<'a> {
    fn restricted(&self) -> bool {
        self.level == PodSecurity::Restricted
    }

    fn add(
        &mut self,
        at: At<'a>,
        rest: impl Into<String>,
        expected: &'static str,
        got: impl Into<String>,
        allowed_by: PodSecurity,
    ) {
        self.out.push(Finding {
            at,
            rest: rest.into(),
            expected,
            got: got.into(),
            allowed_by,
        });
    }

    fn host_namespaces(&mut self, spec: &PodSpec) {
        for (field, value) in [
            ("hostNetwork", spec.host_network),
            ("hostPID", spec.host_pid),
            ("hostIPC", spec.host_ipc),
        ] {
            if value == Some(true) {
                self.add(
                    At::Pod(field),
                    "",
                    "unset or false",
                    "true",
                    PodSecurity::None,
                );
            }
        }
    }

    /// seLinuxOptions, appArmorProfile, seccompProfile and windowsOptions, which pod and
    /// container security contexts share.
    fn shared_options(
        &mut self,
        at: At<'a>,
        se_linux: Option<&SELinuxOptions>,
        app_armor: Option<&str>,
        seccomp: Option<&str>,
        host_process: Option<bool>,
    ) {
        if let Some(o) = se_linux {
            let t = o.type_.as_deref().unwrap_or_default();
            if !SELINUX_TYPES.contains(&t) {
                self.add(
                    at,
                    ".seLinuxOptions.type",
                    "unset, container_t, container_init_t, container_kvm_t or container_engine_t",
                    format!("{t:?}"),
                    PodSecurity::None,
                );
            }
            for (field, value) in [("user", &o.user), ("role", &o.role)] {
                if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                    self.add(
                        at,
                        format!(".seLinuxOptions.{field}"),
                        "unset",
                        format!("{v:?}"),
                        PodSecurity::None,
                    );
                }
            }
        }
        if let Some(t) = app_armor.filter(|t| *t != RUNTIME_DEFAULT && *t != LOCALHOST) {
            self.add(
                at,
                ".appArmorProfile.type",
                "RuntimeDefault or Localhost",
                format!("{t:?}"),
                PodSecurity::None,
            );
        }
        if let Some(t) = seccomp.filter(|t| *t != RUNTIME_DEFAULT && *t != LOCALHOST) {
            self.add(
                at,
                ".seccompProfile.type",
                "RuntimeDefault or Localhost",
                format!("{t:?}"),
                PodSecurity::None,
            );
        }
        if host_process == Some(true) {
            self.add(
                at,
                ".windowsOptions.hostProcess",
                "unset or false",
                "true",
                PodSecurity::None,
            );
        }
    }

    /// runAsNonRoot and runAsUser, which pod and container security contexts share.
    fn user(&mut self, at: At<'a>, non_root: Option<bool>, user: Option<i64>, spec: &PodSpec) {
        if !self.restricted() || in_user_namespace(spec) {
            return;
        }
        if non_root == Some(false) {
            self.add(
                at,
                ".runAsNonRoot",
                "true or unset",
                "false",
                PodSecurity::Baseline,
            );
        }
        if user == Some(0) {
            self.add(
                at,
                ".runAsUser",
                "a user id other than 0, or unset",
                "0",
                PodSecurity::Baseline,
            );
        }
    }

    fn pod_security_context(&mut self, spec: &'a PodSpec) {
        let Some(sc) = &spec.security_context else {
            return;
        };
        let at = At::Pod("securityContext");
        self.shared_options(
            at,
            sc.se_linux_options.as_ref(),
            sc.app_armor_profile.as_ref().map(|p| p.type_.as_str()),
            sc.seccomp_profile.as_ref().map(|p| p.type_.as_str()),
            sc.windows_options.as_ref().and_then(|w| w.host_process),
        );
        self.user(at, sc.run_as_non_root, sc.run_as_user, spec);
        for (i, s) in sc.sysctls.iter().flatten().enumerate() {
            if !SAFE_SYSCTLS.contains(&s.name.as_str()) {
                self.add(
                    at,
                    format!(".sysctls[{i}].name"),
                    "a sysctl of the safe set (such as net.ipv4.ip_local_port_range)",
                    format!("{:?}", s.name),
                    PodSecurity::None,
                );
            }
        }
    }

    /// One container's findings, in the order its fields are read: its security context,
    /// what "restricted" requires of it, then host ports, probes and lifecycle hooks.
    fn container(
        &mut self,
        spec: &'a PodSpec,
        list: ContainerList,
        index: usize,
        c: &'a Container,
    ) {
        let at = |field| At::Container {
            list,
            index,
            name: &c.name,
            field,
        };
        let sc = c.security_context.as_ref();
        if let Some(sc) = sc {
            self.container_security_context(spec, at("securityContext"), sc);
        }
        if self.restricted() {
            self.restricted_requirements(spec, at("securityContext"), sc);
        }
        self.container_host_fields(c, at);
    }

    /// What a container's own security context sets.
    fn container_security_context(&mut self, spec: &'a PodSpec, s: At<'a>, sc: &SecurityContext) {
        let windows = is_windows(spec);
        if sc.privileged == Some(true) {
            self.add(
                s,
                ".privileged",
                "unset or false",
                "true",
                PodSecurity::None,
            );
        }
        self.added_capabilities(s, sc, windows);
        self.shared_options(
            s,
            sc.se_linux_options.as_ref(),
            sc.app_armor_profile.as_ref().map(|p| p.type_.as_str()),
            sc.seccomp_profile.as_ref().map(|p| p.type_.as_str()),
            sc.windows_options.as_ref().and_then(|w| w.host_process),
        );
        if let Some(m) = sc.proc_mount.as_deref().filter(|m| *m != "Default") {
            // "baseline" allows unmasked /proc inside a user namespace; "restricted" never.
            let allowed_by = if in_user_namespace(spec) {
                PodSecurity::Baseline
            } else {
                PodSecurity::None
            };
            if self.restricted() || allowed_by == PodSecurity::None {
                self.add(
                    s,
                    ".procMount",
                    "Default or unset",
                    format!("{m:?}"),
                    allowed_by,
                );
            }
        }
        self.user(s, sc.run_as_non_root, sc.run_as_user, spec);
        if self.restricted() && !windows && sc.allow_privilege_escalation == Some(true) {
            self.add(
                s,
                ".allowPrivilegeEscalation",
                "false",
                "true",
                PodSecurity::Baseline,
            );
        }
    }

    /// `capabilities.add`: beyond the runtime's default set never; under "restricted" (on
    /// Linux) nothing but NET_BIND_SERVICE.
    fn added_capabilities(&mut self, s: At<'a>, sc: &SecurityContext, windows: bool) {
        let added = sc
            .capabilities
            .as_ref()
            .and_then(|c| c.add.as_ref())
            .into_iter()
            .flatten();
        for (i, cap) in added.enumerate() {
            let baseline = BASELINE_CAPABILITIES.contains(&cap.as_str());
            if !baseline {
                self.add(
                    s,
                    format!(".capabilities.add[{i}]"),
                    "a capability of the runtime's default set",
                    format!("{cap:?}"),
                    PodSecurity::None,
                );
            } else if self.restricted() && !windows && cap != "NET_BIND_SERVICE" {
                self.add(
                    s,
                    format!(".capabilities.add[{i}]"),
                    "NET_BIND_SERVICE only",
                    format!("{cap:?}"),
                    PodSecurity::Baseline,
                );
            }
        }
    }

    /// What "restricted" requires and `fill_restricted` sets: found here only when the
    /// step did not fill in (or for a caller checking a pod as it is).
    fn restricted_requirements(
        &mut self,
        spec: &'a PodSpec,
        s: At<'a>,
        sc: Option<&SecurityContext>,
    ) {
        let windows = is_windows(spec);
        let pod_sc = spec.security_context.as_ref();
        if !windows && sc.and_then(|s| s.allow_privilege_escalation).is_none() {
            self.add(
                s,
                ".allowPrivilegeEscalation",
                "false",
                "unset",
                PodSecurity::Baseline,
            );
        }
        let drops_all = sc
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|c| c.drop.as_ref())
            .is_some_and(|d| d.iter().any(|d| d == "ALL"));
        if !windows && !drops_all {
            self.add(
                s,
                ".capabilities.drop",
                "a list with ALL",
                "no ALL",
                PodSecurity::Baseline,
            );
        }
        let pod_non_root = pod_sc.and_then(|p| p.run_as_non_root) == Some(true);
        if !in_user_namespace(spec) && !pod_non_root && sc.and_then(|s| s.run_as_non_root).is_none()
        {
            self.add(s, ".runAsNonRoot", "true", "unset", PodSecurity::Baseline);
        }
        let pod_seccomp = pod_sc.and_then(|p| p.seccomp_profile.as_ref()).is_some();
        if !windows && !pod_seccomp && sc.and_then(|s| s.seccomp_profile.as_ref()).is_none() {
            self.add(
                s,
                ".seccompProfile.type",
                "RuntimeDefault or Localhost",
                "unset",
                PodSecurity::Baseline,
            );
        }
    }

    /// Host ports, and the hosts probes and lifecycle hooks reach.
    fn container_host_fields(&mut self, c: &'a Container, at: impl Fn(&'static str) -> At<'a>) {
        for (i, p) in c.ports.iter().flatten().enumerate() {
            if let Some(h) = p.host_port.filter(|h| *h != 0) {
                self.add(
                    at("ports"),
                    format!("[{i}].hostPort"),
                    "unset or 0",
                    h.to_string(),
                    PodSecurity::None,
                );
            }
        }
        for (field, probe) in [
            ("livenessProbe", &c.liveness_probe),
            ("readinessProbe", &c.readiness_probe),
            ("startupProbe", &c.startup_probe),
        ] {
            if let Some(p) = probe {
                self.probe_host(at(field), "", p);
            }
        }
        if let Some(l) = &c.lifecycle {
            for (field, handler) in [("postStart", &l.post_start), ("preStop", &l.pre_stop)] {
                if let Some(h) = handler {
                    self.handler_host(at("lifecycle"), field, h);
                }
            }
        }
    }

    fn probe_host(&mut self, at: At<'a>, prefix: &str, p: &Probe) {
        let hosts = [
            (
                "httpGet",
                p.http_get.as_ref().and_then(|h| h.host.as_deref()),
            ),
            (
                "tcpSocket",
                p.tcp_socket.as_ref().and_then(|t| t.host.as_deref()),
            ),
        ];
        self.hosts(at, prefix, hosts);
    }

    fn handler_host(&mut self, at: At<'a>, field: &str, h: &LifecycleHandler) {
        let hosts = [
            (
                "httpGet",
                h.http_get.as_ref().and_then(|h| h.host.as_deref()),
            ),
            (
                "tcpSocket",
                h.tcp_socket.as_ref().and_then(|t| t.host.as_deref()),
            ),
        ];
        self.hosts(at, &format!(".{field}"), hosts);
    }

    fn hosts(&mut self, at: At<'a>, prefix: &str, hosts: [(&str, Option<&str>); 2]) {
        for (action, host) in hosts {
            if let Some(host) = host.filter(|h| !h.is_empty()) {
                self.add(
                    at,
                    format!("{prefix}.{action}.host"),
                    "unset (the pod's own address)",
                    format!("{host:?}"),
                    PodSecurity::None,
                );
            }
        }
    }

    fn volume(&mut self, index: usize, v: &'a Volume) {
        let at = At::Volume {
            index,
            name: &v.name,
        };
        if v.host_path.is_some() {
            self.add(
                at,
                ".hostPath",
                "no hostPath volume",
                "hostPath",
                PodSecurity::None,
            );
            return;
        }
        if !self.restricted() {
            return;
        }
        // The volume's type is its one field besides the name.
        let value = serde_json::to_value(v).unwrap_or_default();
        let kinds = value
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| *k != "name");
        for kind in kinds {
            if !RESTRICTED_VOLUME_TYPES.contains(&kind.as_str()) {
                self.add(
                    at,
                    format!(".{kind}"),
                    "a volume of type configMap, csi, downwardAPI, emptyDir, ephemeral, image, \
                     persistentVolumeClaim, projected or secret",
                    kind.clone(),
                    PodSecurity::Baseline,
                );
            }
        }
    }

    fn annotation(&mut self, key: &'a str, value: &str) {
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) && !apparmor_annotation_allowed(value) {
            self.add(
                At::Annotation(key),
                "",
                "runtime/default or localhost/<profile>",
                format!("{value:?}"),
                PodSecurity::None,
            );
        }
    }
}

fn apparmor_annotation_allowed(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

/// Every setting of `pod` that breaks `level`, in the order the pod is read; nothing for
/// [`PodSecurity::None`].
fn check(pod: &Pod, level: PodSecurity) -> Vec<Finding<'_>> {
    let mut rules = Rules {
        level,
        out: Vec::new(),
    };
    let Some(spec) = pod.spec.as_ref() else {
        return rules.out;
    };
    if level == PodSecurity::None {
        return rules.out;
    }
    rules.host_namespaces(spec);
    rules.pod_security_context(spec);
    for (i, c) in spec.containers.iter().enumerate() {
        rules.container(spec, ContainerList::Containers, i, c);
    }
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        rules.container(spec, ContainerList::InitContainers, i, c);
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        rules.volume(i, v);
    }
    for (k, v) in pod.metadata.annotations.iter().flatten() {
        rules.annotation(k, v);
    }
    rules.out
}

/// Every violation of `level` in `pod` as it is (nothing filled in), named by `origin`.
pub fn violations(pod: &Pod, level: PodSecurity, origin: &dyn Origin) -> Vec<Violation> {
    check(pod, level)
        .iter()
        .map(|f| f.named(origin, level))
        .collect()
}

/// Checks the Spark settings that add parts to `role`'s pods (`driver` or `executor`) when
/// Spark builds them: volumes (`spark.kubernetes.<role>.volumes.<type>.<name>.*`) and
/// annotations (`spark.kubernetes.<role>.annotation.*`). The first violation is returned.
pub fn check_conf<'a>(
    conf: impl IntoIterator<Item = (&'a str, &'a str)>,
    role: &str,
    level: PodSecurity,
    origin: &dyn Origin,
) -> Result<(), Violation> {
    if level == PodSecurity::None {
        return Ok(());
    }
    let volumes = format!("spark.kubernetes.{role}.volumes.");
    let annotations = format!("spark.kubernetes.{role}.annotation.");
    let mut rules = Rules {
        level,
        out: Vec::new(),
    };
    for (key, value) in conf {
        if let Some(rest) = key.strip_prefix(volumes.as_str()) {
            let kind = rest.split('.').next().unwrap_or_default();
            let allowed_by = match kind {
                "hostPath" => PodSecurity::None,
                "nfs" => PodSecurity::Baseline,
                _ => continue,
            };
            if level > allowed_by {
                rules.add(
                    At::Conf(key),
                    "",
                    if kind == "hostPath" {
                        "no hostPath volume"
                    } else {
                        "a volume of type emptyDir or persistentVolumeClaim"
                    },
                    kind,
                    allowed_by,
                );
            }
        } else if let Some(k) = key.strip_prefix(annotations.as_str()) {
            if k.starts_with(APPARMOR_ANNOTATION_PREFIX) && !apparmor_annotation_allowed(value) {
                rules.add(
                    At::Conf(key),
                    "",
                    "runtime/default or localhost/<profile>",
                    format!("{value:?}"),
                    PodSecurity::None,
                );
            }
        }
    }
    match rules.out.first() {
        Some(f) => Err(f.named(origin, level)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
