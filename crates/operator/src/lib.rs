//! The sparkplane operator: controllers for kubeflow's `sparkoperator.k8s.io/v1beta2`
//! `SparkApplication` and `ScheduledSparkApplication`, submitting through the native builder
//! (no spark-submit JVM, no admission webhook).
//!
//! [`render`] is the pure core: a manifest in, every object of one submission out.
//! [`lifecycle`] decides, as a pure function of the application and what was observed of
//! its driver, the next state and the actions to take. [`controller`] is the shell that
//! watches the API, runs those decisions and writes the results.

#![warn(missing_docs)]

pub mod client;
pub mod controller;
pub mod error;
pub mod http;
pub mod leader;
pub mod lifecycle;
pub mod memory;
pub mod metrics;
pub mod render;
pub mod schedule;
