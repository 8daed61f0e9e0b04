//! Quantities: Spark memory sizes (`512m`, `2g`) and Kubernetes CPU quantities (`500m`, `1.5`).

/// Bytes of a Spark size string as Spark's `byteStringAsBytes` reads it: a whole number with
/// an optional case-insensitive suffix b, k, kb, m, mb, g, gb, t, tb, p, pb; `default_unit`
/// (in bytes) applies to a bare number.
fn parse_spark_size(s: &str, default_unit: u64) -> Result<u64, String> {
    let expected = || {
        if s.trim().ends_with('i') || s.trim().ends_with("iB") {
            format!("expected a Spark memory size such as 512m or 2g (Spark does not read Kubernetes units like Gi), got {s:?}")
        } else {
            format!("expected a Spark memory size such as 512m or 2g (a whole number with an optional b, k, m, g, t or p suffix), got {s:?}")
        }
    };
    let t = s.trim().to_ascii_lowercase();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits_end);
    if num.is_empty() {
        return Err(expected());
    }
    let unit: u64 = match suffix {
        "" => default_unit,
        "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        "t" | "tb" => 1 << 40,
        "p" | "pb" => 1 << 50,
        _ => return Err(expected()),
    };
    let n: u64 = num.parse().map_err(|_| expected())?;
    n.checked_mul(unit).ok_or_else(expected)
}

/// Bytes of a Spark memory size (bare numbers are bytes).
pub fn parse_spark_memory(s: &str) -> Result<u64, String> {
    parse_spark_size(s, 1)
}

/// MiB of a Spark memory size where a bare number means MiB, as for `spark.driver.memory` and
/// `spark.executor.memory`.
pub fn parse_spark_memory_mib(s: &str) -> Result<u64, String> {
    parse_spark_size(s, 1 << 20).map(|b| b >> 20)
}

/// Millicores of a Kubernetes CPU quantity (`500m`, `1`, `1.5`, `2`).
pub fn parse_cpu_quantity(s: &str) -> Result<u64, String> {
    let expected =
        || format!("expected a Kubernetes CPU quantity such as 500m, 1 or 1.5, got {s:?}");
    let t = s.trim();
    if let Some(m) = t.strip_suffix('m') {
        if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
            return Err(expected());
        }
        return m.parse().map_err(|_| expected());
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 3
    {
        return Err(expected());
    }
    let w: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| expected())?
    };
    let f: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().map_err(|_| expected())?
    };
    w.checked_mul(1000)
        .and_then(|v| v.checked_add(f))
        .ok_or_else(expected)
}

/// `n` MiB as a Spark size string (`1024` → `1g`, `1536` → `1536m`).
pub fn format_mib(n: u64) -> String {
    if n > 0 && n.is_multiple_of(1024) {
        format!("{}g", n / 1024)
    } else {
        format!("{n}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_memory() {
        let cases: &[(&str, Option<u64>)] = &[
            ("512m", Some(512)),
            ("2g", Some(2048)),
            ("2G", Some(2048)),
            ("1gb", Some(1024)),
            ("1024", Some(1024)),
            ("1t", Some(1 << 20)),
            ("1.5g", None),
            ("1Gi", None),
            ("lots", None),
            ("-1g", None),
            ("12zb", None),
            ("", None),
            ("99999999999999999999p", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_spark_memory_mib(s).ok(), *want, "{s}");
        }
        assert!(parse_spark_memory_mib("1Gi").unwrap_err().contains("Gi"));
        assert_eq!(parse_spark_memory("1k"), Ok(1024));
    }

    #[test]
    fn cpu() {
        let cases: &[(&str, Option<u64>)] = &[
            ("500m", Some(500)),
            ("1", Some(1000)),
            ("1.5", Some(1500)),
            ("0.25", Some(250)),
            (".5", Some(500)),
            ("2", Some(2000)),
            ("1.2345", None),
            ("m", None),
            ("abc", None),
            ("-1", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_cpu_quantity(s).ok(), *want, "{s}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_mib(1024), "1g");
        assert_eq!(format_mib(1536), "1536m");
        assert_eq!(format_mib(0), "0m");
    }
}
