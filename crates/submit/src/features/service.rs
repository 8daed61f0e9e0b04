//! `DriverServiceFeatureStep`: the headless Service executors reach the driver through.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::driver::Ctx;
use crate::error::SubmitError;

/// The Service.
pub fn build(ctx: &Ctx) -> Result<Service, SubmitError> {
    let conf = &ctx.conf;
    let mut labels = vec![("spark-app-selector".to_string(), ctx.req.ids.app_id.clone())];
    labels.extend(ctx.prefixed("spark.kubernetes.driver.service.label."));
    let annotations = ctx.prefixed("spark.kubernetes.driver.service.annotation.");
    let block_manager = conf.get_int("spark.driver.blockManager.port", 7079)?;
    let mut ports = vec![
        port("driver-rpc-port", ctx.driver_port, None),
        port("blockmanager", block_manager, None),
        port("spark-ui", ctx.ui_port, None),
    ];
    if ctx.behaviour.spark_connect_port {
        ports.push(port(
            "spark-connect",
            ctx.connect_port,
            ctx.behaviour.connect_app_protocol.then_some("grpc"),
        ));
    }
    let publish = if ctx.behaviour.publish_not_ready_addresses {
        Some(conf.get_bool(
            "spark.kubernetes.driver.service.publishNotReadyAddresses",
            false,
        )?)
    } else {
        None
    };
    Ok(Service {
        metadata: ObjectMeta {
            name: Some(ctx.service_name.clone()),
            labels: Some(labels.into_iter().collect()),
            annotations: (!annotations.is_empty()).then(|| annotations.into_iter().collect()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            ip_family_policy: Some(
                conf.get("spark.kubernetes.driver.service.ipFamilyPolicy")
                    .unwrap_or("SingleStack")
                    .to_string(),
            ),
            ip_families: Some(
                conf.get("spark.kubernetes.driver.service.ipFamilies")
                    .unwrap_or("IPv4")
                    .split(',')
                    .map(str::to_string)
                    .collect(),
            ),
            selector: Some(ctx.labels.iter().cloned().collect()),
            ports: Some(ports),
            publish_not_ready_addresses: publish,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn port(name: &str, number: i32, app_protocol: Option<&str>) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port: number,
        target_port: Some(IntOrString::Int(number)),
        app_protocol: app_protocol.map(str::to_string),
        ..Default::default()
    }
}

/// System properties the step adds.
pub fn properties(ctx: &Ctx) -> Result<Vec<(String, String)>, SubmitError> {
    Ok(vec![
        (
            "spark.driver.host".into(),
            format!("{}.{}.svc", ctx.service_name, ctx.namespace),
        ),
        ("spark.driver.port".into(), ctx.driver_port.to_string()),
        (
            "spark.driver.blockManager.port".into(),
            ctx.conf
                .get_int("spark.driver.blockManager.port", 7079)?
                .to_string(),
        ),
    ])
}
