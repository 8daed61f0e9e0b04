//! Leader election through a `coordination.k8s.io/v1` Lease: one replica reconciles, the
//! others wait to take over when its lease runs out.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::PostParams;
use kube::{Api, Client};

use crate::error::OperatorError;

/// How long a lease holds without renewal.
pub const LEASE_SECONDS: i32 = 15;
/// How often the leader renews.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How long the leader keeps trying to renew before it gives up: shorter than the lease, so
/// that it has stopped before another replica may take the lease over (client-go's
/// `RenewDeadline`, 10 s against a 15 s lease, likewise).
pub const RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// How often a candidate tries.
const RETRY_EVERY: Duration = Duration::from_secs(2);

fn expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    let Some(renewed) = spec.renew_time.as_ref() else {
        return true;
    };
    let secs = spec.lease_duration_seconds.unwrap_or(LEASE_SECONDS);
    renewed.0 + SignedDuration::from_secs(secs as i64) < now
}

async fn try_take(api: &Api<Lease>, name: &str, identity: &str) -> Result<bool, OperatorError> {
    let now = Timestamp::now();
    let current = api
        .get_opt(name)
        .await
        .map_err(|e| OperatorError::kube(format!("read lease {name}"), e))?;
    let result = match current {
        None => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.into()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(identity.into()),
                    lease_duration_seconds: Some(LEASE_SECONDS),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            api.create(&PostParams::default(), &lease).await
        }
        Some(mut lease) => {
            let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
            let mine = spec.holder_identity.as_deref() == Some(identity);
            if !mine && !expired(spec, now) {
                return Ok(false);
            }
            if !mine {
                spec.holder_identity = Some(identity.into());
                spec.acquire_time = Some(MicroTime(now));
                spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
            }
            spec.lease_duration_seconds = Some(LEASE_SECONDS);
            spec.renew_time = Some(MicroTime(now));
            // The resource version read makes a concurrent taker lose with a conflict.
            api.replace(name, &PostParams::default(), &lease).await
        }
    };
    match result {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
        Err(e) => Err(OperatorError::kube(format!("write lease {name}"), e)),
    }
}

/// Waits until `identity` holds the lease; false if `shutdown` came first.
pub async fn acquire(
    client: Client,
    namespace: &str,
    name: &str,
    identity: &str,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<bool, OperatorError> {
    let api: Api<Lease> = Api::namespaced(client, namespace);
    tokio::pin!(shutdown);
    loop {
        match try_take(&api, name, identity).await {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "leader election"),
        }
        tokio::select! {
            _ = &mut shutdown => return Ok(false),
            _ = tokio::time::sleep(RETRY_EVERY) => {}
        }
    }
}

/// Renews the lease; resolves when it is lost: taken by another, or not renewed within
/// [`RENEW_DEADLINE`] (the API server unreachable). After a failed renewal it retries at the
/// candidates' pace.
pub async fn keep(client: Client, namespace: String, name: String, identity: String) {
    let api: Api<Lease> = Api::namespaced(client, &namespace);
    let mut last_renewal = tokio::time::Instant::now();
    let mut pause = RENEW_EVERY;
    loop {
        tokio::time::sleep(pause).await;
        let attempt = tokio::time::timeout(RETRY_EVERY, try_take(&api, &name, &identity));
        match attempt.await {
            Ok(Ok(true)) => {
                last_renewal = tokio::time::Instant::now();
                pause = RENEW_EVERY;
                continue;
            }
            Ok(Ok(false)) => return,
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot renew the leader lease"),
            Err(_) => tracing::warn!("renewing the leader lease timed out"),
        }
        if last_renewal.elapsed() >= RENEW_DEADLINE {
            return;
        }
        pause = RETRY_EVERY;
    }
}
