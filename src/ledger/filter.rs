//! Which entries `kubechat audit export` writes: `--since`, `--until`, `--actor`,
//! `--cluster`, `--namespace`, `--kind`.
//!
//! Invariants:
//! - the database narrows rows with [`WHERE`] (indexes on `time`; `$N` placeholders work on
//!   both backends), and [`Filter::matches`] then decides exactly, so the SQL may be coarse
//!   but never drops a row that matches;
//! - times compare as text in the database (RFC 3339 in UTC, byte-wise collation): bounds are
//!   whole seconds without the `Z`, which sort before every entry of that second.

use jiff::{Timestamp, ToSpan};

use super::{Entry, EntryKind};

/// What to export; `None` fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Entries at or after this time.
    pub since: Option<Timestamp>,
    /// Entries strictly before this time.
    pub until: Option<Timestamp>,
    /// Exactly this actor (`slack:U123`, `kubechat`).
    pub actor: Option<String>,
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub kind: Option<EntryKind>,
    /// Entries up to and including this sequence number (archiving).
    pub through_seq: Option<i64>,
}

/// The `WHERE … ORDER BY seq` of a filtered scan; bind with [`Filter::binds`].
pub(super) const WHERE: &str = "WHERE ($1 IS NULL OR time >= $1) AND ($2 IS NULL OR time < $2) \
     AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR cluster = $4) \
     AND ($5 IS NULL OR namespace = $5) AND ($6 IS NULL OR kind = $6) \
     AND ($7 IS NULL OR seq <= $7) ORDER BY seq";

/// The coarse `since` and `until` bounds bound to `$1` and `$2`.
pub(super) type TimeBinds = [Option<String>; 2];

impl Filter {
    /// The coarse time bounds for `$1` and `$2`: whole seconds, inclusive of the second that
    /// holds `since` and of the second that holds `until`.
    pub(super) fn time_binds(&self) -> TimeBinds {
        let second = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
        [
            self.since.map(second),
            self.until
                .map(|t| t.checked_add(1.second()).map_or(t, |t| t))
                .map(second),
        ]
    }

    /// The exact test, applied to every row the database returns.
    pub fn matches(&self, e: &Entry) -> bool {
        self.since.is_none_or(|t| e.time >= t)
            && self.until.is_none_or(|t| e.time < t)
            && self.actor.as_ref().is_none_or(|a| *a == e.actor)
            && self
                .cluster
                .as_ref()
                .is_none_or(|c| Some(c) == e.cluster.as_ref())
            && self
                .namespace
                .as_ref()
                .is_none_or(|n| Some(n) == e.namespace.as_ref())
            && self.kind.is_none_or(|k| k == e.kind)
            && self.through_seq.is_none_or(|s| e.seq <= s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> Entry {
        Entry {
            seq: 1,
            time: t.parse().expect("time"),
            actor: "slack:alice".into(),
            cluster: Some("prod".into()),
            namespace: None,
            plan_id: None,
            kind: EntryKind::Approved,
            payload: serde_json::json!({}),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn time_bounds_are_exact_even_within_one_second() {
        let f = Filter {
            since: Some("2025-01-01T00:00:00.5Z".parse().expect("t")),
            until: Some("2025-01-01T00:00:01.5Z".parse().expect("t")),
            ..Filter::default()
        };
        assert!(!f.matches(&at("2025-01-01T00:00:00.4Z")));
        assert!(f.matches(&at("2025-01-01T00:00:00.5Z")));
        assert!(f.matches(&at("2025-01-01T00:00:01Z")));
        assert!(!f.matches(&at("2025-01-01T00:00:01.5Z")));
        let [since, until] = f.time_binds();
        assert_eq!(since.as_deref(), Some("2025-01-01T00:00:00"));
        assert_eq!(until.as_deref(), Some("2025-01-01T00:00:02"));
        // Every matching entry's stored text sorts inside the coarse bounds.
        for t in [
            "2025-01-01T00:00:00.5Z",
            "2025-01-01T00:00:01Z",
            "2025-01-01T00:00:01.4Z",
        ] {
            assert!(t >= since.as_deref().expect("s") && t < until.as_deref().expect("u"));
        }
    }

    #[test]
    fn fields_filter_exactly_and_none_means_any() {
        let e = at("2025-01-01T00:00:00Z");
        assert!(Filter::default().matches(&e));
        let actor = |a: &str| Filter {
            actor: Some(a.into()),
            ..Filter::default()
        };
        assert!(actor("slack:alice").matches(&e));
        assert!(!actor("slack:ali").matches(&e));
        let ns = Filter {
            namespace: Some("shop".into()),
            ..Filter::default()
        };
        assert!(
            !ns.matches(&e),
            "an entry without namespace is not in any namespace"
        );
        let kind = Filter {
            kind: Some(EntryKind::Denied),
            cluster: Some("prod".into()),
            ..Filter::default()
        };
        assert!(!kind.matches(&e));
    }
}
