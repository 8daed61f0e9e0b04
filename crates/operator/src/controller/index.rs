//! The pods of each application, kept up to date from the pod watch: a summary of each
//! (what the lifecycle reads), by application. This is the operator's only pod cache: a
//! summary is a few hundred bytes where a cached `Pod` is kilobytes, which is what keeps
//! 60,000 pods within tens of megabytes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::Event;
use kube::ResourceExt;

use sparkplane_api::v1beta2::ExecutorState;

use crate::lifecycle::pod::PodSummary;
use crate::render::labels;

/// Namespace and application name.
type AppKey = (String, String);

#[derive(Default)]
struct Inner {
    pods: HashMap<AppKey, BTreeMap<String, PodEntry>>,
    /// A relist under way: the new index, swapped in when it completes.
    next: Option<HashMap<AppKey, BTreeMap<String, PodEntry>>>,
}

/// A pod's role in its application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The driver.
    Driver,
    /// An executor.
    Executor,
    /// Anything else labelled as the application's.
    Other,
}

/// What the index keeps of a pod: everything for drivers, the state for executors.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// A driver's summary.
    Driver(Box<PodSummary>),
    /// An executor's id and state.
    Executor(Option<u64>, ExecutorState),
}

/// What the index keeps of a pod.
#[derive(Debug, Clone, PartialEq)]
pub struct PodEntry {
    /// Its role.
    pub role: Role,
    /// The submission the pod belongs to.
    pub submission_id: Option<Box<str>>,
    /// What is kept of it.
    pub kept: Kept,
}

/// Pods by application.
#[derive(Default)]
pub struct PodIndex(Mutex<Inner>);

fn key_of(pod: &Pod) -> Option<(AppKey, String, PodEntry)> {
    let l = pod.labels();
    let app = l.get(labels::APP_NAME)?.clone();
    let ns = pod.namespace()?;
    let role = match l.get(labels::SPARK_ROLE).map(String::as_str) {
        Some("driver") => Role::Driver,
        Some("executor") => Role::Executor,
        _ => Role::Other,
    };
    let mut summary = PodSummary::of(pod);
    // The name is the index's key, the submission id is kept beside.
    summary.name = String::new();
    summary.submission_id = None;
    let kept = match role {
        Role::Executor => Kept::Executor(summary.executor_id, summary.executor_state()),
        Role::Driver | Role::Other => Kept::Driver(Box::new(summary)),
    };
    Some((
        (ns, app),
        pod.name_any(),
        PodEntry {
            role,
            submission_id: l.get(labels::SUBMISSION_ID).map(|s| s.as_str().into()),
            kept,
        },
    ))
}

impl PodIndex {
    /// Follows one watch event.
    pub fn observe(&self, event: &Event<Pod>) {
        let Ok(mut inner) = self.0.lock() else { return };
        match event {
            Event::Init => inner.next = Some(HashMap::new()),
            Event::InitApply(p) => {
                if let Some((k, name, e)) = key_of(p) {
                    if let Some(next) = inner.next.as_mut() {
                        next.entry(k).or_default().insert(name, e);
                    }
                }
            }
            Event::InitDone => {
                if let Some(next) = inner.next.take() {
                    inner.pods = next;
                }
            }
            Event::Apply(p) => {
                if let Some((k, name, e)) = key_of(p) {
                    inner.pods.entry(k).or_default().insert(name, e);
                }
            }
            Event::Delete(p) => {
                if let Some((k, name, _)) = key_of(p) {
                    if let Some(m) = inner.pods.get_mut(&k) {
                        m.remove(&name);
                        if m.is_empty() {
                            inner.pods.remove(&k);
                        }
                    }
                }
            }
        }
    }

    /// The pods of application `app` in `ns`, by name.
    pub fn pods_of(&self, ns: &str, app: &str) -> BTreeMap<String, PodEntry> {
        let Ok(inner) = self.0.lock() else {
            return BTreeMap::new();
        };
        inner
            .pods
            .get(&(ns.to_string(), app.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

impl PodIndex {
    /// The pod `name` of application `app`, with its submission id restored.
    pub fn pod(&self, ns: &str, app: &str, name: &str) -> Option<(PodSummary, Option<String>)> {
        let inner = self.0.lock().ok()?;
        let e = inner
            .pods
            .get(&(ns.to_string(), app.to_string()))?
            .get(name)?;
        let Kept::Driver(s) = &e.kept else {
            return None;
        };
        let mut s = (**s).clone();
        let submission = e.submission_id.as_deref().map(str::to_string);
        s.name = name.to_string();
        s.submission_id = submission.clone();
        Some((s, submission))
    }
}
