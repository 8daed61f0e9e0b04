//! The random parts of a submission: the application id, the unique ids in resource names and
//! the local-dir UUID. spark-submit draws them at random; given a submission id, sparkplane
//! derives them from it, so that building twice yields the same objects.

use sha2::{Digest, Sha256};

/// Every identifier a submission needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionIds {
    /// `spark.app.id`: `spark-` + 32 hex digits.
    pub app_id: String,
    /// The unique id in the resource name prefix (`<app>-<id>-driver`).
    pub prefix_id: String,
    /// The unique id in the conf ConfigMap's name (`spark-drv-<id>-conf-map`).
    pub conf_map_id: String,
    /// The unique id in the fallback Service name (`spark-<id>-driver-svc`).
    pub service_id: String,
    /// The UUID in the default local dir (`/var/data/spark-<uuid>`).
    pub local_dir_uuid: String,
    /// `spark.app.submitTime`, in milliseconds since the epoch.
    pub submit_time_millis: i64,
}

fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    // Version 4, variant 1, as java.util.UUID.randomUUID.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A unique id as Spark makes it: 3 random bytes in hex, then the low 40 bits of the time in
/// milliseconds, in hex without padding.
fn unique_id(random: &[u8], millis: i64) -> String {
    format!("{}{:x}", hex::encode(&random[..3]), millis & 0xFF_FFFF_FFFF)
}

impl SubmissionIds {
    /// Identifiers derived from `submission_id` alone: the same id always gives the same
    /// objects (the operator relies on this to make creation idempotent).
    pub fn derived(submission_id: &str, submit_time_millis: i64) -> Self {
        let digest = |label: &str| -> Vec<u8> {
            let mut h = Sha256::new();
            h.update(label.as_bytes());
            h.update([0]);
            h.update(submission_id.as_bytes());
            h.finalize().to_vec()
        };
        let uid = |label: &str| -> String {
            // 16 hex digits, like a unique id whose time part has 10 digits.
            hex::encode(&digest(label)[..8])
        };
        SubmissionIds {
            app_id: format!("spark-{}", hex::encode(&digest("app-id")[..16])),
            prefix_id: uid("prefix"),
            conf_map_id: uid("conf-map"),
            service_id: uid("service"),
            local_dir_uuid: uuid_from(&digest("local-dir")),
            submit_time_millis,
        }
    }

    /// Fresh random identifiers, as spark-submit draws them.
    pub fn random(now_millis: i64) -> Self {
        let r: [u8; 64] = std::array::from_fn(|_| rand::random::<u8>());
        SubmissionIds {
            app_id: format!("spark-{}", hex::encode(&r[0..16])),
            prefix_id: unique_id(&r[16..19], now_millis),
            conf_map_id: unique_id(&r[19..22], now_millis),
            service_id: unique_id(&r[22..25], now_millis),
            local_dir_uuid: uuid_from(&r[32..48]),
            submit_time_millis: now_millis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = SubmissionIds::derived("default/app-1", 1);
        assert_eq!(a, SubmissionIds::derived("default/app-1", 1));
        assert_ne!(a.app_id, SubmissionIds::derived("default/app-2", 1).app_id);
        assert_eq!(a.app_id.len(), 38);
        assert_ne!(a.prefix_id, a.conf_map_id);
        assert_eq!(a.local_dir_uuid.len(), 36);
        assert_eq!(&a.local_dir_uuid[14..15], "4");
    }

    #[test]
    fn random_ids_look_like_sparks() {
        let a = SubmissionIds::random(0x1ff9d5604);
        assert!(a.prefix_id.ends_with("1ff9d5604"));
        assert_eq!(a.prefix_id.len(), 15);
        assert_ne!(a.app_id, SubmissionIds::random(0x1ff9d5604).app_id);
    }
}
