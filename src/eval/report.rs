//! The eval report: accuracy per category and latency percentiles, as a table.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// One case's result.
#[derive(Clone, Debug)]
pub struct Row {
    pub category: String,
    pub passed: bool,
    pub latency: Duration,
    /// What went wrong, for `--verbose`.
    pub detail: Option<String>,
    pub utterance: String,
}

/// The results of one planner over the dataset.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub planner: String,
    pub rows: Vec<Row>,
}

impl Report {
    /// Passed / total over every case.
    pub fn accuracy(&self) -> f64 {
        ratio(
            self.rows.iter().filter(|r| r.passed).count(),
            self.rows.len(),
        )
    }

    /// (category, passed, total), sorted by category.
    pub fn by_category(&self) -> Vec<(String, usize, usize)> {
        let mut map: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for r in &self.rows {
            let e = map.entry(&r.category).or_default();
            e.0 += usize::from(r.passed);
            e.1 += 1;
        }
        map.into_iter()
            .map(|(c, (p, t))| (c.to_string(), p, t))
            .collect()
    }

    /// The latency below which `pct` percent of the cases planned (nearest rank).
    pub fn percentile(&self, pct: f64) -> Duration {
        let mut l: Vec<Duration> = self.rows.iter().map(|r| r.latency).collect();
        if l.is_empty() {
            return Duration::ZERO;
        }
        l.sort_unstable();
        let rank = ((pct / 100.0) * l.len() as f64).ceil() as usize;
        l[rank.clamp(1, l.len()) - 1]
    }

    /// The human-readable report; with `verbose`, every failed case and why.
    pub fn render(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "planner: {}", self.planner);
        let _ = writeln!(
            out,
            "{:<16} {:>7} {:>6} {:>9}",
            "category", "passed", "total", "accuracy"
        );
        for (c, p, t) in self.by_category() {
            let _ = writeln!(out, "{c:<16} {p:>7} {t:>6} {:>8.1}%", 100.0 * ratio(p, t));
        }
        let passed = self.rows.iter().filter(|r| r.passed).count();
        let _ = writeln!(
            out,
            "{:<16} {passed:>7} {:>6} {:>8.1}%",
            "all",
            self.rows.len(),
            100.0 * self.accuracy()
        );
        let _ = writeln!(
            out,
            "latency p50 {:?}  p95 {:?}  p99 {:?}",
            self.percentile(50.0),
            self.percentile(95.0),
            self.percentile(99.0)
        );
        if verbose {
            for r in self.rows.iter().filter(|r| !r.passed) {
                let _ = writeln!(
                    out,
                    "FAIL [{}] {:?}: {}",
                    r.category,
                    r.utterance,
                    r.detail.as_deref().unwrap_or("")
                );
            }
        }
        out
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let rows = (1..=100)
            .map(|ms| Row {
                category: if ms % 2 == 0 { "a" } else { "b" }.into(),
                passed: ms <= 75,
                latency: Duration::from_millis(ms),
                detail: None,
                utterance: String::new(),
            })
            .collect();
        let r = Report {
            planner: "rules".into(),
            rows,
        };
        assert_eq!(r.percentile(50.0), Duration::from_millis(50));
        assert_eq!(r.percentile(99.0), Duration::from_millis(99));
        assert!((r.accuracy() - 0.75).abs() < 1e-9);
        assert_eq!(r.by_category()[0], ("a".to_string(), 37, 50));
        assert!(
            r.render(false)
                .contains("all                   75    100     75.0%")
        );
    }
}
