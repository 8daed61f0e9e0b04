//! The Services and Ingresses in front of the driver: the Spark UI (`sparkUIOptions`, with
//! the operator's UI settings) and further driver ports (`driverIngressOptions`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sparkplane_api::SparkApplication;

use super::{labels, names, RenderError, UiOptions};

/// The Spark UI's port unless `spark.ui.port` says otherwise.
pub const DEFAULT_UI_PORT: i32 = 4040;

/// The Services and Ingresses of one application.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposure {
    /// Services, the UI's first.
    pub services: Vec<Service>,
    /// Ingresses.
    pub ingresses: Vec<Ingress>,
    /// The UI Service's name and port, for the status.
    pub ui_service: Option<(String, i32)>,
    /// The UI Ingress's name and URL, for the status.
    pub ui_ingress: Option<(String, String)>,
}

/// An Ingress URL, whole and in the parts the Ingress rule takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressUrl {
    /// The URL, with a scheme.
    pub url: String,
    /// Its host (may be empty).
    pub host: String,
    /// Its path (may be empty).
    pub path: String,
}

/// `{{$appName}}`, `{{$appNamespace}}` and `{{$appId}}` replaced; a URL without a scheme
/// is taken as `http://`.
pub fn ingress_url(format: &str, app: &SparkApplication, app_id: &str) -> IngressUrl {
    let mut s = format.to_string();
    for (word, value) in [
        ("appName", app.metadata.name.as_deref().unwrap_or_default()),
        (
            "appNamespace",
            app.metadata.namespace.as_deref().unwrap_or_default(),
        ),
        ("appId", app_id),
    ] {
        s = replace_placeholder(&s, word, value);
    }
    let full = if s.contains("://") {
        s
    } else {
        format!("http://{s}")
    };
    let rest = full.split_once("://").map(|(_, r)| r).unwrap_or(&full);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, path) = (host.to_string(), path.to_string());
    IngressUrl {
        url: full,
        host,
        path,
    }
}

/// Replaces `{{ $word }}` (any spacing inside the braces).
fn replace_placeholder(s: &str, word: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + end].trim();
        out.push_str(&rest[..start]);
        if inner == format!("${word}") {
            out.push_str(value);
        } else {
            out.push_str(&rest[start..start + end + 2]);
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// The UI path when an Ingress serves it under a sub-path: Spark must know it to write its
/// links (`spark.ui.proxyBase`).
pub fn ui_proxy_base(options: &UiOptions, app: &SparkApplication) -> Option<String> {
    let format = options
        .ingress_url_format
        .as_deref()
        .filter(|_| options.service)?;
    let path = ingress_url(format, app, "").path;
    (!path.is_empty() && path != "/").then_some(path)
}

#[allow(clippy::too_many_arguments)]
fn service(
    app: &SparkApplication,
    owner: &OwnerReference,
    submission_id: &str,
    name: String,
    port_name: String,
    port: i32,
    target: i32,
    service_type: Option<&String>,
    extra_labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Service {
    let app_name = app.metadata.name.clone().unwrap_or_default();
    let mut l: BTreeMap<String, String> = [
        (labels::APP_NAME.to_string(), app_name.clone()),
        (labels::SUBMISSION_ID.to_string(), submission_id.to_string()),
    ]
    .into();
    l.extend(extra_labels.clone());
    l.insert(labels::CREATED_BY.into(), "true".into());
    Service {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: app.metadata.namespace.clone(),
            labels: Some(l),
            annotations: (!annotations.is_empty()).then(|| annotations.clone()),
            owner_references: Some(vec![owner.clone()]),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            ports: Some(vec![ServicePort {
                name: Some(port_name),
                port,
                target_port: Some(IntOrString::Int(target)),
                ..ServicePort::default()
            }]),
            selector: Some(
                [
                    (labels::APP_NAME.to_string(), app_name),
                    (labels::SPARK_ROLE.to_string(), "driver".to_string()),
                ]
                .into(),
            ),
            type_: Some(service_type.cloned().unwrap_or_else(|| "ClusterIP".into())),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn ingress(
    app: &SparkApplication,
    owner: &OwnerReference,
    submission_id: &str,
    name: String,
    url: &IngressUrl,
    service: &str,
    port: i32,
    class: Option<&String>,
    annotations: &BTreeMap<String, String>,
    tls: &[IngressTLS],
) -> Ingress {
    let (host, path) = (url.host.as_str(), url.path.as_str());
    let sub_path = !path.is_empty() && path != "/";
    let mut a = annotations.clone();
    if sub_path {
        // The UI is served at its root; the path prefix is cut on the way in.
        a.insert(
            "nginx.ingress.kubernetes.io/rewrite-target".into(),
            "/$2".into(),
        );
    }
    Ingress {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: app.metadata.namespace.clone(),
            labels: Some(
                [
                    (
                        labels::APP_NAME.to_string(),
                        app.metadata.name.clone().unwrap_or_default(),
                    ),
                    (labels::SUBMISSION_ID.to_string(), submission_id.to_string()),
                ]
                .into(),
            ),
            annotations: (!a.is_empty()).then_some(a),
            owner_references: Some(vec![owner.clone()]),
            ..ObjectMeta::default()
        },
        spec: Some(IngressSpec {
            ingress_class_name: class.cloned(),
            rules: Some(vec![IngressRule {
                host: (!host.is_empty()).then(|| host.to_string()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: service.to_string(),
                                port: Some(ServiceBackendPort {
                                    number: Some(port),
                                    name: None,
                                }),
                            }),
                            resource: None,
                        },
                        path: Some(if sub_path {
                            format!("{path}(/|$)(.*)")
                        } else if path.is_empty() {
                            "/".to_string()
                        } else {
                            path.to_string()
                        }),
                        path_type: "ImplementationSpecific".into(),
                    }],
                }),
            }]),
            tls: (!tls.is_empty()).then(|| tls.to_vec()),
            ..IngressSpec::default()
        }),
        ..Default::default()
    }
}

/// The UI and driver-port Services and Ingresses of `app`.
pub fn build(
    app: &SparkApplication,
    owner: &OwnerReference,
    submission_id: &str,
    app_id: &str,
    options: &UiOptions,
) -> Result<Exposure, RenderError> {
    let mut out = Exposure::default();
    let spec = &app.spec;
    let app_name = app.metadata.name.clone().unwrap_or_default();
    let empty = BTreeMap::new();
    if options.service {
        let target = match spec.spark_conf.get("spark.ui.port") {
            Some(p) => p.parse().unwrap_or(DEFAULT_UI_PORT),
            None => DEFAULT_UI_PORT,
        };
        let ui = spec.spark_ui_options.as_ref();
        let port = match ui {
            None => target,
            Some(u) => u.service_port.unwrap_or(DEFAULT_UI_PORT),
        };
        let name = names::ui_service(&app_name);
        out.services.push(service(
            app,
            owner,
            submission_id,
            name.clone(),
            ui.and_then(|u| u.service_port_name.clone())
                .unwrap_or_else(|| "spark-driver-ui-port".into()),
            port,
            target,
            ui.and_then(|u| u.service_type.as_ref()),
            ui.map(|u| &u.service_labels).unwrap_or(&empty),
            ui.map(|u| &u.service_annotations).unwrap_or(&empty),
        ));
        out.ui_service = Some((name.clone(), port));
        if let Some(format) = &options.ingress_url_format {
            let url = ingress_url(format, app, app_id);
            let ingress_name = names::ui_ingress(&app_name);
            let annotations = ui
                .map(|u| u.ingress_annotations.clone())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| options.ingress_annotations.clone());
            let tls = ui
                .map(|u| u.ingress_tls.clone())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| options.ingress_tls.clone());
            out.ingresses.push(ingress(
                app,
                owner,
                submission_id,
                ingress_name.clone(),
                &url,
                &name,
                port,
                options.ingress_class_name.as_ref(),
                &annotations,
                &tls,
            ));
            out.ui_ingress = Some((ingress_name, url.url));
        }
    }
    for (i, d) in spec.driver_ingress_options.iter().enumerate() {
        let path = format!("spec.driverIngressOptions[{i}]");
        let port = d
            .service_port
            .ok_or_else(|| RenderError::field(format!("{path}.servicePort"), "required"))?;
        let port_name = d
            .service_port_name
            .clone()
            .ok_or_else(|| RenderError::field(format!("{path}.servicePortName"), "required"))?;
        let name = format!("{app_name}-driver-{port}");
        out.services.push(service(
            app,
            owner,
            submission_id,
            name.clone(),
            port_name,
            port,
            port,
            d.service_type.as_ref(),
            &d.service_labels,
            &d.service_annotations,
        ));
        if let Some(format) = d.ingress_url_format.as_ref().filter(|f| !f.is_empty()) {
            let url = ingress_url(format, app, app_id);
            let annotations = if d.ingress_annotations.is_empty() {
                options.ingress_annotations.clone()
            } else {
                d.ingress_annotations.clone()
            };
            let tls = if d.ingress_tls.is_empty() {
                options.ingress_tls.clone()
            } else {
                d.ingress_tls.clone()
            };
            out.ingresses.push(ingress(
                app,
                owner,
                submission_id,
                format!("{app_name}-ing-{port}"),
                &url,
                &name,
                port,
                options.ingress_class_name.as_ref(),
                &annotations,
                &tls,
            ));
        }
    }
    Ok(out)
}
