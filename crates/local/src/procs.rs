//! The process table: finding a cluster's or an application's processes by their marker
//! environment variable, and signalling them.

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

/// True when `pid` exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state letter follows the parenthesised command name, which may itself hold spaces
    // or parentheses; hence the last ')'.
    match stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
    {
        Some("Z") | Some("X") | None => false,
        Some(_) => true,
    }
}

/// Pids of live processes whose environment holds `key=value`. Processes we may not read
/// (another user's) are skipped.
pub fn with_env(key: &str, value: &str) -> Vec<u32> {
    let needle = format!("{key}={value}");
    let mut pids = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in rd.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) && is_alive(pid) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    pids
}

fn to_pid(pid: u32) -> Option<Pid> {
    i32::try_from(pid).ok().map(Pid::from_raw)
}

/// Sends `sig` to `pid`; a process that is already gone is not an error.
pub fn signal(pid: u32, sig: Signal) {
    if let Some(p) = to_pid(pid) {
        let _ = kill(p, sig);
    }
}

/// Sends `sig` to the process group led by `pgid`.
pub fn signal_group(pgid: u32, sig: Signal) {
    if let Some(p) = to_pid(pgid) {
        let _ = killpg(p, sig);
    }
}

/// Kills every live process carrying the marker, repeatedly until none is left or `tries`
/// rounds have passed; returns the pids that survived (normally none).
pub fn kill_marked(key: &str, value: &str, tries: u32) -> Vec<u32> {
    for _ in 0..tries {
        let pids = with_env(key, value);
        if pids.is_empty() {
            return pids;
        }
        for pid in &pids {
            signal(*pid, Signal::SIGKILL);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    with_env(key, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_kills_marked_processes() {
        let marker = format!("test-{}", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env("SPARKPLANE_TEST_MARK", &marker)
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(is_alive(pid));
        // Until the child has exec'd, /proc shows the parent's environment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while with_env("SPARKPLANE_TEST_MARK", &marker).is_empty()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(with_env("SPARKPLANE_TEST_MARK", &marker), vec![pid]);
        assert!(with_env("SPARKPLANE_TEST_MARK", "other").is_empty());
        signal(pid, Signal::SIGKILL);
        let _ = child.wait();
        assert!(!is_alive(pid));
        assert!(kill_marked("SPARKPLANE_TEST_MARK", &marker, 3).is_empty());
    }
}
