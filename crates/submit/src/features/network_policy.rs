//! `NetworkPolicyFeatureStep` (Spark 4.1+): only the application's own pods may reach its
//! executors.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::driver::Ctx;

/// The NetworkPolicy.
pub fn build(ctx: &Ctx) -> NetworkPolicy {
    let app = || -> BTreeMap<String, String> {
        [("spark-app-selector".to_string(), ctx.req.ids.app_id.clone())].into()
    };
    let mut executors = app();
    executors.insert("spark-role".into(), "executor".into());
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(format!("{}-policy", ctx.prefix)),
            namespace: Some(ctx.namespace.clone()),
            labels: Some(app()),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(executors),
                ..Default::default()
            }),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector {
                        match_labels: Some(app()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}
