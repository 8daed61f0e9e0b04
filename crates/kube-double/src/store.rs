//! The object store: what the API server keeps in etcd, with its write rules (uids,
//! resource versions, optimistic concurrency, finalizers, owner-reference garbage
//! collection) and the event history that watches replay.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::route::{kind_of, Route};
use crate::selector::{field, label, Selector};

/// An API error, rendered as a `Status` object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `NotFound`, `AlreadyExists`, `Conflict`, `BadRequest`, `Invalid`.
    pub reason: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
        }
    }

    /// The `Status` body the API server returns.
    pub fn status(&self) -> Value {
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": self.message, "reason": self.reason, "code": self.code,
        })
    }
}

/// A watch event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// An object appeared.
    Added,
    /// An object changed.
    Modified,
    /// An object is gone.
    Deleted,
}

impl EventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as a watch reports it.
#[derive(Debug, Clone)]
pub struct Event {
    /// The store's resource version after the change.
    pub resource_version: u64,
    /// `v1` or `group/version` and plural of the object.
    pub api_version: String,
    /// Plural resource name.
    pub plural: String,
    /// What happened.
    pub kind: EventType,
    /// The object after the change (before it, for deletions).
    pub object: Value,
}

/// How a patch body is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/apply-patch+yaml`: creates the object when missing.
    Apply,
    /// `application/merge-patch+json` and (approximately) strategic merge.
    Merge,
    /// `application/json-patch+json`.
    Json,
}

type Key = (String, String, String, String);

/// Objects by (apiVersion, plural, namespace, name).
#[derive(Debug, Default)]
pub struct Store {
    objects: BTreeMap<Key, Value>,
    revision: u64,
    uids: u64,
    events: Vec<Event>,
}

fn key(route: &Route, name: &str) -> Key {
    (
        route.api_version.clone(),
        route.plural.clone(),
        route.namespace.clone().unwrap_or_default(),
        name.to_string(),
    )
}

/// The object's metadata, created when missing; a body that is not an object, or whose
/// metadata is not one, is refused as the API server refuses it.
fn meta(obj: &mut Value) -> Result<&mut Map<String, Value>, ApiError> {
    let invalid = || {
        ApiError::new(
            422,
            "Invalid",
            "expected an object whose metadata is an object",
        )
    };
    let slot = obj
        .as_object_mut()
        .ok_or_else(invalid)?
        .entry("metadata")
        .or_insert_with(|| json!({}));
    if slot.is_null() {
        *slot = json!({});
    }
    slot.as_object_mut().ok_or_else(invalid)
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn json_patch(target: &mut Value, ops: &Value) -> Result<(), ApiError> {
    let bad = |m: &str| ApiError::new(422, "Invalid", format!("json patch: {m}"));
    for op in ops.as_array().ok_or_else(|| bad("body is not a list"))? {
        let path = op["path"].as_str().ok_or_else(|| bad("missing path"))?;
        let (parent, last) = path.rsplit_once('/').ok_or_else(|| bad("bad path"))?;
        let last = last.replace("~1", "/").replace("~0", "~");
        match op["op"].as_str() {
            Some("test") => {
                if target.pointer(path) != Some(&op["value"]) {
                    return Err(bad("test failed"));
                }
            }
            Some(o @ ("add" | "replace" | "remove")) => {
                let p = target
                    .pointer_mut(parent)
                    .ok_or_else(|| bad("missing parent"))?;
                match p {
                    Value::Object(m) if o == "remove" => {
                        m.remove(&last);
                    }
                    Value::Object(m) => {
                        m.insert(last, op["value"].clone());
                    }
                    Value::Array(a) => {
                        let i = if last == "-" {
                            a.len()
                        } else {
                            last.parse().map_err(|_| bad("bad index"))?
                        };
                        match o {
                            "remove" if i < a.len() => {
                                a.remove(i);
                            }
                            "replace" if i < a.len() => a[i] = op["value"].clone(),
                            "add" if i <= a.len() => a.insert(i, op["value"].clone()),
                            _ => return Err(bad("index out of range")),
                        }
                    }
                    _ => return Err(bad("parent is not a container")),
                }
            }
            _ => return Err(bad("unsupported op")),
        }
    }
    Ok(())
}

impl Store {
    /// The current resource version.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Events after `revision`, oldest first.
    pub fn events_since(&self, revision: u64) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.resource_version > revision)
            .cloned()
            .collect()
    }

    fn bump(&mut self) -> u64 {
        self.revision += 1;
        self.revision
    }

    fn record(&mut self, route: &Route, kind: EventType, object: Value) -> Event {
        let e = Event {
            resource_version: self.revision,
            api_version: route.api_version.clone(),
            plural: route.plural.clone(),
            kind,
            object,
        };
        self.events.push(e.clone());
        e
    }

    /// One object.
    pub fn get(&self, route: &Route, name: &str) -> Result<Value, ApiError> {
        self.objects
            .get(&key(route, name))
            .cloned()
            .ok_or_else(|| not_found(route, name))
    }

    /// The objects of a collection that match both selectors.
    pub fn list(&self, route: &Route, labels: &Selector, fields: &Selector) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((v, p, ns, _), _)| {
                *v == route.api_version
                    && *p == route.plural
                    && route.namespace.as_ref().is_none_or(|want| want == ns)
            })
            .map(|(_, o)| o)
            .filter(|o| labels.matches(|k| label(o, k)) && fields.matches(|k| field(o, k)))
            .cloned()
            .collect()
    }

    /// `POST` to a collection.
    pub fn create(
        &mut self,
        route: &Route,
        mut obj: Value,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        let m = meta(&mut obj)?;
        let name = match m.get("name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => match m.get("generateName").and_then(Value::as_str) {
                Some(g) => format!("{g}{:05x}", self.uids + 1),
                None => {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        "metadata.name: Required value",
                    ))
                }
            },
        };
        let k = key(route, &name);
        if self.objects.contains_key(&k) {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", route.plural),
            ));
        }
        self.uids += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", self.uids);
        let rv = self.bump();
        let m = meta(&mut obj)?;
        m.insert("name".into(), json!(name));
        if let Some(ns) = &route.namespace {
            m.insert("namespace".into(), json!(ns));
        }
        m.insert("uid".into(), json!(uid));
        m.insert("resourceVersion".into(), json!(rv.to_string()));
        m.insert("generation".into(), json!(1));
        m.insert(
            "creationTimestamp".into(),
            json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        fill_type(&mut obj, route);
        if route.plural == "pods" && route.api_version == "v1" {
            // The API server resets a new pod's status; the kubelet takes it from there.
            obj["status"] = json!({"phase": "Pending"});
        }
        self.objects.insert(k, obj.clone());
        let e = self.record(route, EventType::Added, obj.clone());
        Ok((obj, vec![e]))
    }

    /// `PUT` of an object or of its `status` subresource.
    pub fn replace(
        &mut self,
        route: &Route,
        name: &str,
        obj: Value,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        let current = self.get(route, name)?;
        if let Some(rv) = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            let have = current
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str);
            if Some(rv) != have {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": the object has been \
                         modified; please apply your changes to the latest version and try again",
                        route.plural
                    ),
                ));
            }
        }
        self.write(route, name, current, obj)
    }

    /// `PATCH` of an object or its `status`.
    pub fn patch(
        &mut self,
        route: &Route,
        name: &str,
        kind: PatchKind,
        patch: &Value,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        let current = match self.get(route, name) {
            Ok(c) => c,
            Err(e) if kind == PatchKind::Apply && route.subresource.is_none() => {
                let _ = e;
                let mut obj = patch.clone();
                meta(&mut obj)?.insert("name".into(), json!(name));
                return self.create(route, obj);
            }
            Err(e) => return Err(e),
        };
        let mut next = current.clone();
        match kind {
            PatchKind::Apply | PatchKind::Merge => merge_patch(&mut next, patch),
            PatchKind::Json => json_patch(&mut next, patch)?,
        }
        self.write(route, name, current, next)
    }

    /// Stores `next` over `current`, keeping what the client may not change and bumping the
    /// versions; finishes a deletion whose last finalizer went away.
    fn write(
        &mut self,
        route: &Route,
        name: &str,
        current: Value,
        mut next: Value,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        // A body that is not an object is refused before any field of it is set.
        meta(&mut next)?;
        if route.subresource.as_deref() == Some("status") {
            // The status subresource changes only `.status`.
            let status = next.get("status").cloned().unwrap_or(Value::Null);
            next = current.clone();
            next["status"] = status;
        } else if let Some(status) = current.get("status") {
            // ...and the main resource never changes it.
            next["status"] = status.clone();
        }
        for f in [
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "deletionTimestamp",
        ] {
            match current.pointer(&format!("/metadata/{f}")) {
                Some(v) => {
                    meta(&mut next)?.insert(f.into(), v.clone());
                }
                None => {
                    meta(&mut next)?.remove(f);
                }
            }
        }
        let spec_changed = current.get("spec") != next.get("spec");
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            + i64::from(spec_changed);
        meta(&mut next)?.insert("generation".into(), json!(generation));
        meta(&mut next)?.insert(
            "resourceVersion".into(),
            current["metadata"]["resourceVersion"].clone(),
        );
        fill_type(&mut next, route);
        if next == current {
            return Ok((current, vec![]));
        }
        let rv = self.bump();
        meta(&mut next)?.insert("resourceVersion".into(), json!(rv.to_string()));
        let finalizers_empty = next
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if next.pointer("/metadata/deletionTimestamp").is_some() && finalizers_empty {
            self.objects.remove(&key(route, name));
            let mut events = vec![self.record(route, EventType::Deleted, next.clone())];
            events.extend(self.collect_garbage(&next));
            return Ok((next, events));
        }
        self.objects.insert(key(route, name), next.clone());
        let e = self.record(route, EventType::Modified, next.clone());
        Ok((next, vec![e]))
    }

    /// `DELETE` of one object: gone at once, or marked for deletion while finalizers remain.
    pub fn delete(&mut self, route: &Route, name: &str) -> Result<(Value, Vec<Event>), ApiError> {
        let mut obj = self.get(route, name)?;
        let has_finalizers = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if has_finalizers {
            if obj.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok((obj, vec![]));
            }
            let rv = self.bump();
            let m = meta(&mut obj)?;
            m.insert(
                "deletionTimestamp".into(),
                json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            );
            m.insert("resourceVersion".into(), json!(rv.to_string()));
            self.objects.insert(key(route, name), obj.clone());
            let e = self.record(route, EventType::Modified, obj.clone());
            return Ok((obj, vec![e]));
        }
        self.objects.remove(&key(route, name));
        self.bump();
        let mut events = vec![self.record(route, EventType::Deleted, obj.clone())];
        events.extend(self.collect_garbage(&obj));
        Ok((obj, events))
    }

    /// Background garbage collection: deletes every object owned by `owner`.
    fn collect_garbage(&mut self, owner: &Value) -> Vec<Event> {
        let Some(uid) = owner.pointer("/metadata/uid").and_then(Value::as_str) else {
            return vec![];
        };
        let owned: Vec<Key> = self
            .objects
            .iter()
            .filter(|(_, o)| {
                o.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
            })
            .map(|(k, _)| k.clone())
            .collect();
        let mut events = Vec::new();
        for (api_version, plural, ns, name) in owned {
            let route = Route {
                api_version,
                plural,
                namespace: (!ns.is_empty()).then_some(ns),
                name: None,
                subresource: None,
            };
            if let Ok((_, e)) = self.delete(&route, &name) {
                events.extend(e);
            }
        }
        events
    }
}

fn fill_type(obj: &mut Value, route: &Route) {
    if let Value::Object(m) = obj {
        m.entry("apiVersion")
            .or_insert_with(|| json!(route.api_version));
        m.entry("kind")
            .or_insert_with(|| json!(kind_of(&route.plural)));
    }
}

fn not_found(route: &Route, name: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", route.plural),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods() -> Route {
        Route::parse("/api/v1/namespaces/ns/pods").unwrap()
    }

    #[test]
    fn create_get_conflict_and_delete() {
        let mut s = Store::default();
        let (p, _) = s
            .create(&pods(), json!({"metadata": {"name": "a"}}))
            .unwrap();
        assert_eq!(p["metadata"]["namespace"], "ns");
        assert_eq!(p["kind"], "Pod");
        assert_eq!(p["status"]["phase"], "Pending");
        let e = s
            .create(&pods(), json!({"metadata": {"name": "a"}}))
            .unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(s.get(&pods(), "a").unwrap(), p);
        s.delete(&pods(), "a").unwrap();
        assert_eq!(s.get(&pods(), "a").unwrap_err().code, 404);
    }

    /// Bodies that are not objects, or whose metadata is not one, are refused as the API
    /// server refuses them (422) rather than stopping the double; a missing or null
    /// metadata is filled in.
    #[test]
    fn bodies_without_object_metadata_are_invalid() {
        let mut s = Store::default();
        for body in [json!([1]), json!("pod"), json!({"metadata": "a"})] {
            assert_eq!(
                s.create(&pods(), body.clone()).unwrap_err().code,
                422,
                "{body}"
            );
        }
        s.create(&pods(), json!({"metadata": {"name": "a"}}))
            .unwrap();
        assert_eq!(s.replace(&pods(), "a", json!([1])).unwrap_err().code, 422);
        let e = s.create(&pods(), json!({"metadata": null})).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (422, "metadata.name: Required value")
        );
    }

    #[test]
    fn stale_resource_version_conflicts() {
        let mut s = Store::default();
        let (p, _) = s
            .create(
                &pods(),
                json!({"metadata": {"name": "a"}, "spec": {"x": 1}}),
            )
            .unwrap();
        let mut q = p.clone();
        q["spec"]["x"] = json!(2);
        let (q2, _) = s.replace(&pods(), "a", q.clone()).unwrap();
        assert_eq!(q2["metadata"]["generation"], 2);
        assert_eq!(s.replace(&pods(), "a", q).unwrap_err().code, 409);
    }

    #[test]
    fn apply_creates_then_merges_and_status_is_separate() {
        let mut s = Store::default();
        let r = Route::parse("/api/v1/namespaces/ns/configmaps/c").unwrap();
        s.patch(&r, "c", PatchKind::Apply, &json!({"data": {"a": "1"}}))
            .unwrap();
        let (c, ev) = s
            .patch(&r, "c", PatchKind::Apply, &json!({"data": {"a": "1"}}))
            .unwrap();
        assert!(ev.is_empty(), "an unchanged apply is not a change");
        assert_eq!(c["data"]["a"], "1");
        let (p, _) = s
            .create(&pods(), json!({"metadata": {"name": "a"}}))
            .unwrap();
        let st = Route::parse("/api/v1/namespaces/ns/pods/a/status").unwrap();
        s.patch(
            &st,
            "a",
            PatchKind::Merge,
            &json!({"status": {"phase": "Running"}, "spec": {"y": 1}}),
        )
        .unwrap();
        let now = s.get(&pods(), "a").unwrap();
        assert_eq!(now["status"]["phase"], "Running");
        assert_eq!(now.get("spec"), p.get("spec"));
    }

    #[test]
    fn finalizers_hold_deletion_and_owners_collect_garbage() {
        let mut s = Store::default();
        let (owner, _) = s
            .create(
                &pods(),
                json!({"metadata": {"name": "o", "finalizers": ["f"]}}),
            )
            .unwrap();
        let cm = Route::parse("/api/v1/namespaces/ns/configmaps").unwrap();
        s.create(
            &cm,
            json!({"metadata": {"name": "c", "ownerReferences": [{"uid": owner["metadata"]["uid"]}]}}),
        )
        .unwrap();
        s.delete(&pods(), "o").unwrap();
        let held = s.get(&pods(), "o").unwrap();
        assert!(held["metadata"]["deletionTimestamp"].is_string());
        s.patch(
            &pods(),
            "o",
            PatchKind::Merge,
            &json!({"metadata": {"finalizers": null}}),
        )
        .unwrap();
        assert_eq!(s.get(&pods(), "o").unwrap_err().code, 404);
        assert_eq!(s.get(&cm, "c").unwrap_err().code, 404);
    }

    #[test]
    fn json_patch_ops() {
        let mut v = json!({"a": [1, 2], "b": {"c": 1}});
        json_patch(
            &mut v,
            &json!([{"op": "add", "path": "/a/-", "value": 3}, {"op": "remove", "path": "/b/c"},
                    {"op": "replace", "path": "/a/0", "value": 0}]),
        )
        .unwrap();
        assert_eq!(v, json!({"a": [0, 2, 3], "b": {}}));
    }
}
