//! `sparkplane submit`: reads what spark-submit reads (options, properties files,
//! `SPARK_CONF_DIR`, pod templates, a few environment variables), builds the driver's objects
//! with the pure builder, then prints them (`--dry-run`) or creates them (`submit_kube`).

mod kube_ops;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sparkplane_api::version::{SparkVersion, DEFAULT_VERSION};
use sparkplane_submit::{
    build_driver, resolve, ConfFile, DriverObjects, DriverRequest, SubmissionIds, SubmitArgs,
    SubmitError, SubmitterEnv, SubmitterUser,
};

use crate::cli::{ObjectFormat, SubmitArgs as Cli};
use crate::Reported;

/// Runs `submit`.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    if let Some(id) = &cli.status {
        return kube_ops::status(&cli, id).await;
    }
    if let Some(id) = &cli.kill {
        return kube_ops::kill(&cli, id).await;
    }
    let (objects, wait, master, request) = match prepare(&cli) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(Reported(crate::EXIT_INVALID).into());
        }
    };
    if let Some(n) = cli.bench_builds {
        bench_builds(&request, n);
        return Ok(0);
    }
    if cli.dry_run {
        print_objects(&objects, cli.output)?;
        return Ok(0);
    }
    if let Some(n) = cli.bench_submissions {
        return bench_submissions(&master, request, n).await;
    }
    kube_ops::create(&master, objects, wait, cli.submission_id.is_some()).await
}

/// Builds `n` times; prints the thread CPU time per build in microseconds.
fn bench_builds(request: &DriverRequest, n: u32) {
    use nix::time::{clock_gettime, ClockId};
    let cpu = || {
        clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
            .map(|t| t.tv_sec() as f64 * 1e6 + t.tv_nsec() as f64 / 1e3)
            .unwrap_or(0.0)
    };
    let start = cpu();
    let mut built = 0usize;
    for _ in 0..n {
        if let Ok(o) = build_driver(request) {
            built += o.claims.len() + 1;
        }
    }
    let per = (cpu() - start) / f64::from(n.max(1));
    println!("{per:.2} us CPU per build ({n} builds, {built} objects)");
}

fn cpu_micros(clock: nix::time::ClockId) -> f64 {
    nix::time::clock_gettime(clock)
        .map(|t| t.tv_sec() as f64 * 1e6 + t.tv_nsec() as f64 / 1e3)
        .unwrap_or(0.0)
}

/// Creates `n` submissions of `request` (distinct derived ids) through one client, as the
/// operator does; prints the wall and process CPU time per submission.
async fn bench_submissions(master: &str, mut request: DriverRequest, n: u32) -> anyhow::Result<u8> {
    let client = kube_ops::client(master).await?;
    let cpu0 = cpu_micros(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID);
    let wall0 = std::time::Instant::now();
    for i in 0..n {
        request.ids = SubmissionIds::derived(&format!("bench-{i}"), request.ids.submit_time_millis);
        let objects = build_driver(&request).map_err(|e| anyhow::anyhow!("{e}"))?;
        kube_ops::create_with(&client, objects, false).await?;
    }
    let wall = wall0.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    let cpu =
        (cpu_micros(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID) - cpu0) / f64::from(n.max(1));
    println!("{wall:.1} us wall, {cpu:.1} us CPU per submission ({n} submissions)");
    Ok(0)
}

/// Prints objects as YAML documents or a JSON `List`.
fn print_objects(objects: &DriverObjects, format: ObjectFormat) -> anyhow::Result<()> {
    print_items(objects.all(), format)
}

/// Prints Kubernetes objects as YAML documents or a JSON `List`.
pub fn print_items(items: Vec<serde_json::Value>, format: ObjectFormat) -> anyhow::Result<()> {
    match format {
        ObjectFormat::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        ObjectFormat::Yaml => {
            for item in items {
                print!("---\n{}", crate::yaml::to_yaml(&item));
            }
        }
    }
    Ok(())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// What the environment says about the submitting user: `SPARK_USER` and
/// `HADOOP_USER_NAME` as they are (set to the empty string included), and the login name
/// Hadoop's login module reads (the process's user, by uid).
fn submitter_user() -> SubmitterUser {
    SubmitterUser {
        spark_user: std::env::var("SPARK_USER").ok(),
        hadoop_user_name: std::env::var("HADOOP_USER_NAME").ok(),
        login_name: nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "spark".into()),
    }
}

fn conf_dir() -> Option<PathBuf> {
    env("SPARK_CONF_DIR")
        .map(PathBuf::from)
        .or_else(|| env("SPARK_HOME").map(|h| Path::new(&h).join("conf")))
}

/// The files Spark ships from the submitter's conf dir: regular UTF-8 files, except
/// templates, Spark's own conf files and archives.
fn conf_files(dir: &Path) -> anyhow::Result<Vec<ConfFile>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return Ok(out),
    };
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let spark_own =
            name.starts_with("spark") && (name.ends_with("conf") || name.ends_with("properties"));
        let archive = [".gz", ".zip", ".jar", ".tar"]
            .iter()
            .any(|s| name.ends_with(s));
        if !path.is_file() || name.ends_with(".template") || spark_own || archive {
            continue;
        }
        if let Ok(contents) = std::fs::read_to_string(&path) {
            out.push(ConfFile { name, contents });
        }
    }
    Ok(out)
}

/// Reads a pod template named by `setting`: a path or `file:` URI on this machine.
fn read_template(setting: &str, value: Option<&str>) -> Result<Option<String>, String> {
    let Some(v) = value else { return Ok(None) };
    let path = match v.split_once("://") {
        Some(("file", p)) => p.to_string(),
        Some((scheme, _)) => {
            return Err(format!(
                "{setting}: not supported by sparkplane submit: {scheme}:// templates would be \
                 downloaded through Hadoop; give a file on this machine"
            ))
        }
        None => v.strip_prefix("file:").unwrap_or(v).to_string(),
    };
    std::fs::read_to_string(&path)
        .map(Some)
        .map_err(|e| format!("{setting}: cannot read {path}: {e}"))
}

/// Everything before talking to Kubernetes; errors are one line naming the setting.
fn prepare(cli: &Cli) -> Result<(DriverObjects, bool, String, DriverRequest), String> {
    let version = match &cli.spark_version {
        Some(v) => SparkVersion::parse_supported(v).map_err(|e| format!("--spark-version: {e}"))?,
        None => DEFAULT_VERSION,
    };
    if env("HADOOP_CONF_DIR").is_some() {
        return Err(
            "HADOOP_CONF_DIR: not supported by sparkplane submit: spark-submit would ship \
                    that directory in a ConfigMap, which sparkplane does not reproduce; unset it"
                .into(),
        );
    }
    let mut rest = cli.rest.iter().cloned();
    let args = SubmitArgs {
        master: cli.master.clone(),
        deploy_mode: cli.deploy_mode.clone(),
        name: cli.name.clone(),
        class: cli.class.clone(),
        conf: cli.conf.clone(),
        jars: cli.jars.clone(),
        files: cli.files.clone(),
        py_files: cli.py_files.clone(),
        archives: cli.archives.clone(),
        packages: cli.packages.clone(),
        exclude_packages: cli.exclude_packages.clone(),
        repositories: cli.repositories.clone(),
        proxy_user: cli.proxy_user.clone(),
        principal: cli.principal.clone(),
        keytab: cli.keytab.clone(),
        driver_memory: cli.driver_memory.clone(),
        driver_cores: cli.driver_cores.clone(),
        driver_java_options: cli.driver_java_options.clone(),
        driver_library_path: cli.driver_library_path.clone(),
        driver_class_path: cli.driver_class_path.clone(),
        executor_memory: cli.executor_memory.clone(),
        executor_cores: cli.executor_cores.clone(),
        num_executors: cli.num_executors.clone(),
        total_executor_cores: cli.total_executor_cores.clone(),
        primary: rest.next(),
        app_args: rest.collect(),
    };
    let properties_file = match &cli.properties_file {
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p)
                .map_err(|e| format!("--properties-file: cannot read {}: {e}", p.display()))?,
        )),
        None => None,
    };
    let dir = conf_dir();
    let spark_defaults = dir
        .as_ref()
        .and_then(|d| std::fs::read_to_string(d.join("spark-defaults.conf")).ok());
    let vars: BTreeMap<String, String> = [
        "SPARK_DRIVER_MEMORY",
        "SPARK_EXECUTOR_MEMORY",
        "SPARK_EXECUTOR_CORES",
    ]
    .iter()
    .filter_map(|k| env(k).map(|v| (k.to_string(), v)))
    .collect();
    let now = chrono::Utc::now().timestamp_millis();
    let resolved = resolve(
        &args,
        &SubmitterEnv {
            properties_file,
            spark_defaults,
            vars,
            now_millis: now,
        },
    )
    .map_err(|e: SubmitError| e.to_string())?;
    let conf = &resolved.conf;
    let driver_template = read_template(
        "spark.kubernetes.driver.podTemplateFile",
        conf.get("spark.kubernetes.driver.podTemplateFile"),
    )?;
    let executor_template = read_template(
        "spark.kubernetes.executor.podTemplateFile",
        conf.get("spark.kubernetes.executor.podTemplateFile"),
    )?;
    let wait = conf
        .get_bool("spark.kubernetes.submission.waitAppCompletion", true)
        .map_err(|e| e.to_string())?;
    let master = conf
        .get("spark.master")
        .and_then(|m| m.strip_prefix("k8s://"))
        .unwrap_or_default()
        .to_string();
    let ids = match &cli.submission_id {
        Some(id) => SubmissionIds::derived(id, now),
        None => SubmissionIds::random(now),
    };
    let conf_files = match &dir {
        Some(d) => conf_files(d).map_err(|e| format!("SPARK_CONF_DIR: {e}"))?,
        None => vec![],
    };
    let request = DriverRequest {
        conf: resolved.conf.clone(),
        resource: resolved.resource,
        app_args: resolved.app_args,
        proxy_user: resolved.proxy_user,
        submitter: submitter_user(),
        version,
        ids,
        env_local_dirs: env("SPARK_LOCAL_DIRS"),
        conf_files,
        driver_template,
        executor_template,
        pod_security: cli.pod_security.level(),
    };
    let objects = build_driver(&request).map_err(|e| e.to_string())?;
    Ok((objects, wait, master, request))
}
