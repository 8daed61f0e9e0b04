//! Local applications: a SparkApplication run through Spark's own `spark-submit` (client
//! mode: the driver runs on this machine) against a local cluster or in `local[*]` mode,
//! supervised by a runner daemon that records its state and honours `restartPolicy`.

pub mod ops;
pub mod progress;
pub mod record;
pub mod runner;

/// Environment variable marking every process of one application run.
pub const APP_MARKER_ENV: &str = "SPARKPLANE_APP_ID";
