//! A Spark configuration as the submitting JVM holds it, with Spark's typed readers.

use std::borrow::Cow;

use sparkplane_api::quantity::parse_spark_memory_mib;

use crate::error::SubmitError;
use crate::scala_order::{prefixed_order, ScalaLine};

/// What a Spark memory size looks like, in errors.
pub(crate) const EXPECTED_SIZE: &str = "a Spark memory size such as 512m or 2g";
/// What a decimal setting looks like, in errors.
pub(crate) const EXPECTED_DECIMAL: &str = "a number such as 0.1";
/// What an integer setting looks like, in errors.
pub(crate) const EXPECTED_INTEGER: &str = "an integer";
/// What a boolean setting looks like, in errors.
pub(crate) const EXPECTED_BOOLEAN: &str = "true or false";

/// `spark.*` settings in the order they were set (a later `set` replaces in place).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SparkConf {
    entries: Vec<(String, String)>,
}

impl SparkConf {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Sets `key` unless it is set.
    pub fn set_if_missing(&mut self, key: &str, value: impl Into<String>) {
        if !self.contains(key) {
            self.set(key, value);
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| k != key);
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Every entry, in the order set.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `getAllWithPrefix(prefix).toMap`, in the order Spark (built with `line`'s Scala)
    /// iterates it, with the prefix stripped.
    pub fn prefixed(&self, prefix: &str, line: ScalaLine) -> Vec<(String, String)> {
        let all: Vec<(&str, &str)> = self
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        prefixed_order(&all, prefix, line)
    }

    /// A boolean setting, read as Spark reads it (`true`/`false`, any case, trimmed).
    pub fn get_bool(&self, key: &str, default: bool) -> Result<bool, SubmitError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(SubmitError::invalid(key, EXPECTED_BOOLEAN, v)),
            },
        }
    }

    /// An integer setting.
    pub fn get_int(&self, key: &str, default: i32) -> Result<i32, SubmitError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| SubmitError::invalid(key, EXPECTED_INTEGER, v)),
        }
    }

    /// A floating-point setting.
    pub fn get_double(&self, key: &str) -> Result<Option<f64>, SubmitError> {
        self.get(key)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| SubmitError::invalid(key, EXPECTED_DECIMAL, v))
            })
            .transpose()
    }

    /// A size in MiB where a bare number means MiB (`spark.driver.memory`).
    pub fn get_mib(&self, key: &str) -> Result<Option<u64>, SubmitError> {
        self.get(key)
            .map(|v| {
                parse_spark_memory_mib(v).map_err(|_| SubmitError::invalid(key, EXPECTED_SIZE, v))
            })
            .transpose()
    }
}

/// The conf the submitting JVM holds is what Spark's resource arithmetic reads for the
/// driver pod.
impl sparkplane_spark_resources::Settings for SparkConf {
    fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        SparkConf::get(self, key).map(Cow::Borrowed)
    }
}

/// Java's `Double.toString` for the values Spark writes back (overhead factors).
pub fn java_double(v: f64) -> String {
    if v == 0.0 {
        return "0.0".into();
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Java switches to computerized scientific notation outside [1e-3, 1e7).
        let s = format!("{v:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = if mant.contains('.') {
            mant.to_string()
        } else {
            format!("{mant}.0")
        };
        format!("{mant}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_in_place() {
        let mut c = SparkConf::new();
        c.set("a", "1");
        c.set("b", "2");
        c.set("a", "3");
        assert_eq!(
            c.entries(),
            &[("a".into(), "3".into()), ("b".into(), "2".into())]
        );
        c.set_if_missing("a", "9");
        assert_eq!(c.get("a"), Some("3"));
    }

    #[test]
    fn java_doubles() {
        for (v, want) in [
            (0.1, "0.1"),
            (0.4, "0.4"),
            (1.0, "1.0"),
            (2.5, "2.5"),
            (0.0001, "1.0E-4"),
        ] {
            assert_eq!(java_double(v), want);
        }
    }

    #[test]
    fn typed_readers() {
        let mut c = SparkConf::new();
        c.set("b", " TRUE ");
        c.set("m", "2g");
        c.set("bad", "x");
        assert!(c.get_bool("b", false).unwrap());
        assert_eq!(c.get_mib("m").unwrap(), Some(2048));
        assert!(c.get_int("bad", 0).is_err());
        assert_eq!(c.get_int("missing", 7).unwrap(), 7);
    }
}
