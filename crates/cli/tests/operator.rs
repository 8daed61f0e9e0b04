//! `sparkplane operator` as a process against the Kubernetes API double, and the
//! cluster-side `sparkplane app ... --kube` commands against what it runs; `app ui --kube`
//! through the double's port-forward to a stand-in for the Spark UI.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sparkplane_kube_double::KubeDouble;

const NS: &str = "jobs";

fn sparkplane(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args(args)
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .unwrap()
}

/// Runs `sparkplane` as [`sparkplane`] does, but fails the test rather than hang when the
/// command does not exit (a command that should refuse to start but serves instead).
fn sparkplane_exits(args: &[&str]) -> Output {
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sparkplane"))
            .args(args)
            .env("KUBECONFIG", "/nonexistent")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let status = wait_exit(&mut child.0, &format!("sparkplane {}", args.join(" ")));
    // The outputs are a few lines: they fit in the pipes, so the exit did not wait for them.
    Output {
        status,
        stdout: read_all(child.0.stdout.take()),
        stderr: read_all(child.0.stderr.take()),
    }
}

fn read_all(pipe: Option<impl std::io::Read>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut out).unwrap();
    }
    out
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    // A server that never answers fails the test instead of hanging it.
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process, killed when the test ends however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn create_app(double: &KubeDouble, name: &str) {
    create_app_with(double, name, json!({}));
}

/// Creates `obj`, an object of resource `ar`, in the double through kube-rs's client.
fn create_object(double: &KubeDouble, ar: &kube::api::ApiResource, obj: Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use kube::api::{Api, DynamicObject, PostParams};
        let client = sparkplane_operator::client::client(Some(&double.url()), None)
            .await
            .unwrap();
        let api: Api<DynamicObject> = Api::namespaced_with(client, NS, ar);
        let obj: DynamicObject = serde_json::from_value(obj).unwrap();
        api.create(&PostParams::default(), &obj).await.unwrap();
    });
}

/// Creates a SparkApplication `name` with `spark_conf` as its `spec.sparkConf`.
fn create_app_with(double: &KubeDouble, name: &str, spark_conf: Value) {
    create_object(
        double,
        &sparkplane_operator::controller::app_resource(),
        json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2",
            "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": NS},
            "spec": {
                "type": "Python", "sparkVersion": "3.5.1", "image": "spark:3.5.1",
                "mainApplicationFile": "local:///opt/spark/examples/src/main/python/pi.py",
                "driver": {}, "executor": {"instances": 1}, "sparkConf": spark_conf
            }
        }),
    );
}

#[test]
fn the_operator_process_and_the_cluster_app_commands() {
    let double = KubeDouble::start().unwrap();
    let url = double.url();
    let port = free_port();
    let op = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sparkplane"))
            .args(["operator", "--kube-api", &url, "--namespace", NS])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .env("KUBECONFIG", "/nonexistent")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait("the health endpoint", || {
        http_get(port, "/healthz").filter(|r| r.starts_with("HTTP/1.1 200"))
    });
    create_app(&double, "pi");
    let kube = ["--kube", "--kube-api", url.as_str(), "-n", NS];
    let list = wait("pi to be submitted", || {
        let o = sparkplane(&[&["app", "list"][..], &kube[..]].concat());
        let (out, _) = text(&o);
        out.contains("SUBMITTED").then_some(out)
    });
    assert!(list.lines().any(|l| l.starts_with("pi ")), "{list}");

    let pod = "/api/v1/namespaces/jobs/pods/pi-driver";
    // SUBMITTED is recorded before the driver is created; wait for the pod itself.
    wait("the driver pod", || double.object(pod).map(|_| ()));
    double.set_log(pod, "Pi is roughly 3.14\n");
    double.set_status(pod, json!({"phase": "Running"})).unwrap();
    let status = wait("pi to run", || {
        let (out, _) = text(&sparkplane(
            &[&["app", "status", "pi"][..], &kube[..]].concat(),
        ));
        out.contains("RUNNING").then_some(out)
    });
    assert!(status.contains("driver pod:    pi-driver"), "{status}");
    assert!(status.contains("condition:     Submitted=True"), "{status}");
    let json_status = sparkplane(&[&["app", "status", "pi", "-o", "json"][..], &kube[..]].concat());
    let v: Value = serde_json::from_slice(&json_status.stdout).unwrap();
    assert_eq!(v["applicationState"]["state"], "RUNNING");

    let (logs, err) = text(&sparkplane(
        &[&["app", "logs", "pi"][..], &kube[..]].concat(),
    ));
    assert_eq!(logs, "Pi is roughly 3.14\n", "{err}");

    let (events, _) = text(&sparkplane(
        &[&["app", "events", "pi"][..], &kube[..]].concat(),
    ));
    assert!(events.contains("SparkApplicationSubmitted"), "{events}");
    assert!(events.contains("SparkDriverRunning"), "{events}");

    let metrics = http_get(port, "/metrics").unwrap();
    assert!(
        metrics.contains("sparkplane_application_transitions_total"),
        "{metrics}"
    );
    assert!(http_get(port, "/readyz")
        .unwrap()
        .starts_with("HTTP/1.1 200"));

    let o = sparkplane(&[&["app", "delete", "pi"][..], &kube[..]].concat());
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(double
        .object("/apis/sparkoperator.k8s.io/v1beta2/namespaces/jobs/sparkapplications/pi")
        .is_none());
    // The driver pod was owned by the application: deleting it collected the pod.
    wait("the driver pod to be collected", || {
        double.object(pod).is_none().then_some(())
    });

    let o = sparkplane(&[&["app", "status", "pi"][..], &kube[..]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("sparkapplication jobs/pi: not found"));
    // Without --kube, the parser refuses the command (see cli.rs for every such command).
    let o = sparkplane(&["app", "events", "pi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o)
            .1
            .contains("required arguments were not provided:\n  --kube"),
        "{:?}",
        text(&o)
    );

    // SIGTERM stops the operator gracefully.
    let mut op = op;
    signal(op.0.id(), "TERM");
    let status = wait_exit(&mut op.0, "the operator");
    assert!(status.success(), "{status:?}");
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status();
}

fn wait_exit(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what} did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for `file` to contain `text`; returns the whole file, or fails showing it.
fn wait_for_text(file: &std::path::Path, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let content = std::fs::read_to_string(file).unwrap_or_default();
        if content.contains(text) {
            return content;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {text:?} in:\n{content}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const MARKER: &str = "<title>Spark UI test marker</title>";

/// Stands in for the Spark UI in the driver pod: answers each connection with a page carrying
/// MARKER. Returns its address and how many connections it has accepted.
fn spark_ui() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                // The request ends with an empty line; the page is the same for every path.
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let page = format!("<html><head>{MARKER}</head><body>Jobs</body></html>");
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{page}",
                    page.len()
                );
            });
        }
    });
    (addr, accepted)
}

fn create_pod(double: &KubeDouble, name: &str) {
    create_object(
        double,
        &kube::api::ApiResource::erase::<k8s_openapi::api::core::v1::Pod>(&()),
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "spark:3.5.1"}]}
        }),
    );
}

/// An application `name` (with `spark_conf`) whose driver pod `<name>-driver` is in `phase`,
/// as the operator and the kubelet would leave them. Returns the pod's path.
fn app_with_driver(double: &KubeDouble, name: &str, phase: &str, spark_conf: Value) -> String {
    let driver = format!("{name}-driver");
    create_app_with(double, name, spark_conf);
    create_pod(double, &driver);
    let pod = format!("/api/v1/namespaces/{NS}/pods/{driver}");
    double.set_status(&pod, json!({"phase": phase})).unwrap();
    double
        .set_status(
            &format!("/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NS}/sparkapplications/{name}"),
            json!({
                "applicationState": {"state": "RUNNING"},
                "driverInfo": {"podName": driver, "webUIPort": 4040}
            }),
        )
        .unwrap();
    pod
}

/// Starts `sparkplane app ui APP --kube` on a free local port and waits until it listens.
/// Returns the process, its port and the file its stderr goes to.
fn start_ui(double: &KubeDouble, app: &str) -> (KillOnDrop, u16, tempfile::NamedTempFile) {
    let port = free_port();
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let ui = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sparkplane"))
            .args([
                "app",
                "ui",
                app,
                "--kube",
                "--kube-api",
                &double.url(),
                "-n",
                NS,
            ])
            .args(["--port", &port.to_string()])
            .env("KUBECONFIG", "/nonexistent")
            .stdout(Stdio::null())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    // The line comes after the bind; a probe connection would itself be forwarded.
    wait_for_text(
        stderr.path(),
        &format!("on http://127.0.0.1:{port} (driver pod {app}-driver, port "),
    );
    (ui, port, stderr)
}

#[test]
fn app_ui_forwards_each_connection_to_the_driver_ui() {
    let double = KubeDouble::start().unwrap();
    let pod = app_with_driver(&double, "web", "Running", json!({}));
    let (mut ui, port, stderr) = start_ui(&double, "web");
    let said = || std::fs::read_to_string(stderr.path()).unwrap();
    assert!(
        said().contains("(driver pod web-driver, port 4040)"),
        "{}",
        said()
    );

    // Nothing listens in the pod yet: that connection fails, and only it.
    let refused = http_get(port, "/").unwrap_or_default();
    assert!(!refused.contains(MARKER), "{refused}");
    let err = wait_for_text(
        stderr.path(),
        "warning: forwarding a connection to port 4040 of driver pod web-driver",
    );
    assert!(err.contains("connection refused"), "{err}");

    let (target, served) = spark_ui();
    double.set_port_target(&pod, 4040, target);
    // A connection left waiting does not hold up the next one.
    let mut waiting = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    for _ in 0..2 {
        let page = http_get(port, "/jobs/").unwrap_or_default();
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}\n{}", said());
        assert!(page.contains(MARKER), "{page}");
    }
    {
        use std::io::{Read, Write};
        write!(
            waiting,
            "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut page = String::new();
        waiting.read_to_string(&mut page).unwrap();
        assert!(page.contains(MARKER), "{page}");
    }
    // Each local connection had a port-forward, and a connection in the pod, of its own.
    assert_eq!(served.load(Ordering::SeqCst), 3);
    let forwards = double
        .requests()
        .iter()
        .filter(|r| r.path == format!("{pod}/portforward"))
        .count();
    assert_eq!(
        forwards, 4,
        "one per local connection, the refused one included"
    );

    // Ctrl-C stops it cleanly.
    signal(ui.0.id(), "INT");
    let status = wait_exit(&mut ui.0, "app ui");
    assert!(status.success(), "{status:?}: {}", said());
}

#[test]
fn app_ui_forwards_to_the_ui_port_the_application_sets() {
    let double = KubeDouble::start().unwrap();
    let pod = app_with_driver(
        &double,
        "custom",
        "Running",
        json!({"spark.ui.port": "8090"}),
    );
    let (target, _) = spark_ui();
    double.set_port_target(&pod, 8090, target);
    let (_ui, port, stderr) = start_ui(&double, "custom");
    let page = http_get(port, "/").unwrap_or_default();
    let said = std::fs::read_to_string(stderr.path()).unwrap();
    assert!(page.contains(MARKER), "{page}\n{said}");
    assert!(
        said.contains("(driver pod custom-driver, port 8090)"),
        "{said}"
    );
}

#[test]
fn app_ui_without_a_running_driver_says_so() {
    let double = KubeDouble::start().unwrap();
    let url = double.url();
    create_app(&double, "early");
    app_with_driver(&double, "pending", "Pending", json!({}));
    let cases = [
        (
            "early",
            "error: sparkapplication jobs/early has no driver pod yet\n",
        ),
        (
            "pending",
            "error: sparkapplication jobs/pending: driver pod pending-driver is not running \
             (phase Pending)\n",
        ),
        ("absent", "error: sparkapplication jobs/absent: not found\n"),
    ];
    for (app, want) in cases {
        let port = free_port().to_string();
        let o = sparkplane_exits(&[
            "app",
            "ui",
            app,
            "--kube",
            "--kube-api",
            &url,
            "-n",
            NS,
            "--port",
            &port,
        ]);
        assert_eq!(o.status.code(), Some(1), "{app}: {:?}", text(&o));
        assert_eq!(text(&o).1, want, "{app}");
    }
}

/// A standby (waiting for the lease) is ready, so a Deployment's rolling update, which waits
/// for the new pod before it stops the old one (the leader), can finish.
#[test]
fn a_standby_replica_is_ready() {
    let double = KubeDouble::start().unwrap();
    let url = double.url();
    let start = |port: u16, name: &str| {
        KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_sparkplane"))
                .args(["operator", "--kube-api", &url, "--namespace", NS])
                .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
                .args(["--leader-election-lease", "jobs/sparkplane-leader"])
                .env("KUBECONFIG", "/nonexistent")
                .env("POD_NAME", name)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let (p1, p2) = (free_port(), free_port());
    let _leader = start(p1, "one");
    wait("the leader to be ready", || {
        http_get(p1, "/readyz").filter(|r| r.starts_with("HTTP/1.1 200"))
    });
    let _standby = start(p2, "two");
    wait("the standby to be ready", || {
        http_get(p2, "/readyz").filter(|r| r.starts_with("HTTP/1.1 200"))
    });
    let lease = double
        .object("/apis/coordination.k8s.io/v1/namespaces/jobs/leases/sparkplane-leader")
        .expect("the lease");
    assert_eq!(lease["spec"]["holderIdentity"], "one", "{lease}");
}

/// A leader that cannot renew its lease (the API server away longer than the renew
/// deadline) exits with an error, so the kubelet restarts it as a fresh candidate. It used to
/// stop its controllers and stay up, idle and ready, until killed: found on the real test
/// cluster when the API server restarted under a running application.
#[test]
fn a_leader_that_cannot_renew_its_lease_exits() {
    let double = KubeDouble::start().unwrap();
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut op = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sparkplane"))
            .args(["operator", "--kube-api", &double.url(), "--namespace", NS])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .args(["--leader-election-lease", "jobs/sparkplane-leader"])
            .env("KUBECONFIG", "/nonexistent")
            .env("POD_NAME", "one")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_text(log.path(), "leading");
    double.inject(sparkplane_kube_double::Fault {
        method: None,
        path_contains: "/leases/".into(),
        code: Some(503),
        delay: Duration::ZERO,
        times: u32::MAX,
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = op.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the operator is still up {:?} after its lease renewals started failing",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(log.path()).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: lost the leader lease jobs/sparkplane-leader"),
        "{stderr}"
    );
}
