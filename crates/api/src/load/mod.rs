//! Loading manifests from YAML or JSON text (one or many documents), with the field path of
//! every problem.

mod typed;
mod value;

use std::cell::RefCell;

use serde_json::Value;

use self::typed::{typed, Found};
use crate::problem::Problem;
use crate::tenancy::SparkConfPolicy;
use crate::validate::validate_with;
use crate::{ScheduledSparkApplication, SparkApplication, SparkCluster};

/// A manifest of one of the kinds sparkplane knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// `sparkoperator.k8s.io/v1beta2` `SparkApplication`.
    SparkApplication(Box<SparkApplication>),
    /// `sparkoperator.k8s.io/v1beta2` `ScheduledSparkApplication`.
    ScheduledSparkApplication(Box<ScheduledSparkApplication>),
    /// `sparkplane.io/v1alpha1` `SparkCluster`.
    SparkCluster(Box<SparkCluster>),
}

/// One manifest with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedManifest {
    /// The source name given to [`parse_documents`] (normally the file path).
    pub source: String,
    /// Zero-based index of the document in the source.
    pub document: usize,
    /// The manifest.
    pub manifest: Manifest,
}

impl Manifest {
    /// The manifest's kind, as written in `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SparkApplication(_) => "SparkApplication",
            Self::ScheduledSparkApplication(_) => "ScheduledSparkApplication",
            Self::SparkCluster(_) => "SparkCluster",
        }
    }

    /// `metadata.name`, when set.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::SparkApplication(a) => a.metadata.name.as_deref(),
            Self::ScheduledSparkApplication(s) => s.metadata.name.as_deref(),
            Self::SparkCluster(c) => c.metadata.name.as_deref(),
        }
    }
}

/// The (apiVersion, kind) pairs sparkplane reads.
const KINDS: &[(&str, &str)] = &[
    ("sparkoperator.k8s.io/v1beta2", "SparkApplication"),
    ("sparkoperator.k8s.io/v1beta2", "ScheduledSparkApplication"),
    ("sparkplane.io/v1alpha1", "SparkCluster"),
];

/// How [`parse_documents_with`] reads a text.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Skip documents of other API groups with a warning instead of an error.
    pub skip_others: bool,
    /// The sparkConf keys admitted past the tenancy boundary ([`crate::tenancy`]).
    pub spark_conf: SparkConfPolicy,
}

/// Parses every document of `text` and validates each manifest. `source` names the text in
/// problems (normally the file path); nothing is read from it.
///
/// Returns the manifests and the warnings when no document has an error; otherwise every
/// problem of every document (errors and warnings), so one run shows all that needs fixing.
pub fn parse_documents(
    source: &str,
    text: &str,
) -> Result<(Vec<LoadedManifest>, Vec<Problem>), Vec<Problem>> {
    parse_documents_with(source, text, &LoadOptions::default())
}

/// Like [`parse_documents`], but documents of other API groups (the ConfigMaps and Secrets
/// that often share a file with a SparkApplication) are skipped with a warning instead of
/// being errors.
pub fn parse_documents_skipping_others(
    source: &str,
    text: &str,
) -> Result<(Vec<LoadedManifest>, Vec<Problem>), Vec<Problem>> {
    let options = LoadOptions {
        skip_others: true,
        ..LoadOptions::default()
    };
    parse_documents_with(source, text, &options)
}

/// Parses and validates one manifest already read as JSON, as the API server returns it.
/// `source` names it in problems.
pub fn parse_value(source: &str, value: Value) -> Result<(Manifest, Vec<Problem>), Vec<Problem>> {
    parse_value_with(source, value, &SparkConfPolicy::default())
}

/// [`parse_value`], admitting the sparkConf keys `policy` allows.
pub fn parse_value_with(
    source: &str,
    value: Value,
    policy: &SparkConfPolicy,
) -> Result<(Manifest, Vec<Problem>), Vec<Problem>> {
    let (manifest, found) = parse_one(value);
    let mut problems: Vec<Problem> = found
        .into_iter()
        .map(|f| {
            if f.warning {
                Problem::warning(source, None, f.path, f.message)
            } else {
                Problem::error(source, None, f.path, f.message)
            }
        })
        .collect();
    let Some(m) = manifest else {
        return Err(problems);
    };
    problems.extend(
        validate_with(source, 0, &m, policy)
            .into_iter()
            .map(|mut p| {
                p.document = None;
                p
            }),
    );
    if problems.iter().any(Problem::is_error) {
        Err(problems)
    } else {
        Ok((m, problems))
    }
}

fn is_ours(value: &Value) -> bool {
    let api = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    KINDS
        .iter()
        .any(|(a, _)| a.split('/').next() == api.split('/').next())
}

/// [`parse_documents`] with `options`.
pub fn parse_documents_with(
    source: &str,
    text: &str,
    options: &LoadOptions,
) -> Result<(Vec<LoadedManifest>, Vec<Problem>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut manifests = Vec::new();
    let mut seen_any = false;
    for (index, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let duplicates = RefCell::new(Vec::new());
        let value = match value::document(doc, &duplicates) {
            Ok(v) => v,
            Err(e) => {
                problems.push(Problem::error(source, Some(index), "", yaml_message(&e)));
                // The YAML stream cannot be trusted past a syntax error.
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        seen_any = true;
        if options.skip_others && value.is_object() && !is_ours(&value) {
            let kind = value.get("kind").and_then(Value::as_str).unwrap_or("?");
            problems.push(Problem::warning(
                source,
                Some(index),
                "kind",
                format!("{kind} is not a Spark manifest; skipped"),
            ));
            continue;
        }
        // Which of two values was meant cannot be told, so a duplicate is an error; the
        // document is still checked (with the last value) to report its other problems.
        problems.extend(duplicates.into_inner().into_iter().map(|path| {
            Problem::error(
                source,
                Some(index),
                path,
                "duplicate key: the mapping already has this key, and one of the two values would be lost",
            )
        }));
        let (manifest, found) = parse_one(value);
        problems.extend(found.into_iter().map(|f| {
            if f.warning {
                Problem::warning(source, Some(index), f.path, f.message)
            } else {
                Problem::error(source, Some(index), f.path, f.message)
            }
        }));
        if let Some(m) = manifest {
            problems.extend(validate_with(source, index, &m, &options.spark_conf));
            manifests.push(LoadedManifest {
                source: source.to_string(),
                document: index,
                manifest: m,
            });
        }
    }
    if !seen_any && problems.is_empty() {
        problems.push(Problem::error(
            source,
            None,
            "",
            "the file holds no manifest (expected at least one YAML or JSON document)",
        ));
    }
    if problems.iter().any(Problem::is_error) {
        Err(problems)
    } else {
        Ok((manifests, problems))
    }
}

fn yaml_message(e: &serde_yaml_ng::Error) -> String {
    let reason = e.to_string();
    // serde_yaml_ng appends " at line L column C" itself; the location goes to the front.
    match e.location() {
        Some(loc) => {
            let reason = reason.split(" at line ").next().unwrap_or(&reason);
            format!(
                "malformed YAML at line {}, column {}: {reason}",
                loc.line(),
                loc.column()
            )
        }
        None => format!("malformed YAML: {reason}"),
    }
}

/// Dispatches on `apiVersion` and `kind`, then deserializes the typed manifest. The
/// manifest is returned unless something stopped deserialization; unknown fields do not,
/// so validation still runs and reports the document's other problems.
fn parse_one(value: Value) -> (Option<Manifest>, Vec<Found>) {
    let fail = |path: &str, msg: String| (None, vec![Found::error(path, msg)]);
    let Some(obj) = value.as_object() else {
        return fail(
            "",
            format!(
                "expected a mapping with apiVersion and kind, got {}",
                describe(&value)
            ),
        );
    };
    let field = |name: &str| match obj.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err((
            name.to_string(),
            format!("expected a string, got {}", describe(other)),
        )),
        None => Err((name.to_string(), "required field is missing".to_string())),
    };
    let (api_version, kind) = match (field("apiVersion"), field("kind")) {
        (Ok(a), Ok(k)) => (a, k),
        (a, k) => {
            let found = [a.err(), k.err()]
                .into_iter()
                .flatten()
                .map(|(p, m)| Found::error(p, m))
                .collect();
            return (None, found);
        }
    };
    let Some((want_api, _)) = KINDS.iter().find(|(_, k)| *k == kind) else {
        return fail(
            "kind",
            format!(
                "expected one of SparkApplication, ScheduledSparkApplication (sparkoperator.k8s.io/v1beta2) or SparkCluster (sparkplane.io/v1alpha1), got {kind:?}"
            ),
        );
    };
    if api_version != *want_api {
        return fail(
            "apiVersion",
            format!("expected {want_api:?} for kind {kind}, got {api_version:?}"),
        );
    }
    match kind.as_str() {
        "SparkApplication" => {
            let (a, found) = typed::<SparkApplication>(&kind, value);
            (a.map(|a| Manifest::SparkApplication(Box::new(a))), found)
        }
        "ScheduledSparkApplication" => {
            let (a, found) = typed::<ScheduledSparkApplication>(&kind, value);
            (
                a.map(|a| Manifest::ScheduledSparkApplication(Box::new(a))),
                found,
            )
        }
        _ => {
            let (c, found) = typed::<SparkCluster>(&kind, value);
            (c.map(|c| Manifest::SparkCluster(Box::new(c))), found)
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

#[cfg(test)]
mod tests;
