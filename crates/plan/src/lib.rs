//! Pure planning for the local runtime: from a validated manifest plus the facts the shell
//! gathered (Spark home, free ports, directories), the exact processes to run.
//!
//! Nothing here touches the file system, the network or processes, so every rule is tested
//! table-driven; `sparkplane-local` carries the plans out.

pub mod cluster;
pub mod conf;
pub mod layout;
pub mod process;
pub mod submit;

pub use cluster::{plan_cluster, ClusterInputs, ClusterPlan, ResolvedPorts};
pub use layout::ClusterLayout;
pub use process::{ProcessSpec, Role};
