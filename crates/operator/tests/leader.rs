//! Leader election through a Lease, against the Kubernetes API double.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, PostParams};
use sparkplane_kube_double::KubeDouble;
use sparkplane_operator::{client, leader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_leads_and_another_takes_over_an_expired_lease() {
    let double = KubeDouble::start().unwrap();
    let client = client::client(Some(&double.url()), None).await.unwrap();
    // The first replica takes the lease at once.
    let first = leader::acquire(client.clone(), "ops", "lock", "a", std::future::pending()).await;
    assert!(first.unwrap());
    // A second one waits, and gives up when told to stop.
    let second = leader::acquire(
        client.clone(),
        "ops",
        "lock",
        "b",
        tokio::time::sleep(Duration::from_secs(3)),
    )
    .await;
    assert!(!second.unwrap(), "two leaders");
    // The first stops renewing: once its lease has run out, the second takes over.
    let api: Api<Lease> = Api::namespaced(client.clone(), "ops");
    let mut lease = api.get("lock").await.unwrap();
    let spec = lease.spec.as_mut().unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("a"));
    spec.renew_time = Some(MicroTime(
        Timestamp::now() - SignedDuration::from_secs(leader::LEASE_SECONDS as i64 + 1),
    ));
    api.replace("lock", &PostParams::default(), &lease)
        .await
        .unwrap();
    let taken = leader::acquire(
        client.clone(),
        "ops",
        "lock",
        "b",
        tokio::time::sleep(Duration::from_secs(10)),
    )
    .await;
    assert!(taken.unwrap());
    let lease = api.get("lock").await.unwrap();
    let spec = lease.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("b"));
    assert_eq!(spec.lease_transitions, Some(1));
    // The old leader notices that it lost the lease.
    let lost = tokio::time::timeout(
        Duration::from_secs(20),
        leader::keep(client, "ops".into(), "lock".into(), "a".into()),
    )
    .await;
    assert!(lost.is_ok(), "the old leader did not notice");
}
