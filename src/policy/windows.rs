//! Change windows: freeze periods during which writes to production are refused or need an
//! extra approver.
//!
//! Times are civil (wall-clock) times in the window's named time zone, so "Friday 16:00 –
//! Monday 08:00 Europe/Berlin" means exactly that on both sides of a DST change. Weekly
//! windows may wrap around the week's end; one-off windows have dates. The time zone database
//! is the system's (`/usr/share/zoneinfo`) or, when a container has none, the copy bundled
//! into kubechat (jiff's `tzdb-bundle-always`).

use jiff::Timestamp;
use jiff::civil::{DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use super::model::Match;

/// A freeze period.
#[derive(Clone, Debug)]
pub struct Window {
    pub name: String,
    /// Line of the `[[windows]]` header.
    pub line: usize,
    pub when: When,
    pub tz: TimeZone,
    /// The time zone's name, for messages.
    pub tz_name: String,
    pub effect: Effect,
    /// Which writes it applies to (default: writes to production).
    pub matcher: Match,
    /// Shown to the requester.
    pub reason: Option<String>,
    /// Whether `break-glass: <reason>` turns a refusal into an extra approval.
    pub break_glass: bool,
    /// Approvals added by an `extra-approval` window (or a break-glass one).
    pub extra_approvals: u32,
}

/// When a window is in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// Every week, from one weekday and time to another (may wrap past Sunday).
    Weekly {
        from: (Weekday, Time),
        to: (Weekday, Time),
    },
    /// Once, between two civil date-times.
    Once { from: DateTime, to: DateTime },
}

/// What a window does to the writes it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Refused (break-glass may lift it to an extra approval).
    Deny,
    /// One more approval than the rule asks for.
    ExtraApproval,
}

impl Window {
    /// True when `now` falls inside the window (start inclusive, end exclusive).
    pub fn active(&self, now: Timestamp) -> bool {
        let local = now.to_zoned(self.tz.clone());
        match &self.when {
            When::Weekly { from, to } => {
                let at = week_second(local.weekday(), local.time());
                let (a, b) = (week_second(from.0, from.1), week_second(to.0, to.1));
                if a <= b {
                    a <= at && at < b
                } else {
                    at >= a || at < b
                }
            }
            When::Once { from, to } => {
                let at = local.datetime();
                *from <= at && at < *to
            }
        }
    }

    /// "Fri 16:00 – Mon 08:00 Europe/Berlin".
    pub fn describe(&self) -> String {
        let span = match &self.when {
            When::Weekly { from, to } => format!(
                "{} {} – {} {}",
                day(from.0),
                hm(from.1),
                day(to.0),
                hm(to.1)
            ),
            When::Once { from, to } => format!(
                "{} {} – {} {}",
                from.date(),
                hm(from.time()),
                to.date(),
                hm(to.time())
            ),
        };
        format!("{span} {}", self.tz_name)
    }
}

fn week_second(day: Weekday, time: Time) -> i64 {
    i64::from(day.to_monday_zero_offset()) * 86_400
        + i64::from(time.hour()) * 3600
        + i64::from(time.minute()) * 60
        + i64::from(time.second())
}

fn hm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn day(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

/// Parses a window bound: `"Fri 16:00"` (weekly) or `"2026-12-24T00:00"` (once).
pub fn parse_bound(text: &str) -> Result<Bound, String> {
    let text = text.trim();
    if let Ok(dt) = text.parse::<DateTime>() {
        return Ok(Bound::Once(dt));
    }
    let (d, t) = text.split_once(' ').ok_or_else(|| bound_help(text))?;
    let weekday = parse_weekday(d).ok_or_else(|| bound_help(text))?;
    let time: Time = t.trim().parse().map_err(|_| bound_help(text))?;
    Ok(Bound::Weekly(weekday, time))
}

/// One parsed bound of a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Weekly(Weekday, Time),
    Once(DateTime),
}

fn bound_help(text: &str) -> String {
    format!(
        "{text:?} is not a window time: write a weekday and a time (\"Fri 16:00\") or a date and time (\"2026-12-24T00:00\")"
    )
}

fn parse_weekday(word: &str) -> Option<Weekday> {
    let w = word.to_ascii_lowercase();
    let days = [
        ("mon", Weekday::Monday),
        ("tue", Weekday::Tuesday),
        ("wed", Weekday::Wednesday),
        ("thu", Weekday::Thursday),
        ("fri", Weekday::Friday),
        ("sat", Weekday::Saturday),
        ("sun", Weekday::Sunday),
    ];
    days.iter().find_map(|(short, day)| {
        let full = format!("{:?}", day).to_ascii_lowercase();
        (w == *short || w == full).then_some(*day)
    })
}

/// Both bounds of a window, of the same kind.
pub fn when(from: Bound, to: Bound) -> Result<When, String> {
    match (from, to) {
        (Bound::Weekly(fd, ft), Bound::Weekly(td, tt)) => {
            if (fd, ft) == (td, tt) {
                return Err("`from` and `to` are the same time: the window would be empty".into());
            }
            Ok(When::Weekly {
                from: (fd, ft),
                to: (td, tt),
            })
        }
        (Bound::Once(from), Bound::Once(to)) if from < to => Ok(When::Once { from, to }),
        (Bound::Once(_), Bound::Once(_)) => Err("`to` must be after `from`".into()),
        _ => Err(
            "`from` and `to` must both be weekly (\"Fri 16:00\") or both dated (\"2026-12-24T00:00\")"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from: &str, to: &str, tz: &str) -> Window {
        let tz_db = TimeZone::get(tz).expect("time zone known");
        Window {
            name: "freeze".into(),
            line: 1,
            when: when(
                parse_bound(from).expect("from"),
                parse_bound(to).expect("to"),
            )
            .expect("window"),
            tz: tz_db,
            tz_name: tz.into(),
            effect: Effect::Deny,
            matcher: Match::default(),
            reason: None,
            break_glass: true,
            extra_approvals: 1,
        }
    }

    fn at(ts: &str) -> Timestamp {
        ts.parse().expect("timestamp")
    }

    #[test]
    fn a_weekend_freeze_wraps_past_sunday_in_its_own_time_zone() {
        let w = window("Fri 16:00", "Mon 08:00", "Europe/Berlin");
        // 2026-11-20 is a Friday; Berlin is UTC+1 in November.
        for (ts, inside) in [
            ("2026-11-20T14:59:59Z", false), // Fri 15:59:59 local
            ("2026-11-20T15:00:00Z", true),  // Fri 16:00 local
            ("2026-11-22T12:00:00Z", true),  // Sunday
            ("2026-11-23T06:59:00Z", true),  // Mon 07:59 local
            ("2026-11-23T07:00:00Z", false), // Mon 08:00 local: the end is exclusive
            ("2026-11-25T12:00:00Z", false), // Wednesday
        ] {
            assert_eq!(w.active(at(ts)), inside, "{ts}");
        }
    }

    #[test]
    fn the_freeze_follows_wall_clock_time_across_a_dst_change() {
        // Berlin springs forward on Sunday 2026-03-29 (UTC+1 → UTC+2): Monday 08:00 local is
        // 06:00 UTC, not 07:00 UTC as a fixed offset taken on Friday would say.
        let w = window("Fri 16:00", "Mon 08:00", "Europe/Berlin");
        assert!(w.active(at("2026-03-27T15:00:00Z")), "Fri 16:00 CET");
        assert!(w.active(at("2026-03-30T05:59:00Z")), "Mon 07:59 CEST");
        assert!(!w.active(at("2026-03-30T06:00:00Z")), "Mon 08:00 CEST");
        assert!(!w.active(at("2026-03-30T06:30:00Z")), "Mon 08:30 CEST");
        // And back in autumn (2026-10-25, UTC+2 → UTC+1): Monday 08:00 is 07:00 UTC.
        assert!(w.active(at("2026-10-26T06:59:00Z")), "Mon 07:59 CET");
        assert!(!w.active(at("2026-10-26T07:00:00Z")), "Mon 08:00 CET");
    }

    #[test]
    fn the_same_instant_is_inside_in_one_zone_and_outside_in_another() {
        let berlin = window("Fri 16:00", "Mon 08:00", "Europe/Berlin");
        let new_york = window("Fri 16:00", "Mon 08:00", "America/New_York");
        let friday_1630_berlin = at("2026-11-20T15:30:00Z"); // 10:30 in New York
        assert!(berlin.active(friday_1630_berlin));
        assert!(!new_york.active(friday_1630_berlin));
    }

    #[test]
    fn one_off_windows_use_dates() {
        let w = window("2026-12-24T00:00", "2026-12-27T00:00", "UTC");
        assert!(w.active(at("2026-12-25T12:00:00Z")));
        assert!(!w.active(at("2026-12-27T00:00:00Z")));
        assert_eq!(w.describe(), "2026-12-24 00:00 – 2026-12-27 00:00 UTC");
    }

    #[test]
    fn bad_bounds_say_how_to_write_them() {
        for bad in ["Friday", "Fri 25:00", "someday 10:00", ""] {
            let err = parse_bound(bad).expect_err(bad);
            assert!(err.contains("\"Fri 16:00\""), "{err}");
        }
        assert!(parse_bound("friday 16:00").is_ok());
        let err = when(
            parse_bound("Fri 16:00").expect("ok"),
            parse_bound("2026-01-01T00:00").expect("ok"),
        )
        .expect_err("mixed");
        assert!(err.contains("both"), "{err}");
    }
}
