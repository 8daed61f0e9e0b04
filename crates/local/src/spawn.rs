//! Starting a planned process: its own process group, output appended to its log, killed by
//! the kernel if the supervisor dies.

use std::fs::OpenOptions;
use std::process::Stdio;

use sparkplane_plan::ProcessSpec;
use tokio::process::{Child, Command};

use crate::LocalError;

/// Environment variables of the caller that would change what Spark's scripts do; removed so a
/// process runs exactly as planned.
const SCRUBBED_ENV: &[&str] = &[
    "SPARK_HOME",
    "SPARK_CONF_DIR",
    "SPARK_MASTER_OPTS",
    "SPARK_WORKER_OPTS",
    "SPARK_DAEMON_JAVA_OPTS",
    "SPARK_DAEMON_MEMORY",
    "SPARK_WORKER_CORES",
    "SPARK_WORKER_MEMORY",
    "SPARK_WORKER_DIR",
    "SPARK_LOCAL_DIRS",
    "SPARK_PUBLIC_DNS",
    "SPARK_MASTER_HOST",
    "SPARK_MASTER_PORT",
    "SPARK_MASTER_WEBUI_PORT",
    "SPARK_WORKER_PORT",
    "SPARK_WORKER_WEBUI_PORT",
    "_SPARK_AUTH_SECRET",
];

/// Writes the process's properties file (if any) and starts it. `secret` is set into every
/// variable named in `spec.secret_env`.
pub fn spawn(spec: &ProcessSpec, secret: Option<&str>) -> Result<Child, LocalError> {
    if let Some((path, content)) = &spec.properties {
        std::fs::write(path, content).map_err(LocalError::io("cannot write", path))?;
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&spec.log)
        .map_err(LocalError::io("cannot open log", &spec.log))?;
    let log2 = log
        .try_clone()
        .map_err(LocalError::io("cannot open log", &spec.log))?;
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .process_group(0)
        .kill_on_drop(false);
    for k in SCRUBBED_ENV {
        cmd.env_remove(k);
    }
    cmd.envs(&spec.env);
    if let Some(secret) = secret {
        for k in &spec.secret_env {
            cmd.env(k, secret);
        }
    }
    die_with_parent(&mut cmd);
    cmd.spawn().map_err(|source| LocalError::Spawn {
        what: spec.role.name(),
        program: spec.program.clone(),
        source,
    })
}

/// Asks the kernel to SIGKILL the child when the thread that spawned it exits, so a crashed
/// supervisor never leaves Spark daemons behind. The supervisor spawns from its only thread.
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls prctl(2), which is
    // async-signal-safe; it allocates nothing and touches no locks.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
}
