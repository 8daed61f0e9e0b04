//! The pods of each application, kept up to date from the pod watch: a summary of each
//! (what the lifecycle reads), by application. This is the operator's only pod cache: a
//! summary is a few hundred bytes where a cached `Pod` is kilobytes, which is what keeps
//! 60,000 pods within tens of megabytes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::Event;

use sparkplane_api::v1beta2::ExecutorState;

use sparkplane_lifecycle::pod::PodSummary;
use sparkplane_render::labels;

/// The pods of one application, as compact as the lifecycle allows: 60,000 pods are
/// mostly executors, of which a name, an id and a state are kept.
#[derive(Default)]
struct AppPods {
    /// The submission ids the pods belong to (a few per application), each kept once.
    submissions: Vec<Box<str>>,
    /// The pods, unordered; an application has a handful, so a scan beats a map.
    pods: Vec<Slot>,
}

/// One pod of an application.
struct Slot {
    name: Box<str>,
    role: Role,
    /// Index into [`AppPods::submissions`].
    submission: Option<u16>,
    kept: Kept,
}

/// Applications by namespace, then name.
type ByApp = HashMap<Box<str>, HashMap<Box<str>, AppPods>>;

#[derive(Default)]
struct Inner {
    pods: ByApp,
    /// A relist under way: the new index, swapped in when it completes.
    next: Option<ByApp>,
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

/// A pod as the index files it: namespace, application, pod name, submission id, entry.
struct Keyed<'a> {
    ns: &'a str,
    app: &'a str,
    name: &'a str,
    submission: Option<&'a str>,
    role: Role,
    kept: Kept,
}

fn key_of(pod: &Pod) -> Option<Keyed<'_>> {
    let l = pod.metadata.labels.as_ref()?;
    let app = l.get(labels::APP_NAME)?;
    let ns = pod.metadata.namespace.as_deref()?;
    let name = pod.metadata.name.as_deref()?;
    let role = match l.get(labels::SPARK_ROLE).map(String::as_str) {
        Some("driver") => Role::Driver,
        Some("executor") => Role::Executor,
        _ => Role::Other,
    };
    let kept = match role {
        Role::Executor => {
            let s = PodSummary::of(pod);
            Kept::Executor(s.executor_id, s.executor_state())
        }
        Role::Driver | Role::Other => {
            let mut s = PodSummary::of(pod);
            // The name is the index's key and the submission id is kept per application.
            s.name = String::new();
            s.submission_id = None;
            Kept::Driver(Box::new(s))
        }
    };
    Some(Keyed {
        ns,
        app,
        name,
        submission: l.get(labels::SUBMISSION_ID).map(String::as_str),
        role,
        kept,
    })
}

impl AppPods {
    /// Files `k`; whether that changed what the lifecycle reads of the application (a pod
    /// that is new, or whose role, submission or summary moved).
    fn put(&mut self, k: Keyed<'_>) -> bool {
        let submission =
            k.submission.and_then(
                |id| match self.submissions.iter().position(|s| **s == *id) {
                    Some(i) => u16::try_from(i).ok(),
                    None => {
                        self.submissions.push(id.into());
                        u16::try_from(self.submissions.len() - 1).ok()
                    }
                },
            );
        match self.pods.iter_mut().find(|s| *s.name == *k.name) {
            Some(slot) => {
                let changed =
                    slot.role != k.role || slot.submission != submission || slot.kept != k.kept;
                slot.role = k.role;
                slot.submission = submission;
                slot.kept = k.kept;
                changed
            }
            None => {
                self.pods.push(Slot {
                    name: k.name.into(),
                    role: k.role,
                    submission,
                    kept: k.kept,
                });
                true
            }
        }
    }

    /// Forgets pod `name`; whether it was there.
    fn remove(&mut self, name: &str) -> bool {
        let before = self.pods.len();
        self.pods.retain(|s| *s.name != *name);
        if self.pods.len() == before {
            return false;
        }
        // Forget submission ids no pod refers to any more (a rerun's old ones).
        let used: Vec<bool> = (0..self.submissions.len())
            .map(|i| {
                self.pods
                    .iter()
                    .any(|p| p.submission.map(usize::from) == Some(i))
            })
            .collect();
        if used.iter().all(|u| *u) {
            return true;
        }
        let mut renumber = Vec::with_capacity(used.len());
        let mut kept = 0u16;
        for u in &used {
            renumber.push(kept);
            if *u {
                kept += 1;
            }
        }
        let mut i = 0;
        self.submissions.retain(|_| {
            i += 1;
            used[i - 1]
        });
        for p in &mut self.pods {
            p.submission = p.submission.map(|s| renumber[usize::from(s)]);
        }
        true
    }

    fn submission(&self, slot: &Slot) -> Option<&str> {
        slot.submission
            .and_then(|i| self.submissions.get(usize::from(i)))
            .map(|s| &**s)
    }

    fn entry(&self, slot: &Slot) -> PodEntry {
        PodEntry {
            role: slot.role,
            submission_id: self.submission(slot).map(Into::into),
            kept: slot.kept.clone(),
        }
    }
}

fn put(map: &mut ByApp, k: Keyed<'_>) -> bool {
    let apps = match map.get_mut(k.ns) {
        Some(apps) => apps,
        None => map.entry(k.ns.into()).or_default(),
    };
    let pods = match apps.get_mut(k.app) {
        Some(pods) => pods,
        None => apps.entry(k.app.into()).or_default(),
    };
    pods.put(k)
}

impl PodIndex {
    /// Follows one watch event; whether the application of its pod should be looked at
    /// again. A pod changes many times in its life (scheduled, conditions, IPs, resource
    /// versions), and most changes are nothing the lifecycle reads: waking the application
    /// for those cost a read of the whole application each, which on a real API server
    /// delayed the status of every application behind them. A relist wakes every pod's
    /// application, as the cache may have missed anything.
    pub fn observe(&self, event: &Event<Pod>) -> bool {
        let Ok(mut inner) = self.0.lock() else {
            return true;
        };
        match event {
            Event::Init => {
                inner.next = Some(HashMap::new());
                false
            }
            Event::InitApply(p) => {
                if let (Some(k), Some(next)) = (key_of(p), inner.next.as_mut()) {
                    put(next, k);
                }
                true
            }
            Event::InitDone => {
                if let Some(next) = inner.next.take() {
                    inner.pods = next;
                }
                false
            }
            Event::Apply(p) => match key_of(p) {
                Some(k) => put(&mut inner.pods, k),
                None => false,
            },
            Event::Delete(p) => {
                let Some(k) = key_of(p) else { return false };
                let Some(apps) = inner.pods.get_mut(k.ns) else {
                    return false;
                };
                let mut removed = false;
                if let Some(pods) = apps.get_mut(k.app) {
                    removed = pods.remove(k.name);
                    if pods.pods.is_empty() {
                        apps.remove(k.app);
                    }
                }
                if apps.is_empty() {
                    inner.pods.remove(k.ns);
                }
                removed
            }
        }
    }

    /// The pods of application `app` in `ns`, by name.
    pub fn pods_of(&self, ns: &str, app: &str) -> BTreeMap<String, PodEntry> {
        let Ok(inner) = self.0.lock() else {
            return BTreeMap::new();
        };
        let Some(pods) = inner.pods.get(ns).and_then(|apps| apps.get(app)) else {
            return BTreeMap::new();
        };
        pods.pods
            .iter()
            .map(|slot| (slot.name.to_string(), pods.entry(slot)))
            .collect()
    }

    /// The pod `name` of application `app`, with its submission id restored.
    pub fn pod(&self, ns: &str, app: &str, name: &str) -> Option<(PodSummary, Option<String>)> {
        let inner = self.0.lock().ok()?;
        let pods = inner.pods.get(ns)?.get(app)?;
        let slot = pods.pods.iter().find(|s| *s.name == *name)?;
        let Kept::Driver(s) = &slot.kept else {
            return None;
        };
        let mut s = (**s).clone();
        let submission = pods.submission(slot).map(str::to_string);
        s.name = name.to_string();
        s.submission_id = submission.clone();
        Some((s, submission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, app: &str, role: &str, submission: &str, phase: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "labels": {
                labels::APP_NAME: app, labels::SPARK_ROLE: role,
                labels::SUBMISSION_ID: submission, "spark-exec-id": "1"}},
            "status": {"phase": phase}
        }))
        .unwrap()
    }

    fn seen(index: &PodIndex, app: &str) -> Vec<(String, Role, Option<String>)> {
        index
            .pods_of("ns", app)
            .into_iter()
            .map(|(n, e)| (n, e.role, e.submission_id.map(String::from)))
            .collect()
    }

    #[test]
    fn follows_applies_deletes_and_relists() {
        use Event::*;
        let d1 = pod("a-driver", "a", "driver", "s1", "Running");
        let e1 = pod("a-exec-1", "a", "executor", "s1", "Running");
        let d2 = pod("a-1-driver", "a", "driver", "s2", "Pending");
        let b = pod("b-driver", "b", "driver", "t1", "Running");
        let own = |n: &str, r, s: &str| (n.to_string(), r, Some(s.to_string()));
        type Case<'a> = (
            &'a str,
            Vec<Event<Pod>>,
            Vec<(String, Role, Option<String>)>,
        );
        let cases: Vec<Case> = vec![
            (
                "applies, by name",
                vec![Apply(d1.clone()), Apply(e1.clone())],
                vec![
                    own("a-driver", Role::Driver, "s1"),
                    own("a-exec-1", Role::Executor, "s1"),
                ],
            ),
            (
                "an update replaces, never duplicates",
                vec![Apply(d1.clone()), Apply(d1.clone())],
                vec![own("a-driver", Role::Driver, "s1")],
            ),
            (
                "a rerun's pods beside the old run's",
                vec![Apply(d1.clone()), Apply(e1.clone()), Apply(d2.clone())],
                vec![
                    own("a-1-driver", Role::Driver, "s2"),
                    own("a-driver", Role::Driver, "s1"),
                    own("a-exec-1", Role::Executor, "s1"),
                ],
            ),
            (
                "deleting the old run's first pod keeps the others' submissions right",
                vec![
                    Apply(d1.clone()),
                    Apply(d2.clone()),
                    Apply(e1.clone()),
                    Delete(d1.clone()),
                ],
                vec![
                    own("a-1-driver", Role::Driver, "s2"),
                    own("a-exec-1", Role::Executor, "s1"),
                ],
            ),
            (
                "deleting the old run's pods renumbers the new run's",
                vec![
                    Apply(d1.clone()),
                    Apply(e1.clone()),
                    Apply(d2.clone()),
                    Delete(e1.clone()),
                    Delete(d1.clone()),
                ],
                vec![own("a-1-driver", Role::Driver, "s2")],
            ),
            (
                "other applications are apart",
                vec![Apply(d1.clone()), Apply(b.clone())],
                vec![own("a-driver", Role::Driver, "s1")],
            ),
            (
                "a relist replaces everything once it is done",
                vec![Apply(d1.clone()), Init, InitApply(d2.clone()), InitDone],
                vec![own("a-1-driver", Role::Driver, "s2")],
            ),
            (
                "a relist under way changes nothing yet",
                vec![Apply(d1.clone()), Init, InitApply(d2.clone())],
                vec![own("a-driver", Role::Driver, "s1")],
            ),
            (
                "the last pod gone leaves nothing",
                vec![Apply(d1.clone()), Delete(d1.clone())],
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            let index = PodIndex::default();
            for e in &events {
                index.observe(e);
            }
            assert_eq!(seen(&index, "a"), want, "{name}");
        }
    }

    #[test]
    fn only_changes_the_lifecycle_reads_wake_the_application() {
        use Event::*;
        let pending = pod("a-driver", "a", "driver", "s1", "Pending");
        let mut scheduled = pending.clone();
        scheduled.spec = Some(k8s_openapi::api::core::v1::PodSpec {
            node_name: Some("node-1".into()),
            ..Default::default()
        });
        scheduled.metadata.resource_version = Some("7".into());
        let running = pod("a-driver", "a", "driver", "s1", "Running");
        let rerun = pod("a-driver", "a", "driver", "s2", "Running");
        /// A case: its name, the events in order, and whether each wakes the application.
        type Case<'a> = (&'a str, Vec<Event<Pod>>, Vec<bool>);
        let cases: Vec<Case> = vec![
            ("a new pod wakes", vec![Apply(pending.clone())], vec![true]),
            (
                "scheduling and a new resource version do not",
                vec![Apply(pending.clone()), Apply(scheduled.clone())],
                vec![true, false],
            ),
            (
                "a phase change does",
                vec![Apply(pending.clone()), Apply(running.clone())],
                vec![true, true],
            ),
            (
                "the same pod of another submission does",
                vec![Apply(running.clone()), Apply(rerun.clone())],
                vec![true, true],
            ),
            (
                "a deleted pod does, once",
                vec![
                    Apply(running.clone()),
                    Delete(running.clone()),
                    Delete(running.clone()),
                ],
                vec![true, true, false],
            ),
            (
                "a relist wakes every pod it lists",
                vec![
                    Apply(running.clone()),
                    Init,
                    InitApply(running.clone()),
                    InitDone,
                ],
                vec![true, false, true, false],
            ),
        ];
        for (name, events, want) in cases {
            let index = PodIndex::default();
            let woke: Vec<bool> = events.iter().map(|e| index.observe(e)).collect();
            assert_eq!(woke, want, "{name}");
        }
    }

    #[test]
    fn a_driver_comes_back_whole_and_executors_keep_their_state() {
        let index = PodIndex::default();
        index.observe(&Event::Apply(pod(
            "a-driver", "a", "driver", "s1", "Running",
        )));
        index.observe(&Event::Apply(pod(
            "a-exec-1",
            "a",
            "executor",
            "s1",
            "Succeeded",
        )));
        let (summary, submission) = index.pod("ns", "a", "a-driver").unwrap();
        assert_eq!(summary.name, "a-driver");
        assert_eq!(summary.submission_id.as_deref(), Some("s1"));
        assert_eq!(submission.as_deref(), Some("s1"));
        assert_eq!(summary.phase, sparkplane_lifecycle::pod::Phase::Running);
        assert!(
            index.pod("ns", "a", "a-exec-1").is_none(),
            "executors keep no summary"
        );
        assert!(index.pod("ns", "a", "nope").is_none());
        let pods = index.pods_of("ns", "a");
        assert_eq!(
            pods["a-exec-1"].kept,
            Kept::Executor(Some(1), ExecutorState::Completed)
        );
    }
}
