//! The agreement suite: the API semantics sparkplane and Spark depend on, written once as
//! scenarios over a `kube::Client`, run against the double (always) and against a real API
//! server (`SPARKPLANE_KUBE_LAB=<kubeconfig path>`, the `*_real` tests, run with
//! `--ignored`). Where the two disagree the double is wrong; the divergences found and how
//! they were fixed are listed in docs/operator.md, "The API double and the real API server".
//!
//! Each scenario runs in a namespace of its own named `agree-*`, created first and deleted
//! at the end (also when the scenario fails).
// Helpers outside #[test] functions panic too: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use kube::core::WatchEvent;
use kube::{Client, Config};
use serde_json::{json, Value};
use sparkplane_kube_double::KubeDouble;

const LAB: &str = "SPARKPLANE_KUBE_LAB";
const CRD: &str = "sparkapplications.sparkoperator.k8s.io";
const APPS: &str = "/apis/sparkoperator.k8s.io/v1beta2";

/// One request: the status code and the body (JSON, or `null` when empty).
async fn call(c: &Client, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let ctype = match method {
        "PATCH" => "application/merge-patch+json",
        _ => "application/json",
    };
    send(c, method, path, ctype, body).await
}

async fn send(
    c: &Client,
    method: &str,
    path: &str,
    ctype: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", ctype)
        .body(bytes)
        .unwrap();
    let res = c.send(req.map(kube::client::Body::from)).await.unwrap();
    let code = res.status().as_u16();
    let bytes = res.into_body().collect_bytes().await.unwrap();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    (code, v)
}

/// A request that must succeed with `want`.
async fn ok(c: &Client, method: &str, path: &str, body: Option<Value>, want: u16) -> Value {
    let (code, v) = call(c, method, path, body).await;
    assert_eq!(code, want, "{method} {path}: {v}");
    v
}

/// Server-side apply as `manager`.
async fn apply(c: &Client, path: &str, manager: &str, force: bool, body: Value) -> (u16, Value) {
    let q = format!(
        "{path}?fieldManager={manager}{}",
        if force { "&force=true" } else { "" }
    );
    send(c, "PATCH", &q, "application/apply-patch+yaml", Some(body)).await
}

fn cms(ns: &str) -> String {
    format!("/api/v1/namespaces/{ns}/configmaps")
}

fn rv(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The names in a list, without the `kube-root-ca.crt` ConfigMap a real cluster's
/// controller-manager puts in every namespace.
fn names(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["metadata"]["name"] != "kube-root-ca.crt")
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

/// The Status fields clients act on.
fn status_of(v: &Value) -> Value {
    json!({"kind": v["kind"], "status": v["status"], "reason": v["reason"], "code": v["code"],
           "message": v["message"], "details": v["details"]})
}

/// A watch's first `n` events (fewer if it ends or `limit` passes), each as (type, object);
/// an `ERROR` event is ("ERROR", its Status); a refused watch is ("HTTP <code>", its Status).
async fn watch(c: &Client, path: &str, n: usize, limit: Duration) -> Vec<(String, Value)> {
    let req = http::Request::builder().uri(path).body(vec![]).unwrap();
    let stream = match c.request_events::<Value>(req).await {
        Ok(s) => s,
        Err(kube::Error::Api(s)) => {
            return vec![(
                format!("HTTP {}", s.code),
                serde_json::to_value(&*s).unwrap(),
            )]
        }
        Err(e) => panic!("watch {path}: {e}"),
    };
    let events = stream
        .map(|e| {
            e.map(|e: WatchEvent<Value>| match e {
                WatchEvent::Added(o) => ("ADDED".to_string(), o),
                WatchEvent::Modified(o) => ("MODIFIED".to_string(), o),
                WatchEvent::Deleted(o) => ("DELETED".to_string(), o),
                WatchEvent::Bookmark(b) => {
                    ("BOOKMARK".to_string(), serde_json::to_value(b).unwrap())
                }
                WatchEvent::Error(s) => ("ERROR".to_string(), serde_json::to_value(&*s).unwrap()),
            })
        })
        .take(n)
        .take_until(tokio::time::sleep(limit))
        .collect::<Vec<_>>()
        .await;
    events.into_iter().map(|e| e.unwrap()).collect()
}

fn kinds(events: &[(String, Value)]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|(t, o)| {
            (
                t.clone(),
                o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn pair(t: &str, n: &str) -> (String, String) {
    (t.to_string(), n.to_string())
}

/// Polls `path` until it is gone (404), for at most 90 s: the real garbage collector runs
/// in kube-controller-manager, asynchronously.
async fn wait_gone(c: &Client, path: &str) {
    let start = Instant::now();
    loop {
        let (code, v) = call(c, "GET", path, None).await;
        if code == 404 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{path} still there after 90 s: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn spark_app(name: &str) -> Value {
    json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {"type": "Scala", "mode": "cluster", "sparkVersion": "3.5.5",
                 "mainApplicationFile": "local:///opt/spark/examples/jars/examples.jar",
                 "mainClass": "org.apache.spark.examples.SparkPi",
                 "driver": {"cores": 1}, "executor": {"instances": 1}},
    })
}

// --- The scenarios ---

/// Create, get, list, replace and delete, and the Status bodies of their errors.
async fn crud_and_errors(c: Client, ns: String) {
    let cms = cms(&ns);
    let created = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "one"}, "data": {"a": "1"}})),
        201,
    )
    .await;
    assert_eq!(created["kind"], "ConfigMap");
    assert_eq!(created["apiVersion"], "v1");
    assert_eq!(created["metadata"]["namespace"], ns.as_str());
    assert!(created["metadata"]["uid"]
        .as_str()
        .is_some_and(|u| !u.is_empty()));
    assert!(created["metadata"]["creationTimestamp"].is_string());
    assert!(!rv(&created).is_empty());
    assert_eq!(
        created["metadata"].get("generation"),
        None,
        "a ConfigMap has no generation"
    );

    let (code, exists) = call(&c, "POST", &cms, Some(json!({"metadata": {"name": "one"}}))).await;
    assert_eq!(code, 409);
    assert_eq!(
        status_of(&exists),
        json!({"kind": "Status", "status": "Failure", "reason": "AlreadyExists", "code": 409,
               "message": "configmaps \"one\" already exists",
               "details": {"name": "one", "kind": "configmaps"}})
    );

    let got = ok(&c, "GET", &format!("{cms}/one"), None, 200).await;
    assert_eq!(got, created);
    let (code, missing) = call(&c, "GET", &format!("{cms}/missing"), None).await;
    assert_eq!(code, 404);
    assert_eq!(
        status_of(&missing),
        json!({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
               "message": "configmaps \"missing\" not found",
               "details": {"name": "missing", "kind": "configmaps"}})
    );

    let list = ok(&c, "GET", &cms, None, 200).await;
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["apiVersion"], "v1");
    assert!(!rv(&list).is_empty());
    assert!(names(&list).contains(&"one".to_string()));

    let mut next = got.clone();
    next["data"]["a"] = json!("2");
    let replaced = ok(&c, "PUT", &format!("{cms}/one"), Some(next.clone()), 200).await;
    assert_eq!(replaced["data"]["a"], "2");
    assert_ne!(rv(&replaced), rv(&got));
    let (code, stale) = call(&c, "PUT", &format!("{cms}/one"), Some(next.clone())).await;
    assert_eq!(code, 409);
    assert_eq!(
        status_of(&stale),
        json!({"kind": "Status", "status": "Failure", "reason": "Conflict", "code": 409,
               "message": "Operation cannot be fulfilled on configmaps \"one\": the object has been modified; please apply your changes to the latest version and try again",
               "details": {"name": "one", "kind": "configmaps"}})
    );
    // Without a resourceVersion a replace is unconditional.
    next["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    next["data"]["a"] = json!("3");
    let unconditional = ok(&c, "PUT", &format!("{cms}/one"), Some(next), 200).await;
    assert_eq!(unconditional["data"]["a"], "3");
    let (code, _) = call(
        &c,
        "PUT",
        &format!("{cms}/nothere"),
        Some(json!({"metadata": {"name": "nothere"}})),
    )
    .await;
    assert_eq!(code, 404, "a replace does not create a ConfigMap");

    let (code, invalid) = call(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "Bad_Name"}})),
    )
    .await;
    assert_eq!(code, 422, "{invalid}");
    assert_eq!(invalid["reason"], "Invalid");
    assert_eq!(invalid["code"], 422);
    assert_eq!(invalid["details"]["name"], "Bad_Name");
    assert_eq!(invalid["details"]["kind"], "ConfigMap");
    assert_eq!(
        invalid["details"]["causes"][0]["reason"],
        "FieldValueInvalid"
    );
    assert_eq!(invalid["details"]["causes"][0]["field"], "metadata.name");
    assert!(
        invalid["message"].as_str().unwrap().starts_with(
            "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""
        ),
        "{invalid}"
    );
    let (code, _) = call(&c, "POST", &cms, Some(json!({"metadata": {}}))).await;
    assert_eq!(code, 422, "a name or generateName is required");
    let generated = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"generateName": "gen-"}})),
        201,
    )
    .await;
    let gen_name = generated["metadata"]["name"].as_str().unwrap();
    assert!(
        gen_name.starts_with("gen-") && gen_name.len() == 9,
        "{gen_name}"
    );

    // Deleting a ConfigMap answers with a Status; deleting a custom resource with the object.
    let deleted = ok(&c, "DELETE", &format!("{cms}/one"), None, 200).await;
    assert_eq!(deleted["kind"], "Status");
    assert_eq!(deleted["status"], "Success");
    assert_eq!(deleted["details"]["name"], "one");
    assert_eq!(deleted["details"]["kind"], "configmaps");
    assert_eq!(deleted["details"]["uid"], created["metadata"]["uid"]);
    let (code, _) = call(&c, "GET", &format!("{cms}/one"), None).await;
    assert_eq!(code, 404);
    let (code, _) = call(&c, "DELETE", &format!("{cms}/one"), None).await;
    assert_eq!(code, 404);

    let apps = format!("{APPS}/namespaces/{ns}/sparkapplications");
    let (code, missing) = call(&c, "GET", &format!("{apps}/missing"), None).await;
    assert_eq!(code, 404);
    assert_eq!(
        status_of(&missing),
        json!({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
               "message": "sparkapplications.sparkoperator.k8s.io \"missing\" not found",
               "details": {"name": "missing", "group": "sparkoperator.k8s.io", "kind": "sparkapplications"}})
    );
    let app = ok(&c, "POST", &apps, Some(spark_app("app")), 201).await;
    assert_eq!(app["metadata"]["generation"], 1);
    let (code, exists) = call(&c, "POST", &apps, Some(spark_app("app"))).await;
    assert_eq!(code, 409);
    assert_eq!(
        exists["message"],
        "sparkapplications.sparkoperator.k8s.io \"app\" already exists"
    );
    assert_eq!(
        exists["details"],
        json!({"name": "app", "group": "sparkoperator.k8s.io", "kind": "sparkapplications"})
    );
    let list = ok(&c, "GET", &apps, None, 200).await;
    assert_eq!(list["kind"], "SparkApplicationList");
    let deleted = ok(&c, "DELETE", &format!("{apps}/app"), None, 200).await;
    assert_eq!(deleted["kind"], "Status");
    assert_eq!(
        deleted["details"],
        json!({"name": "app", "group": "sparkoperator.k8s.io", "kind": "sparkapplications", "uid": app["metadata"]["uid"]})
    );
}

/// Merge patch and JSON patch.
async fn patches(c: Client, ns: String) {
    let cms = cms(&ns);
    let path = format!("{cms}/p");
    ok(
        &c,
        "POST",
        &cms,
        Some(
            json!({"metadata": {"name": "p", "labels": {"x": "y"}}, "data": {"a": "1", "b": "2"}}),
        ),
        201,
    )
    .await;
    let merged = ok(
        &c,
        "PATCH",
        &path,
        Some(json!({"data": {"a": null, "c": "3"}, "metadata": {"labels": {"z": "w"}}})),
        200,
    )
    .await;
    assert_eq!(merged["data"], json!({"b": "2", "c": "3"}));
    assert_eq!(merged["metadata"]["labels"], json!({"x": "y", "z": "w"}));
    let ops = json!([
        {"op": "test", "path": "/data/b", "value": "2"},
        {"op": "replace", "path": "/data/b", "value": "20"},
        {"op": "add", "path": "/data/d", "value": "4"},
        {"op": "remove", "path": "/data/c"},
    ]);
    let (code, patched) = send(&c, "PATCH", &path, "application/json-patch+json", Some(ops)).await;
    assert_eq!(code, 200, "{patched}");
    assert_eq!(patched["data"], json!({"b": "20", "d": "4"}));
    let failing = json!([{"op": "test", "path": "/data/b", "value": "2"}, {"op": "remove", "path": "/data/b"}]);
    let (code, refused) = send(
        &c,
        "PATCH",
        &path,
        "application/json-patch+json",
        Some(failing),
    )
    .await;
    assert_eq!(code, 422, "{refused}");
    assert_eq!(refused["reason"], "Invalid");
    let now = ok(&c, "GET", &path, None, 200).await;
    assert_eq!(
        now["data"],
        json!({"b": "20", "d": "4"}),
        "a failed test applies nothing"
    );
    let (code, missing) = call(
        &c,
        "PATCH",
        &format!("{cms}/missing"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(missing["reason"], "NotFound");
}

/// The fields `manager`'s managedFields entry owns, as `a.b` paths.
fn owned(obj: &Value, manager: &str) -> Vec<String> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        let Some(m) = v.as_object() else { return };
        for (k, child) in m {
            let Some(name) = k.strip_prefix("f:") else {
                continue;
            };
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            let leaf = child.as_object().is_none_or(|c| c.keys().all(|k| k == "."));
            if leaf {
                out.push(path);
            } else {
                walk(&path, child, out);
            }
        }
    }
    let mut out = Vec::new();
    for e in obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if e["manager"] == manager {
            assert_eq!(e["fieldsType"], "FieldsV1");
            walk("", &e["fieldsV1"], &mut out);
        }
    }
    out.sort();
    out
}

fn operation(obj: &Value, manager: &str) -> Option<String> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
        .and_then(|e| e["operation"].as_str().map(str::to_string))
}

/// Server-side apply: field ownership, conflicts between managers, force.
async fn server_side_apply(c: Client, ns: String) {
    let path = format!("{}/ssa", cms(&ns));
    let cm = |data: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": data});
    let (code, v) = apply(&c, &path, "agree-a", false, cm(json!({"a": "1", "b": "2"}))).await;
    assert_eq!(code, 201, "an apply creates: {v}");
    assert_eq!(v["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(operation(&v, "agree-a").as_deref(), Some("Apply"));
    assert_eq!(owned(&v, "agree-a"), ["data.a", "data.b"]);
    let entry = &v["metadata"]["managedFields"][0];
    assert_eq!(entry["apiVersion"], "v1");
    assert!(entry["time"].is_string());

    // The same value is no conflict: the field is then shared.
    let (code, v) = apply(&c, &path, "agree-b", false, cm(json!({"a": "1"}))).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(owned(&v, "agree-b"), ["data.a"]);
    assert_eq!(owned(&v, "agree-a"), ["data.a", "data.b"]);

    let (code, conflict) = apply(&c, &path, "agree-c", false, cm(json!({"b": "other"}))).await;
    assert_eq!(code, 409, "{conflict}");
    assert_eq!(
        status_of(&conflict),
        json!({"kind": "Status", "status": "Failure", "reason": "Conflict", "code": 409,
               "message": "Apply failed with 1 conflict: conflict with \"agree-a\": .data.b",
               "details": {"causes": [{"reason": "FieldManagerConflict",
                                       "message": "conflict with \"agree-a\"", "field": ".data.b"}]}})
    );
    let now = ok(&c, "GET", &path, None, 200).await;
    assert_eq!(now["data"]["b"], "2", "a refused apply changes nothing");

    let (code, v) = apply(&c, &path, "agree-c", true, cm(json!({"b": "forced"}))).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["data"]["b"], "forced");
    assert_eq!(owned(&v, "agree-c"), ["data.b"]);
    assert_eq!(
        owned(&v, "agree-a"),
        ["data.a"],
        "force takes the field away"
    );

    // A field its only owner stops applying is removed; a shared one stays.
    let (code, v) = apply(&c, &path, "agree-c", false, cm(json!({"c": "3"}))).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["data"], json!({"a": "1", "c": "3"}));
    let (code, v) = apply(&c, &path, "agree-a", false, cm(json!({}))).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(
        v["data"],
        json!({"a": "1", "c": "3"}),
        "agree-b still owns a"
    );
    assert_eq!(
        owned(&v, "agree-a"),
        ["data"],
        "an empty map applied is owned as a whole"
    );

    // An update takes the fields it changes away from their appliers.
    let v = ok(
        &c,
        "PATCH",
        &format!("{path}?fieldManager=agree-edit"),
        Some(json!({"data": {"c": "30"}})),
        200,
    )
    .await;
    assert_eq!(operation(&v, "agree-edit").as_deref(), Some("Update"));
    assert_eq!(owned(&v, "agree-edit"), ["data.c"]);
    assert_eq!(owned(&v, "agree-c"), Vec::<String>::new());
    assert_eq!(v["data"], json!({"a": "1", "c": "30"}));
}

/// The status subresource, and generation, on a custom resource and a pod.
async fn status_subresource(c: Client, ns: String) {
    let apps = format!("{APPS}/namespaces/{ns}/sparkapplications");
    let mut body = spark_app("s");
    body["status"] = json!({"applicationState": {"state": "RUNNING"}});
    let app = ok(&c, "POST", &apps, Some(body), 201).await;
    assert_eq!(app["metadata"]["generation"], 1);
    assert_ne!(
        app["status"]["applicationState"]["state"], "RUNNING",
        "create drops the status: {app}"
    );

    let mut main = app.clone();
    main["spec"]["sparkVersion"] = json!("4.0.0");
    main["status"] = json!({"applicationState": {"state": "COMPLETED"}});
    let v = ok(&c, "PUT", &format!("{apps}/s"), Some(main), 200).await;
    assert_eq!(v["spec"]["sparkVersion"], "4.0.0");
    assert_eq!(
        v["status"], app["status"],
        "a main-resource update ignores the status"
    );
    assert_eq!(v["metadata"]["generation"], 2);

    let mut st = v.clone();
    st["spec"]["sparkVersion"] = json!("4.1.0");
    st["status"] = json!({"applicationState": {"state": "SUBMITTED"}});
    let s = ok(&c, "PUT", &format!("{apps}/s/status"), Some(st), 200).await;
    assert_eq!(
        s["spec"]["sparkVersion"], "4.0.0",
        "a status update ignores the spec"
    );
    assert_eq!(s["status"]["applicationState"]["state"], "SUBMITTED");
    assert_eq!(
        s["metadata"]["generation"], 2,
        "status changes do not bump the generation"
    );

    let s = ok(
        &c,
        "PATCH",
        &format!("{apps}/s/status"),
        Some(json!({"status": {"applicationState": {"state": "RUNNING"}}, "metadata": {"labels": {"l": "1"}}})),
        200,
    )
    .await;
    assert_eq!(s["status"]["applicationState"]["state"], "RUNNING");
    assert_eq!(s["metadata"]["generation"], 2);
    let l = ok(
        &c,
        "PATCH",
        &format!("{apps}/s"),
        Some(json!({"metadata": {"labels": {"l": "2"}}})),
        200,
    )
    .await;
    assert_eq!(l["metadata"]["labels"]["l"], "2");
    assert_eq!(
        l["metadata"]["generation"], 2,
        "metadata changes do not bump the generation"
    );
    let (code, _) = call(&c, "GET", &format!("{apps}/missing/status"), None).await;
    assert_eq!(code, 404);

    // A pod no scheduler and no kubelet will touch.
    let pods = format!("/api/v1/namespaces/{ns}/pods");
    let pod = json!({"metadata": {"name": "idle"}, "spec": {
        "schedulerName": "agree-no-such-scheduler",
        "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "c", "image": "registry.invalid/none:1",
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}});
    let p = ok(&c, "POST", &pods, Some(pod), 201).await;
    assert_eq!(p["status"]["phase"], "Pending");
    let p2 = ok(
        &c,
        "PATCH",
        &format!("{pods}/idle"),
        Some(json!({"status": {"phase": "Running"}, "metadata": {"labels": {"a": "b"}}})),
        200,
    )
    .await;
    assert_eq!(
        p2["status"]["phase"], "Pending",
        "the main resource ignores the status"
    );
    assert_eq!(p2["metadata"]["labels"]["a"], "b");
    let p3 = ok(
        &c,
        "PATCH",
        &format!("{pods}/idle/status"),
        Some(json!({"status": {"phase": "Running"}})),
        200,
    )
    .await;
    assert_eq!(p3["status"]["phase"], "Running");
    assert_eq!(p3["metadata"]["generation"], p["metadata"]["generation"]);
    let deleted = ok(&c, "DELETE", &format!("{pods}/idle"), None, 200).await;
    assert_eq!(
        deleted["kind"], "Pod",
        "a pod's deletion answers with the pod"
    );
}

/// Label and field selectors on lists and watches.
async fn selectors(c: Client, ns: String) {
    let cms = cms(&ns);
    for (name, labels) in [
        ("s1", json!({"app": "a", "tier": "x"})),
        ("s2", json!({"app": "b"})),
        ("s3", json!({})),
    ] {
        ok(
            &c,
            "POST",
            &cms,
            Some(json!({"metadata": {"name": name, "labels": labels}})),
            201,
        )
        .await;
    }
    let list = |q: &str| format!("{cms}?{q}");
    let cases = [
        ("labelSelector=app%3Da", vec!["s1"]),
        ("labelSelector=app%20in%20(a%2Cb)", vec!["s1", "s2"]),
        ("labelSelector=!app", vec!["s3"]),
        ("labelSelector=app!%3Da", vec!["s2", "s3"]),
        ("labelSelector=app%2Ctier%3Dx", vec!["s1"]),
        ("fieldSelector=metadata.name%3Ds2", vec!["s2"]),
        (
            "fieldSelector=metadata.name!%3Ds2&labelSelector=app",
            vec!["s1"],
        ),
        ("fieldSelector=metadata.namespace%3D", vec![]),
    ];
    for (q, want) in cases {
        let got = ok(&c, "GET", &list(q), None, 200).await;
        assert_eq!(names(&got), want, "{q}");
    }
    let (code, bad) = call(&c, "GET", &list("fieldSelector=data.x%3D1"), None).await;
    assert_eq!(code, 400, "{bad}");
    assert_eq!(bad["reason"], "BadRequest");
    assert_eq!(
        bad["message"],
        "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
    );

    // A watch sees objects enter and leave its selection as ADDED and DELETED.
    let from = rv(&ok(&c, "GET", &cms, None, 200).await);
    let c2 = c.clone();
    let cms2 = cms.clone();
    let writes = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ok(
            &c2,
            "PATCH",
            &format!("{cms2}/s2"),
            Some(json!({"metadata": {"labels": {"app": "a"}}})),
            200,
        )
        .await;
        let left = ok(
            &c2,
            "PATCH",
            &format!("{cms2}/s1"),
            Some(json!({"metadata": {"labels": {"app": "c"}}})),
            200,
        )
        .await;
        ok(
            &c2,
            "PATCH",
            &format!("{cms2}/s2"),
            Some(json!({"data": {"k": "v"}})),
            200,
        )
        .await;
        ok(
            &c2,
            "PATCH",
            &format!("{cms2}/s3"),
            Some(json!({"data": {"k": "v"}})),
            200,
        )
        .await;
        left
    };
    let path = format!("{cms}?watch=true&labelSelector=app%3Da&resourceVersion={from}");
    let (events, left) = tokio::join!(watch(&c, &path, 4, Duration::from_secs(5)), writes);
    assert_eq!(
        kinds(&events),
        [
            pair("ADDED", "s2"),
            pair("DELETED", "s1"),
            pair("MODIFIED", "s2")
        ]
    );
    // DELETED carries the object as it was when it last matched, at the version of the change.
    assert_eq!(events[1].1["metadata"]["labels"]["app"], "a");
    assert_eq!(rv(&events[1].1), rv(&left));
}

/// Watches: starting points, event order, bookmarks, and an expired resourceVersion.
async fn watch_semantics(c: Client, ns: String) {
    let cms = cms(&ns);
    ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "before", "labels": {"w": "1"}}})),
        201,
    )
    .await;
    let from = rv(&ok(&c, "GET", &cms, None, 200).await);
    let created = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "w", "labels": {"w": "1"}}})),
        201,
    )
    .await;
    let modified = ok(
        &c,
        "PATCH",
        &format!("{cms}/w"),
        Some(json!({"data": {"k": "v"}})),
        200,
    )
    .await;
    ok(&c, "DELETE", &format!("{cms}/w"), None, 200).await;

    let short = Duration::from_secs(3);
    let events = watch(
        &c,
        &format!("{cms}?watch=true&resourceVersion={from}"),
        4,
        short,
    )
    .await;
    assert_eq!(
        kinds(&events),
        [
            pair("ADDED", "w"),
            pair("MODIFIED", "w"),
            pair("DELETED", "w")
        ]
    );
    assert_eq!(rv(&events[0].1), rv(&created));
    assert_eq!(rv(&events[1].1), rv(&modified));
    let deleted_rv: u64 = rv(&events[2].1).parse().unwrap();
    assert!(
        deleted_rv > rv(&modified).parse::<u64>().unwrap(),
        "a deletion has a version of its own"
    );

    // No resourceVersion (or "0"): the current objects, as ADDED, then changes.
    for start in ["", "&resourceVersion=0"] {
        let events = watch(
            &c,
            &format!("{cms}?watch=true&labelSelector=w{start}"),
            2,
            short,
        )
        .await;
        assert_eq!(kinds(&events), [pair("ADDED", "before")], "{start}");
    }

    // Streaming lists: the current objects, then a bookmark marking the end of them.
    let path = format!(
        "{cms}?watch=true&labelSelector=w&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    );
    let events = watch(&c, &path, 2, Duration::from_secs(10)).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        pair(
            &events[0].0,
            events[0].1["metadata"]["name"].as_str().unwrap()
        ),
        pair("ADDED", "before")
    );
    assert_eq!(events[1].0, "BOOKMARK");
    assert_eq!(
        events[1].1["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert!(rv(&events[1].1).parse::<u64>().unwrap() >= deleted_rv);

    // A resourceVersion older than the server keeps history for.
    let events = watch(&c, &format!("{cms}?watch=true&resourceVersion=1"), 2, short).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "ERROR");
    assert_eq!(events[0].1["code"], 410);
    assert_eq!(events[0].1["reason"], "Expired");
}

/// Owner references: background, foreground and orphan deletion.
async fn garbage_collection(c: Client, ns: String) {
    let cms = cms(&ns);
    let owned_by = |owner: &Value, name: &str| {
        json!({"metadata": {"name": name, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "blockOwnerDeletion": true}]}})
    };
    // Background (the default).
    let owner = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "bg"}})),
        201,
    )
    .await;
    ok(&c, "POST", &cms, Some(owned_by(&owner, "bg-1")), 201).await;
    ok(&c, "POST", &cms, Some(owned_by(&owner, "bg-2")), 201).await;
    let gone = ok(&c, "DELETE", &format!("{cms}/bg"), None, 200).await;
    assert_eq!(gone["kind"], "Status");
    wait_gone(&c, &format!("{cms}/bg-1")).await;
    wait_gone(&c, &format!("{cms}/bg-2")).await;

    // Foreground: the owner waits, marked, until its dependents are gone.
    let owner = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "fg"}})),
        201,
    )
    .await;
    ok(&c, "POST", &cms, Some(owned_by(&owner, "fg-1")), 201).await;
    let (code, marked) = call(
        &c,
        "DELETE",
        &format!("{cms}/fg"),
        Some(json!({"propagationPolicy": "Foreground"})),
    )
    .await;
    assert_eq!(code, 200, "{marked}");
    assert_eq!(marked["kind"], "ConfigMap");
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(
        marked["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    wait_gone(&c, &format!("{cms}/fg-1")).await;
    wait_gone(&c, &format!("{cms}/fg")).await;

    // Orphan: the owner goes, its dependents stay without the reference.
    let owner = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "or"}})),
        201,
    )
    .await;
    ok(&c, "POST", &cms, Some(owned_by(&owner, "or-1")), 201).await;
    let (code, marked) = call(
        &c,
        "DELETE",
        &format!("{cms}/or"),
        Some(json!({"propagationPolicy": "Orphan"})),
    )
    .await;
    assert_eq!(code, 200, "{marked}");
    assert_eq!(marked["kind"], "ConfigMap");
    assert_eq!(marked["metadata"]["finalizers"], json!(["orphan"]));
    wait_gone(&c, &format!("{cms}/or")).await;
    let kept = ok(&c, "GET", &format!("{cms}/or-1"), None, 200).await;
    assert_eq!(kept["metadata"].get("ownerReferences"), None, "{kept}");
}

/// Finalizers hold a deletion until they are removed.
async fn finalizers(c: Client, ns: String) {
    let cms = cms(&ns);
    let path = format!("{cms}/held");
    let created = ok(
        &c,
        "POST",
        &cms,
        Some(json!({"metadata": {"name": "held", "finalizers": ["agree.sparkplane.io/hold"]}})),
        201,
    )
    .await;
    let marked = ok(&c, "DELETE", &path, None, 200).await;
    assert_eq!(marked["kind"], "ConfigMap");
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_ne!(rv(&marked), rv(&created));
    let still = ok(&c, "GET", &path, None, 200).await;
    assert_eq!(still, marked);
    let again = ok(&c, "DELETE", &path, None, 200).await;
    assert_eq!(again, marked, "deleting again changes nothing");
    let from = rv(&marked);
    let c2 = c.clone();
    let p2 = path.clone();
    let release = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ok(
            &c2,
            "PATCH",
            &p2,
            Some(json!({"metadata": {"finalizers": null}})),
            200,
        )
        .await
    };
    let watch_path = format!("{cms}?watch=true&resourceVersion={from}");
    let (events, released) =
        tokio::join!(watch(&c, &watch_path, 2, Duration::from_secs(5)), release);
    assert_eq!(released["metadata"].get("finalizers"), None);
    assert_eq!(kinds(&events), [pair("DELETED", "held")], "{events:?}");
    let (code, _) = call(&c, "GET", &path, None).await;
    assert_eq!(code, 404);
}

// --- Running them ---

async fn with_namespace<F, Fut>(c: Client, scenario: &str, f: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let suffix = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
            % 0xffffff
    );
    let ns = format!("agree-{scenario}-{suffix}");
    ok(
        &c,
        "POST",
        "/api/v1/namespaces",
        Some(json!({"metadata": {"name": ns}})),
        201,
    )
    .await;
    let outcome = AssertUnwindSafe(f(c.clone(), ns.clone()))
        .catch_unwind()
        .await;
    let (code, v) = call(&c, "DELETE", &format!("/api/v1/namespaces/{ns}"), None).await;
    assert!(code == 200 || code == 202, "deleting {ns}: {v}");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn double_client(double: &KubeDouble) -> Client {
    let config = Config::new(double.url().parse().unwrap());
    Client::try_from(config).unwrap()
}

async fn real_client() -> Client {
    let path = std::env::var(LAB).unwrap_or_else(|_| {
        panic!("{LAB} is not set: set it to the kubeconfig of a real API server (scripts/kube-lab.sh) to run the real-server half of the agreement suite")
    });
    let kubeconfig =
        kube::config::Kubeconfig::read_from(&path).unwrap_or_else(|e| panic!("{LAB}={path}: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let c = Client::try_from(config).unwrap();
    ensure_crd(&c).await;
    c
}

/// Installs the repo's SparkApplication CRD on the real server when it is missing.
async fn ensure_crd(c: &Client) {
    let path = format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD}");
    if call(c, "GET", &path, None).await.0 == 200 {
        return;
    }
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/crds/sparkoperator.k8s.io_sparkapplications.yaml"
    );
    let crd: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    ok(
        c,
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        Some(crd),
        201,
    )
    .await;
    let start = Instant::now();
    while call(c, "GET", &format!("{APPS}/sparkapplications"), None)
        .await
        .0
        != 200
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{CRD} not served after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

macro_rules! agreement {
    ($($scenario:ident),* $(,)?) => {
        mod double {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let double = sparkplane_kube_double::KubeDouble::start().unwrap();
                    let c = super::double_client(&double).await;
                    super::with_namespace(c, &stringify!($scenario).replace('_', "-"), super::$scenario).await;
                }
            )*
        }
        mod real {
            $(
                #[tokio::test]
                #[ignore = "needs a real API server: SPARKPLANE_KUBE_LAB=<kubeconfig path>"]
                async fn $scenario() {
                    let c = super::real_client().await;
                    super::with_namespace(c, &stringify!($scenario).replace('_', "-"), super::$scenario).await;
                }
            )*
        }
    };
}

agreement!(
    crud_and_errors,
    patches,
    server_side_apply,
    status_subresource,
    selectors,
    watch_semantics,
    garbage_collection,
    finalizers,
);
