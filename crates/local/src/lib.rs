//! The local runtime: Spark standalone clusters and Spark applications as supervised processes
//! on one machine. This crate is the imperative shell around `sparkplane-plan`: it finds ports,
//! writes files, starts and watches processes and talks to Spark's HTTP endpoints.

pub mod app;
pub mod cluster;
pub mod control;
pub mod daemon;
pub mod error;
pub mod home;
pub mod ports;
pub mod procs;
pub mod secret;
pub mod spark_http;
pub mod spawn;
pub mod state;
pub mod supervisor;

pub use error::LocalError;
pub use home::Home;
