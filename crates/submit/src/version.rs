//! What differs between the Spark versions sparkplane reproduces. Every difference is a named
//! field, set per release line from what that line's spark-submit creates (the conformance
//! suite records each one): 4.0 reads hostPath types, volume labels, `subPathExpr` and
//! `spark.driver.minMemoryOverhead`; 4.1 adds the Spark Connect port; 4.2 its `grpc` app
//! protocol and the NetworkPolicy; 4.3 the container security context,
//! `publishNotReadyAddresses` and the proxy user as `SPARK_USER`.

use sparkplane_api::version::SparkVersion;

use crate::scala_order::ScalaLine;

/// The submission behaviour of one Spark version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// The Scala line Spark is built with, whose collections order some lists.
    pub scala: ScalaLine,
    /// The driver exposes the Spark Connect port (15002) on its pod and Service.
    pub spark_connect_port: bool,
    /// The Service's Spark Connect port declares `appProtocol: grpc`.
    pub connect_app_protocol: bool,
    /// `SPARK_USER` is the proxy user, as given, when there is one (before: the submitter's
    /// `SPARK_USER` first, and the proxy user's Hadoop short name; see [`crate::user`]).
    pub spark_user_is_proxy_user: bool,
    /// hostPath volumes read `options.type`, and PVCs `label.*`/`annotation.*`.
    pub volume_type_and_labels: bool,
    /// The driver container sets `allowPrivilegeEscalation: false`.
    pub disallow_privilege_escalation: bool,
    /// The Service sets `publishNotReadyAddresses`.
    pub publish_not_ready_addresses: bool,
    /// A NetworkPolicy admits only the application's own pods to its executors.
    pub network_policy: bool,
    /// `spark.driver.minMemoryOverhead` is read (before, the minimum is fixed at 384 MiB).
    pub min_memory_overhead_conf: bool,
    /// `{{APP_ID}}` in driver label values is replaced by the application id.
    pub label_app_id_substitution: bool,
    /// On-demand PVCs are `ReadWriteOncePod` (before: `ReadWriteOnce`).
    pub read_write_once_pod: bool,
    /// Volume mounts carry `subPathExpr` (and volumes may set `label.*`/`annotation.*`).
    pub sub_path_expr: bool,
}

impl Behaviour {
    /// The behaviour of `version`'s spark-submit.
    pub fn of(version: SparkVersion) -> Behaviour {
        let at_least = |major: u32, minor: u32| (version.major, version.minor) >= (major, minor);
        Behaviour {
            scala: if version.major >= 4 {
                ScalaLine::V2_13
            } else {
                ScalaLine::V2_12
            },
            spark_connect_port: at_least(4, 1),
            connect_app_protocol: at_least(4, 2),
            spark_user_is_proxy_user: at_least(4, 3),
            volume_type_and_labels: at_least(4, 0),
            disallow_privilege_escalation: at_least(4, 3),
            publish_not_ready_addresses: at_least(4, 3),
            network_policy: at_least(4, 2),
            min_memory_overhead_conf: at_least(4, 0),
            label_app_id_substitution: at_least(4, 0),
            read_write_once_pod: at_least(4, 0),
            sub_path_expr: at_least(4, 0),
        }
    }
}
