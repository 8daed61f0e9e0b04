//! The sparkplane operator: controllers for kubeflow's `sparkoperator.k8s.io/v1beta2`
//! `SparkApplication` and `ScheduledSparkApplication`, submitting through the native builder
//! (no spark-submit JVM, no admission webhook).
//!
//! This crate is the imperative shell only: the controllers, the Kubernetes client, leader
//! election, metrics and the HTTP endpoints. The decisions are pure functions in crates with
//! no I/O: `sparkplane-render` (a manifest in, every object of one submission out),
//! `sparkplane-lifecycle` (the application and what was observed of its driver in, the next
//! state and the actions to take out) and `sparkplane-schedule` (cron and the runs of a
//! ScheduledSparkApplication). [`controller`] watches the API, runs those decisions and
//! writes the results.

#![warn(missing_docs)]

pub mod client;
pub mod controller;
pub mod error;
pub mod http;
pub mod leader;
pub mod memory;
pub mod metrics;
