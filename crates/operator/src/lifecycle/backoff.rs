//! Retry delays: exponential with a cap. kubeflow waits `interval × attempts`, which grows
//! without bound for an application restarted forever; here the delay doubles per attempt
//! and stops at the operator's cap.

use std::time::Duration;

/// The delay before retry number `attempts` (1 for the first retry) with the manifest's
/// `interval` in seconds.
pub fn delay(interval_seconds: i64, attempts: i32, cap: Duration) -> Duration {
    let base = Duration::from_secs(interval_seconds.max(0) as u64);
    let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
    base.checked_mul(1u32 << doublings)
        .map_or(cap, |d| d.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_stops_at_the_cap() {
        let cap = Duration::from_secs(300);
        let cases = [
            (5, 0, 5),
            (5, 1, 5),
            (5, 2, 10),
            (5, 3, 20),
            (5, 6, 160),
            (5, 7, 300),
            (5, 1000, 300),
            (0, 4, 0),
            (-3, 2, 0),
            (i64::MAX / 2, 40, 300),
        ];
        for (interval, attempts, want) in cases {
            assert_eq!(
                delay(interval, attempts, cap),
                Duration::from_secs(want),
                "interval {interval}, attempts {attempts}"
            );
        }
    }
}
