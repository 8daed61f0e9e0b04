//! A JSON value turned into a typed manifest, with the path of a type error and of every
//! field the type does not know, and serde's messages rewritten as `expected …, got …`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::value::join;

/// Something found while deserializing: field path, message, and whether it is only a
/// warning.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub path: String,
    pub message: String,
    pub warning: bool,
}

impl Found {
    pub(super) fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            warning: false,
        }
    }
}

/// Deserializes `value` into `T`. Unknown fields are found by watching what the deserializer
/// is asked to skip, which also catches fields that embedded Kubernetes types would otherwise
/// drop silently (k8s-openapi ignores unknown fields). Returns the value (unless there is a
/// type error) and everything found; the caller decides by the errors whether to use it.
pub(super) fn typed<T: DeserializeOwned>(kind: &str, value: Value) -> (Option<T>, Vec<Found>) {
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let result = {
        let de = serde_path_to_error::Deserializer::new(value, &mut track);
        serde_ignored::deserialize(de, |path| unknown.push(render_ignored(&path)))
    };
    let mut found: Vec<Found> = unknown
        .into_iter()
        // apiVersion and kind were checked before (the generated root type skips them);
        // `status` belongs to controllers, which may know fields this version does not.
        .filter(|p| p != "apiVersion" && p != "kind" && p != "status" && !p.starts_with("status."))
        .map(|p| {
            if in_pod_template(&p) {
                // kubeflow keeps pod templates as written and Kubernetes drops fields a Pod
                // does not have: such a field does nothing, but breaks nothing either.
                Found {
                    path: p,
                    message: "unknown field in a pod template: Kubernetes has no such field there, so it has no effect"
                        .into(),
                    warning: true,
                }
            } else {
                Found::error(p, format!("unknown field (not part of the {kind} API)"))
            }
        })
        .collect();
    match result {
        Ok(v) => (Some(v), found),
        Err(e) => {
            let path = track.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let (path, message) = rewrite(&path, &e.to_string());
            found.push(Found::error(path, message));
            (None, found)
        }
    }
}

/// True for paths inside `driver.template` or `executor.template` (the pod templates, which
/// kubeflow's CRD leaves schemaless), not for a ScheduledSparkApplication's `spec.template`.
fn in_pod_template(path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    segments
        .windows(2)
        .any(|w| matches!(w[0], "driver" | "executor") && w[1] == "template")
}

fn render_ignored(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", render_ignored(parent)),
        Path::Map { parent, key } => join(&render_ignored(parent), key),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => render_ignored(parent),
    }
}

/// Rewrites one of serde's messages about the value at `path` as `expected …, got …`,
/// moving the path to the missing field where the message names one. Returns the path and
/// the message.
pub(super) fn rewrite(path: &str, msg: &str) -> (String, String) {
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (join(path, field), "required field is missing".into());
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let (got, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed = tail
            .split("expected ")
            .nth(1)
            .map(variant_list)
            .unwrap_or_default();
        return (path.to_string(), format!("expected {allowed}, got {got:?}"));
    }
    for (prefix, show_range) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            if let Some((got, expected)) = rest.split_once(", expected ") {
                let got = describe_got(got);
                let want = describe_expected(expected, show_range);
                let hint = quote_hint(&want, got.as_str());
                return (
                    path.to_string(),
                    format!("expected {want}, got {got}{hint}"),
                );
            }
        }
    }
    (path.to_string(), msg.to_string())
}

/// serde lists variants as "one of `A`, `B`", "`A` or `B`" or "`A`".
fn variant_list(expected: &str) -> String {
    let names: Vec<String> = expected
        .trim_start_matches("one of ")
        .split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|v| v.trim().trim_matches('`').to_string())
        .filter(|v| !v.is_empty())
        .collect();
    match names.as_slice() {
        [one] => one.clone(),
        _ => format!("one of {}", names.join(", ")),
    }
}

/// serde's description of a found value ("integer `3`", "floating point `1.5`", "map") in
/// the words problems use.
fn describe_got(got: &str) -> String {
    let got = got.replace('`', "");
    if let Some(n) = got.strip_prefix("floating point ") {
        return format!("decimal number {n}");
    }
    match got.as_str() {
        "map" => "a mapping".into(),
        "sequence" => "a list".into(),
        "unit value" => "null".into(),
        _ => got,
    }
}

/// serde's description of an expected type (`i32`, `struct DriverSpec`, `a sequence`).
fn describe_expected(expected: &str, show_range: bool) -> String {
    let range = |lo: i128, hi: i128| {
        if show_range {
            format!("an integer from {lo} to {hi}")
        } else {
            "an integer".to_string()
        }
    };
    match expected {
        "i8" => range(i8::MIN.into(), i8::MAX.into()),
        "i16" => range(i16::MIN.into(), i16::MAX.into()),
        "i32" => range(i32::MIN.into(), i32::MAX.into()),
        "i64" => range(i64::MIN.into(), i64::MAX.into()),
        "u8" => range(0, u8::MAX.into()),
        "u16" => range(0, u16::MAX.into()),
        "u32" => range(0, u32::MAX.into()),
        "u64" => range(0, u64::MAX.into()),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "a list".into(),
        "a map" => "a mapping".into(),
        // How serde asks for an enum: a plain string is the only form a manifest uses.
        "string or map" => "a string".into(),
        other if other.starts_with("struct ") => "a mapping".into(),
        other => other.to_string(),
    }
}

/// YAML reads `3`, `1.5` or `true` as a number or boolean; where a string is wanted, say how
/// to write one, since the fix is not obvious from the message alone.
fn quote_hint(want: &str, got: &str) -> String {
    if want != "a string" {
        return String::new();
    }
    ["integer ", "decimal number ", "boolean "]
        .iter()
        .find_map(|p| got.strip_prefix(p))
        .map(|v| format!(" (quote it: \"{v}\")"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_templates_are_told_apart() {
        let cases = [
            ("spec.driver.template.spec.x", true),
            ("spec.executor.template.metadata.y", true),
            ("spec.template.driver.template.spec.x", true),
            ("spec.template.driver.x", false),
            ("spec.template.x", false),
            ("spec.driver.templat", false),
        ];
        for (path, want) in cases {
            assert_eq!(in_pod_template(path), want, "{path}");
        }
    }

    #[test]
    fn rewrites_serde_messages() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "spec",
                "missing field `driver`",
                "spec.driver",
                "required field is missing",
            ),
            (
                "",
                "missing field `spec`",
                "spec",
                "required field is missing",
            ),
            (
                "spec.type",
                "unknown variant `Rust`, expected one of `Java`, `Python`, `Scala`, `R`",
                "spec.type",
                "expected one of Java, Python, Scala, R, got \"Rust\"",
            ),
            (
                "spec.pythonVersion",
                "unknown variant `4`, expected `2` or `3`",
                "spec.pythonVersion",
                "expected one of 2, 3, got \"4\"",
            ),
            (
                "x",
                "unknown variant `b`, expected `a`",
                "x",
                "expected a, got \"b\"",
            ),
            (
                "spec.executor.instances",
                "invalid type: string \"many\", expected i32",
                "spec.executor.instances",
                "expected an integer, got string \"many\"",
            ),
            (
                "spec.master.port",
                "invalid value: integer `70000`, expected u16",
                "spec.master.port",
                "expected an integer from 0 to 65535, got integer 70000",
            ),
            (
                "spec.timeToLiveSeconds",
                "invalid type: floating point `1.5`, expected i64",
                "spec.timeToLiveSeconds",
                "expected an integer, got decimal number 1.5",
            ),
            (
                "spec.sparkConf.a",
                "invalid type: boolean `true`, expected a string",
                "spec.sparkConf.a",
                "expected a string, got boolean true (quote it: \"true\")",
            ),
            (
                "spec.pythonVersion",
                "invalid type: integer `3`, expected string or map",
                "spec.pythonVersion",
                "expected a string, got integer 3 (quote it: \"3\")",
            ),
            (
                "spec.deps",
                "invalid type: integer `5`, expected struct Dependencies",
                "spec.deps",
                "expected a mapping, got integer 5",
            ),
            (
                "spec.arguments",
                "invalid type: string \"x\", expected a sequence",
                "spec.arguments",
                "expected a list, got string \"x\"",
            ),
            (
                "spec.driver",
                "invalid type: sequence, expected struct DriverSpec",
                "spec.driver",
                "expected a mapping, got a list",
            ),
            (
                "a",
                "something else entirely",
                "a",
                "something else entirely",
            ),
        ];
        for (path, msg, want_path, want_msg) in cases {
            let (p, m) = rewrite(path, msg);
            assert_eq!((p.as_str(), m.as_str()), (*want_path, *want_msg), "{msg}");
        }
    }
}
