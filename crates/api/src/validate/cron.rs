//! Cron schedules as the kubeflow operator accepts them (it parses with robfig/cron v3's
//! `ParseStandard`): five fields, or a descriptor such as `@hourly` or `@every 1h30m`.

/// Checks a schedule; the error says what was expected.
pub fn check_schedule(s: &str) -> Result<(), String> {
    let t = s.trim();
    let expected = |why: &str| {
        format!("expected a cron schedule (5 fields like \"0 3 * * *\", or @hourly, @daily, @every 1h ...): {why}, got {s:?}")
    };
    if t.is_empty() {
        return Err(expected("empty"));
    }
    // kubeflow prepends CRON_TZ itself; a user-written prefix is accepted too.
    let t = match t.strip_prefix("CRON_TZ=").or_else(|| t.strip_prefix("TZ=")) {
        Some(rest) => rest.split_once(' ').map(|(_, r)| r.trim()).unwrap_or(""),
        None => t,
    };
    if let Some(d) = t.strip_prefix('@') {
        return match d {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ => match d.strip_prefix("every ") {
                Some(dur) if is_go_duration(dur.trim()) => Ok(()),
                Some(_) => Err(expected(
                    "@every takes a Go duration such as 90s, 15m or 1h30m",
                )),
                None => Err(expected("unknown descriptor")),
            },
        };
    }
    let fields: Vec<&str> = t.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(expected(&format!("{} fields", fields.len())));
    }
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let specs: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day of month", 1, 31, &[]),
        ("month", 1, 12, MONTHS),
        // robfig/cron counts Sunday as 0 only; 7 is refused.
        ("day of week", 0, 6, DAYS),
    ];
    for (f, (what, lo, hi, names)) in fields.iter().zip(specs) {
        if !field_ok(f, lo, hi, names) {
            return Err(expected(&format!("bad {what} field {f:?}")));
        }
    }
    Ok(())
}

fn value_ok(v: &str, lo: u32, hi: u32, names: &[&str]) -> Option<u32> {
    if let Ok(n) = v.parse::<u32>() {
        return (lo..=hi).contains(&n).then_some(n);
    }
    let lower = v.to_ascii_lowercase();
    names.iter().position(|n| *n == lower).map(|i| {
        if names.len() == 12 {
            i as u32 + 1
        } else {
            i as u32
        }
    })
}

fn field_ok(f: &str, lo: u32, hi: u32, names: &[&str]) -> bool {
    f.split(',').all(|part| {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step {
            if !s.parse::<u32>().is_ok_and(|n| n > 0) {
                return false;
            }
        }
        if range == "*" || range == "?" {
            return true;
        }
        match range.split_once('-') {
            Some((a, b)) => match (value_ok(a, lo, hi, names), value_ok(b, lo, hi, names)) {
                (Some(a), Some(b)) => a <= b,
                _ => false,
            },
            None => value_ok(range, lo, hi, names).is_some(),
        }
    })
}

fn is_go_duration(d: &str) -> bool {
    // Go's time.ParseDuration: an optional sign, then "0" or one or more <number><unit>
    // with units ns us µs ms s m h. robfig/cron rounds what it gets up to one second.
    let d = d.strip_prefix(['+', '-']).unwrap_or(d);
    if d == "0" {
        return true;
    }
    if d.is_empty() {
        return false;
    }
    let mut rest = d;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[num_end..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(*u) && !(**u == "m" && rest.starts_with("ms")));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        let cases = [
            ("0 3 * * *", true),
            ("*/5 * * * *", true),
            ("0 0 1 jan-mar mon-fri", true),
            ("0,30 8-18 * * 1-5", true),
            ("@hourly", true),
            ("@every 1h30m", true),
            ("@every 10s", true),
            ("CRON_TZ=UTC 0 3 * * *", true),
            ("", false),
            ("0 3 * *", false),
            ("61 * * * *", false),
            ("* 24 * * *", false),
            ("* * 0 * *", false),
            ("@sometimes", false),
            ("@every 1x", false),
            ("*/0 * * * *", false),
            ("5-1 * * * *", false),
            ("0 0 * * 7", false),
            ("0 0 * * 0,6", true),
            ("0 0 * * SUN", true),
            ("0 0 ? * *", true),
            ("5/15 * * * *", true),
            ("1-2-3 * * * *", false),
            ("0 0 * 13 *", false),
            ("0 0 * foo *", false),
            ("@every 1.5h", true),
            ("@every -1h", true),
            ("@every 0", true),
            ("@every 1h30", false),
            ("@every 1..5h", false),
            ("@every ", false),
            ("@Hourly", false),
            ("0 0 * * * *", false),
        ];
        for (s, ok) in cases {
            assert_eq!(check_schedule(s).is_ok(), ok, "{s}");
        }
    }
}
