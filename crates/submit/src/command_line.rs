//! spark-submit's command-line semantics for Kubernetes cluster mode
//! (`SparkSubmitArguments` and `SparkSubmit.prepareSubmitEnvironment`): options, properties
//! files and defaults become the configuration the driver is built from.

use std::collections::BTreeMap;

use sparkplane_spark_resources::keys;

use crate::conf::SparkConf;
use crate::error::SubmitError;
use crate::properties;
use crate::request::MainResource;

/// spark-submit's options, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitArgs {
    /// `--master`.
    pub master: Option<String>,
    /// `--deploy-mode`.
    pub deploy_mode: Option<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `--class`.
    pub class: Option<String>,
    /// `--conf K=V`, in order.
    pub conf: Vec<String>,
    /// `--jars`.
    pub jars: Option<String>,
    /// `--files`.
    pub files: Option<String>,
    /// `--py-files`.
    pub py_files: Option<String>,
    /// `--archives`.
    pub archives: Option<String>,
    /// `--packages`.
    pub packages: Option<String>,
    /// `--exclude-packages`.
    pub exclude_packages: Option<String>,
    /// `--repositories`.
    pub repositories: Option<String>,
    /// `--proxy-user`.
    pub proxy_user: Option<String>,
    /// `--principal`.
    pub principal: Option<String>,
    /// `--keytab`.
    pub keytab: Option<String>,
    /// `--driver-memory`.
    pub driver_memory: Option<String>,
    /// `--driver-cores`.
    pub driver_cores: Option<String>,
    /// `--driver-java-options`.
    pub driver_java_options: Option<String>,
    /// `--driver-library-path`.
    pub driver_library_path: Option<String>,
    /// `--driver-class-path`.
    pub driver_class_path: Option<String>,
    /// `--executor-memory`.
    pub executor_memory: Option<String>,
    /// `--executor-cores`.
    pub executor_cores: Option<String>,
    /// `--num-executors`.
    pub num_executors: Option<String>,
    /// `--total-executor-cores`.
    pub total_executor_cores: Option<String>,
    /// The primary resource.
    pub primary: Option<String>,
    /// Application arguments.
    pub app_args: Vec<String>,
}

/// What the submitter's machine contributes.
#[derive(Debug, Clone, Default)]
pub struct SubmitterEnv {
    /// `--properties-file`'s path and contents.
    pub properties_file: Option<(String, String)>,
    /// `$SPARK_CONF_DIR/spark-defaults.conf`, when it exists.
    pub spark_defaults: Option<String>,
    /// Environment variables spark-submit reads (`SPARK_DRIVER_MEMORY`, ...).
    pub vars: BTreeMap<String, String>,
    /// `spark.app.submitTime`.
    pub now_millis: i64,
}

/// The outcome: what the Kubernetes client application receives.
#[derive(Debug, Clone)]
pub struct ResolvedSubmit {
    /// The configuration.
    pub conf: SparkConf,
    /// The main resource.
    pub resource: MainResource,
    /// Application arguments.
    pub app_args: Vec<String>,
    /// `--proxy-user`.
    pub proxy_user: Option<String>,
}

/// Whether a URI names a file on the submitting machine (no scheme, or `file:`).
pub fn is_local_file(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, _)) => {
            scheme.eq_ignore_ascii_case("file")
                // A Windows drive letter is not a scheme.
                || (scheme.len() == 1 && scheme.chars().all(|c| c.is_ascii_alphabetic()))
        }
        None => true,
    }
}

fn refuse_local(setting: &str, list: Option<&str>) -> Result<(), SubmitError> {
    for uri in list
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        if is_local_file(uri) {
            return Err(SubmitError::unsupported(
                setting,
                format!(
                    "{uri} is a file on this machine; spark-submit would upload it through \
                     spark.kubernetes.file.upload.path, which sparkplane does not do: put it in \
                     the image (local:///path) or at a remote URI (https://, s3a://, hdfs://)"
                ),
            ));
        }
    }
    Ok(())
}

fn basename(uri: &str) -> String {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// Resolves spark-submit's options for `--deploy-mode cluster` on Kubernetes.
///
/// The steps follow spark-submit's own order, so that of several problems the one it
/// reports first is the one reported.
pub fn resolve(args: &SubmitArgs, env: &SubmitterEnv) -> Result<ResolvedSubmit, SubmitError> {
    refuse_kerberos(args)?;
    let props = spark_properties(args, env)?;
    let master = master_url(args, &props)?;
    check_deploy_mode(args, &props)?;
    let resource = main_resource(args)?;
    let name = pick(&args.name, &props, "spark.app.name").unwrap_or_else(|| match &resource {
        MainResource::Java { main_class, .. } => main_class.clone(),
        MainResource::Python(f) | MainResource::R(f) => basename(f),
    });
    let deps = Dependencies::pick(args, &props)?;

    let mut conf = props.clone();
    conf.set("spark.master", master);
    conf.set("spark.submit.deployMode", "cluster");
    assign_options(
        &mut conf,
        args,
        env,
        &props,
        name,
        deps.files,
        deps.archives,
    );
    if let Some(j) = with_primary_jar(&resource, deps.jars) {
        conf.set("spark.jars", j);
    }
    conf.set("spark.submit.pyFiles", deps.py_files.unwrap_or_default());
    conf.set("spark.app.submitTime", env.now_millis.to_string());
    conf.remove("spark.driver.host");
    Ok(ResolvedSubmit {
        conf,
        resource,
        app_args: args.app_args.clone(),
        proxy_user: args.proxy_user.clone(),
    })
}

/// The flag's value, else the property's.
fn pick(flag: &Option<String>, props: &SparkConf, key: &str) -> Option<String> {
    flag.clone().or_else(|| props.get(key).map(str::to_string))
}

fn refuse_kerberos(args: &SubmitArgs) -> Result<(), SubmitError> {
    for (flag, given) in [("--principal", &args.principal), ("--keytab", &args.keytab)] {
        if given.is_some() {
            return Err(SubmitError::unsupported(
                flag,
                "Kerberos delegation is not reproduced",
            ));
        }
    }
    Ok(())
}

/// `sparkProperties`: --conf first, then the properties file (or the defaults) beneath.
fn spark_properties(args: &SubmitArgs, env: &SubmitterEnv) -> Result<SparkConf, SubmitError> {
    let mut props = SparkConf::new();
    for c in &args.conf {
        let (k, v) = c
            .split_once('=')
            .ok_or_else(|| SubmitError::invalid("--conf", "KEY=VALUE", c.clone()))?;
        props.set(k, v);
    }
    let file = match &env.properties_file {
        Some((_, text)) => Some(text.as_str()),
        None => env.spark_defaults.as_deref(),
    };
    if let Some(text) = file {
        for (k, v) in properties::load(text) {
            // Only `spark.*` keys count; values are trimmed.
            if k.starts_with("spark.") {
                props.set_if_missing(&k, v.trim());
            }
        }
    }
    // Maven packages become confs, as spark-submit's option assigners make them in cluster
    // mode; the flag wins over --conf and the properties file. spark-submit also resolves
    // them with Ivy before submitting, but in Kubernetes cluster mode only for its own
    // classpath: the driver resolves them again, in its pod, and that is what the
    // application uses. So nothing else of the submission depends on them.
    for (given, key) in [
        (&args.packages, "spark.jars.packages"),
        (&args.exclude_packages, "spark.jars.excludes"),
        (&args.repositories, "spark.jars.repositories"),
    ] {
        if let Some(v) = given {
            props.set(key, v);
        }
    }
    Ok(props)
}

/// The `k8s://` master URL, with the scheme `checkAndGetK8sMasterUrl` implies.
fn master_url(args: &SubmitArgs, props: &SparkConf) -> Result<String, SubmitError> {
    let master = pick(&args.master, props, "spark.master").ok_or_else(|| SubmitError::Missing {
        setting: "--master".into(),
        reason: "k8s://https://<api-server> names the cluster to submit to".into(),
    })?;
    let Some(api) = master.strip_prefix("k8s://") else {
        return Err(SubmitError::invalid(
            "--master",
            "k8s://https://<api-server> (sparkplane submit creates the driver on Kubernetes; \
             use `sparkplane app submit` for local runs)",
            master,
        ));
    };
    // `checkAndGetK8sMasterUrl`: a URL without a scheme means https.
    Ok(if api.contains("://") {
        master.clone()
    } else {
        format!("k8s://https://{api}")
    })
}

fn check_deploy_mode(args: &SubmitArgs, props: &SparkConf) -> Result<(), SubmitError> {
    let deploy_mode = pick(&args.deploy_mode, props, "spark.submit.deployMode")
        .unwrap_or_else(|| "client".into());
    if deploy_mode != "cluster" {
        return Err(SubmitError::unsupported(
            "--deploy-mode",
            format!(
                "{deploy_mode} mode runs the driver on this machine; sparkplane submit creates it \
                 in the cluster: pass --deploy-mode cluster"
            ),
        ));
    }
    Ok(())
}

/// The primary resource, which must not be on this machine, and its kind.
fn main_resource(args: &SubmitArgs) -> Result<MainResource, SubmitError> {
    let primary = args.primary.clone().ok_or_else(|| SubmitError::Missing {
        setting: "primary resource".into(),
        reason: "the application jar, .py or .R file after the options".into(),
    })?;
    if is_local_file(&primary) {
        refuse_local("primary resource", Some(&primary))?;
    }
    let lower = primary.to_ascii_lowercase();
    Ok(if lower.ends_with(".py") {
        MainResource::Python(primary.clone())
    } else if lower.ends_with(".r") {
        MainResource::R(primary.clone())
    } else {
        let main_class = args.class.clone().ok_or_else(|| SubmitError::Missing {
            setting: "--class".into(),
            reason: "the main class cannot be read from a jar that is not on this machine".into(),
        })?;
        MainResource::Java {
            jar: Some(primary.clone()),
            main_class,
        }
    })
}

/// The dependency lists, none of which may name a file on this machine.
struct Dependencies {
    jars: Option<String>,
    files: Option<String>,
    py_files: Option<String>,
    archives: Option<String>,
}

impl Dependencies {
    fn pick(args: &SubmitArgs, props: &SparkConf) -> Result<Self, SubmitError> {
        let deps = Dependencies {
            jars: pick(&args.jars, props, "spark.jars"),
            files: pick(&args.files, props, "spark.files"),
            py_files: pick(&args.py_files, props, "spark.submit.pyFiles"),
            archives: pick(&args.archives, props, "spark.archives"),
        };
        refuse_local("--jars", deps.jars.as_deref())?;
        refuse_local("--files", deps.files.as_deref())?;
        refuse_local("--py-files", deps.py_files.as_deref())?;
        refuse_local("--archives", deps.archives.as_deref())?;
        Ok(deps)
    }
}

/// spark-submit's option assigners for cluster mode: each flag (else its property, else an
/// environment variable for some) sets its key, in spark-submit's order.
fn assign_options(
    conf: &mut SparkConf,
    args: &SubmitArgs,
    env: &SubmitterEnv,
    props: &SparkConf,
    name: String,
    files: Option<String>,
    archives: Option<String>,
) {
    let pick = |flag: &Option<String>, key: &str| pick(flag, props, key);
    let var = |name: &str| env.vars.get(name).cloned();
    let assigned = [
        ("spark.app.name", Some(name)),
        (
            keys::DRIVER_MEMORY,
            pick(&args.driver_memory, keys::DRIVER_MEMORY).or_else(|| var("SPARK_DRIVER_MEMORY")),
        ),
        (
            keys::DRIVER_CORES,
            pick(&args.driver_cores, keys::DRIVER_CORES),
        ),
        (
            "spark.driver.extraClassPath",
            pick(&args.driver_class_path, "spark.driver.extraClassPath"),
        ),
        (
            "spark.driver.extraJavaOptions",
            pick(&args.driver_java_options, "spark.driver.extraJavaOptions"),
        ),
        (
            "spark.driver.extraLibraryPath",
            pick(&args.driver_library_path, "spark.driver.extraLibraryPath"),
        ),
        (
            keys::EXECUTOR_MEMORY,
            pick(&args.executor_memory, keys::EXECUTOR_MEMORY)
                .or_else(|| var("SPARK_EXECUTOR_MEMORY")),
        ),
        (
            keys::EXECUTOR_CORES,
            pick(&args.executor_cores, keys::EXECUTOR_CORES)
                .or_else(|| var("SPARK_EXECUTOR_CORES")),
        ),
        (
            keys::EXECUTOR_INSTANCES,
            pick(&args.num_executors, keys::EXECUTOR_INSTANCES),
        ),
        (
            keys::CORES_MAX,
            pick(&args.total_executor_cores, keys::CORES_MAX),
        ),
        ("spark.files", files),
        ("spark.archives", archives),
    ];
    for (key, value) in assigned {
        if let Some(v) = value {
            conf.set(key, v);
        }
    }
}

/// `spark.jars` with a Java application's jar appended.
fn with_primary_jar(resource: &MainResource, jars: Option<String>) -> Option<String> {
    match resource {
        MainResource::Java { jar: Some(j), .. } => Some(match jars {
            Some(list) if !list.is_empty() => format!("{list},{j}"),
            _ => j.clone(),
        }),
        _ => jars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(primary: &str) -> SubmitArgs {
        SubmitArgs {
            master: Some("k8s://https://k8s:6443".into()),
            deploy_mode: Some("cluster".into()),
            class: Some("Main".into()),
            primary: Some(primary.into()),
            ..Default::default()
        }
    }

    #[test]
    fn jvm_app_jar_goes_last_in_spark_jars() {
        let mut a = args("local:///app.jar");
        a.jars = Some("https://x/a.jar".into());
        let r = resolve(&a, &SubmitterEnv::default()).unwrap();
        assert_eq!(
            r.conf.get("spark.jars"),
            Some("https://x/a.jar,local:///app.jar")
        );
        assert_eq!(r.conf.get("spark.app.name"), Some("Main"));
        assert_eq!(r.conf.get("spark.submit.pyFiles"), Some(""));
    }

    #[test]
    fn flags_beat_conf_and_conf_beats_files() {
        let mut a = args("local:///app.py");
        a.num_executors = Some("4".into());
        a.conf = vec!["spark.executor.instances=5".into(), "spark.x=cli".into()];
        let env = SubmitterEnv {
            properties_file: Some((
                "p".into(),
                "spark.x=file\nspark.y = file \nother=1\n".into(),
            )),
            spark_defaults: Some("spark.z=defaults\n".into()),
            ..Default::default()
        };
        let r = resolve(&a, &env).unwrap();
        assert_eq!(r.conf.get("spark.executor.instances"), Some("4"));
        assert_eq!(r.conf.get("spark.x"), Some("cli"));
        assert_eq!(r.conf.get("spark.y"), Some("file"));
        assert_eq!(r.conf.get("other"), None);
        assert_eq!(
            r.conf.get("spark.z"),
            None,
            "a properties file replaces the defaults"
        );
        assert_eq!(r.conf.get("spark.app.name"), Some("app.py"));
        assert!(matches!(r.resource, MainResource::Python(_)));
    }

    type Change = Box<dyn Fn(&mut SubmitArgs)>;

    #[test]
    fn refusals_name_the_setting() {
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|a| a.deploy_mode = Some("client".into())),
                "--deploy-mode",
            ),
            (
                Box::new(|a| a.master = Some("spark://m:7077".into())),
                "--master",
            ),
            (Box::new(|a| a.jars = Some("/tmp/x.jar".into())), "--jars"),
            (
                Box::new(|a| a.files = Some("file:///tmp/x".into())),
                "--files",
            ),
            (
                Box::new(|a| a.primary = Some("app.jar".into())),
                "primary resource",
            ),
            (Box::new(|a| a.conf = vec!["novalue".into()]), "--conf"),
            (Box::new(|a| a.class = None), "--class"),
            (Box::new(|a| a.keytab = Some("k".into())), "--keytab"),
        ];
        for (change, setting) in cases {
            let mut a = args("local:///app.jar");
            change(&mut a);
            let e = resolve(&a, &SubmitterEnv::default()).unwrap_err();
            assert!(e.to_string().starts_with(setting), "{setting}: {e}");
        }
    }

    /// spark-submit 3.5.9 and 4.3.0 recorded with a local repository: the packages become
    /// these confs and nothing else changes (conformance case 57-packages).
    #[test]
    fn maven_packages_become_confs_and_flags_win() {
        let mut a = args("local:///app.jar");
        a.packages = Some("org.example:demo:1.0".into());
        a.exclude_packages = Some("org.example:other".into());
        a.repositories = Some("file:m2".into());
        a.conf = vec![
            "spark.jars.packages=g:overridden:1".into(),
            "spark.jars.ivy=/tmp/ivy".into(),
        ];
        let r = resolve(&a, &SubmitterEnv::default()).unwrap();
        for (key, want) in [
            ("spark.jars.packages", "org.example:demo:1.0"),
            ("spark.jars.excludes", "org.example:other"),
            ("spark.jars.repositories", "file:m2"),
            ("spark.jars.ivy", "/tmp/ivy"),
            ("spark.jars", "local:///app.jar"),
        ] {
            assert_eq!(r.conf.get(key), Some(want), "{key}");
        }
    }

    #[test]
    fn master_without_scheme_means_https() {
        let mut a = args("local:///app.jar");
        a.master = Some("k8s://k8s:6443".into());
        let r = resolve(&a, &SubmitterEnv::default()).unwrap();
        assert_eq!(r.conf.get("spark.master"), Some("k8s://https://k8s:6443"));
    }
}
