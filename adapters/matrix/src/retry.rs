//! Rate limits and transient failures.
//!
//! A homeserver that answers `M_LIMIT_EXCEEDED` says how long to wait (`retry_after_ms`, or
//! a `Retry-After` time); kubechat waits exactly that long (capped) before trying again, instead
//! of hammering it or dropping the message. Other failures that a retry can cure (the homeserver
//! restarting, the connection dropping) back off exponentially; errors that a retry cannot cure
//! (forbidden, unknown room) are returned at once.

use std::future::Future;
use std::time::{Duration, SystemTime};

use matrix_sdk::ruma::api::error::{ErrorKind, LimitExceededErrorData, RetryAfter};

/// Tries per message before it is given up (logged).
pub const ATTEMPTS: u32 = 6;
/// The longest single wait, whatever the homeserver asks.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// How long an `M_LIMIT_EXCEEDED` asks to wait; `None` for other errors. A limit without a
/// time waits one second.
pub fn retry_after(kind: &ErrorKind, now: SystemTime) -> Option<Duration> {
    let ErrorKind::LimitExceeded(LimitExceededErrorData { retry_after, .. }) = kind else {
        return None;
    };
    let wait = match retry_after {
        Some(RetryAfter::Delay(d)) => *d,
        Some(RetryAfter::DateTime(at)) => at.duration_since(now).unwrap_or_default(),
        None => Duration::from_secs(1),
    };
    Some(wait.min(MAX_WAIT))
}

/// 1 s, 2 s, 4 s … up to 30 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(5)).min(Duration::from_secs(30))
}

/// What to do after a failed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The homeserver asked us to wait this long.
    RateLimited(Duration),
    /// Probably transient: back off and retry.
    Transient,
    /// A retry cannot help.
    GiveUp,
}

/// Classifies an error.
pub fn classify(error: &matrix_sdk::Error) -> Next {
    if let Some(kind) = error.client_api_error_kind() {
        if let Some(wait) = retry_after(kind, SystemTime::now()) {
            return Next::RateLimited(wait);
        }
        return match kind {
            ErrorKind::Unknown | ErrorKind::ResourceLimitExceeded { .. } => Next::Transient,
            _ => Next::GiveUp,
        };
    }
    match error {
        matrix_sdk::Error::Http(_) => Next::Transient,
        _ => Next::GiveUp,
    }
}

/// How long to wait before try number `attempt + 1` (sync loop: retried forever).
pub fn delay(error: &matrix_sdk::Error, attempt: u32) -> Duration {
    match classify(error) {
        Next::RateLimited(wait) => wait,
        Next::Transient | Next::GiveUp => backoff(attempt),
    }
}

/// Runs `request` until it succeeds, a retry cannot help, or [`ATTEMPTS`] are used.
pub async fn with_backoff<T, F, Fut, E>(what: &str, mut request: F) -> Result<T, matrix_sdk::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Into<matrix_sdk::Error>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error: matrix_sdk::Error = match request().await {
            Ok(value) => return Ok(value),
            Err(e) => e.into(),
        };
        let wait = match classify(&error) {
            Next::GiveUp => return Err(error),
            _ if attempt >= ATTEMPTS => return Err(error),
            Next::RateLimited(wait) => {
                tracing::info!(
                    what,
                    ?wait,
                    "Matrix: rate limited (M_LIMIT_EXCEEDED); waiting as asked"
                );
                wait
            }
            Next::Transient => backoff(attempt),
        };
        tracing::warn!(what, error = %error, retry_in = ?wait, attempt, "Matrix request failed");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::api::EndpointError;
    use matrix_sdk::ruma::api::error::Error as ClientError;

    use super::*;

    /// Synapse's answer when a limit is hit (its `LimitExceededError`).
    fn synapse_429(body: &str) -> ErrorKind {
        let response = http::Response::builder()
            .status(429)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .expect("response");
        let error = ClientError::from_http_response(response);
        error.error_kind().cloned().expect("a standard error body")
    }

    #[test]
    fn retry_after_ms_is_honoured_and_capped() {
        let now = SystemTime::now();
        let kind = synapse_429(
            r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":2500}"#,
        );
        assert_eq!(retry_after(&kind, now), Some(Duration::from_millis(2500)));
        let kind = synapse_429(
            r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":86400000}"#,
        );
        assert_eq!(retry_after(&kind, now), Some(MAX_WAIT));
        let kind = synapse_429(r#"{"errcode":"M_LIMIT_EXCEEDED","error":"slow down"}"#);
        assert_eq!(retry_after(&kind, now), Some(Duration::from_secs(1)));
    }

    #[test]
    fn other_errors_have_no_retry_after() {
        let now = SystemTime::now();
        let kind = synapse_429(r#"{"errcode":"M_FORBIDDEN","error":"not in room"}"#);
        assert_eq!(retry_after(&kind, now), None);
    }

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let waits: Vec<u64> = (1..=8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
