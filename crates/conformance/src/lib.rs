//! The submission conformance corpus (`conformance/` at the repository root).
//!
//! Each case is a directory holding `args` (spark-submit's command line after
//! `--master`/`--deploy-mode`, one argument per line), optionally `env` (the submitter's
//! environment: `KEY=VALUE` lines set a variable, `-u KEY` lines unset one, defaults included)
//! and `conf/` (the submitter's `SPARK_CONF_DIR`), and any files
//! the arguments name by relative path. `conformance/record.sh` runs the real `spark-submit`
//! of each Spark version on every case against the Kubernetes API double and stores the
//! normalised requests in `conformance/expected/<version>/<case>.json`; the conformance test
//! runs `sparkplane submit` the same way and compares.
//!
//! Normalisation replaces only what is random or time-dependent in spark-submit: the
//! application id, the unique ids in resource names, the local-dir UUID, the submission time,
//! and the order and date comment of `spark.properties` (a Java properties file whose order is
//! hash order; it is compared as a sorted map).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::{json, Map, Value};

/// One conformance case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The directory name.
    pub name: String,
    /// The case directory (the submitter's working directory).
    pub dir: PathBuf,
    /// Arguments after `--master ... --deploy-mode cluster`.
    pub args: Vec<String>,
    /// Extra environment for the submitter: a value to set, or `None` to unset the variable.
    pub env: Vec<(String, Option<String>)>,
    /// The submitter's `SPARK_CONF_DIR`, when the case has one.
    pub conf_dir: Option<PathBuf>,
}

/// The corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// Every case, sorted by name.
pub fn cases() -> anyhow::Result<Vec<Case>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus_dir().join("cases"))? {
        let dir = entry?.path();
        if !dir.join("args").is_file() {
            continue;
        }
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let args = std::fs::read_to_string(dir.join("args"))?
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect();
        let env = match std::fs::read_to_string(dir.join("env")) {
            Ok(text) => text.lines().filter_map(env_line).collect(),
            Err(_) => vec![],
        };
        let conf_dir = Some(dir.join("conf")).filter(|d| d.is_dir());
        out.push(Case {
            name,
            dir,
            args,
            env,
            conf_dir,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One line of a case's `env` file: `KEY=VALUE` sets, `-u KEY` unsets; anything else is
/// ignored (as `conformance/record.sh` ignores it).
fn env_line(line: &str) -> Option<(String, Option<String>)> {
    if let Some(key) = line.strip_prefix("-u ") {
        return Some((key.to_string(), None));
    }
    let (k, v) = line.split_once('=')?;
    Some((k.to_string(), Some(v.to_string())))
}

impl Case {
    /// Applies the case's environment to `cmd`, after the defaults it was given (which a case
    /// may override or unset).
    pub fn apply_env(&self, cmd: &mut std::process::Command) {
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
    }
}

/// The expected output of `case` for Spark `version`, when recorded.
pub fn expected_path(root: &Path, version: &str, case: &str) -> PathBuf {
    root.join(version).join(format!("{case}.json"))
}

/// Normalises recorded requests (each `{method, path, body, ...}`) into the comparable form:
/// a list of `{method, path, body}` for the requests that write objects. The error is a
/// pattern of this function's that does not compile, which its unit tests rule out.
pub fn normalize(requests: &[Value]) -> Result<Value, regex::Error> {
    let writes: Vec<&Value> = requests
        .iter()
        .filter(|r| matches!(r["method"].as_str(), Some("POST" | "PUT" | "PATCH")))
        .collect();
    // Unique ids, in order of first appearance in an object name.
    let unique = Regex::new(r"(?:^|-)([0-9a-f]{11,16})(?:-|$)")?;
    let mut ids: Vec<String> = Vec::new();
    for r in &writes {
        for name in [r["body"]["metadata"]["name"].as_str(), r["path"].as_str()]
            .into_iter()
            .flatten()
        {
            for seg in name.split('/') {
                for c in unique.captures_iter(seg) {
                    let id = c[1].to_string();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
        }
    }
    let app_id = Regex::new(r"spark-[0-9a-f]{32}")?;
    let uuid = Regex::new(r"spark-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")?;
    let api = Regex::new(r"http://127\.0\.0\.1:[0-9]+")?;
    let fix = |s: &str| -> String {
        let mut s = app_id.replace_all(s, "spark-<APP_ID>").into_owned();
        s = api.replace_all(&s, "http://<API>").into_owned();
        s = uuid.replace_all(&s, "spark-<UUID>").into_owned();
        for (i, id) in ids.iter().enumerate() {
            s = s.replace(id.as_str(), &format!("<ID{}>", i + 1));
        }
        s
    };
    let out: Vec<Value> = writes
        .iter()
        .map(|r| {
            let mut body = r["body"].clone();
            if let Some(props) = body
                .pointer("/data/spark.properties")
                .and_then(Value::as_str)
            {
                body["data"]["spark.properties"] = properties(props);
            }
            if body["kind"] == "Pod" {
                unshuffle_local_dirs(&mut body);
            }
            json!({
                "method": r["method"],
                "path": fix(r["path"].as_str().unwrap_or("")),
                "body": map_strings(&body, &fix),
            })
        })
        .collect();
    Ok(Value::Array(out))
}

/// Spark shuffles the local dirs of a pod (`Utils.randomize`, to spread load); they are
/// compared in sorted order: `SPARK_LOCAL_DIRS` sorted, and the `spark-local-dir-<i>` mounts
/// renumbered to match.
fn unshuffle_local_dirs(pod: &mut Value) {
    let Some(containers) = pod
        .pointer_mut("/spec/containers")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for c in containers {
        let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) else {
            continue;
        };
        let Some(var) = env.iter_mut().find(|e| e["name"] == "SPARK_LOCAL_DIRS") else {
            continue;
        };
        let Some(dirs) = var["value"].as_str() else {
            continue;
        };
        let mut sorted: Vec<String> = dirs.split(',').map(str::to_string).collect();
        sorted.sort();
        var["value"] = Value::String(sorted.join(","));
        let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) else {
            continue;
        };
        let local: Vec<usize> = mounts
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                m["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("spark-local-dir-"))
            })
            .map(|(i, _)| i)
            .collect();
        if local.len() < 2 {
            continue;
        }
        let mut entries: Vec<Value> = local.iter().map(|&i| mounts[i].clone()).collect();
        entries.sort_by(|a, b| a["mountPath"].as_str().cmp(&b["mountPath"].as_str()));
        for (n, (&i, mut m)) in local.iter().zip(entries).enumerate() {
            m["name"] = Value::String(format!("spark-local-dir-{}", n + 1));
            mounts[i] = m;
        }
    }
}

/// A Java properties file as a sorted map, with the submission time masked.
fn properties(text: &str) -> Value {
    // The text is a Java string (the ConfigMap's JSON), so it is read as UTF-8, not as the
    // ISO-8859-1 of a properties *file*.
    let mut parsed: BTreeMap<String, String> = BTreeMap::new();
    let mut iter =
        java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8);
    let read = iter.read_into(|k, v| {
        parsed.insert(k, v);
    });
    if let Err(e) = read {
        return json!({ "<unparseable>": e.to_string() });
    }
    let mut m = Map::new();
    for (k, v) in parsed {
        let v = if k == "spark.app.submitTime" {
            "<TIME>".to_string()
        } else {
            v
        };
        m.insert(k, Value::String(v));
    }
    Value::Object(m)
}

fn map_strings(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| map_strings(x, f)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (f(k), map_strings(x, f))).collect())
        }
        other => other.clone(),
    }
}

/// The first difference between two JSON values, as `path: expected X, got Y`.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<String> {
    fn walk(e: &Value, a: &Value, path: &str) -> Option<String> {
        match (e, a) {
            (Value::Object(eo), Value::Object(ao)) => {
                for (k, ev) in eo {
                    match ao.get(k) {
                        Some(av) => {
                            if let Some(d) = walk(ev, av, &format!("{path}.{k}")) {
                                return Some(d);
                            }
                        }
                        None => return Some(format!("{path}.{k}: missing (expected {ev})")),
                    }
                }
                ao.keys()
                    .find(|k| !eo.contains_key(*k))
                    .map(|k| format!("{path}.{k}: unexpected {}", ao[k]))
            }
            (Value::Array(ea), Value::Array(aa)) => {
                for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                    if let Some(d) = walk(ev, av, &format!("{path}[{i}]")) {
                        return Some(d);
                    }
                }
                (ea.len() != aa.len())
                    .then(|| format!("{path}: expected {} items, got {}", ea.len(), aa.len()))
            }
            _ => (e != a).then(|| format!("{path}: expected {e}, got {a}")),
        }
    }
    walk(expected, actual, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_ids_and_times_but_nothing_else() {
        let rec = vec![
            json!({"method": "POST", "path": "/api/v1/namespaces/default/pods",
                   "body": {"metadata": {"name": "pi-4f44c4a1ff9d5604-driver",
                                          "labels": {"spark-app-selector": "spark-57897f140c10472d8f2c271dcf279e02"}},
                            "spec": {"x": "/var/data/spark-df19aa37-31f0-4e7b-881b-b1edd5ac34fe"}}}),
            json!({"method": "GET", "path": "/api/v1/namespaces/default/pods/x", "body": null}),
            json!({"method": "PATCH", "path": "/api/v1/namespaces/default/configmaps/spark-drv-3c5eada1ff9d58ea-conf-map",
                   "body": {"data": {"spark.properties": "#c\n#date\nb=2\na=1\nspark.app.submitTime=123\nspark.driver.host=pi-4f44c4a1ff9d5604-driver-svc\n"}}}),
        ];
        let n = normalize(&rec).unwrap();
        assert_eq!(n.as_array().unwrap().len(), 2, "reads are dropped");
        assert_eq!(n[0]["body"]["metadata"]["name"], "pi-<ID1>-driver");
        assert_eq!(
            n[0]["body"]["metadata"]["labels"]["spark-app-selector"],
            "spark-<APP_ID>"
        );
        assert_eq!(n[0]["body"]["spec"]["x"], "/var/data/spark-<UUID>");
        assert_eq!(
            n[1]["path"],
            "/api/v1/namespaces/default/configmaps/spark-drv-<ID2>-conf-map"
        );
        let props = &n[1]["body"]["data"]["spark.properties"];
        assert_eq!(
            props,
            &json!({"a": "1", "b": "2", "spark.app.submitTime": "<TIME>",
                                   "spark.driver.host": "pi-<ID1>-driver-svc"})
        );
    }

    #[test]
    fn env_lines_set_or_unset() {
        assert_eq!(env_line("A=b=c"), Some(("A".into(), Some("b=c".into()))));
        assert_eq!(
            env_line("SPARK_USER="),
            Some(("SPARK_USER".into(), Some(String::new())))
        );
        assert_eq!(env_line("-u SPARK_USER"), Some(("SPARK_USER".into(), None)));
        assert_eq!(env_line("# no"), None);
    }

    #[test]
    fn reports_the_first_difference() {
        let a = json!({"x": [1, {"y": "a"}]});
        let b = json!({"x": [1, {"y": "b"}]});
        assert_eq!(first_difference(&a, &a), None);
        assert_eq!(
            first_difference(&a, &b).unwrap(),
            r#".x[1].y: expected "a", got "b""#
        );
    }
}
