//! The applications this operator has just written, kept until their next reconcile.
//!
//! Applications are cached as metadata only (see `spawn_namespace`), so a reconcile reads
//! the whole object first. Every status write comes back as a watch event that reconciles
//! the application again, and the object that reconcile would read is exactly the one the
//! write returned. Keeping that answer until then saves one read per write: on a real API
//! server under load, those reads were a third of the operator's calls and delayed every
//! status behind them. An entry is used only when its resource version is the one the watch
//! reports as the latest, so a change by anyone else is always read from the API.

use std::collections::HashMap;
use std::sync::Mutex;

use kube::api::DynamicObject;

/// At most this many objects are kept: entries of applications deleted before their next
/// reconcile are never taken, and this bounds what they can hold.
const CAPACITY: usize = 1024;

/// The objects last written, by namespace and name.
#[derive(Default)]
pub struct Fresh(Mutex<HashMap<(String, String), DynamicObject>>);

impl Fresh {
    /// Keeps `obj`, the API server's answer to a write.
    pub fn put(&self, obj: DynamicObject) {
        let (Some(ns), Some(name)) = (obj.metadata.namespace.clone(), obj.metadata.name.clone())
        else {
            return;
        };
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= CAPACITY && !map.contains_key(&(ns.clone(), name.clone())) {
            map.clear();
        }
        map.insert((ns, name), obj);
    }

    /// Takes the object kept for `ns`/`name` if it is at `resource_version`. An entry at
    /// another version stays: the watch may not have shown this operator's write yet, and a
    /// later reconcile can still use it. It is never used at a version it does not have.
    pub fn take(
        &self,
        ns: &str,
        name: &str,
        resource_version: Option<&str>,
    ) -> Option<DynamicObject> {
        let resource_version = resource_version?;
        let mut map = self.0.lock().ok()?;
        let key = (ns.to_string(), name.to_string());
        let kept = map.get(&key)?.metadata.resource_version.as_deref();
        if kept != Some(resource_version) {
            return None;
        }
        map.remove(&key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn obj(ns: &str, name: &str, rv: &str) -> DynamicObject {
        let mut o = DynamicObject::new(name, &crate::controller::app_resource());
        o.metadata.namespace = Some(ns.into());
        o.metadata.resource_version = Some(rv.into());
        o
    }

    #[test]
    fn an_object_is_used_only_at_the_version_the_watch_reports() {
        /// A case: its name, the writes, the reconcile's key and version, the version used.
        type Case<'a> = (
            &'a str,
            Vec<DynamicObject>,
            (&'a str, &'a str, Option<&'a str>),
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "same version",
                vec![obj("ns", "a", "5")],
                ("ns", "a", Some("5")),
                Some("5"),
            ),
            (
                "changed since",
                vec![obj("ns", "a", "5")],
                ("ns", "a", Some("6")),
                None,
            ),
            (
                "no version known",
                vec![obj("ns", "a", "5")],
                ("ns", "a", None),
                None,
            ),
            (
                "the latest write wins",
                vec![obj("ns", "a", "5"), obj("ns", "a", "6")],
                ("ns", "a", Some("6")),
                Some("6"),
            ),
            (
                "another namespace",
                vec![obj("ns", "a", "5")],
                ("other", "a", Some("5")),
                None,
            ),
            ("nothing written", vec![], ("ns", "a", Some("5")), None),
        ];
        for (case, writes, (ns, name, rv), want) in cases {
            let fresh = Fresh::default();
            for w in writes {
                fresh.put(w);
            }
            let got = fresh.take(ns, name, rv);
            assert_eq!(
                got.and_then(|o| o.metadata.resource_version),
                want.map(String::from),
                "{case}"
            );
        }
    }

    #[test]
    fn an_entry_waits_for_the_watch_to_reach_its_version() {
        let fresh = Fresh::default();
        fresh.put(obj("ns", "a", "6"));
        assert!(fresh.take("ns", "a", Some("5")).is_none());
        assert!(fresh.take("ns", "a", Some("6")).is_some());
    }

    #[test]
    fn an_entry_is_taken_once() {
        let fresh = Fresh::default();
        fresh.put(obj("ns", "a", "5"));
        assert!(fresh.take("ns", "a", Some("5")).is_some());
        assert!(fresh.take("ns", "a", Some("5")).is_none());
    }

    #[test]
    fn entries_never_taken_are_bounded() {
        let fresh = Fresh::default();
        for i in 0..(CAPACITY + 10) {
            fresh.put(obj("ns", &format!("app-{i}"), "1"));
        }
        let len = fresh.0.lock().unwrap().len();
        assert!(len <= CAPACITY, "{len} entries kept");
        assert!(fresh
            .take("ns", &format!("app-{}", CAPACITY + 9), Some("1"))
            .is_some());
    }
}
