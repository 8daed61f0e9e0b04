//! A Kubernetes API double for tests.
//!
//! The fast tests exercise Kubernetes code through real clients (kube-rs, and Spark's own
//! fabric8 client inside `spark-submit`) over real HTTP against this server, in milliseconds
//! and without a cluster. It behaves like the API server where sparkplane and Spark depend on
//! it: create/get/list/replace/patch (merge, JSON, server-side apply with field ownership)/
//! delete and the `Status` bodies of their errors, label and field selectors, watches with
//! resource versions, optimistic concurrency, status subresources and generations,
//! finalizers and owner-reference garbage collection (background, foreground, orphan). It
//! also records every request, which is how the conformance suite captures what
//! `spark-submit` creates.
//!
//! Those semantics are checked against a real API server (Kubernetes v1.36, the one-node
//! cluster of `scripts/kube-lab.sh`) by the agreement suite, `tests/agreement.rs`: every
//! scenario runs against the double and, with `SPARKPLANE_KUBE_LAB=<kubeconfig>`, against
//! the real server; the divergences it found are listed in docs/operator.md ("The API double
//! and the real API server").
//!
//! Where it differs on purpose: it does not validate objects against schemas (tests run
//! `kubernetes-validate` for that) beyond object names, applies no defaults, runs no
//! admission, controllers or kubelets, and does the garbage collector's work at once, inside
//! the deletion, where the real one is asynchronous. Field ownership treats lists as atomic
//! (the API server tracks list items by key) and does not track status writes. Tests play
//! the kubelet where a client needs one: they set pod statuses, the text of pod logs, and
//! what listens on a pod's ports for port-forward (the WebSocket `v4.channel.k8s.io`
//! protocol of `kubectl port-forward` and kube-rs).

mod portforward;
mod route;
mod selector;
mod server;
mod store;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

pub use route::Route;
pub use selector::Selector;
pub use server::{Fault, RecordedRequest};
pub use store::{merge_patch, ApiError, EventType, PatchKind, Propagation, Store, FIRST_REVISION};

use server::Shared;

/// A running double, listening on 127.0.0.1. It stops when dropped.
pub struct KubeDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KubeDouble {
    /// Starts a double on a free loopback port, on its own thread and runtime (so that
    /// synchronous tests and other runtimes can use it alike).
    pub fn start() -> std::io::Result<KubeDouble> {
        Self::start_with(None, 0)
    }

    /// Starts a double on `port` (0 = any) that also appends each request as a JSON line to
    /// `record_to`.
    pub fn start_with(record_to: Option<&Path>, port: u16) -> std::io::Result<KubeDouble> {
        let file = match record_to {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
            None => None,
        };
        let shared = Shared::new(file);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app_shared = shared.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("kube-double".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let forward_shared = app_shared.clone();
                    let app = axum::Router::new()
                        .route(
                            "/api/v1/namespaces/{ns}/pods/{name}/portforward",
                            axum::routing::any(move |method, uri, headers, upgrade| {
                                portforward::handle(
                                    forward_shared.clone(),
                                    method,
                                    uri,
                                    headers,
                                    upgrade,
                                )
                            }),
                        )
                        .fallback(move |method, uri, headers, body| {
                            server::handle(app_shared.clone(), method, uri, headers, body)
                        });
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
                // Watches never end on their own; don't wait for them.
                runtime.shutdown_background();
            })?;
        Ok(KubeDouble {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// A stored object, as `GET` would return it.
    pub fn object(&self, path: &str) -> Option<Value> {
        let route = Route::parse(path)?;
        let name = route.name.clone()?;
        self.shared.store().get(&route, &name).ok()
    }

    /// The stored objects of a collection path (`/api/v1/namespaces/ns/pods`).
    pub fn objects(&self, path: &str) -> Vec<Value> {
        match Route::parse(path) {
            Some(route) => {
                self.shared
                    .store()
                    .list(&route, &Selector::default(), &Selector::default())
            }
            None => vec![],
        }
    }

    /// Makes matching requests fail or wait (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// Plays the kubelet: what `GET <pod path>/log` returns for a pod.
    pub fn set_log(&self, pod_path: &str, text: &str) {
        self.shared.set_log(pod_path, text);
    }

    /// Plays the kubelet: connections port-forwarded to `port` of the pod at `pod_path`
    /// (`/api/v1/namespaces/ns/pods/name`) go to `target`, a server the test runs on loopback.
    /// Without a target, forwarding to the port fails as it does when nothing listens on it.
    pub fn set_port_target(&self, pod_path: &str, port: u16, target: SocketAddr) {
        self.shared.port_targets.set(pod_path, port, target);
    }

    /// Drops every fault not yet spent.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Plays the kubelet: merges `status` into an object's status (watchers see it).
    pub fn set_status(&self, path: &str, status: Value) -> Result<(), ApiError> {
        let route = Route::parse(&format!("{path}/status")).ok_or_else(|| ApiError {
            details: None,
            code: 400,
            reason: "BadRequest",
            message: format!("not an object path: {path}"),
        })?;
        let name = route.name.clone().unwrap_or_default();
        let (_, events) = self.shared.store().patch(
            &route,
            &name,
            PatchKind::Merge,
            &json!({ "status": status }),
        )?;
        self.shared.publish(events);
        Ok(())
    }
}

impl Drop for KubeDouble {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
