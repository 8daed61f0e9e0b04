//! Spark's resource arithmetic for its driver and executor pods, in one place: memory, the
//! memory overhead (set, or the overhead factor's share, at least a minimum), off-heap and
//! PySpark memory, an executor memory limit, CPU requests and limits, and the cores a
//! standalone application takes. Every caller reads Spark's settings through [`Settings`]:
//!
//! - the native submission builder (`sparkplane-submit`) reads the conf spark-submit holds;
//! - the operator (`sparkplane-operator`) reads the conf a manifest gives Spark (spec fields
//!   over sparkConf, as its command line passes them) for its rendering, batch-scheduler
//!   reservations and ResourceQuota check;
//! - the local runtime's planner (`sparkplane-plan`) writes the same keys ([`keys`]) and the
//!   cores cap of standalone clusters ([`cores::standalone_max_cores`]).
//!
//! Pure: values in, values out; no I/O. The Spark size grammar is `sparkplane-api`'s.
//!
//! Where callers differ, each passes its own reading in, and the difference is documented
//! where the choice is made:
//! - the minimum overhead ([`memory::MinimumOverhead`]): the submission builder reads
//!   `spark.driver.minMemoryOverhead` from Spark 4.0 on; the operator's reservations and
//!   quota check count Spark's fixed 384 MiB for every version;
//! - the application's language ([`Language`]): the builder takes it from the main resource
//!   (jar, `.py`, `.R`), the operator from `spec.type`;
//! - the words of an error ([`Invalid`]): each caller phrases it as it always has.

pub mod cores;
pub mod keys;
pub mod memory;

use std::borrow::Cow;
use std::collections::BTreeMap;

use sparkplane_api::quantity::{parse_spark_memory, parse_spark_memory_mib};

/// A Spark configuration as the arithmetic reads it: the value of a key, when set.
pub trait Settings {
    /// The value of the Spark setting `key`, as written.
    fn get(&self, key: &str) -> Option<Cow<'_, str>>;
}

impl Settings for BTreeMap<String, String> {
    fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        BTreeMap::get(self, key).map(|v| Cow::Borrowed(v.as_str()))
    }
}

impl<S: Settings + ?Sized> Settings for &S {
    fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        (**self).get(key)
    }
}

/// The pod a setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The driver pod.
    Driver,
    /// The executor pods.
    Executor,
}

impl Role {
    /// The word Spark's keys use for the role: `driver` or `executor`.
    pub fn word(self) -> &'static str {
        match self {
            Role::Driver => "driver",
            Role::Executor => "executor",
        }
    }
}

/// The application's language, which decides the default overhead factor and whether
/// PySpark memory counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Java or Scala.
    Jvm,
    /// PySpark.
    Python,
    /// SparkR.
    R,
}

/// What a value was expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A Spark size where a bare number means MiB (`spark.driver.memory`).
    Mib,
    /// A Spark size where a bare number means bytes (`spark.memory.offHeap.size`).
    Bytes,
    /// A decimal number (an overhead factor).
    Decimal,
    /// A whole number (cores).
    Integer,
    /// `true` or `false`, in any case.
    Boolean,
}

/// A setting Spark would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The key it was read under.
    pub key: String,
    /// The value as written.
    pub value: String,
    /// What it should have been.
    pub expected: Expected,
    /// Why it was refused: the size grammar's message, or `expected …, got "…"`.
    pub reason: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

impl std::error::Error for Invalid {}

/// Reads `key` with `parse`, naming the key and the value when it fails.
fn read<S: Settings + ?Sized, T>(
    s: &S,
    key: &str,
    expected: Expected,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, Invalid> {
    let Some(value) = s.get(key) else {
        return Ok(None);
    };
    parse(&value).map(Some).map_err(|reason| Invalid {
        key: key.to_string(),
        value: value.to_string(),
        expected,
        reason,
    })
}

/// MiB of a Spark size where a bare number means MiB, floored to MiB as Spark does.
pub fn read_mib<S: Settings + ?Sized>(s: &S, key: &str) -> Result<Option<u64>, Invalid> {
    read(s, key, Expected::Mib, parse_spark_memory_mib)
}

/// MiB of a Spark size where a bare number means bytes, floored to MiB as Spark's
/// `executorOffHeapMemorySizeAsMb` does.
pub fn read_bytes_as_mib<S: Settings + ?Sized>(s: &S, key: &str) -> Result<Option<u64>, Invalid> {
    read(s, key, Expected::Bytes, |v| {
        parse_spark_memory(v).map(|b| b >> 20)
    })
}

/// A decimal number.
pub fn read_decimal<S: Settings + ?Sized>(s: &S, key: &str) -> Result<Option<f64>, Invalid> {
    read(s, key, Expected::Decimal, |v| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| format!("expected a decimal number, got {v:?}"))
    })
}

/// A whole number.
pub fn read_integer<S: Settings + ?Sized>(s: &S, key: &str) -> Result<Option<i32>, Invalid> {
    read(s, key, Expected::Integer, |v| {
        v.trim()
            .parse::<i32>()
            .map_err(|_| format!("expected a whole number, got {v:?}"))
    })
}

/// A boolean as Spark reads it: `true` or `false` in any case, trimmed.
pub fn read_boolean<S: Settings + ?Sized>(s: &S, key: &str) -> Result<Option<bool>, Invalid> {
    read(s, key, Expected::Boolean, |v| {
        match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("expected true or false, got {v:?}")),
        }
    })
}

#[cfg(test)]
pub(crate) fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_name_the_key_and_value() {
        let c = conf(&[
            ("m", "2g"),
            ("b", " TRUE "),
            ("f", " 0.25"),
            ("n", "x"),
            ("o", "1500k"),
        ]);
        assert_eq!(read_mib(&c, "m"), Ok(Some(2048)));
        assert_eq!(read_boolean(&c, "b"), Ok(Some(true)));
        assert_eq!(read_decimal(&c, "f"), Ok(Some(0.25)));
        assert_eq!(read_bytes_as_mib(&c, "o"), Ok(Some(1)));
        assert_eq!(read_mib(&c, "missing"), Ok(None));
        let e = read_integer(&c, "n").unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.value.as_str(), e.expected),
            ("n", "x", Expected::Integer)
        );
        assert_eq!(e.reason, "expected a whole number, got \"x\"");
    }
}
