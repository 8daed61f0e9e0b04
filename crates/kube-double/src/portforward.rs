//! The `portforward` subresource of pods, as the API server and kubelet serve it over a
//! WebSocket with the `v4.channel.k8s.io` subprotocol (what kube-rs's `Api::portforward` and
//! kubectl speak).
//!
//! The protocol: each requested port `i` has a data channel `2i` and an error channel `2i+1`,
//! and every binary message starts with its channel byte. The server first sends the port
//! number (2 bytes, little-endian) on both channels of each port. After that, bytes flow both
//! ways on the data channels; the server writes at most one message on an error channel, after
//! which that port is unusable. The server closes the WebSocket when every port is done.
//!
//! There is no pod to connect to, so the test says what listens on a pod's port
//! ([`crate::KubeDouble::set_port_target`]): a server of its own on loopback. A port with no
//! target is refused, as the kubelet reports a port nothing listens on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::route::Route;
use crate::server::{admit, error, lock, query_pairs, Shared};
use crate::store::ApiError;

/// The only subprotocol served: the kubelet's binary channel protocol. (`v5` adds stream
/// close signals, which only exec and attach use.)
const PROTOCOL: &str = "v4.channel.k8s.io";

/// How long to wait for the client's close frame after ours.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Channel numbers are one byte: two per port.
const MAX_PORTS: usize = 128;

/// What listens on each forwarded pod port: `(pod path, port)` to a loopback address.
#[derive(Default)]
pub(crate) struct Targets(Mutex<HashMap<(String, u16), SocketAddr>>);

impl Targets {
    /// Makes connections forwarded to `port` of the pod at `pod_path` go to `target`.
    pub(crate) fn set(&self, pod_path: &str, port: u16, target: SocketAddr) {
        lock(&self.0).insert((normalise(pod_path), port), target);
    }

    fn get(&self, pod_path: &str, port: u16) -> Option<SocketAddr> {
        lock(&self.0).get(&(normalise(pod_path), port)).copied()
    }
}

fn normalise(pod_path: &str) -> String {
    pod_path.trim_end_matches('/').to_string()
}

/// `GET /api/v1/namespaces/{ns}/pods/{name}/portforward?ports=P[,P...]`, upgraded to a
/// WebSocket. Answers with a `Status` (404 for a missing pod, 400 for bad ports or a request
/// that is not a WebSocket upgrade) before upgrading, as the API server does.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(answer) = admit(&shared, &method, &uri, &headers, &Bytes::new()).await {
        return answer;
    }
    match prepare(&shared, &method, &uri) {
        Ok(session) => match upgrade {
            Ok(upgrade) => upgrade
                .protocols([PROTOCOL])
                .on_upgrade(move |socket| serve(socket, session)),
            Err(e) => error(&bad_request(format!("Upgrade request required: {e}"))),
        },
        Err(e) => error(&e),
    }
}

/// One port-forward request, checked: the pod and, per requested port, its target.
struct Session {
    /// How the kubelet names the pod in its errors.
    pod: String,
    uid: String,
    ports: Vec<(u16, Option<SocketAddr>)>,
}

fn bad_request(message: String) -> ApiError {
    ApiError {
        details: None,
        code: 400,
        reason: "BadRequest",
        message,
    }
}

fn prepare(shared: &Shared, method: &Method, uri: &Uri) -> Result<Session, ApiError> {
    if method != Method::GET {
        return Err(ApiError {
            details: None,
            code: 405,
            reason: "MethodNotAllowed",
            message: format!(
                "{method} is not supported on this path: port-forward is a WebSocket GET"
            ),
        });
    }
    let path = uri.path().trim_end_matches('/');
    let pod_path = path.strip_suffix("/portforward").unwrap_or(path);
    let (route, name) = Route::parse(pod_path)
        .and_then(|r| r.name.clone().map(|n| (r, n)))
        .ok_or_else(|| bad_request(format!("not a pod path: {pod_path}")))?;
    let pod = shared.store().get(&route, &name)?;
    let ports = requested_ports(uri)?;
    let uid = pod
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(Session {
        pod: format!("{}/{name}", route.namespace.unwrap_or_default()),
        uid,
        ports: ports
            .into_iter()
            .map(|p| (p, shared.port_targets.get(pod_path, p)))
            .collect(),
    })
}

/// The `ports` parameters: comma-separated (kube-rs) or repeated (kubectl), each 1-65535.
fn requested_ports(uri: &Uri) -> Result<Vec<u16>, ApiError> {
    let mut ports = Vec::new();
    for (_, value) in query_pairs(uri).into_iter().filter(|(k, _)| k == "ports") {
        for p in value.split(',').map(str::trim) {
            match p.parse::<u16>() {
                Ok(port) if port > 0 && !ports.contains(&port) => ports.push(port),
                _ => return Err(bad_request(format!("invalid port {p:?}"))),
            }
        }
    }
    if ports.is_empty() {
        return Err(bad_request("at least one port must be specified".into()));
    }
    if ports.len() > MAX_PORTS {
        return Err(bad_request(format!(
            "at most {MAX_PORTS} ports can be forwarded at once"
        )));
    }
    Ok(ports)
}

fn data_channel(index: usize) -> u8 {
    // `requested_ports` allows at most MAX_PORTS (128) ports, so 2 * index + 1 <= 255.
    (2 * index) as u8
}

fn error_channel(index: usize) -> u8 {
    data_channel(index) + 1
}

async fn send(socket: &mut WebSocket, channel: u8, data: &[u8]) -> Result<(), axum::Error> {
    let mut frame = Vec::with_capacity(data.len() + 1);
    frame.push(channel);
    frame.extend_from_slice(data);
    socket.send(Message::Binary(frame.into())).await
}

/// What a port's reader tells the WebSocket loop.
enum FromTarget {
    Data(usize, Bytes),
    /// The target closed its side: the port is done.
    Closed(usize),
    /// Reading failed: the port is done, with this error.
    Failed(usize, String),
}

/// Plays the kubelet for one WebSocket: announces the ports, connects each to its target and
/// copies bytes both ways until every port is done or the client goes away.
async fn serve(mut socket: WebSocket, session: Session) {
    for (i, (port, _)) in session.ports.iter().enumerate() {
        for channel in [data_channel(i), error_channel(i)] {
            if send(&mut socket, channel, &port.to_le_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    }
    // Readers of the targets share one queue into this loop; writers get one queue each, so
    // that a target slow to read never stops bytes flowing the other way.
    let (from_targets_tx, mut from_targets) = mpsc::channel::<FromTarget>(16);
    let mut to_targets: Vec<Option<mpsc::UnboundedSender<Bytes>>> = Vec::new();
    // Dropping the set (when this function returns) aborts the copies: the client is gone.
    let mut copies = JoinSet::new();
    let mut open = 0;
    for (i, (port, target)) in session.ports.iter().enumerate() {
        match connect(*port, *target).await {
            Ok(stream) => {
                let (read, write) = stream.into_split();
                let (tx, rx) = mpsc::unbounded_channel();
                copies.spawn(from_target(i, read, from_targets_tx.clone()));
                copies.spawn(to_target(rx, write));
                to_targets.push(Some(tx));
                open += 1;
            }
            Err(reason) => {
                to_targets.push(None);
                let message = format!(
                    "error forwarding port {port} to pod {}, uid {}: {reason}",
                    session.pod, session.uid
                );
                if send(&mut socket, error_channel(i), message.as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
    drop(from_targets_tx);
    while open > 0 {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(mut frame))) if frame.len() > 1 => {
                    let data = frame.split_off(1);
                    let channel = usize::from(frame[0]);
                    // Clients only write on data channels; anything else has no meaning.
                    if channel % 2 == 0 {
                        if let Some(Some(tx)) = to_targets.get(channel / 2) {
                            // A closed queue means the target is gone; its reader says so.
                            let _ = tx.send(data);
                        }
                    }
                }
                Some(Ok(Message::Close(_))) => {
                    // Sending a close after the client's flushes the reply tungstenite queued.
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            Some(event) = from_targets.recv() => {
                let sent = match event {
                    FromTarget::Data(i, data) => send(&mut socket, data_channel(i), &data).await,
                    FromTarget::Closed(i) => {
                        open -= 1;
                        to_targets[i] = None;
                        Ok(())
                    }
                    FromTarget::Failed(i, reason) => {
                        open -= 1;
                        to_targets[i] = None;
                        let message = format!(
                            "error forwarding port {} to pod {}, uid {}: {reason}",
                            session.ports[i].0, session.pod, session.uid
                        );
                        send(&mut socket, error_channel(i), message.as_bytes()).await
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        }
    }
    close(socket).await;
}

/// Ends the WebSocket as RFC 6455 asks: our close frame, then the client's, then the
/// connection. Dropping the connection at once would reset it while frames from the client
/// are still unread here, and a reset can discard what the client has not read yet (the
/// error message, the end of a response).
async fn close(mut socket: WebSocket) {
    if socket.send(Message::Close(None)).await.is_err() {
        return;
    }
    let drained = async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                return;
            }
        }
    };
    // kube-rs answers the close only once its side of the stream ends; don't wait forever.
    let _ = tokio::time::timeout(CLOSE_WAIT, drained).await;
}

/// Connects to what listens on `port` in the pod; the error reads as the kubelet's does.
async fn connect(port: u16, target: Option<SocketAddr>) -> Result<TcpStream, String> {
    let Some(target) = target else {
        return Err(format!(
            "failed to connect to localhost:{port} inside the pod: \
             dial tcp4 127.0.0.1:{port}: connect: connection refused"
        ));
    };
    TcpStream::connect(target).await.map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            _ => e.to_string(),
        };
        format!("failed to connect to localhost:{port} inside the pod: dial tcp4 {target}: connect: {reason}")
    })
}

async fn from_target(index: usize, mut read: OwnedReadHalf, out: mpsc::Sender<FromTarget>) {
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let event = match read.read(&mut buf).await {
            Ok(0) => FromTarget::Closed(index),
            Ok(n) => FromTarget::Data(index, Bytes::copy_from_slice(&buf[..n])),
            Err(e) => FromTarget::Failed(index, e.to_string()),
        };
        let last = !matches!(event, FromTarget::Data(..));
        // The loop is gone only when the WebSocket is: nobody to tell.
        if out.send(event).await.is_err() || last {
            return;
        }
    }
}

async fn to_target(mut data: mpsc::UnboundedReceiver<Bytes>, mut write: OwnedWriteHalf) {
    while let Some(bytes) = data.recv().await {
        if write.write_all(&bytes).await.is_err() {
            return;
        }
    }
    // The port is done: let the target see the end of its input.
    let _ = write.shutdown().await;
}
