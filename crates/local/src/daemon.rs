//! Starting sparkplane's own background daemons (cluster supervisor, application runner):
//! this binary again, in a session of its own, its output appended to a log file.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::LocalError;

/// One daemon to start.
pub struct Daemon<'a> {
    /// What it is, for messages.
    pub what: &'a str,
    /// The program (normally this binary).
    pub exe: &'a Path,
    /// Its arguments (hidden subcommand and flags).
    pub args: Vec<&'a std::ffi::OsStr>,
    /// The marker variable set on it and inherited by everything it starts.
    pub marker: (&'a str, &'a str),
    /// Its log file.
    pub log: PathBuf,
}

/// Starts the daemon detached from the caller; returns once it is forked.
pub fn start(d: &Daemon<'_>) -> Result<(), LocalError> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&d.log)
        .map_err(LocalError::io("cannot open log", &d.log))?;
    let log2 = log
        .try_clone()
        .map_err(LocalError::io("cannot open log", &d.log))?;
    let mut cmd = std::process::Command::new(d.exe);
    cmd.args(&d.args)
        .env(d.marker.0, d.marker.1)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2));
    detach(&mut cmd);
    cmd.spawn().map_err(|source| LocalError::Spawn {
        what: d.what.to_string(),
        program: d.exe.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Starts `cmd` in a new session so it outlives the terminal and the command that started it.
pub fn detach(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: runs between fork and exec and only calls setsid(2), which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
}
