//! The labels kubeflow's operator puts on what it creates; tools and dashboards select on
//! them, so sparkplane writes the same.

/// The SparkApplication's name, on its pods and other objects.
pub const APP_NAME: &str = "sparkoperator.k8s.io/app-name";
/// On every pod launched for a SparkApplication; the operator watches pods with it only.
pub const LAUNCHED_BY: &str = "sparkoperator.k8s.io/launched-by-spark-operator";
/// kubeflow marks the pods its webhook must patch; kept for tools that select on it.
pub const MUTATED_BY: &str = "sparkoperator.k8s.io/mutated-by-spark-operator";
/// On objects the operator creates itself (UI Service, Ingress, metrics ConfigMap).
pub const CREATED_BY: &str = "sparkoperator.k8s.io/created-by-spark-operator";
/// The submission a pod belongs to.
pub const SUBMISSION_ID: &str = "sparkoperator.k8s.io/submission-id";
/// The ScheduledSparkApplication a run was started by.
pub const SCHEDULED_APP_NAME: &str = "sparkoperator.k8s.io/scheduled-app-name";
/// Spark's role label: `driver` or `executor`.
pub const SPARK_ROLE: &str = "spark-role";
/// Spark's application id label.
pub const SPARK_APP_SELECTOR: &str = "spark-app-selector";
