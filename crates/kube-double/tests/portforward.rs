//! The double's pod port-forward, through kube-rs's own client (`Api::<Pod>::portforward`,
//! the WebSocket `v4.channel.k8s.io` protocol) and through plain HTTP.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use serde_json::json;
use sparkplane_kube_double::KubeDouble;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const POD: &str = "/api/v1/namespaces/jobs/pods/pi-driver";

async fn pods(double: &KubeDouble) -> Api<Pod> {
    let config = kube::Config::new(double.url().parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let pods: Api<Pod> = Api::namespaced(client, "jobs");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "pi-driver", "namespace": "jobs"},
        "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "spark"}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    pods
}

/// A server standing in for what listens in the pod: it answers each connection with
/// `<greeting> <n>` (n counts connections), then echoes what it reads until the client is done.
async fn target(greeting: &'static str) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(async move {
                conn.write_all(format!("{greeting} {n}\n").as_bytes())
                    .await
                    .unwrap();
                let mut buf = [0u8; 1024];
                loop {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => conn.write_all(&buf[..k]).await.unwrap(),
                    }
                }
            });
        }
    });
    (addr, accepted)
}

async fn read_some(stream: &mut (impl AsyncReadExt + Unpin), want: usize) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    while out.len() < want {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("no answer through the port-forward")
            .unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn forwards_each_port_to_its_target_both_ways() {
    let double = KubeDouble::start().unwrap();
    let pods = pods(&double).await;
    let (ui, ui_accepted) = target("spark-ui").await;
    let (block_manager, _) = target("block-manager").await;
    double.set_port_target(POD, 4040, ui);
    double.set_port_target(POD, 7079, block_manager);

    let mut pf = pods.portforward("pi-driver", &[4040, 7079]).await.unwrap();
    let mut first = pf.take_stream(4040).unwrap();
    let mut second = pf.take_stream(7079).unwrap();
    assert_eq!(read_some(&mut first, 11).await, "spark-ui 1\n");
    assert_eq!(read_some(&mut second, 16).await, "block-manager 1\n");
    first.write_all(b"ping").await.unwrap();
    second.write_all(b"pong").await.unwrap();
    assert_eq!(read_some(&mut first, 4).await, "ping");
    assert_eq!(read_some(&mut second, 4).await, "pong");

    // A second port-forward is a connection of its own to the target.
    let mut again = pods.portforward("pi-driver", &[4040]).await.unwrap();
    let mut third = again.take_stream(4040).unwrap();
    assert_eq!(read_some(&mut third, 11).await, "spark-ui 2\n");
    assert_eq!(ui_accepted.load(Ordering::SeqCst), 2);

    let recorded = double.requests();
    let forward = recorded
        .iter()
        .find(|r| r.path == format!("{POD}/portforward"))
        .expect("the port-forward request is recorded");
    assert_eq!(forward.method, "GET");
    assert_eq!(forward.query["ports"], "4040,7079");
}

#[tokio::test]
async fn the_target_closing_ends_the_stream() {
    let double = KubeDouble::start().unwrap();
    let pods = pods(&double).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    double.set_port_target(POD, 4040, listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        conn.write_all(b"bye").await.unwrap();
    });
    let mut pf = pods.portforward("pi-driver", &[4040]).await.unwrap();
    let mut stream = pf.take_stream(4040).unwrap();
    // Reading to the end proves the stream ends when the target closes.
    assert_eq!(read_some(&mut stream, usize::MAX).await, "bye");
}

#[tokio::test]
async fn a_port_without_target_is_refused_on_the_error_channel() {
    let double = KubeDouble::start().unwrap();
    let pods = pods(&double).await;
    let mut pf = pods.portforward("pi-driver", &[4040]).await.unwrap();
    let error = pf.take_error(4040).unwrap();
    let error = tokio::time::timeout(Duration::from_secs(10), error)
        .await
        .expect("no error message")
        .expect("the error channel closed without a message");
    assert!(
        error.starts_with("error forwarding port 4040 to pod jobs/pi-driver, uid "),
        "{error}"
    );
    assert!(error.ends_with("connect: connection refused"), "{error}");
    let mut stream = pf.take_stream(4040).unwrap();
    assert_eq!(read_some(&mut stream, usize::MAX).await, "");
}

#[tokio::test]
async fn a_missing_pod_is_a_404_status() {
    let double = KubeDouble::start().unwrap();
    let pods = pods(&double).await;
    let err = match pods.portforward("nope", &[4040]).await {
        Ok(_) => panic!("port-forward to a missing pod succeeded"),
        Err(e) => e,
    };
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 404);
            assert_eq!(status.reason, "NotFound");
            assert_eq!(status.message, "pods \"nope\" not found");
        }
        other => panic!("not an API error: {other:?}"),
    }
}

/// Sends `request` as raw HTTP/1.1 and returns the whole answer.
fn http(double: &KubeDouble, request: &str) -> String {
    use std::io::{Read, Write};
    let addr = double.url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test]
async fn requests_that_cannot_be_forwarded_get_a_status() {
    let double = KubeDouble::start().unwrap();
    let _pods = pods(&double).await;
    let cases = [
        // Not a WebSocket upgrade.
        (
            "GET /api/v1/namespaces/jobs/pods/pi-driver/portforward?ports=4040",
            "400 Bad Request",
            "Upgrade request required",
        ),
        (
            "GET /api/v1/namespaces/jobs/pods/pi-driver/portforward",
            "400 Bad Request",
            "at least one port must be specified",
        ),
        (
            "GET /api/v1/namespaces/jobs/pods/pi-driver/portforward?ports=0",
            "400 Bad Request",
            "invalid port \\\"0\\\"",
        ),
        (
            "GET /api/v1/namespaces/jobs/pods/gone/portforward?ports=4040",
            "404 Not Found",
            "pods \\\"gone\\\" not found",
        ),
        (
            "PUT /api/v1/namespaces/jobs/pods/pi-driver/portforward?ports=4040",
            "405 Method Not Allowed",
            "port-forward is a WebSocket GET",
        ),
    ];
    for (line, code, message) in cases {
        // Blocking is fine here: the double serves from its own thread.
        let answer = http(
            &double,
            &format!("{line} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {code}")),
            "{line}: {answer}"
        );
        assert!(answer.contains("\"kind\":\"Status\""), "{line}: {answer}");
        assert!(answer.contains(message), "{line}: {answer}");
    }
}
