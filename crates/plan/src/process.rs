//! What a supervised process is: a role, a command line, an environment and a log file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The part a process plays in a local cluster.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(tag = "kind", content = "index", rename_all = "camelCase")]
pub enum Role {
    /// The standalone master.
    Master,
    /// Worker number `n` (0-based; names are `worker-<n>`).
    Worker(u32),
    /// The history server.
    HistoryServer,
}

impl Role {
    /// A stable short name used for log files and `cluster logs --component`.
    pub fn name(&self) -> String {
        match self {
            Role::Master => "master".to_string(),
            Role::Worker(n) => format!("worker-{n}"),
            Role::HistoryServer => "history".to_string(),
        }
    }

    /// Parses a name produced by [`Role::name`].
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "master" => Some(Role::Master),
            "history" | "history-server" => Some(Role::HistoryServer),
            _ => name
                .strip_prefix("worker-")
                .and_then(|n| n.parse().ok())
                .map(Role::Worker),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One process to start and keep running.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcessSpec {
    /// Its role.
    pub role: Role,
    /// The program (Spark's own launcher script).
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// Environment to set (on top of the supervisor's own). Never holds secrets.
    pub env: BTreeMap<String, String>,
    /// Environment variables the shell must set to the cluster's RPC secret when starting the
    /// process. Only the names live in the plan, so plans can be logged and stored freely.
    pub secret_env: Vec<String>,
    /// Where stdout and stderr go.
    pub log: PathBuf,
    /// A properties file to write before starting (path, content).
    pub properties: Option<(PathBuf, String)>,
}

impl ProcessSpec {
    /// The command line as a person would type it, secrets shown as `***`; for logs.
    pub fn display_command(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.env {
            out.push_str(&format!("{k}={v} "));
        }
        for k in &self.secret_env {
            out.push_str(&format!("{k}=*** "));
        }
        out.push_str(&self.program.display().to_string());
        for a in &self.args {
            out.push(' ');
            out.push_str(a);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in [
            Role::Master,
            Role::Worker(0),
            Role::Worker(12),
            Role::HistoryServer,
        ] {
            assert_eq!(Role::parse(&role.name()), Some(role));
        }
        assert_eq!(Role::parse("worker-x"), None);
        assert_eq!(Role::parse("driver"), None);
    }

    #[test]
    fn display_masks_secrets() {
        let spec = ProcessSpec {
            role: Role::Master,
            program: "/s/bin/spark-class".into(),
            args: vec!["X".into()],
            env: [("A".to_string(), "1".to_string())].into_iter().collect(),
            secret_env: vec!["S".into()],
            log: "/l".into(),
            properties: None,
        };
        let shown = spec.display_command();
        assert!(shown.contains("A=1"));
        assert!(shown.contains("S=***"));
    }
}
