//! Quantities as the programs that read them understand them: Spark memory sizes (`512m`,
//! `2g`), JVM heap sizes (`-Xmx`), Kubernetes quantities (`500m` CPU, `2Gi` memory) and the
//! kubeflow operator's `memoryLimit`, which accepts either.
//!
//! The same text means different things to each reader (`512m` is 512 MiB to Spark and
//! 0.512 bytes to Kubernetes), which is why every field is checked with the grammar of the
//! program that will read it.

/// Bytes of a Spark size string as Spark's `byteStringAsBytes` reads it: a whole number with
/// an optional case-insensitive suffix b, k, kb, m, mb, g, gb, t, tb, p, pb; `default_unit`
/// (in bytes) applies to a bare number.
fn parse_spark_size(s: &str, default_unit: u64) -> Result<u64, String> {
    let expected = || {
        let t = s.trim();
        let why = if t.ends_with('i') || t.ends_with("iB") {
            "Spark sizes use 512m or 2g, not Kubernetes units like Gi"
        } else if t.contains('.') {
            "Spark sizes are whole numbers: write 1536m, not 1.5g"
        } else if t.starts_with('-') {
            "a size cannot be negative"
        } else {
            "a whole number with an optional b, k, m, g, t or p suffix"
        };
        format!("expected a Spark memory size such as 512m or 2g ({why}), got {s:?}")
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

/// The value of a Kubernetes quantity in its base unit (cores for CPU, bytes for memory),
/// following the grammar of `k8s.io/apimachinery`'s `resource.Quantity` (the pattern kubeflow's
/// CRD puts on `batchSchedulerOptions.resources`): an optional sign, a decimal number, and an
/// optional binary suffix (Ki Mi Gi Ti Pi Ei), decimal suffix (n u m k M G T P E) or exponent
/// (`e3`). The value is an `f64` because it only serves range checks, never arithmetic that
/// must be exact.
pub fn parse_kubernetes_quantity(s: &str) -> Result<f64, String> {
    let expected =
        || format!("expected a Kubernetes quantity such as 500m, 2, 1.5, 512Mi or 2Gi, got {s:?}");
    let t = s.trim();
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let num_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(num_end);
    if !is_decimal(num) {
        return Err(expected());
    }
    let value: f64 = num.parse().map_err(|_| expected())?;
    let multiplier = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exp => {
            let digits = exp.strip_prefix(['e', 'E']).ok_or_else(expected)?;
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if !is_decimal(unsigned) {
                return Err(expected());
            }
            let e: f64 = digits.parse().map_err(|_| expected())?;
            10f64.powf(e)
        }
    };
    let v = sign * value * multiplier;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(expected())
    }
}

/// `[0-9]+(\.[0-9]*)?` or `\.[0-9]+`: the number part of a Kubernetes quantity.
fn is_decimal(n: &str) -> bool {
    let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(frac) && (!whole.is_empty() || !frac.is_empty())
}

/// Bytes of a driver or executor `memoryLimit` as the kubeflow operator reads it: the text is
/// lower-cased and a Spark suffix (k, kb, m, mb, g, gb, t, tb, p, pb) becomes the matching
/// binary Kubernetes suffix; anything else must already be a Kubernetes quantity (so a bare
/// number means bytes, and `1.5g` is accepted here although Spark sizes refuse decimals).
pub fn parse_memory_limit(s: &str) -> Result<f64, String> {
    let converted = memory_limit_quantity(s)?;
    parse_kubernetes_quantity(&converted).map_err(|_| memory_limit_expected(s))
}

fn memory_limit_expected(s: &str) -> String {
    format!("expected a memory limit such as 2g or 2Gi (a Spark size or a Kubernetes quantity), got {s:?}")
}

/// A driver or executor `memoryLimit` as the Kubernetes quantity the kubeflow operator puts
/// in the pod: lower-cased, a Spark suffix becomes the binary Kubernetes one (`4g` → `4Gi`),
/// anything else is kept. Errs when the result is not a Kubernetes quantity.
pub fn memory_limit_quantity(s: &str) -> Result<String, String> {
    let lower = s.trim().to_ascii_lowercase();
    const UNITS: &[(&str, &str)] = &[
        ("kb", "Ki"),
        ("mb", "Mi"),
        ("gb", "Gi"),
        ("tb", "Ti"),
        ("pb", "Pi"),
        ("k", "Ki"),
        ("m", "Mi"),
        ("g", "Gi"),
        ("t", "Ti"),
        ("p", "Pi"),
    ];
    let converted = UNITS
        .iter()
        .find_map(|(unit, k8s)| lower.strip_suffix(unit).map(|n| format!("{n}{k8s}")))
        .unwrap_or_else(|| s.trim().to_string());
    parse_kubernetes_quantity(&converted).map_err(|_| memory_limit_expected(s))?;
    Ok(converted)
}

/// Bytes of a JVM heap size as `java -Xmx` reads it: a whole number with an optional k, m, g
/// or t suffix (either case); a bare number is bytes. Spark passes `SPARK_DAEMON_MEMORY` (and,
/// in client mode, `spark.driver.memory`) to `-Xmx` unchanged, so Spark's two-letter suffixes
/// (`mb`, `gb`) are refused here.
pub fn parse_jvm_heap_size(s: &str) -> Result<u64, String> {
    let expected = || {
        format!("expected a JVM heap size such as 512m or 2g (a whole number with an optional k, m, g or t suffix), got {s:?}")
    };
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits_end);
    if num.is_empty() {
        return Err(expected());
    }
    let unit: u64 = match suffix {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        "t" | "T" => 1 << 40,
        _ => return Err(expected()),
    };
    let n: u64 = num.parse().map_err(|_| expected())?;
    n.checked_mul(unit).ok_or_else(expected)
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
            ("99999p", None),
            (" 64m ", Some(64)),
            ("1p", Some(1 << 30)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_spark_memory_mib(s).ok(), *want, "{s}");
        }
        let gi = parse_spark_memory_mib("1Gi").unwrap_err();
        assert!(gi.contains("Gi") && gi.contains("512m or 2g"), "{gi}");
        // A bare number is bytes for parse_spark_memory and MiB for parse_spark_memory_mib.
        let bytes: &[(&str, Option<u64>)] = &[
            ("1k", Some(1024)),
            ("1kb", Some(1024)),
            ("7b", Some(7)),
            ("7B", Some(7)),
            ("1024", Some(1024)),
            ("1m", Some(1 << 20)),
            ("1.5k", None),
            ("k", None),
        ];
        for (s, want) in bytes {
            assert_eq!(parse_spark_memory(s).ok(), *want, "{s}");
        }
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
    fn kubernetes_quantities() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            ("500m", Some(0.5)),
            ("1.5", Some(1.5)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("2Gi", Some(2.0 * 1024.0 * 1024.0 * 1024.0)),
            ("512Mi", Some(512.0 * 1024.0 * 1024.0)),
            ("1k", Some(1000.0)),
            ("2G", Some(2e9)),
            ("1e3", Some(1000.0)),
            ("1E3", Some(1000.0)),
            ("1E", Some(1e18)),
            ("-1", Some(-1.0)),
            ("+2", Some(2.0)),
            ("", None),
            (".", None),
            ("1e", None),
            ("1.2.3", None),
            ("2gi", None),
            ("2GB", None),
            ("lots", None),
            ("Gi", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_kubernetes_quantity(s).ok(), *want, "{s}");
        }
    }

    #[test]
    fn memory_limits_follow_kubeflow() {
        const MIB: f64 = 1024.0 * 1024.0;
        let cases: &[(&str, Option<f64>)] = &[
            ("512m", Some(512.0 * MIB)),
            ("512M", Some(512.0 * MIB)),
            ("2gb", Some(2048.0 * MIB)),
            ("1.5g", Some(1536.0 * MIB)),
            ("2Gi", Some(2048.0 * MIB)),
            ("1024", Some(1024.0)),
            ("lots", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_memory_limit(s).ok(), *want, "{s}");
        }
    }

    #[test]
    fn jvm_heap_sizes() {
        let cases: &[(&str, Option<u64>)] = &[
            ("512m", Some(512 << 20)),
            ("2G", Some(2 << 30)),
            ("1t", Some(1 << 40)),
            ("4096", Some(4096)),
            ("1gb", None),
            ("512mb", None),
            ("1.5g", None),
            ("1Gi", None),
            ("-1g", None),
            ("", None),
            ("99999999999999999999t", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_jvm_heap_size(s).ok(), *want, "{s}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_mib(1024), "1g");
        assert_eq!(format_mib(1536), "1536m");
        assert_eq!(format_mib(0), "0m");
    }
}
