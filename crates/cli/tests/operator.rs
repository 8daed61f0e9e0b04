//! `sparkplane operator` as a process against the Kubernetes API double, and the
//! cluster-side `sparkplane app ... --kube` commands against what it runs.

use std::process::{Child, Command, Output, Stdio};
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

struct Operator(Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn create_app(double: &KubeDouble, name: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use kube::api::{Api, DynamicObject, PostParams};
        let client = sparkplane_operator::client::client(Some(&double.url()), None)
            .await
            .unwrap();
        let api: Api<DynamicObject> =
            Api::namespaced_with(client, NS, &sparkplane_operator::controller::app_resource());
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2",
            "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": NS},
            "spec": {
                "type": "Python", "sparkVersion": "3.5.1", "image": "spark:3.5.1",
                "mainApplicationFile": "local:///opt/spark/examples/src/main/python/pi.py",
                "driver": {}, "executor": {"instances": 1}
            }
        }))
        .unwrap();
        api.create(&PostParams::default(), &obj).await.unwrap();
    });
}

#[test]
fn the_operator_process_and_the_cluster_app_commands() {
    let double = KubeDouble::start().unwrap();
    let url = double.url();
    let port = free_port();
    let op = Operator(
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
    let o = sparkplane(&["app", "events", "pi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("add --kube"), "{:?}", text(&o));

    // SIGTERM stops the operator gracefully.
    let mut op = op;
    nix_kill(op.0.id());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = op.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the operator did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

fn nix_kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}
