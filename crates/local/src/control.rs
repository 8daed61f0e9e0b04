//! The supervisor's control protocol: one JSON request and one JSON response per connection
//! on a Unix socket in the cluster directory (reachable by the owner only).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sparkplane_plan::Role;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::LocalError;

/// A request to the supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Request {
    /// Report every process.
    Status,
    /// Run this many workers (decommissioning the surplus gracefully).
    Scale {
        /// Desired worker count.
        workers: u32,
    },
    /// Stop everything and exit.
    Down,
}

/// Where one supervised process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProcState {
    /// Started and not exited.
    Running,
    /// Exited unexpectedly; restarts when its backoff ends.
    Backoff,
    /// A worker being drained before it stops (scale-down).
    Decommissioning,
    /// Asked to stop; waiting for it to exit.
    Stopping,
}

/// One process in a status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessReport {
    /// Its role.
    pub role: Role,
    /// Its pid while running.
    pub pid: Option<u32>,
    /// Its state.
    pub state: ProcState,
    /// How often it was restarted after a crash.
    pub restarts: u32,
    /// RPC port (workers).
    pub rpc_port: Option<u16>,
    /// Web UI port (workers).
    pub ui_port: Option<u16>,
}

/// The supervisor's answer to [`Request::Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The supervisor's pid.
    pub supervisor_pid: u32,
    /// Workers wanted.
    pub desired_workers: u32,
    /// Every process.
    pub processes: Vec<ProcessReport>,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum Response {
    /// Status.
    Status(StatusReport),
    /// Accepted.
    Ok,
    /// Refused, with the reason.
    Error {
        /// Why.
        message: String,
    },
}

/// Sends `req` to the supervisor listening on `socket` and returns its response.
pub async fn call(name: &str, socket: &Path, req: &Request) -> Result<Response, LocalError> {
    let fail = |reason: String| LocalError::Control {
        name: name.to_string(),
        reason,
    };
    let fut = async {
        let mut stream = UnixStream::connect(socket)
            .await
            .map_err(|e| fail(format!("{}: {e}", socket.display())))?;
        let mut line = serde_json::to_string(req).map_err(|e| fail(e.to_string()))?;
        line.push('\n');
        stream
            .write_all(line.as_bytes())
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut reader = BufReader::new(stream);
        let mut answer = String::new();
        reader
            .read_line(&mut answer)
            .await
            .map_err(|e| fail(e.to_string()))?;
        serde_json::from_str(&answer).map_err(|e| fail(format!("bad answer {answer:?}: {e}")))
    };
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .map_err(|_| fail("timed out after 10 s".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_stable() {
        let cases = [
            (Request::Status, r#"{"op":"status"}"#),
            (
                Request::Scale { workers: 3 },
                r#"{"op":"scale","workers":3}"#,
            ),
            (Request::Down, r#"{"op":"down"}"#),
        ];
        for (req, json) in cases {
            assert_eq!(serde_json::to_string(&req).unwrap(), json);
            assert_eq!(serde_json::from_str::<Request>(json).unwrap(), req);
        }
        let r = Response::Error {
            message: "no".into(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"result":"error","message":"no"}"#);
    }
}
