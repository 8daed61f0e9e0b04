//! The HTTP shell around the store: routes requests, records them, streams watches.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use crate::portforward::Targets;
use crate::route::{kind_of, Route};
use crate::selector::{field, label, Selector};
use crate::store::{
    details, group, ApiError, Event, EventType, PatchKind, Propagation, Store, FIRST_REVISION,
};

/// One request as the double received it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query parameters.
    pub query: std::collections::BTreeMap<String, String>,
    /// The `Content-Type` header, when present.
    pub content_type: Option<String>,
    /// The `Authorization` header, when present (the double is a test tool; tests check the
    /// credentials a client sends).
    pub authorization: Option<String>,
    /// The body parsed from JSON or YAML; `null` when empty.
    pub body: Value,
}

/// A fault to inject: requests whose method and path match get `code` (or wait `delay`
/// first) instead of the normal answer, `times` times.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The method to match (`POST`, ...); `None` for any.
    pub method: Option<String>,
    /// A part of the path to match.
    pub path_contains: String,
    /// The HTTP code to answer with (409, 410, 429, 500, 503, ...); `None` to answer
    /// normally after the delay.
    pub code: Option<u16>,
    /// How long to wait before answering (a slow or hanging API server).
    pub delay: std::time::Duration,
    /// How many matching requests get the fault.
    pub times: u32,
}

pub(crate) struct Shared {
    faults: Mutex<Vec<Fault>>,
    logs: Mutex<HashMap<String, String>>,
    pub(crate) port_targets: Targets,
    store: Mutex<Store>,
    requests: Mutex<Vec<RecordedRequest>>,
    events: broadcast::Sender<Event>,
    record_to: Option<Mutex<std::fs::File>>,
}

/// Locks a mutex, recovering the data if a panicking request handler poisoned it: every write
/// to the store is a single call that either completes or leaves it unchanged.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Sets what `GET <pod path>/log` returns.
    pub(crate) fn set_log(&self, pod_path: &str, text: &str) {
        lock(&self.logs).insert(pod_path.trim_end_matches('/').to_string(), text.to_string());
    }

    /// Drops every fault.
    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// Adds a fault.
    pub(crate) fn inject(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    pub(crate) fn new(record_to: Option<std::fs::File>) -> Arc<Shared> {
        let (events, _) = broadcast::channel(4096);
        Arc::new(Shared {
            faults: Mutex::new(Vec::new()),
            logs: Mutex::new(HashMap::new()),
            port_targets: Targets::default(),
            store: Mutex::new(Store::default()),
            requests: Mutex::new(Vec::new()),
            events,
            record_to: record_to.map(Mutex::new),
        })
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn publish(&self, events: Vec<Event>) {
        for e in events {
            // No receiver is fine: nobody is watching.
            let _ = self.events.send(e);
        }
    }
}

fn parse_body(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .or_else(|_| serde_yaml_ng::from_slice(bytes))
        .map_err(|e| ApiError {
            details: None,
            code: 400,
            reason: "BadRequest",
            message: format!("cannot parse the body: {e}"),
        })
}

fn reply(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// An API error as the API server answers it: its code and a `Status` body.
pub(crate) fn error(e: &ApiError) -> Response {
    reply(
        StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &e.status(),
    )
}

/// The fields a resource can be selected by; `None` where the double does not know the
/// list and accepts any field.
fn selectable_fields(route: &Route) -> Option<&'static [&'static str]> {
    const META: &[&str] = &["metadata.name", "metadata.namespace"];
    match (group(route), route.plural.as_str()) {
        ("", "pods") => Some(&[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ]),
        ("", "configmaps" | "serviceaccounts") => Some(META),
        ("", "secrets") => Some(&["metadata.name", "metadata.namespace", "type"]),
        ("sparkoperator.k8s.io" | "sparkplane.io", _) => Some(META),
        _ => None,
    }
}

fn selectors_for(
    route: &Route,
    q: &HashMap<String, String>,
) -> Result<(Selector, Selector), ApiError> {
    let (labels, fields) = selectors(q)?;
    if let Some(allowed) = selectable_fields(route) {
        if let Some(bad) = fields
            .keys()
            .into_iter()
            .find(|k| !allowed.contains(&k.as_str()))
        {
            let only: Vec<String> = allowed.iter().map(|f| format!("\"{f}\"")).collect();
            return Err(ApiError {
                details: None,
                code: 400,
                reason: "BadRequest",
                message: format!(
                    "\"{bad}\" is not a known field selector: only {}",
                    only.join(", ")
                ),
            });
        }
    }
    Ok((labels, fields))
}

fn selectors(q: &HashMap<String, String>) -> Result<(Selector, Selector), ApiError> {
    let parse = |k: &str| {
        Selector::parse(q.get(k).map(String::as_str).unwrap_or("")).ok_or_else(|| ApiError {
            details: None,
            code: 400,
            reason: "BadRequest",
            message: format!("cannot parse {k}"),
        })
    };
    Ok((parse("labelSelector")?, parse("fieldSelector")?))
}

/// A request the double accepted: recorded, and past any injected fault.
pub(crate) struct Admitted {
    pub(crate) query: HashMap<String, String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Value,
    /// The field manager of a write: `fieldManager`, else the user agent up to its `/`.
    pub(crate) manager: String,
}

/// The query parameters in order, decoded; repeated keys stay repeated (`ports=1&ports=2`).
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            q.split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (decode(k), decode(v))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Records a request and applies the first matching fault; `Err` is the answer to send
/// instead of the normal one (a bad body or an injected error code).
pub(crate) async fn admit(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<Admitted, Response> {
    let query: HashMap<String, String> = query_pairs(uri).into_iter().collect();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = parse_body(bytes).map_err(|e| error(&e))?;
    let recorded = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: query.clone().into_iter().collect(),
        content_type: content_type.clone(),
        authorization,
        body: body.clone(),
    };
    if let Some(f) = &shared.record_to {
        let mut f = lock(f);
        // The record is a test artefact; a failed write shows up as a missing line.
        let _ = writeln!(
            f,
            "{}",
            serde_json::to_string(&recorded).unwrap_or_default()
        );
    }
    lock(&shared.requests).push(recorded);
    let fault = {
        let mut faults = lock(&shared.faults);
        let found = faults.iter_mut().find(|f| {
            f.times > 0
                && f.method.as_deref().is_none_or(|m| m == method.as_str())
                && uri.path().contains(&f.path_contains)
        });
        found.map(|f| {
            f.times -= 1;
            f.clone()
        })
    };
    if let Some(f) = fault {
        if !f.delay.is_zero() {
            tokio::time::sleep(f.delay).await;
        }
        if let Some(code) = f.code {
            let reason = match code {
                409 => "Conflict",
                410 => "Expired",
                429 => "TooManyRequests",
                500 => "InternalError",
                503 => "ServiceUnavailable",
                504 => "Timeout",
                _ => "Injected",
            };
            return Err(error(&ApiError {
                details: None,
                code,
                reason,
                message: format!("injected fault: {code}"),
            }));
        }
    }
    let manager = query.get("fieldManager").cloned().unwrap_or_else(|| {
        headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.split('/').next().unwrap_or(ua).to_string())
            .unwrap_or_default()
    });
    Ok(Admitted {
        query,
        content_type,
        body,
        manager,
    })
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let Admitted {
        query,
        content_type,
        body,
        manager,
    } = match admit(&shared, &method, &uri, &headers, &bytes).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };

    let Some(route) = Route::parse(uri.path()) else {
        return discovery(uri.path());
    };
    shared.store().manager = manager;
    match respond(
        &shared,
        &method,
        &route,
        &query,
        content_type.as_deref(),
        body,
    ) {
        Ok(Reply::Object(code, v)) => reply(code, &v),
        Ok(Reply::Text(t)) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .body(Body::from(t))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Ok(Reply::Watch(stream)) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(e) => error(&e),
    }
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn discovery(path: &str) -> Response {
    match path {
        "/version" => reply(
            StatusCode::OK,
            &json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-sparkplane-double",
                    "platform": "linux/amd64"}),
        ),
        "/api" => reply(
            StatusCode::OK,
            &json!({"kind": "APIVersions", "versions": ["v1"]}),
        ),
        _ => error(&ApiError {
            details: None,
            code: 404,
            reason: "NotFound",
            message: format!("the double does not serve {path}"),
        }),
    }
}

type WatchStream = futures::stream::BoxStream<'static, Result<Bytes, Infallible>>;

enum Reply {
    Object(StatusCode, Value),
    Text(String),
    Watch(WatchStream),
}

fn list_body(route: &Route, items: Vec<Value>, revision: u64) -> Value {
    json!({
        "kind": format!("{}List", kind_of(&route.plural)),
        "apiVersion": route.api_version,
        "metadata": {"resourceVersion": revision.to_string()},
        "items": items,
    })
}

fn respond(
    shared: &Arc<Shared>,
    method: &Method,
    route: &Route,
    query: &HashMap<String, String>,
    content_type: Option<&str>,
    body: Value,
) -> Result<Reply, ApiError> {
    let ok = |v| Ok(Reply::Object(StatusCode::OK, v));
    match (method.as_str(), route.name.as_deref()) {
        ("GET", Some(name)) if route.subresource.as_deref() == Some("log") => {
            shared.store().get(route, name)?;
            let pod = format!(
                "/api/v1/namespaces/{}/pods/{name}",
                route.namespace.as_deref().unwrap_or_default()
            );
            let text = lock(&shared.logs).get(&pod).cloned().unwrap_or_default();
            Ok(Reply::Text(text))
        }
        ("GET", Some(name)) => ok(shared.store().get(route, name)?),
        ("GET", None) => {
            let (labels, fields) = selectors_for(route, query)?;
            let watching = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
            if watching {
                return Ok(Reply::Watch(watch(shared, route, query, labels, fields)));
            }
            let store = shared.store();
            ok(list_body(
                route,
                store.list(route, &labels, &fields),
                store.revision(),
            ))
        }
        ("POST", None) => {
            let (obj, events) = shared.store().create(route, body)?;
            shared.publish(events);
            Ok(Reply::Object(StatusCode::CREATED, obj))
        }
        ("PUT", Some(name)) => {
            let (obj, events) = shared.store().replace(route, name, body)?;
            shared.publish(events);
            ok(obj)
        }
        ("PATCH", Some(name)) => {
            let kind = match content_type.unwrap_or("") {
                c if c.starts_with("application/apply-patch") => PatchKind::Apply,
                c if c.starts_with("application/json-patch") => PatchKind::Json,
                _ => PatchKind::Merge,
            };
            let force = query.get("force").is_some_and(|f| f == "true");
            let existed = shared.store().get(route, name).is_ok();
            let (obj, events) = shared
                .store()
                .patch_forced(route, name, kind, &body, force)?;
            shared.publish(events);
            let code = if existed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok(Reply::Object(code, obj))
        }
        ("DELETE", Some(name)) => {
            let policy = query
                .get("propagationPolicy")
                .cloned()
                .or_else(|| body["propagationPolicy"].as_str().map(str::to_string));
            let propagation = match policy.as_deref() {
                None | Some("Background") => Propagation::Background,
                Some("Foreground") => Propagation::Foreground,
                Some("Orphan") => Propagation::Orphan,
                Some(other) => {
                    return Err(ApiError {
                        details: None,
                        code: 400,
                        reason: "BadRequest",
                        message: format!("unknown propagationPolicy {other}"),
                    })
                }
            };
            let (obj, gone, events) = shared.store().delete_with(route, name, propagation)?;
            shared.publish(events);
            // An object that went at once is answered with a Status (pods: with the pod);
            // one marked for deletion (finalizers, foreground, orphan), with the object.
            let marked = obj.pointer("/metadata/deletionTimestamp").is_some();
            if gone && !marked && !(route.api_version == "v1" && route.plural == "pods") {
                let mut d = details(route, name);
                d["uid"] = obj["metadata"]["uid"].clone();
                return ok(json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                 "status": "Success", "details": d}));
            }
            ok(obj)
        }
        ("DELETE", None) => {
            let (labels, fields) = selectors_for(route, query)?;
            let mut store = shared.store();
            let names: Vec<String> = store
                .list(route, &labels, &fields)
                .iter()
                .filter_map(|o| {
                    o.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect();
            let mut deleted = Vec::new();
            let mut all_events = Vec::new();
            for n in names {
                let (o, e) = store.delete(route, &n)?;
                deleted.push(o);
                all_events.extend(e);
            }
            let rev = store.revision();
            drop(store);
            shared.publish(all_events);
            ok(list_body(route, deleted, rev))
        }
        (m, _) => Err(ApiError {
            details: None,
            code: 405,
            reason: "MethodNotAllowed",
            message: format!("{m} is not supported on this path"),
        }),
    }
}

fn event_line(kind: EventType, object: &Value) -> Result<Bytes, Infallible> {
    line(kind.as_str(), object)
}

fn line(kind: &str, object: &Value) -> Result<Bytes, Infallible> {
    Ok(Bytes::from(format!(
        "{}\n",
        json!({"type": kind, "object": object})
    )))
}

fn watch(
    shared: &Arc<Shared>,
    route: &Route,
    query: &HashMap<String, String>,
    labels: Selector,
    fields: Selector,
) -> WatchStream {
    let collection = Route {
        name: None,
        subresource: None,
        ..route.clone()
    };
    let flag = |k: &str| query.get(k).is_some_and(|v| v == "true" || v == "1");
    // Subscribe under the store lock, so no change falls between the replay and the stream.
    let store = shared.store();
    let rx = shared.events.subscribe();
    let since: Option<u64> = query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0);
    let initial: Vec<Result<Bytes, Infallible>> = match since {
        _ if flag("sendInitialEvents") => {
            // A streaming list: the current objects, then a bookmark marking their end.
            let mut lines: Vec<_> = store
                .list(&collection, &labels, &fields)
                .iter()
                .map(|o| event_line(EventType::Added, o))
                .collect();
            if flag("allowWatchBookmarks") {
                lines.push(line(
                    "BOOKMARK",
                    &json!({"kind": kind_of(&collection.plural), "apiVersion": collection.api_version,
                            "metadata": {"resourceVersion": store.revision().to_string(),
                                         "annotations": {"k8s.io/initial-events-end": "true"}}}),
                ));
            }
            lines
        }
        Some(rv) if rv < FIRST_REVISION => {
            drop(store);
            let expired = ApiError {
                details: None,
                code: 410,
                reason: "Expired",
                message: format!("too old resource version: {rv} ({FIRST_REVISION})"),
            };
            return futures::stream::iter(vec![line("ERROR", &expired.status())]).boxed();
        }
        Some(rv) => store
            .events_since(rv)
            .into_iter()
            .filter_map(|e| seen(&collection, &labels, &fields, &e).map(|(k, o)| event_line(k, &o)))
            .collect(),
        // "Get state and start at most recent": the current objects as ADDED.
        None => store
            .list(&collection, &labels, &fields)
            .iter()
            .map(|o| event_line(EventType::Added, o))
            .collect(),
    };
    drop(store);
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(3600);
    let live = BroadcastStream::new(rx)
        .filter_map(move |e| {
            let out = match e {
                Ok(e) => seen(&collection, &labels, &fields, &e).map(|(k, o)| event_line(k, &o)),
                _ => None,
            };
            futures::future::ready(out)
        })
        .take_until(tokio::time::sleep(Duration::from_secs(timeout)));
    futures::stream::iter(initial).chain(live).boxed()
}

/// How a watch of `route` with these selectors reports `e`, if at all: an object that starts
/// matching is ADDED, one that stops matching is DELETED.
fn seen(
    route: &Route,
    labels: &Selector,
    fields: &Selector,
    e: &Event,
) -> Option<(EventType, Value)> {
    if e.api_version != route.api_version || e.plural != route.plural {
        return None;
    }
    let matches = |o: &Value| {
        route.namespace.as_ref().is_none_or(|ns| {
            o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns.as_str())
        }) && labels.matches(|k| label(o, k))
            && fields.matches(|k| field(o, k))
    };
    let now = matches(&e.object);
    let before = e.old.as_ref().is_some_and(matches);
    match (e.kind, before, now) {
        (EventType::Modified, false, true) => Some((EventType::Added, e.object.clone())),
        (EventType::Modified, true, false) => {
            // The object as it last matched, at the version of the change.
            let mut old = e.old.clone().unwrap_or_default();
            if let Some(m) = old.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert(
                    "resourceVersion".into(),
                    json!(e.resource_version.to_string()),
                );
            }
            Some((EventType::Deleted, old))
        }
        (EventType::Modified, false, false) => None,
        (kind, _, _) if now => Some((kind, e.object.clone())),
        _ => None,
    }
}
