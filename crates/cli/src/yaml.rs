//! YAML output that every Kubernetes tool reads back as written.
//!
//! kubectl and PyYAML follow YAML 1.1, where plain `yes`, `on` or `2026-01-01` are not
//! strings; a YAML 1.2 emitter leaves them unquoted. This printer writes a plain scalar only
//! when it is unambiguous in both, and a JSON-style double-quoted string otherwise.

use serde_json::Value;

fn plain_is_safe(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ];
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '_');
    first_ok
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=@-".contains(c))
        && !s.ends_with('.')
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain_is_safe(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = scalar(&Value::String(k.clone()));
                match x {
                    Value::Object(o) if !o.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write(x, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write(x, indent, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{key}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{key}: []\n")),
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(x))),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                match x {
                    Value::Object(o) if !o.is_empty() => {
                        let mut inner = String::new();
                        write(x, indent + 2, &mut inner);
                        // The first line of the item goes after the dash.
                        out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                    }
                    Value::Array(b) if !b.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        write(x, indent + 2, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}- {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}- []\n")),
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(x))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// One YAML document for `v`.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ambiguous_scalars_are_quoted_and_the_result_parses_back() {
        let v = json!({
            "a": "yes", "b": "2026-01-01", "c": "plain-text", "d": "123", "e": "",
            "f": ["x", {"g": "on", "h": [1, true]}, [], {}], "i": {"j": null},
            "k": "multi\nline: with # marks", "l": 3.5, "m": "/opt/spark/conf",
        });
        let y = to_yaml(&v);
        assert!(
            y.contains("a: \"yes\"")
                && y.contains("b: \"2026-01-01\"")
                && y.contains("c: plain-text")
        );
        let back: Value = serde_yaml_ng::from_str(&y).unwrap();
        assert_eq!(back, v);
    }
}
