//! Wall-clock time that follows tokio's clock.
//!
//! Expiry and ledger timestamps read [`Clock::now`]; it advances with `tokio::time`, so tests
//! that pause and advance tokio time (`tokio::time::pause`) move kubechat's clock too and can
//! test a 15-minute expiry instantly and deterministically.

use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

/// A wall clock anchored at creation and advanced by tokio's (pausable) monotonic clock.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    base_wall: Timestamp,
    base_instant: Instant,
}

impl Clock {
    /// A clock reading the current wall time.
    pub fn system() -> Self {
        Clock::starting_at(Timestamp::now())
    }

    /// A clock that reads `start` now (tests use fixed instants).
    pub fn starting_at(start: Timestamp) -> Self {
        Clock {
            base_wall: start,
            base_instant: Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        let elapsed =
            SignedDuration::try_from(self.base_instant.elapsed()).unwrap_or(SignedDuration::MAX);
        self.base_wall
            .saturating_add(elapsed)
            .unwrap_or(self.base_wall)
    }

    /// How long until `at` (zero if it has passed), as a tokio deadline.
    pub fn deadline(&self, at: Timestamp) -> Instant {
        let wait = at.duration_since(self.now());
        let wait = std::time::Duration::try_from(wait).unwrap_or_default();
        Instant::now() + wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_paused_tokio_time() {
        let start: Timestamp = "2026-11-22T10:00:00Z".parse().expect("valid");
        let clock = Clock::starting_at(start);
        tokio::time::advance(std::time::Duration::from_secs(16 * 60)).await;
        assert_eq!(clock.now().to_string(), "2026-11-22T10:16:00Z");
    }
}
