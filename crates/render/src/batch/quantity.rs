//! Kubernetes quantities as kubeflow's Go code adds them up (`resource.Quantity` of
//! `k8s.io/apimachinery`): exact values, the format of the first operand, and Go's
//! canonical text (`3`, `2700m`, `1280Mi`), so that a PodGroup's CPU and
//! `batchSchedulerOptions.resources` read exactly as kubeflow's. Memory sums are whole MiB
//! ([`Quantity::from_mib`]), printed the same way.

use std::cmp::Ordering;
use std::fmt;

/// How Go prints a quantity, taken from the suffix it was parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `k`, `M`, `m`, no suffix.
    DecimalSi,
    /// `Ki`, `Mi`, `Gi`.
    BinarySi,
    /// `e3`.
    DecimalExponent,
}

/// A text that is not a Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a Kubernetes quantity (such as 500m, 2 or 1Gi), got {0:?}")]
pub struct NotAQuantity(pub String);

/// A Kubernetes quantity, exact to the nano unit as Go keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// A whole number, as Go parses `fmt.Sprintf("%d", n)`.
    pub fn from_int(n: i64) -> Quantity {
        Quantity {
            nanos: i128::from(n) * NANO,
            format: Format::DecimalSi,
        }
    }

    /// `n` MiB, printed in binary units (`2816Mi`, `3Gi`).
    pub fn from_mib(n: i64) -> Quantity {
        Quantity {
            nanos: (i128::from(n) << 20) * NANO,
            format: Format::BinarySi,
        }
    }

    /// Parses `s` as Go's `resource.ParseQuantity` does: a signed decimal number and a
    /// binary (`Ki`..`Ei`), decimal (`n`..`E`) or exponent (`e3`) suffix. Values finer than
    /// a nano unit are rounded up, as Go rounds them.
    pub fn parse(s: &str) -> Result<Quantity, NotAQuantity> {
        let bad = || NotAQuantity(s.to_string());
        let (negative, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(end);
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && frac.is_empty()) || frac.contains('.') || frac.len() > 30 {
            return Err(bad());
        }
        let digits: i128 = format!("{whole}{frac}").parse().map_err(|_| bad())?;
        // value = digits / 10^frac × 10^ten × 2^two
        let (ten, two, format): (i32, u32, Format) = match suffix {
            "" => (0, 0, Format::DecimalSi),
            "Ki" => (0, 10, Format::BinarySi),
            "Mi" => (0, 20, Format::BinarySi),
            "Gi" => (0, 30, Format::BinarySi),
            "Ti" => (0, 40, Format::BinarySi),
            "Pi" => (0, 50, Format::BinarySi),
            "Ei" => (0, 60, Format::BinarySi),
            "n" => (-9, 0, Format::DecimalSi),
            "u" => (-6, 0, Format::DecimalSi),
            "m" => (-3, 0, Format::DecimalSi),
            "k" => (3, 0, Format::DecimalSi),
            "M" => (6, 0, Format::DecimalSi),
            "G" => (9, 0, Format::DecimalSi),
            "T" => (12, 0, Format::DecimalSi),
            "P" => (15, 0, Format::DecimalSi),
            "E" => (18, 0, Format::DecimalSi),
            e => {
                let exp = e.strip_prefix(['e', 'E']).ok_or_else(bad)?;
                let exp: i32 = exp.parse().map_err(|_| bad())?;
                if !(-30..=30).contains(&exp) {
                    return Err(bad());
                }
                (exp, 0, Format::DecimalExponent)
            }
        };
        // nanos = digits × 2^two × 10^(9 + ten − frac), rounded up.
        let scale = 9 + ten - frac.len() as i32;
        let mut value = digits.checked_mul(1i128 << two).ok_or_else(bad)?;
        if scale >= 0 {
            value = value
                .checked_mul(10i128.checked_pow(scale as u32).ok_or_else(bad)?)
                .ok_or_else(bad)?;
        } else {
            let div = 10i128.checked_pow((-scale) as u32).ok_or_else(bad)?;
            value = value / div + i128::from(value % div != 0);
        }
        Ok(Quantity {
            nanos: if negative { -value } else { value },
            format,
        })
    }

    /// Compares the values, whatever the formats (Go's `Quantity.Cmp`): `1Gi` equals
    /// `1024Mi`, `1` equals `1000m`.
    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }

    /// Adds `other`, keeping this quantity's format unless it is zero (Go's `Add`).
    pub fn add(&mut self, other: Quantity) {
        if self.nanos == 0 {
            self.format = other.format;
        }
        self.nanos += other.nanos;
    }
}

/// Go's canonical text of a quantity (`Quantity.String`).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let whole = self.nanos % NANO == 0;
        if self.format == Format::BinarySi && whole && self.nanos.abs() >= 1024 * NANO {
            let mut n = self.nanos / NANO;
            let mut k = 0;
            while n % 1024 == 0 && k < 6 {
                n /= 1024;
                k += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k];
            return write!(f, "{n}{suffix}");
        }
        // Every factor of ten out of the mantissa, then down to a multiple of three.
        let mut n = self.nanos;
        let mut exp: i32 = -9;
        while n % 10 == 0 {
            n /= 10;
            exp += 1;
        }
        while exp.rem_euclid(3) != 0 {
            n *= 10;
            exp -= 1;
        }
        let suffix = match (self.format, exp) {
            (_, 0) => String::new(),
            (Format::DecimalExponent, e) => format!("e{e}"),
            (_, -9) => "n".into(),
            (_, -6) => "u".into(),
            (_, -3) => "m".into(),
            (_, 3) => "k".into(),
            (_, 6) => "M".into(),
            (_, 9) => "G".into(),
            (_, 12) => "T".into(),
            (_, 15) => "P".into(),
            (_, 18) => "E".into(),
            (_, e) => format!("e{e}"),
        };
        write!(f, "{n}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Canonical texts as Go's `resource.MustParse(s).String()` prints them.
    #[test]
    fn parses_and_prints_as_go() {
        let cases: &[(&str, &str)] = &[
            ("1", "1"),
            ("1200m", "1200m"),
            ("1000m", "1"),
            ("1.5", "1500m"),
            ("512m", "512m"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("100Mi", "100Mi"),
            ("0.5Ki", "512"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("2M", "2M"),
            ("1e3", "1e3"),
            ("12e2", "1200"),
            ("0", "0"),
            ("-1", "-1"),
            ("1n", "1n"),
            ("0.1n", "1n"),
        ];
        for (text, canonical) in cases {
            let q = Quantity::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(q.to_string(), *canonical, "{text}");
        }
        for bad in ["", ".", "1g", "2gb", "lots", "1.2.3", "Gi", "1 Gi", "1e"] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Sums as Go's `Quantity.Add` makes them: the first operand's format wins.
    #[test]
    fn adds_as_go() {
        let cases: &[(&[&str], &str)] = &[
            (&["1", "1", "1"], "3"),
            (&["512m", "512m", "512m"], "1536m"),
            (&["1Gi", "256Mi"], "1280Mi"),
            (&["1Gi", "256Mi", "2Gi", "512Mi", "2Gi", "512Mi"], "6400Mi"),
            (&["1", "1200m"], "2200m"),
            (&["0", "1Gi"], "1Gi"),
            (&["1000", "24"], "1024"),
            (&["1Ki", "1000"], "2024"),
        ];
        for (parts, want) in cases {
            let mut sum = Quantity::from_int(0);
            for p in *parts {
                sum.add(Quantity::parse(p).unwrap());
            }
            assert_eq!(sum.to_string(), *want, "{parts:?}");
        }
    }

    /// Values compare exactly across suffixes and formats, as Go's `Cmp`.
    #[test]
    fn compares_values_as_go() {
        let cases: &[(&str, &str, Ordering)] = &[
            ("1", "1000m", Ordering::Equal),
            ("1Gi", "1024Mi", Ordering::Equal),
            ("1G", "1Gi", Ordering::Less),
            ("1001m", "1", Ordering::Greater),
            ("999999999n", "1", Ordering::Less),
            ("1e3", "1k", Ordering::Equal),
            ("-1", "0", Ordering::Less),
            ("2816Mi", "2.75Gi", Ordering::Equal),
        ];
        for (a, b, want) in cases {
            let (qa, qb) = (Quantity::parse(a).unwrap(), Quantity::parse(b).unwrap());
            assert_eq!(qa.cmp_value(&qb), *want, "{a} vs {b}");
            assert_eq!(qb.cmp_value(&qa), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn mib_in_binary_units() {
        for (n, want) in [(2816, "2816Mi"), (3072, "3Gi"), (1, "1Mi"), (0, "0")] {
            assert_eq!(Quantity::from_mib(n).to_string(), want, "{n}");
        }
    }
}
