//! Native Spark-on-Kubernetes submission.
//!
//! `spark-submit --master k8s://... --deploy-mode cluster` runs a JVM that turns its command
//! line into a driver pod, a headless Service, a ConfigMap with `spark.properties`, and (by
//! version and settings) a NetworkPolicy, PVCs and a pod-template ConfigMap. This crate builds
//! the same objects with pure functions: [`command_line::resolve`] reproduces spark-submit's
//! option handling, [`driver::build_driver`] its driver feature steps, for each supported
//! Spark version ([`version::Behaviour`]). The conformance suite (`conformance/`) compares
//! the result with what the real spark-submit of each version creates.
//!
//! No I/O happens here: the CLI and the operator read files, talk to Kubernetes and pass the
//! results in.

pub mod command_line;
pub mod conf;
pub mod driver;
pub mod error;
pub mod features;
pub mod ids;
pub mod names;
pub mod pod_security;
pub mod properties;
pub mod request;
pub mod scala_order;
pub mod user;
pub mod version;

pub use command_line::{resolve, ResolvedSubmit, SubmitArgs, SubmitterEnv};
pub use conf::SparkConf;
pub use driver::{build_driver, DriverObjects};
pub use error::SubmitError;
pub use ids::SubmissionIds;
pub use pod_security::PodSecurity;
pub use request::{ConfFile, DriverRequest, MainResource};
pub use user::SubmitterUser;
