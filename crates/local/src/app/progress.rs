//! Live progress of a running application from the driver's REST API.

use crate::spark_http::{self, DriverJob};

/// Jobs and tasks of an application at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Jobs known so far.
    pub jobs: u64,
    /// Jobs finished successfully.
    pub jobs_done: u64,
    /// Jobs running.
    pub jobs_running: u64,
    /// Tasks of all known jobs.
    pub tasks: u64,
    /// Tasks completed.
    pub tasks_done: u64,
}

/// Sums the driver's job list into a [`Progress`].
pub fn summarize(jobs: &[DriverJob]) -> Progress {
    let mut p = Progress::default();
    for j in jobs {
        p.jobs += 1;
        match j.status.as_str() {
            "SUCCEEDED" => p.jobs_done += 1,
            "RUNNING" => p.jobs_running += 1,
            _ => {}
        }
        p.tasks += j.num_tasks;
        p.tasks_done += j.num_completed_tasks;
    }
    p
}

/// Reads the progress of application `app_id` from the driver UI at `ui`.
pub async fn fetch(client: &reqwest::Client, ui: &str, app_id: &str) -> Option<Progress> {
    let url = format!("{ui}/api/v1/applications/{app_id}/jobs");
    spark_http::get_json::<Vec<DriverJob>>(client, &url)
        .await
        .ok()
        .map(|jobs| summarize(&jobs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_jobs_and_tasks() {
        let doc = r#"[
          {"jobId":1,"name":"count","submissionTime":"x","stageIds":[2,3],"status":"RUNNING","numTasks":20,"numActiveTasks":2,"numCompletedTasks":12,"numSkippedTasks":0,"numFailedTasks":0,"numKilledTasks":0,"numCompletedIndices":12,"numActiveStages":1,"numCompletedStages":1,"numSkippedStages":0,"numFailedStages":0,"killedTasksSummary":{}},
          {"jobId":0,"name":"reduce","stageIds":[0,1],"status":"SUCCEEDED","numTasks":4,"numCompletedTasks":4,"numCompletedStages":2}
        ]"#;
        let jobs: Vec<DriverJob> = serde_json::from_str(doc).unwrap();
        assert_eq!(
            summarize(&jobs),
            Progress {
                jobs: 2,
                jobs_done: 1,
                jobs_running: 1,
                tasks: 24,
                tasks_done: 16
            }
        );
    }
}
