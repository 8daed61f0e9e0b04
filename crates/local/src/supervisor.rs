//! The cluster supervisor: a small daemon (one per local cluster) that starts the master, the
//! workers and the history server, restarts whatever crashes with exponential backoff, drains
//! workers on scale-down and stops everything on request. It runs on a single thread so the
//! kernel's parent-death signal ties every daemon's life to it.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use sparkplane_plan::{ClusterLayout, ClusterPlan, ProcessSpec, Role};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::process::Child;
use tracing::{info, warn};

use crate::control::{ProcState, ProcessReport, Request, Response, StatusReport};
use crate::spark_http::{self, WorkerState};
use crate::state::ClusterState;
use crate::{ports, procs, secret, spawn, LocalError};

/// How long a stopped process gets to exit after SIGTERM before its process group is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// How often decommissioning workers are polled.
const DRAIN_POLL: Duration = Duration::from_secs(1);

/// Delay before restarting a process that crashed for the `failures`-th time in a row:
/// 1 s, 2 s, 4 s ... capped at 30 s. Exponential so a crash loop costs little, capped so a
/// recovered dependency is picked up quickly.
pub fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(5);
    Duration::from_secs((1u64 << exp).min(30))
}

/// A process that stayed up this long is considered healthy: its failure count resets.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// Which workers a scale from the current set to `desired` removes (the highest indices, so
/// `worker-0` is the most stable) and which indices it adds (the lowest unused).
pub fn scale_decision(active: &[u32], all: &[u32], desired: u32) -> (Vec<u32>, Vec<u32>) {
    let mut active = active.to_vec();
    active.sort_unstable();
    let want = desired as usize;
    if active.len() > want {
        let remove = active[want..].iter().rev().copied().collect();
        (remove, Vec::new())
    } else {
        let mut add = Vec::new();
        let mut i = 0u32;
        while active.len() + add.len() < want {
            if !all.contains(&i) {
                add.push(i);
            }
            i += 1;
        }
        (Vec::new(), add)
    }
}

struct Proc {
    spec: ProcessSpec,
    child: Option<Child>,
    pid: Option<u32>,
    state: ProcState,
    failures: u32,
    restarts: u32,
    started: Instant,
    next_start: Option<Instant>,
    deadline: Option<Instant>,
    last_poll: Option<Instant>,
    rpc_port: Option<u16>,
    ui_port: Option<u16>,
}

struct Supervisor {
    name: String,
    plan: ClusterPlan,
    host: String,
    secret: Option<String>,
    procs: BTreeMap<Role, Proc>,
    desired_workers: u32,
    shutting_down: bool,
    fixed_ports: Vec<u16>,
    http: reqwest::Client,
    marker: String,
}

impl Supervisor {
    fn taken_ports(&self) -> Vec<u16> {
        let mut taken = self.fixed_ports.clone();
        for p in self.procs.values() {
            taken.extend(p.rpc_port);
            taken.extend(p.ui_port);
        }
        taken
    }

    fn worker_spec(&self, index: u32) -> Result<(ProcessSpec, u16, u16), LocalError> {
        let mut taken = self.taken_ports();
        let rpc = ports::ephemeral(&self.host, &taken)?;
        taken.push(rpc);
        let ui = ports::ephemeral(&self.host, &taken)?;
        Ok((self.plan.worker(index, rpc, ui), rpc, ui))
    }

    fn add(&mut self, spec: ProcessSpec, rpc_port: Option<u16>, ui_port: Option<u16>) {
        let role = spec.role;
        let mut p = Proc {
            spec,
            child: None,
            pid: None,
            state: ProcState::Backoff,
            failures: 0,
            restarts: 0,
            started: Instant::now(),
            next_start: Some(Instant::now()),
            deadline: None,
            last_poll: None,
            rpc_port,
            ui_port,
        };
        start(&mut p, self.secret.as_deref());
        self.procs.insert(role, p);
    }

    fn add_worker(&mut self, index: u32) {
        match self.worker_spec(index) {
            Ok((spec, rpc, ui)) => self.add(spec, Some(rpc), Some(ui)),
            Err(e) => warn!("cannot plan worker-{index}: {e}"),
        }
    }

    fn scale(&mut self, desired: u32) -> Response {
        if desired < self.plan.min_workers {
            return Response::Error {
                message: format!("below minReplicas ({})", self.plan.min_workers),
            };
        }
        if let Some(max) = self.plan.max_workers {
            if desired > max {
                return Response::Error {
                    message: format!("above maxReplicas ({max})"),
                };
            }
        }
        let mut active = Vec::new();
        let mut all = Vec::new();
        for (role, p) in &self.procs {
            if let Role::Worker(i) = role {
                all.push(*i);
                match p.state {
                    ProcState::Running | ProcState::Backoff => active.push(*i),
                    ProcState::Decommissioning | ProcState::Stopping => {}
                }
            }
        }
        let (remove, add) = scale_decision(&active, &all, desired);
        let timeout = Duration::from_secs(self.plan.decommission_timeout_seconds);
        for i in remove {
            if let Some(p) = self.procs.get_mut(&Role::Worker(i)) {
                match (p.state, p.pid) {
                    (ProcState::Running, Some(pid)) => {
                        info!("decommissioning worker-{i} (pid {pid})");
                        procs::signal(pid, Signal::SIGPWR);
                        p.state = ProcState::Decommissioning;
                        p.deadline = Some(Instant::now() + timeout);
                    }
                    _ => {
                        self.procs.remove(&Role::Worker(i));
                    }
                }
            }
        }
        for i in add {
            info!("adding worker-{i}");
            self.add_worker(i);
        }
        self.desired_workers = desired;
        Response::Ok
    }

    fn begin_shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        info!("stopping cluster {}", self.name);
        self.shutting_down = true;
        let deadline = Instant::now() + STOP_GRACE;
        for p in self.procs.values_mut() {
            if let Some(pid) = p.pid {
                procs::signal(pid, Signal::SIGTERM);
            }
            p.state = ProcState::Stopping;
            p.deadline = Some(deadline);
        }
    }

    fn status(&self) -> StatusReport {
        StatusReport {
            supervisor_pid: std::process::id(),
            desired_workers: self.desired_workers,
            processes: self
                .procs
                .values()
                .map(|p| ProcessReport {
                    role: p.spec.role,
                    pid: p.pid,
                    state: p.state,
                    restarts: p.restarts,
                    rpc_port: p.rpc_port,
                    ui_port: p.ui_port,
                })
                .collect(),
        }
    }

    async fn tick(&mut self) {
        let now = Instant::now();
        let mut gone = Vec::new();
        let roles: Vec<Role> = self.procs.keys().copied().collect();
        for role in roles {
            let Some(p) = self.procs.get_mut(&role) else {
                continue;
            };
            // Reap.
            let exited = match p.child.as_mut().map(|c| c.try_wait()) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                Some(Err(e)) => Some(format!("wait failed: {e}")),
                Some(Ok(None)) | None => None,
            };
            if let Some(how) = exited {
                let pid = p.pid.take();
                p.child = None;
                // Executors and other children share the process group; clear it out so a
                // restarted worker does not find its predecessor's executors still running.
                if let Some(pid) = pid {
                    procs::signal_group(pid, Signal::SIGKILL);
                }
                match p.state {
                    ProcState::Running => {
                        if p.started.elapsed() >= HEALTHY_AFTER {
                            p.failures = 0;
                        }
                        p.failures += 1;
                        let delay = backoff(p.failures);
                        warn!("{role} exited ({how}); restarting in {delay:?}");
                        p.state = ProcState::Backoff;
                        p.next_start = Some(now + delay);
                    }
                    ProcState::Decommissioning | ProcState::Stopping => {
                        info!("{role} stopped ({how})");
                        gone.push(role);
                        continue;
                    }
                    ProcState::Backoff => {}
                }
            }
            match p.state {
                ProcState::Backoff if !self.shutting_down => {
                    if p.next_start.is_some_and(|t| t <= now) {
                        p.restarts += if p.child.is_none() && p.failures > 0 {
                            1
                        } else {
                            0
                        };
                        start(p, self.secret.as_deref());
                    }
                }
                ProcState::Backoff => gone.push(role),
                ProcState::Stopping => {
                    if p.deadline.is_some_and(|d| d <= now) {
                        if let Some(pid) = p.pid {
                            warn!("{role} did not stop in time; killing its process group");
                            procs::signal_group(pid, Signal::SIGKILL);
                        }
                    }
                }
                ProcState::Decommissioning => {
                    let due = p
                        .last_poll
                        .is_none_or(|t| now.duration_since(t) >= DRAIN_POLL);
                    if !due {
                        continue;
                    }
                    p.last_poll = Some(now);
                    let drained = match p.ui_port {
                        Some(ui) => {
                            let url = format!("http://{}:{ui}/json/", self.host);
                            match spark_http::get_json::<WorkerState>(&self.http, &url).await {
                                Ok(w) => w.coresused == 0 && w.executors.is_empty(),
                                Err(_) => false,
                            }
                        }
                        None => true,
                    };
                    let expired = p.deadline.is_some_and(|d| d <= now);
                    if drained || expired {
                        if expired && !drained {
                            warn!("{role}: decommission timeout reached; stopping it anyway");
                        } else {
                            info!("{role} drained; stopping it");
                        }
                        if let Some(pid) = p.pid {
                            procs::signal(pid, Signal::SIGTERM);
                        }
                        p.state = ProcState::Stopping;
                        p.deadline = Some(now + STOP_GRACE);
                    }
                }
                ProcState::Running => {}
            }
        }
        for role in gone {
            self.procs.remove(&role);
        }
    }
}

fn start(p: &mut Proc, secret: Option<&str>) {
    let role = p.spec.role;
    info!("starting {role}: {}", p.spec.display_command());
    match spawn::spawn(&p.spec, secret) {
        Ok(child) => {
            p.pid = child.id();
            p.child = Some(child);
            p.state = ProcState::Running;
            p.started = Instant::now();
            p.next_start = None;
        }
        Err(e) => {
            p.failures += 1;
            let delay = backoff(p.failures);
            warn!("cannot start {role}: {e}; retrying in {delay:?}");
            p.state = ProcState::Backoff;
            p.next_start = Some(Instant::now() + delay);
        }
    }
}

async fn handle(stream: UnixStream, sup: &mut Supervisor) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read);
    let read_ok = tokio::time::timeout(Duration::from_secs(2), reader.read_line(&mut line)).await;
    let response = match read_ok {
        Ok(Ok(_)) => match serde_json::from_str::<Request>(&line) {
            Ok(Request::Status) => Response::Status(sup.status()),
            Ok(Request::Scale { workers }) => sup.scale(workers),
            Ok(Request::Down) => {
                sup.begin_shutdown();
                Response::Ok
            }
            Err(e) => Response::Error {
                message: format!("bad request: {e}"),
            },
        },
        _ => return,
    };
    if let Ok(mut text) = serde_json::to_string(&response) {
        text.push('\n');
        let _ = write.write_all(text.as_bytes()).await;
    }
}

/// Runs the supervisor of the cluster in `layout` until it is told to stop (control socket
/// `down`, SIGTERM or SIGINT). Call from a single-threaded runtime.
pub async fn run(layout: ClusterLayout) -> Result<(), LocalError> {
    let state = ClusterState::load(&layout.state_file())?;
    let plan = state.plan(&layout)?;
    let secret = if plan.authenticate {
        Some(secret::read(&layout.secret_file())?)
    } else {
        None
    };
    let pid_file = layout.supervisor_pid_file();
    std::fs::write(&pid_file, std::process::id().to_string())
        .map_err(LocalError::io("cannot write", &pid_file))?;
    let sock = layout.control_socket();
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(LocalError::io("cannot listen on", &sock))?;
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600))
        .map_err(LocalError::io("cannot protect", &sock))?;

    let mut fixed_ports = vec![state.ports.master_rpc, state.ports.master_ui];
    fixed_ports.extend(state.ports.history_ui);
    let mut sup = Supervisor {
        name: state.name.clone(),
        desired_workers: plan.initial_workers,
        plan: plan.clone(),
        host: state.host.clone(),
        secret,
        procs: BTreeMap::new(),
        shutting_down: false,
        fixed_ports,
        http: spark_http::client()?,
        marker: state.id.clone(),
    };
    sup.add(plan.master.clone(), None, None);
    if let Some(h) = &plan.history {
        sup.add(h.clone(), None, None);
    }
    for i in 0..plan.initial_workers {
        sup.add_worker(i);
    }

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(LocalError::io("cannot handle signals", &pid_file))?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(LocalError::io("cannot handle signals", &pid_file))?;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tick.tick() => sup.tick().await,
            conn = listener.accept() => {
                if let Ok((stream, _)) = conn {
                    handle(stream, &mut sup).await;
                }
            }
            _ = term.recv() => sup.begin_shutdown(),
            _ = int.recv() => sup.begin_shutdown(),
        }
        if sup.shutting_down && sup.procs.is_empty() {
            break;
        }
    }
    // Anything that escaped its process group (it should not) carries the marker.
    let left = procs::kill_marked(crate::cluster::MARKER_ENV, &sup.marker, 20);
    if !left.is_empty() {
        warn!("processes still alive after stop: {left:?}");
    }
    let _ = std::fs::remove_file(&sock);
    let _ = std::fs::remove_file(&pid_file);
    info!("cluster {} stopped", sup.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let got: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(0).as_secs(), 1);
    }

    #[test]
    fn scale_removes_highest_and_adds_lowest_free() {
        // (active, all present, desired, removed, added)
        type Case<'a> = (&'a [u32], &'a [u32], u32, Vec<u32>, Vec<u32>);
        let cases: &[Case<'_>] = &[
            (&[0, 1, 2], &[0, 1, 2], 1, vec![2, 1], vec![]),
            (&[0, 1, 2], &[0, 1, 2], 3, vec![], vec![]),
            (&[0], &[0], 3, vec![], vec![1, 2]),
            // worker-1 is still draining: new workers skip its index.
            (&[0], &[0, 1], 3, vec![], vec![2, 3]),
            (&[], &[], 2, vec![], vec![0, 1]),
            (&[0, 1], &[0, 1], 0, vec![1, 0], vec![]),
        ];
        for (active, all, desired, remove, add) in cases {
            let (r, a) = scale_decision(active, all, *desired);
            assert_eq!((&r, &a), (remove, add), "{active:?} -> {desired}");
        }
    }
}
