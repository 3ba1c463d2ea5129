//! Process metrics for `/metrics`, in the Prometheus text format.
//!
//! Counters are plain atomics: a handful of series, no registry crate needed.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Status classes counted: 1xx … 5xx.
const STATUS_CLASSES: usize = 5;

#[derive(Default)]
pub struct Metrics {
    /// Requests by status class (index 0 = 1xx).
    requests: [AtomicU64; STATUS_CLASSES],
    /// Cumulative latency buckets, then +Inf.
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_micros_sum: AtomicU64,
    /// 1 when the last Docker call reached the engine, 0 when not, -1 before the first call.
    docker_up: AtomicI64,
}

impl Metrics {
    pub fn new() -> Self {
        let metrics = Self::default();
        metrics.docker_up.store(-1, Ordering::Relaxed);
        metrics
    }

    pub fn record_request(&self, status: u16, elapsed: Duration) {
        let class = usize::from(status / 100).clamp(1, STATUS_CLASSES) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_micros_sum
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn record_docker_reachable(&self, up: bool) {
        self.docker_up.store(i64::from(up), Ordering::Relaxed);
    }

    /// The Prometheus text exposition of everything, with the task counts and database
    /// state read by the caller.
    pub fn render(&self, tasks_by_status: &[(String, i64)], database_up: bool) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP caretaker_http_requests_total HTTP requests answered, by status class."
        );
        let _ = writeln!(out, "# TYPE caretaker_http_requests_total counter");
        for (index, counter) in self.requests.iter().enumerate() {
            let _ = writeln!(
                out,
                "caretaker_http_requests_total{{status=\"{}xx\"}} {}",
                index + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP caretaker_http_request_duration_seconds Time to answer HTTP requests."
        );
        let _ = writeln!(
            out,
            "# TYPE caretaker_http_request_duration_seconds histogram"
        );
        let mut cumulative = 0;
        for (index, bound) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += self.latency_buckets[index].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "caretaker_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.latency_buckets[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "caretaker_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.latency_micros_sum.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "caretaker_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "caretaker_http_request_duration_seconds_count {cumulative}"
        );

        let _ = writeln!(
            out,
            "# HELP caretaker_tasks Tasks in the database, by status."
        );
        let _ = writeln!(out, "# TYPE caretaker_tasks gauge");
        for status in crate::tasks::TaskStatus::ALL {
            let count = tasks_by_status
                .iter()
                .find(|(name, _)| name == status.as_str())
                .map_or(0, |(_, count)| *count);
            let _ = writeln!(
                out,
                "caretaker_tasks{{status=\"{}\"}} {count}",
                status.as_str()
            );
        }

        let _ = writeln!(out, "# HELP caretaker_engine_up Whether an engine answered its last call (1), did not (0), or was not called yet (-1).");
        let _ = writeln!(out, "# TYPE caretaker_engine_up gauge");
        let _ = writeln!(
            out,
            "caretaker_engine_up{{engine=\"database\"}} {}",
            i64::from(database_up)
        );
        let _ = writeln!(
            out,
            "caretaker_engine_up{{engine=\"docker\"}} {}",
            self.docker_up.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_class_and_bucket() {
        let metrics = Metrics::new();
        metrics.record_request(200, Duration::from_millis(3));
        metrics.record_request(204, Duration::from_millis(300));
        metrics.record_request(503, Duration::from_secs(30));
        metrics.record_docker_reachable(true);
        let text = metrics.render(&[("running".into(), 2)], true);
        assert!(
            text.contains("caretaker_http_requests_total{status=\"2xx\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_http_requests_total{status=\"5xx\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_http_request_duration_seconds_bucket{le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_http_request_duration_seconds_bucket{le=\"0.5\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_tasks{status=\"running\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_tasks{status=\"failed\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("caretaker_engine_up{engine=\"docker\"} 1"),
            "{text}"
        );
    }
}
