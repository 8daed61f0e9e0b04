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
    /// The `details` of the `Status` (name, group, kind, causes), when the API server gives them.
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The `Status` body the API server returns.
    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": self.message, "reason": self.reason, "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
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
    /// The object before the change, so that a watch with a selector sees an object that
    /// stops matching as DELETED and one that starts matching as ADDED.
    pub old: Option<Value>,
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

/// The first resource version the double hands out. History before it counts as compacted:
/// a watch from an older (non-zero) version gets `410 Expired`, as from a real API server
/// whose watch cache no longer holds it.
pub const FIRST_REVISION: u64 = 1000;

/// How a deletion treats the objects an owner owns (`propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// The owner goes at once; its dependents after it.
    Background,
    /// The owner is marked (`foregroundDeletion`) until its dependents are gone.
    Foreground,
    /// The owner goes (after an `orphan` finalizer); dependents lose the reference.
    Orphan,
}

/// Objects by (apiVersion, plural, namespace, name).
#[derive(Debug)]
pub struct Store {
    objects: BTreeMap<Key, Value>,
    revision: u64,
    uids: u64,
    events: Vec<Event>,
    /// The field manager of the write in progress (`fieldManager`, else the user agent's
    /// product name, as the API server derives it).
    pub manager: String,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            objects: BTreeMap::new(),
            revision: FIRST_REVISION,
            uids: 0,
            events: Vec::new(),
            manager: String::new(),
        }
    }
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

    fn record(
        &mut self,
        route: &Route,
        kind: EventType,
        object: Value,
        old: Option<Value>,
    ) -> Event {
        let e = Event {
            resource_version: self.revision,
            api_version: route.api_version.clone(),
            plural: route.plural.clone(),
            kind,
            object,
            old,
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
                        format!(
                            "{} \"\" is invalid: metadata.name: Required value: name or \
                             generateName is required",
                            kind_of(&route.plural)
                        ),
                    )
                    .with_details(
                        json!({"kind": kind_of(&route.plural), "causes": [
                        {"reason": "FieldValueRequired",
                         "message": "Required value: name or generateName is required",
                         "field": "metadata.name"}]}),
                    ))
                }
            },
        };
        validate_name(route, &name)?;
        let k = key(route, &name);
        if self.objects.contains_key(&k) {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", qualified(route)),
            )
            .with_details(details(route, &name)));
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
        if has_generation(route) {
            m.insert("generation".into(), json!(1));
        }
        m.insert(
            "creationTimestamp".into(),
            json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        fill_type(&mut obj, route);
        if route.plural == "pods" && route.api_version == "v1" {
            // The API server resets a new pod's status; the kubelet takes it from there.
            obj["status"] = json!({"phase": "Pending"});
        } else if let Value::Object(o) = &mut obj {
            // A status is written through the status subresource only, never on create.
            o.remove("status");
        }
        if !self.manager.is_empty() {
            let manager = self.manager.clone();
            track_update(&mut obj, &json!({}), &manager, &route.api_version);
        }
        self.objects.insert(k, obj.clone());
        let e = self.record(route, EventType::Added, obj.clone(), None);
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
                        qualified(route)
                    ),
                )
                .with_details(details(route, name)));
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
        self.patch_forced(route, name, kind, patch, false)
    }

    /// `PATCH`, with `force` for server-side apply (take fields other managers own).
    pub fn patch_forced(
        &mut self,
        route: &Route,
        name: &str,
        kind: PatchKind,
        patch: &Value,
        force: bool,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        let applying = kind == PatchKind::Apply && route.subresource.is_none();
        let current = match self.get(route, name) {
            Ok(c) => c,
            Err(_) if applying => {
                let mut obj = patch.clone();
                meta(&mut obj)?.insert("name".into(), json!(name));
                let manager = std::mem::take(&mut self.manager);
                let created = self.create(route, obj);
                if let Ok((obj, _)) = &created {
                    // The applier owns what it applied; the creation was its apply.
                    let mut obj = obj.clone();
                    let fields = leaves(patch);
                    set_owner(&mut obj, &manager, "Apply", &route.api_version, fields);
                    self.objects.insert(key(route, name), obj.clone());
                    if let Some(e) = self.events.last_mut() {
                        e.object = obj.clone();
                    }
                    self.manager = manager;
                    return Ok((
                        obj.clone(),
                        vec![self.events[self.events.len() - 1].clone()],
                    ));
                }
                self.manager = manager;
                return created;
            }
            Err(e) => return Err(e),
        };
        let mut next = current.clone();
        match kind {
            PatchKind::Apply if applying => {
                let manager = self.manager.clone();
                apply_owned(&mut next, patch, &manager, force, &route.api_version)?;
                return self.write_tracked(route, name, current, next, false);
            }
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
        next: Value,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        self.write_tracked(route, name, current, next, true)
    }

    fn write_tracked(
        &mut self,
        route: &Route,
        name: &str,
        current: Value,
        mut next: Value,
        track: bool,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        // A body that is not an object is refused before any field of it is set.
        meta(&mut next)?;
        if route.subresource.as_deref() == Some("status") {
            // The status subresource changes only `.status`.
            let status = next.get("status").cloned().unwrap_or(Value::Null);
            next = current.clone();
            next["status"] = status;
        } else if let Value::Object(m) = &mut next {
            // ...and the main resource never changes it.
            match current.get("status") {
                Some(status) => {
                    m.insert("status".into(), status.clone());
                }
                None => {
                    m.remove("status");
                }
            }
        }
        for f in [
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
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
        if track && route.subresource.is_none() && !self.manager.is_empty() {
            let manager = self.manager.clone();
            track_update(&mut next, &current, &manager, &route.api_version);
        }
        // The generation counts changes to anything but metadata and status.
        let desired = |o: &Value| {
            let mut o = o.clone();
            if let Value::Object(m) = &mut o {
                m.remove("metadata");
                m.remove("status");
            }
            o
        };
        if let Some(g) = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
        {
            let changed = desired(&current) != desired(&next);
            meta(&mut next)?.insert("generation".into(), json!(g + i64::from(changed)));
        }
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
            let mut events =
                vec![self.record(route, EventType::Deleted, next.clone(), Some(next.clone()))];
            events.extend(self.collect_garbage(&next));
            return Ok((next, events));
        }
        self.objects.insert(key(route, name), next.clone());
        let e = self.record(route, EventType::Modified, next.clone(), Some(current));
        Ok((next, vec![e]))
    }

    /// `DELETE` of one object (background propagation): gone at once, or marked for
    /// deletion while finalizers remain.
    pub fn delete(&mut self, route: &Route, name: &str) -> Result<(Value, Vec<Event>), ApiError> {
        self.delete_with(route, name, Propagation::Background)
            .map(|(o, _, e)| (o, e))
    }

    /// `DELETE` of one object with a propagation policy: the object as the answer shows it
    /// (marked, or as it was when it went), whether it is gone, and the events.
    pub fn delete_with(
        &mut self,
        route: &Route,
        name: &str,
        propagation: Propagation,
    ) -> Result<(Value, bool, Vec<Event>), ApiError> {
        let mut obj = self.get(route, name)?;
        let mut finalizers: Vec<Value> = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if obj.pointer("/metadata/deletionTimestamp").is_some() {
            return Ok((obj, false, vec![]));
        }
        let gc_finalizer = match propagation {
            Propagation::Background => None,
            Propagation::Foreground => Some("foregroundDeletion"),
            Propagation::Orphan => Some("orphan"),
        };
        if let Some(f) = gc_finalizer {
            finalizers.push(json!(f));
        }
        if finalizers.is_empty() {
            self.objects.remove(&key(route, name));
            // The deletion is a change of its own, with a version of its own.
            let rv = self.bump();
            let old = obj.clone();
            meta(&mut obj)?.insert("resourceVersion".into(), json!(rv.to_string()));
            let mut events = vec![self.record(route, EventType::Deleted, obj.clone(), Some(old))];
            events.extend(self.collect_garbage(&obj));
            return Ok((obj, true, events));
        }
        let old = obj.clone();
        let rv = self.bump();
        let m = meta(&mut obj)?;
        m.insert(
            "deletionTimestamp".into(),
            json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
        m.insert("finalizers".into(), Value::Array(finalizers));
        m.insert("resourceVersion".into(), json!(rv.to_string()));
        self.objects.insert(key(route, name), obj.clone());
        let mut events = vec![self.record(route, EventType::Modified, obj.clone(), Some(old))];
        // The garbage collector's part, done at once: dependents go (foreground) or lose
        // the reference (orphan), then the collector's finalizer comes off.
        if let Some(f) = gc_finalizer {
            events.extend(match propagation {
                Propagation::Orphan => self.orphan_dependents(&obj),
                _ => self.collect_garbage(&obj),
            });
            let current = self.get(route, name)?;
            let mut next = current.clone();
            if let Some(list) = next
                .pointer_mut("/metadata/finalizers")
                .and_then(Value::as_array_mut)
            {
                list.retain(|x| x != f);
                if list.is_empty() {
                    meta(&mut next)?.remove("finalizers");
                }
            }
            let (_, e) = self.write_tracked(route, name, current, next, false)?;
            events.extend(e);
        }
        let gone = self.get(route, name).is_err();
        Ok((obj, gone, events))
    }

    /// Orphan propagation: removes the references to `owner` from its dependents.
    fn orphan_dependents(&mut self, owner: &Value) -> Vec<Event> {
        let Some(uid) = owner.pointer("/metadata/uid").and_then(Value::as_str) else {
            return vec![];
        };
        let mut events = Vec::new();
        for (api_version, plural, ns, name) in self.dependents(uid) {
            let route = Route {
                api_version,
                plural,
                namespace: (!ns.is_empty()).then_some(ns),
                name: None,
                subresource: None,
            };
            let Ok(current) = self.get(&route, &name) else {
                continue;
            };
            let mut next = current.clone();
            if let Some(refs) = next
                .pointer_mut("/metadata/ownerReferences")
                .and_then(Value::as_array_mut)
            {
                refs.retain(|r| r["uid"] != uid);
                if refs.is_empty() {
                    // Stored objects always have object metadata.
                    if let Ok(m) = meta(&mut next) {
                        m.remove("ownerReferences");
                    }
                }
            }
            if let Ok((_, e)) = self.write_tracked(&route, &name, current, next, false) {
                events.extend(e);
            }
        }
        events
    }

    fn dependents(&self, uid: &str) -> Vec<Key> {
        self.objects
            .iter()
            .filter(|(_, o)| {
                o.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Background garbage collection: deletes every object owned by `owner`.
    fn collect_garbage(&mut self, owner: &Value) -> Vec<Event> {
        let Some(uid) = owner.pointer("/metadata/uid").and_then(Value::as_str) else {
            return vec![];
        };
        let owned = self.dependents(uid);
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
        format!("{} \"{name}\" not found", qualified(route)),
    )
    .with_details(details(route, name))
}

/// The API group of a route (`""` for the core group).
pub fn group(route: &Route) -> &str {
    route
        .api_version
        .split_once('/')
        .map(|(g, _)| g)
        .unwrap_or("")
}

/// `plural` or `plural.group`, as the API server names a resource in messages.
pub fn qualified(route: &Route) -> String {
    match group(route) {
        "" => route.plural.clone(),
        g => format!("{}.{g}", route.plural),
    }
}

/// The `details` of a Status about one object.
pub fn details(route: &Route, name: &str) -> Value {
    match group(route) {
        "" => json!({"name": name, "kind": route.plural}),
        g => json!({"name": name, "group": g, "kind": route.plural}),
    }
}

/// Whether objects of the resource carry `metadata.generation`: custom resources and the
/// built-ins with a spec the API server tracks, not ConfigMaps, Secrets, Leases and the like.
fn has_generation(route: &Route) -> bool {
    match group(route) {
        "" => route.plural == "pods",
        "coordination.k8s.io" | "rbac.authorization.k8s.io" | "events.k8s.io" => false,
        _ => true,
    }
}

/// Object names: a lowercase RFC 1123 subdomain (namespaces and services: a label).
fn validate_name(route: &Route, name: &str) -> Result<(), ApiError> {
    let label_only =
        route.api_version == "v1" && matches!(route.plural.as_str(), "namespaces" | "services");
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.starts_with(alnum)
            && p.ends_with(alnum)
            && p.chars().all(|c| alnum(c) || c == '-')
    };
    let (ok, what, max) = if label_only {
        (name.len() <= 63 && part_ok(name), "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')", 63)
    } else {
        (name.len() <= 253 && name.split('.').all(part_ok), "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", 253)
    };
    if ok {
        return Ok(());
    }
    let _ = max;
    let kind = kind_of(&route.plural);
    let cause = format!("Invalid value: \"{name}\": {what}");
    Err(ApiError::new(
        422,
        "Invalid",
        format!("{kind} \"{name}\" is invalid: metadata.name: {cause}"),
    )
    .with_details(json!({"name": name, "kind": kind, "causes": [
        {"reason": "FieldValueInvalid", "message": cause, "field": "metadata.name"}]})))
}

// --- Field ownership (managedFields), as server-side apply keeps it ---
//
// A manager owns leaf fields: paths to values that are not maps, or to empty maps. Lists
// are atomic (owned whole), where the API server tracks list items by key; identity and
// bookkeeping metadata is never owned.

type Path = Vec<String>;

fn leaves(obj: &Value) -> Vec<Path> {
    fn walk(v: &Value, prefix: &mut Path, out: &mut Vec<Path>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    if prefix.is_empty() && matches!(k.as_str(), "apiVersion" | "kind" | "status") {
                        continue;
                    }
                    if prefix.len() == 1
                        && prefix[0] == "metadata"
                        && !matches!(
                            k.as_str(),
                            "labels" | "annotations" | "finalizers" | "ownerReferences"
                        )
                    {
                        continue;
                    }
                    prefix.push(k.clone());
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ if prefix.is_empty() => {}
            _ => out.push(prefix.clone()),
        }
    }
    let mut out = Vec::new();
    walk(obj, &mut Vec::new(), &mut out);
    out
}

fn at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, k| v.get(k))
}

fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for k in parent {
        match cur.get_mut(k) {
            Some(v) => cur = v,
            None => return,
        }
    }
    if let Value::Object(m) = cur {
        m.remove(last);
    }
}

fn to_fields(paths: &[Path]) -> Value {
    let mut root = serde_json::Map::new();
    for p in paths {
        let mut cur = &mut root;
        for k in p {
            let node = cur
                .entry(format!("f:{k}"))
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            // Every node this function makes is a map.
            let Value::Object(next) = node else { break };
            cur = next;
        }
    }
    Value::Object(root)
}

fn from_fields(fields: &Value) -> Vec<Path> {
    fn walk(v: &Value, prefix: &mut Path, out: &mut Vec<Path>) {
        let children: Vec<(&String, &Value)> = v
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with("f:")).collect())
            .unwrap_or_default();
        if children.is_empty() {
            if !prefix.is_empty() {
                out.push(prefix.clone());
            }
            return;
        }
        for (k, child) in children {
            prefix.push(k[2..].to_string());
            walk(child, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

/// Each manager's (operation, owned fields), in managedFields order.
fn owners(obj: &Value) -> Vec<(String, String, Vec<Path>)> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default().to_string(),
                e["operation"].as_str().unwrap_or_default().to_string(),
                from_fields(&e["fieldsV1"]),
            )
        })
        .collect()
}

fn store_owners(obj: &mut Value, owners: Vec<(String, String, Vec<Path>)>, api_version: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let previous: Vec<Value> = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let entries: Vec<Value> = owners
        .into_iter()
        .filter(|(_, _, f)| !f.is_empty())
        .map(|(manager, operation, fields)| {
            let time = previous
                .iter()
                .find(|e| e["manager"] == manager.as_str() && from_fields(&e["fieldsV1"]) == fields)
                .map(|e| e["time"].clone())
                .unwrap_or_else(|| json!(now));
            json!({"manager": manager, "operation": operation, "apiVersion": api_version,
                   "time": time, "fieldsType": "FieldsV1", "fieldsV1": to_fields(&fields)})
        })
        .collect();
    // Only objects with object metadata reach here (writes check it first).
    if let Ok(m) = meta(obj) {
        if entries.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

fn set_owner(
    obj: &mut Value,
    manager: &str,
    operation: &str,
    api_version: &str,
    fields: Vec<Path>,
) {
    let mut all = owners(obj);
    match all
        .iter_mut()
        .find(|(m, o, _)| m == manager && o == operation)
    {
        Some(e) => e.2 = fields,
        None => all.push((manager.to_string(), operation.to_string(), fields)),
    }
    store_owners(obj, all, api_version);
}

/// An update (not an apply) by `manager`: it owns the fields it changed, which no one else
/// owns any more; fields it removed are no one's.
fn track_update(next: &mut Value, current: &Value, manager: &str, api_version: &str) {
    let changed: Vec<Path> = leaves(next)
        .into_iter()
        .filter(|p| at(current, p) != at(next, p))
        .collect();
    let mut all = owners(current);
    for (_, _, fields) in all.iter_mut() {
        fields.retain(|p| !changed.contains(p) && at(next, p).is_some());
    }
    if !changed.is_empty() {
        match all
            .iter_mut()
            .find(|(m, o, _)| m == manager && o == "Update")
        {
            Some(e) => e.2.extend(changed),
            None => all.push((manager.to_string(), "Update".into(), changed)),
        }
    }
    store_owners(next, all, api_version);
}

/// Server-side apply of `applied` by `manager` onto `obj`: conflicts with other managers
/// over fields whose values differ (unless `force`, which takes them), removal of fields
/// only `manager` owned and no longer applies, then the merge.
fn apply_owned(
    obj: &mut Value,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
) -> Result<(), ApiError> {
    let fields = leaves(applied);
    let mut all = owners(obj);
    let mut conflicts: Vec<(String, String)> = Vec::new();
    for p in &fields {
        if at(obj, p).is_none_or(|v| Some(v) == at(applied, p)) {
            continue;
        }
        for (m, _, owned) in &all {
            if m != manager && owned.contains(p) {
                conflicts.push((m.clone(), format!(".{}", p.join("."))));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let message = if conflicts.len() == 1 {
            format!(
                "Apply failed with 1 conflict: conflict with \"{}\": {}",
                conflicts[0].0, conflicts[0].1
            )
        } else {
            let lines: Vec<String> = conflicts
                .iter()
                .map(|(m, f)| format!("conflict with \"{m}\": {f}"))
                .collect();
            format!(
                "Apply failed with {} conflicts: {}",
                conflicts.len(),
                lines.join("\n")
            )
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(m, f)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": f}))
            .collect();
        return Err(ApiError::new(409, "Conflict", message).with_details(json!({"causes": causes})));
    }
    let previous: Vec<Path> = all
        .iter()
        .find(|(m, o, _)| m == manager && o == "Apply")
        .map(|e| e.2.clone())
        .unwrap_or_default();
    for (m, _, owned) in all.iter_mut() {
        if m != manager {
            let taken: Vec<Path> = conflicts
                .iter()
                .filter(|(cm, _)| cm == m)
                .map(|(_, f)| f[1..].split('.').map(str::to_string).collect())
                .collect();
            owned.retain(|p| !taken.contains(p));
        }
    }
    for p in previous.iter().filter(|p| !fields.contains(p)) {
        let shared = all
            .iter()
            .any(|(m, _, owned)| m != manager && owned.contains(p));
        // A map owned as a whole (applied empty) goes only while it is still empty: its
        // entries may be others'.
        let holds_others = at(obj, p)
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty());
        if !shared && !holds_others {
            remove_at(obj, p);
        }
    }
    merge_patch(obj, applied);
    match all
        .iter_mut()
        .find(|(m, o, _)| m == manager && o == "Apply")
    {
        Some(e) => e.2 = fields,
        None => all.push((manager.to_string(), "Apply".into(), fields)),
    }
    store_owners(obj, all, api_version);
    Ok(())
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
            (
                422,
                "Pod \"\" is invalid: metadata.name: Required value: name or generateName is required"
            )
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
    fn names_are_rfc_1123() {
        let cm = Route::parse("/api/v1/namespaces/ns/configmaps").unwrap();
        let ns = Route::parse("/api/v1/namespaces").unwrap();
        let cases = [
            (&cm, "a", true),
            (&cm, "a-b.c1", true),
            (&cm, "Bad_Name", false),
            (&cm, "-a", false),
            (&cm, "a.", false),
            (&ns, "a-b", true),
            (&ns, "a.b", false),
        ];
        for (route, name, ok) in cases {
            let got = validate_name(route, name);
            assert_eq!(got.is_ok(), ok, "{} {name}", route.plural);
            if let Err(e) = got {
                assert_eq!(e.code, 422);
                assert_eq!(e.details.unwrap()["causes"][0]["field"], "metadata.name");
            }
        }
    }

    #[test]
    fn owned_fields_round_trip_and_skip_identity() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "uid": "u", "labels": {"a": "1"}},
            "data": {"k": "v", "e": {}}, "list": [1, 2], "status": {"s": 1}});
        let mut got = leaves(&obj);
        got.sort();
        let want: Vec<Path> = [
            &["data", "e"][..],
            &["data", "k"],
            &["list"],
            &["metadata", "labels", "a"],
        ]
        .iter()
        .map(|p| p.iter().map(|s| s.to_string()).collect())
        .collect();
        assert_eq!(got, want);
        let mut back = from_fields(&to_fields(&got));
        back.sort();
        assert_eq!(back, want);
    }

    #[test]
    fn apply_conflicts_unless_forced() {
        let mut obj = json!({"data": {"a": "1"}});
        apply_owned(&mut obj, &json!({"data": {"a": "1"}}), "m1", false, "v1").unwrap();
        let e = apply_owned(&mut obj, &json!({"data": {"a": "2"}}), "m2", false, "v1").unwrap_err();
        assert_eq!((e.code, e.reason), (409, "Conflict"));
        assert_eq!(e.details.unwrap()["causes"][0]["field"], ".data.a");
        apply_owned(&mut obj, &json!({"data": {"a": "2"}}), "m2", true, "v1").unwrap();
        assert_eq!(obj["data"]["a"], "2");
        let owners: Vec<String> = owners(&obj).into_iter().map(|(m, _, _)| m).collect();
        assert_eq!(owners, ["m2"], "m1 lost its only field");
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
