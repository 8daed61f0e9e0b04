//! Cron schedules as kubeflow's operator reads them (robfig/cron v3 `ParseStandard`): five
//! fields (minute, hour, day of month, month, day of week) with names, ranges, steps and
//! lists; the descriptors `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`; and
//! `@every <duration>`. When both day fields are restricted a day matches either (as in
//! cron); otherwise both must match. Times are read in the schedule's time zone.

use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Fixed fields.
    Fields(Fields),
    /// Every so often, from the time it is asked.
    Every(Duration),
}

/// The five fields as bit sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    days_star: bool,
    weekdays_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(v: &str, lo: u32, hi: u32, names: &[&str], offset: u32) -> Result<u32, String> {
    if let Ok(n) = v.parse::<u32>() {
        return if (lo..=hi).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{n} is outside {lo}-{hi}"))
        };
    }
    let lower = v.to_ascii_lowercase();
    names
        .iter()
        .position(|n| *n == lower)
        .map(|i| i as u32 + offset)
        .ok_or_else(|| format!("{v:?} is not a number or name"))
}

/// The bits of one field, and whether it was `*` (or `?`).
fn field(f: &str, lo: u32, hi: u32, names: &[&str], offset: u32) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in f.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("bad step in {part:?}"))?,
            ),
            None => (part, 1),
        };
        let (a, b) = if range == "*" || range == "?" {
            star = star || step == 1;
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                value(a, lo, hi, names, offset)?,
                value(b, lo, hi, names, offset)?,
            )
        } else {
            let a = value(range, lo, hi, names, offset)?;
            // `N/step` runs from N to the end, as in robfig/cron.
            (a, if part.contains('/') { hi } else { a })
        };
        if a > b {
            return Err(format!("range {range:?} runs backwards"));
        }
        let mut i = a;
        while i <= b {
            bits |= 1 << i;
            i += step;
        }
    }
    Ok((bits, star))
}

/// Go's `time.ParseDuration` for the units cron schedules use.
fn go_duration(s: &str) -> Result<Duration, String> {
    let mut rest = s.trim();
    let mut total = 0f64;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{s:?} lacks a unit"))?;
        let n: f64 = rest[..end]
            .parse()
            .map_err(|_| format!("bad number in {s:?}"))?;
        rest = &rest[end..];
        let (unit, secs) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .filter(|(u, _)| rest.starts_with(u))
        .max_by_key(|(u, _)| u.len())
        .ok_or_else(|| format!("bad unit in {s:?}"))?;
        rest = &rest[unit.len()..];
        total += n * secs;
    }
    // robfig/cron rounds up to whole seconds, at least one.
    Ok(Duration::from_secs((total.ceil() as u64).max(1)))
}

impl Schedule {
    /// Parses a schedule (a `CRON_TZ=` or `TZ=` prefix is ignored here: the zone is given
    /// to [`Schedule::next_after`]).
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let mut t = s.trim();
        if let Some(rest) = t.strip_prefix("CRON_TZ=").or_else(|| t.strip_prefix("TZ=")) {
            t = rest.split_once(' ').map(|(_, r)| r.trim()).unwrap_or("");
        }
        let expanded = match t {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => {
                if let Some(d) = other.strip_prefix("@every ") {
                    return go_duration(d).map(Schedule::Every);
                }
                other
            }
        };
        let f: Vec<&str> = expanded.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!("expected 5 fields, got {}", f.len()));
        }
        let (minutes, _) = field(f[0], 0, 59, &[], 0)?;
        let (hours, _) = field(f[1], 0, 23, &[], 0)?;
        let (days, days_star) = field(f[2], 1, 31, &[], 0)?;
        let (months, _) = field(f[3], 1, 12, &MONTHS, 1)?;
        let (weekdays, weekdays_star) = field(f[4], 0, 6, &DAYS, 0)?;
        Ok(Schedule::Fields(Fields {
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: weekdays as u8,
            days_star,
            weekdays_star,
        }))
    }

    /// The first time strictly after `after`, read in `zone`; `None` if there is none
    /// within five years (such as February 30th).
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let f = match self {
            Schedule::Every(d) => {
                return Some(after + ChronoDuration::from_std(*d).ok()?);
            }
            Schedule::Fields(f) => f,
        };
        let local = after.with_timezone(&zone).naive_local();
        // The next whole minute.
        let mut t = local.with_second(0)?.with_nanosecond(0)? + ChronoDuration::minutes(1);
        let limit = local + ChronoDuration::days(5 * 366);
        while t < limit {
            if f.months & (1 << t.month()) == 0 {
                let (y, m) = if t.month() == 12 {
                    (t.year() + 1, 1)
                } else {
                    (t.year(), t.month() + 1)
                };
                t = NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            let dom = f.days & (1 << t.day()) != 0;
            let dow = f.weekdays & (1 << t.weekday().num_days_from_sunday()) != 0;
            let day_ok = if f.days_star || f.weekdays_star {
                dom && dow
            } else {
                dom || dow
            };
            if !day_ok {
                t = (t.date() + ChronoDuration::days(1)).and_hms_opt(0, 0, 0)?;
                continue;
            }
            if f.hours & (1 << t.hour()) == 0 {
                t = t.with_minute(0)? + ChronoDuration::hours(1);
                continue;
            }
            if f.minutes & (1 << t.minute()) == 0 {
                t += ChronoDuration::minutes(1);
                continue;
            }
            // A local time skipped by a daylight-saving change does not happen; a repeated
            // one happens at its first occurrence.
            match zone.from_local_datetime(&t).earliest() {
                Some(at) => return Some(at.with_timezone(&Utc)),
                None => {
                    t += ChronoDuration::minutes(1);
                    continue;
                }
            }
        }
        None
    }
}

/// The zone of `spec.timeZone`: an IANA name, `UTC`, or `Local` (kubeflow's default: the
/// operator's own zone, from `TZ`, else UTC).
pub fn zone(name: Option<&str>) -> Result<Tz, String> {
    let name = match name.unwrap_or("Local") {
        "" | "Local" => std::env::var("TZ").unwrap_or_else(|_| "UTC".into()),
        n => n.to_string(),
    };
    name.parse::<Tz>().map_err(|_| {
        format!("expected an IANA time zone such as Europe/Paris, UTC or Local, got {name:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn next_times() {
        let utc: Tz = "UTC".parse().unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        let cases: &[(&str, Tz, &str, &str)] = &[
            (
                "*/10 * * * *",
                utc,
                "2026-01-01T00:05:00Z",
                "2026-01-01T00:10:00Z",
            ),
            (
                "0 3 * * *",
                utc,
                "2026-01-01T03:00:00Z",
                "2026-01-02T03:00:00Z",
            ),
            (
                "@hourly",
                utc,
                "2026-01-01T10:59:59Z",
                "2026-01-01T11:00:00Z",
            ),
            (
                "0 0 1 jan *",
                utc,
                "2026-03-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
            ),
            (
                "30 9 * * mon-fri",
                utc,
                "2026-11-20T10:00:00Z",
                "2026-11-23T09:30:00Z",
            ),
            // Both day fields restricted: either matches (the 13th, or a Friday).
            (
                "0 0 13 * 5",
                utc,
                "2026-11-01T00:00:00Z",
                "2026-11-06T00:00:00Z",
            ),
            (
                "5/20 * * * *",
                utc,
                "2026-01-01T00:06:00Z",
                "2026-01-01T00:25:00Z",
            ),
            // In New York's zone 02:30 does not exist on 2026-03-08 (clocks jump from 02:00
            // to 03:00): that run is skipped, the next is 02:30 EDT on the 9th.
            (
                "30 2 * * *",
                ny,
                "2026-03-07T12:00:00Z",
                "2026-03-09T06:30:00Z",
            ),
            (
                "0 9 * * *",
                ny,
                "2026-07-01T00:00:00Z",
                "2026-07-01T13:00:00Z",
            ),
            (
                "@every 90s",
                utc,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:01:30Z",
            ),
            (
                "CRON_TZ=UTC 0 * * * *",
                utc,
                "2026-01-01T00:00:00Z",
                "2026-01-01T01:00:00Z",
            ),
        ];
        for (s, zone, after, want) in cases {
            let got = Schedule::parse(s).unwrap().next_after(at(after), *zone);
            assert_eq!(got, Some(at(want)), "{s} after {after} in {zone}");
        }
        assert_eq!(
            Schedule::parse("0 0 30 2 *")
                .unwrap()
                .next_after(at("2026-01-01T00:00:00Z"), utc),
            None
        );
    }

    #[test]
    fn bad_schedules_say_why() {
        for (s, why) in [
            ("* * * *", "expected 5 fields"),
            ("61 * * * *", "outside 0-59"),
            ("* * * foo *", "not a number or name"),
            ("5-1 * * * *", "backwards"),
            ("*/0 * * * *", "bad step"),
            ("@every 5x", "bad unit"),
        ] {
            let e = Schedule::parse(s).unwrap_err();
            assert!(e.contains(why), "{s}: {e}");
        }
        assert!(zone(Some("Mars/Base")).is_err());
        assert_eq!(zone(Some("UTC")).unwrap(), chrono_tz::UTC);
    }
}
