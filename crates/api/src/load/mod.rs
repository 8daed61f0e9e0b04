//! Loading manifests from YAML or JSON text (one or many documents), with the field path of
//! every problem.

use serde::de::DeserializeOwned;

use crate::problem::Problem;
use crate::validate::validate;
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

const KINDS: &[(&str, &str)] = &[
    ("sparkoperator.k8s.io/v1beta2", "SparkApplication"),
    ("sparkoperator.k8s.io/v1beta2", "ScheduledSparkApplication"),
    ("sparkplane.io/v1alpha1", "SparkCluster"),
];

/// Parses every document of `text` and validates each manifest. Returns the manifests and
/// the warnings when there is no error; otherwise every problem found (errors and warnings).
pub fn parse_documents(
    source: &str,
    text: &str,
) -> Result<(Vec<LoadedManifest>, Vec<Problem>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut manifests = Vec::new();
    let mut seen_any = false;
    for (index, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value: serde_json::Value = match serde::Deserialize::deserialize(doc) {
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
        match parse_one(source, index, value) {
            Ok(m) => {
                problems.extend(validate(source, index, &m));
                manifests.push(LoadedManifest {
                    source: source.to_string(),
                    document: index,
                    manifest: m,
                });
            }
            Err(ps) => problems.extend(ps),
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
    // serde_yaml_ng appends " at line L column C" itself; move the location to the front.
    match e.location() {
        Some(loc) => {
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or(&reason)
                .to_string();
            format!(
                "malformed YAML at line {}, column {}: {reason}",
                loc.line(),
                loc.column()
            )
        }
        None => format!("malformed YAML: {reason}"),
    }
}

fn parse_one(
    source: &str,
    index: usize,
    value: serde_json::Value,
) -> Result<Manifest, Vec<Problem>> {
    let err = |path: &str, msg: String| vec![Problem::error(source, Some(index), path, msg)];
    let Some(obj) = value.as_object() else {
        return Err(err(
            "",
            format!(
                "expected a mapping with apiVersion and kind, got {}",
                describe(&value)
            ),
        ));
    };
    let api_version = match obj.get("apiVersion") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(err(
                "apiVersion",
                format!("expected a string, got {}", describe(other)),
            ))
        }
        None => return Err(err("apiVersion", "required field is missing".into())),
    };
    let kind = match obj.get("kind") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(err(
                "kind",
                format!("expected a string, got {}", describe(other)),
            ))
        }
        None => return Err(err("kind", "required field is missing".into())),
    };
    let Some((want_api, _)) = KINDS.iter().find(|(_, k)| *k == kind) else {
        return Err(err(
            "kind",
            format!(
                "expected one of SparkApplication, ScheduledSparkApplication (sparkoperator.k8s.io/v1beta2) or SparkCluster (sparkplane.io/v1alpha1), got {kind:?}"
            ),
        ));
    };
    if api_version != *want_api {
        return Err(err(
            "apiVersion",
            format!("expected {want_api:?} for kind {kind}, got {api_version:?}"),
        ));
    }
    match kind.as_str() {
        "SparkApplication" => typed::<SparkApplication>(source, index, &kind, value)
            .map(|a| Manifest::SparkApplication(Box::new(a))),
        "ScheduledSparkApplication" => {
            typed::<ScheduledSparkApplication>(source, index, &kind, value)
                .map(|a| Manifest::ScheduledSparkApplication(Box::new(a)))
        }
        _ => typed::<SparkCluster>(source, index, &kind, value)
            .map(|c| Manifest::SparkCluster(Box::new(c))),
    }
}

/// Deserializes `value` into `T`, reporting the path of a type error and every field `T`
/// does not know. Unknown fields are found by watching what the deserializer is asked to
/// skip, which also catches fields that embedded Kubernetes types would drop silently.
fn typed<T: DeserializeOwned>(
    source: &str,
    index: usize,
    kind: &str,
    value: serde_json::Value,
) -> Result<T, Vec<Problem>> {
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let result = {
        let de = serde_path_to_error::Deserializer::new(value, &mut track);
        serde_ignored::deserialize(de, |path| unknown.push(render_ignored(&path)))
    };
    let mut problems: Vec<Problem> = unknown
        .into_iter()
        // apiVersion and kind were checked above (the generated root type skips them);
        // `status` is written by controllers, not by users.
        .filter(|p| p != "apiVersion" && p != "kind" && p != "status" && !p.starts_with("status."))
        .map(|p| {
            Problem::error(
                source,
                Some(index),
                p,
                format!("unknown field (not part of the {kind} API)"),
            )
        })
        .collect();
    match result {
        Ok(v) if problems.is_empty() => Ok(v),
        Ok(_) => Err(problems),
        Err(e) => {
            let path = track.path().to_string();
            let (path, message) = serde_message(&path, &e.to_string());
            problems.push(Problem::error(source, Some(index), path, message));
            Err(problems)
        }
    }
}

fn render_ignored(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", render_ignored(parent)),
        Path::Map { parent, key } => {
            let p = render_ignored(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => render_ignored(parent),
    }
}

/// Rewrites serde's messages as `expected …, got …` with the right field path.
fn serde_message(path: &str, msg: &str) -> (String, String) {
    let path = if path == "." { "" } else { path };
    let join = |p: &str, f: &str| {
        if p.is_empty() {
            f.to_string()
        } else {
            format!("{p}.{f}")
        }
    };
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (join(path, field), "required field is missing".into());
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let got = rest.split('`').next().unwrap_or("");
        let expected = rest
            .split("expected ")
            .nth(1)
            .map(|e| e.replace('`', "").replace("one of ", ""))
            .unwrap_or_default();
        return (
            path.to_string(),
            format!("expected one of {expected}, got {got:?}"),
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return (
                path.to_string(),
                format!("expected {}, got {got}", plain_expected(expected)),
            );
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return (
                path.to_string(),
                format!("expected {}, got {got}", plain_expected(expected)),
            );
        }
    }
    (path.to_string(), msg.to_string())
}

fn plain_expected(e: &str) -> String {
    match e {
        "i32" | "i64" | "u32" | "u64" | "u16" => "an integer".into(),
        "a string" | "a boolean" | "a sequence" | "a map" => e.into(),
        other if other.starts_with("i32") || other.starts_with("u16") => {
            "an integer in range".into()
        }
        other => other.to_string(),
    }
}

fn describe(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Bool(b) => format!("boolean {b}"),
        serde_json::Value::Number(n) => format!("number {n}"),
        serde_json::Value::String(s) => format!("string {s:?}"),
        serde_json::Value::Array(_) => "a list".into(),
        serde_json::Value::Object(_) => "a mapping".into(),
    }
}

#[cfg(test)]
mod tests;
