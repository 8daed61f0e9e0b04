//! The pods of each application, kept up to date from the pod watch, so that a reconcile
//! reads its own pods without scanning a cache of tens of thousands.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::Event;
use kube::ResourceExt;

use crate::render::labels;

/// Namespace and application name.
type AppKey = (String, String);

#[derive(Default)]
struct Inner {
    pods: HashMap<AppKey, BTreeMap<String, PodEntry>>,
    /// A relist under way: the new index, swapped in when it completes.
    next: Option<HashMap<AppKey, BTreeMap<String, PodEntry>>>,
}

/// What the index keeps of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEntry {
    /// `driver` or `executor`.
    pub role: String,
    /// The submission the pod belongs to.
    pub submission_id: Option<String>,
}

/// Pods by application.
#[derive(Default)]
pub struct PodIndex(Mutex<Inner>);

fn key_of(pod: &Pod) -> Option<(AppKey, String, PodEntry)> {
    let l = pod.labels();
    let app = l.get(labels::APP_NAME)?.clone();
    let ns = pod.namespace()?;
    Some((
        (ns, app),
        pod.name_any(),
        PodEntry {
            role: l.get(labels::SPARK_ROLE).cloned().unwrap_or_default(),
            submission_id: l.get(labels::SUBMISSION_ID).cloned(),
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
