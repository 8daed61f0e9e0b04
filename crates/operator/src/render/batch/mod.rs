//! Batch schedulers (`batchScheduler`, `batchSchedulerOptions`): the queue and priority go
//! onto the pods, where the scheduler reads them.
//!
//! Not reproduced: kubeflow's Volcano and scheduler-plugins integrations create a
//! `PodGroup` object with the application's total resources, and its YuniKorn integration
//! adds gang-scheduling task groups. Without them, Volcano's own controller groups the pods
//! by their queue annotation, and YuniKorn schedules them one by one in their queue.

use sparkplane_api::SparkApplication;

/// Volcano reads a pod's queue from this annotation.
const VOLCANO_QUEUE: &str = "scheduling.volcano.sh/queue-name";
/// YuniKorn reads a pod's queue from this label.
const YUNIKORN_QUEUE: &str = "queue";

/// Applies the batch scheduler options to `app` (a copy being prepared for submission).
pub fn apply(app: &mut SparkApplication) {
    let Some(options) = app.spec.batch_scheduler_options.clone() else {
        return;
    };
    let scheduler = app.spec.batch_scheduler.clone().unwrap_or_default();
    if let Some(queue) = options.queue.filter(|q| !q.is_empty()) {
        for (labels, annotations) in [
            (
                &mut app.spec.driver.labels,
                &mut app.spec.driver.annotations,
            ),
            (
                &mut app.spec.executor.labels,
                &mut app.spec.executor.annotations,
            ),
        ] {
            match scheduler.as_str() {
                "volcano" => {
                    annotations.insert(VOLCANO_QUEUE.into(), queue.clone());
                }
                _ => {
                    labels.insert(YUNIKORN_QUEUE.into(), queue.clone());
                }
            }
        }
    }
    if let Some(pc) = options.priority_class_name.filter(|p| !p.is_empty()) {
        app.spec
            .driver
            .priority_class_name
            .get_or_insert_with(|| pc.clone());
        app.spec.executor.priority_class_name.get_or_insert(pc);
    }
}
