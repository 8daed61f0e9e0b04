//! Spark versions: parsing, ordering and the set sparkplane supports.

use std::fmt;
use std::str::FromStr;

/// A Spark release version `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SparkVersion {
    /// Major version, e.g. 4.
    pub major: u32,
    /// Minor version, e.g. 3.
    pub minor: u32,
    /// Patch version, e.g. 0.
    pub patch: u32,
}

/// The release lines (major, minor) sparkplane supports, oldest first.
pub const SUPPORTED_LINES: &[(u32, u32)] = &[(3, 5), (4, 0), (4, 1), (4, 2), (4, 3)];

/// The version used when a manifest or command names none: the newest supported release
/// known when this sparkplane was built.
pub const DEFAULT_VERSION: SparkVersion = SparkVersion::new(4, 3, 0);

/// Why a version string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Not of the form `X.Y.Z` (or `X.Y` where allowed).
    #[error("expected a Spark version such as 4.3.0, got {0:?}")]
    Malformed(String),
    /// Well formed, but not a line sparkplane supports.
    #[error("Spark {0} is not supported (supported: 3.5.x and 4.0.x to 4.3.x)")]
    Unsupported(SparkVersion),
}

impl SparkVersion {
    /// A version from its three parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// True when the version belongs to a supported release line.
    pub fn is_supported(&self) -> bool {
        SUPPORTED_LINES.contains(&(self.major, self.minor))
    }

    /// Parses and checks that the line is supported.
    pub fn parse_supported(text: &str) -> Result<Self, VersionError> {
        let v: Self = text.parse()?;
        if v.is_supported() {
            Ok(v)
        } else {
            Err(VersionError::Unsupported(v))
        }
    }

    /// The Scala binary version Spark's jars of this release are built for.
    pub fn scala_binary_version(&self) -> &'static str {
        if self.major >= 4 {
            "2.13"
        } else {
            "2.12"
        }
    }

    /// The oldest Java major version this release runs on.
    pub fn min_java(&self) -> u32 {
        if self.major >= 4 {
            17
        } else {
            8
        }
    }
}

impl FromStr for SparkVersion {
    type Err = VersionError;

    /// Accepts `X.Y.Z`; pre-release suffixes (`4.1.0.dev1`) are refused because only final
    /// releases are supported.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || VersionError::Malformed(s.to_string());
        let mut parts = s.trim().split('.');
        let mut next = || -> Result<u32, VersionError> {
            let p = parts.next().ok_or_else(malformed)?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            p.parse().map_err(|_| malformed())
        };
        let v = Self::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(malformed());
        }
        Ok(v)
    }
}

impl fmt::Display for SparkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_support() {
        let cases: &[(&str, Result<SparkVersion, ()>, bool)] = &[
            ("4.3.0", Ok(SparkVersion::new(4, 3, 0)), true),
            ("3.5.9", Ok(SparkVersion::new(3, 5, 9)), true),
            (" 4.0.1 ", Ok(SparkVersion::new(4, 0, 1)), true),
            ("3.4.4", Ok(SparkVersion::new(3, 4, 4)), false),
            ("4.4.0", Ok(SparkVersion::new(4, 4, 0)), false),
            ("4.3", Err(()), false),
            ("4.1.0.dev1", Err(()), false),
            ("v4.3.0", Err(()), false),
            ("", Err(()), false),
            ("4..0", Err(()), false),
        ];
        for (text, want, supported) in cases {
            let got = text.parse::<SparkVersion>().map_err(|_| ());
            assert_eq!(&got, want, "{text}");
            if let Ok(v) = got {
                assert_eq!(v.is_supported(), *supported, "{text}");
            }
        }
    }

    #[test]
    fn orders_numerically() {
        let a: SparkVersion = "4.10.0".parse().unwrap();
        let b: SparkVersion = "4.9.3".parse().unwrap();
        assert!(a > b);
        assert!(DEFAULT_VERSION.is_supported());
    }

    #[test]
    fn java_and_scala_by_line() {
        assert_eq!(SparkVersion::new(3, 5, 9).scala_binary_version(), "2.12");
        assert_eq!(SparkVersion::new(4, 0, 0).scala_binary_version(), "2.13");
        assert_eq!(SparkVersion::new(3, 5, 9).min_java(), 8);
        assert_eq!(SparkVersion::new(4, 3, 0).min_java(), 17);
    }
}
