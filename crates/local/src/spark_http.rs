//! Spark's own HTTP endpoints: the standalone master's and workers' `/json/`, and the
//! driver's monitoring REST API (`/api/v1`).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::LocalError;

/// An HTTP client with short timeouts: everything it talks to is on this machine.
pub fn client() -> Result<reqwest::Client, LocalError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .no_proxy()
        .build()
        .map_err(|e| LocalError::Http {
            url: "(client)".into(),
            reason: e.to_string(),
        })
}

/// GETs `url` and decodes JSON.
pub async fn get_json<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<T, LocalError> {
    let fail = |reason: String| LocalError::Http {
        url: url.to_string(),
        reason,
    };
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}")));
    }
    let text = resp.text().await.map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| fail(format!("unexpected JSON: {e}")))
}

/// The master's `/json/` document (the fields sparkplane uses).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MasterState {
    /// `spark://host:port`.
    pub url: String,
    /// Every worker the master knows, including dead and decommissioned ones.
    #[serde(default)]
    pub workers: Vec<WorkerInfo>,
    /// Number of ALIVE workers.
    #[serde(default)]
    pub aliveworkers: u32,
    /// Total cores of alive workers.
    #[serde(default)]
    pub cores: u32,
    /// Cores in use.
    #[serde(default)]
    pub coresused: u32,
    /// Total memory of alive workers, MiB.
    #[serde(default)]
    pub memory: u64,
    /// Memory in use, MiB.
    #[serde(default)]
    pub memoryused: u64,
    /// Running applications.
    #[serde(default)]
    pub activeapps: Vec<AppInfo>,
    /// Finished applications.
    #[serde(default)]
    pub completedapps: Vec<AppInfo>,
    /// ALIVE, STANDBY, RECOVERING or COMPLETING_RECOVERY.
    #[serde(default)]
    pub status: String,
}

/// A worker as the master sees it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct WorkerInfo {
    /// Worker id.
    pub id: String,
    /// Host.
    pub host: String,
    /// RPC port.
    pub port: u16,
    /// Cores offered.
    pub cores: u32,
    /// Cores in use.
    #[serde(default)]
    pub coresused: u32,
    /// Memory offered, MiB.
    pub memory: u64,
    /// Memory in use, MiB.
    #[serde(default)]
    pub memoryused: u64,
    /// ALIVE, DEAD, DECOMMISSIONED or UNKNOWN.
    pub state: String,
}

/// An application as the master sees it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AppInfo {
    /// Application id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Cores granted.
    #[serde(default)]
    pub cores: u32,
    /// WAITING, RUNNING, FINISHED, FAILED, KILLED or UNKNOWN.
    #[serde(default)]
    pub state: String,
    /// Running time, ms.
    #[serde(default)]
    pub duration: u64,
}

/// A worker's own `/json/` document (the fields sparkplane uses).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct WorkerState {
    /// Cores in use by executors on this worker.
    #[serde(default)]
    pub coresused: u32,
    /// Executors running on it.
    #[serde(default)]
    pub executors: Vec<serde_json::Value>,
}

/// One application in the driver's `/api/v1/applications`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DriverApp {
    /// Application id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// One job in the driver's `/api/v1/applications/<id>/jobs`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DriverJob {
    /// Job id.
    pub job_id: u64,
    /// RUNNING, SUCCEEDED, FAILED or UNKNOWN.
    pub status: String,
    /// Tasks in the job.
    #[serde(default)]
    pub num_tasks: u64,
    /// Tasks completed.
    #[serde(default)]
    pub num_completed_tasks: u64,
    /// Stages completed.
    #[serde(default)]
    pub num_completed_stages: u64,
    /// Stage ids of the job.
    #[serde(default)]
    pub stage_ids: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_master_document() {
        // Shape of Spark's JsonProtocol.writeMasterState output (4.x), trimmed.
        let doc = r#"{"url":"spark://127.0.0.1:7077","workers":[{"id":"worker-1","host":"127.0.0.1","port":40000,"webuiaddress":"http://127.0.0.1:8081","cores":2,"coresused":1,"coresfree":1,"memory":1024,"memoryused":512,"memoryfree":512,"resources":{},"resourcesused":{},"resourcesfree":{},"state":"ALIVE","lastheartbeat":1}],"aliveworkers":1,"cores":2,"coresused":1,"memory":1024,"memoryused":512,"resources":[],"resourcesused":[],"activeapps":[{"id":"app-1","starttime":1,"name":"pi","cores":1,"user":"u","memoryperexecutor":512,"memoryperslave":512,"resourcesperexecutor":[],"resourcesperslave":[],"submitdate":"x","state":"RUNNING","duration":5}],"completedapps":[],"activedrivers":[],"completeddrivers":[],"status":"ALIVE"}"#;
        let m: MasterState = serde_json::from_str(doc).unwrap();
        assert_eq!(m.aliveworkers, 1);
        assert_eq!(m.workers[0].port, 40000);
        assert_eq!(m.workers[0].memory, 1024);
        assert_eq!(m.activeapps[0].state, "RUNNING");
        assert_eq!(m.status, "ALIVE");
    }
}
