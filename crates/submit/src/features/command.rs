//! `DriverCommandFeatureStep`: the container's arguments for the image's entrypoint.

use super::SparkPod;
use crate::driver::Ctx;
use crate::request::MainResource;

/// Applies the step.
pub fn apply(ctx: &Ctx, p: &mut SparkPod) {
    let req = &ctx.req;
    let mut args = vec!["driver".to_string()];
    if let Some(u) = &req.proxy_user {
        args.push("--proxy-user".into());
        args.push(u.clone());
    }
    args.push("--properties-file".into());
    args.push("/opt/spark/conf/spark.properties".into());
    args.push("--class".into());
    match &req.resource {
        MainResource::Java { jar, main_class } => {
            args.push(main_class.clone());
            args.push(jar.clone().unwrap_or_else(|| "spark-internal".into()));
        }
        MainResource::Python(file) => {
            args.push("org.apache.spark.deploy.PythonRunner".into());
            args.push(file.clone());
        }
        MainResource::R(file) => {
            args.push("org.apache.spark.deploy.RRunner".into());
            args.push(file.clone());
        }
    }
    args.extend(req.app_args.iter().cloned());
    p.container.args.get_or_insert_with(Vec::new).extend(args);
    if let MainResource::Python(_) = &req.resource {
        let python = ctx.conf.get("spark.pyspark.python");
        let driver_python = ctx.conf.get("spark.pyspark.driver.python").or(python);
        if let Some(v) = python {
            p.add_env("PYSPARK_PYTHON", v);
        }
        if let Some(v) = driver_python {
            p.add_env("PYSPARK_DRIVER_PYTHON", v);
        }
    }
}

/// System properties the step adds.
pub fn properties(ctx: &Ctx) -> Vec<(String, String)> {
    vec![(
        "spark.kubernetes.resource.type".into(),
        ctx.req.resource.type_name().into(),
    )]
}
