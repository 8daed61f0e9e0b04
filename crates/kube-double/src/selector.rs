//! Label and field selectors, as the API server evaluates them on lists, watches and
//! collection deletes.

use serde_json::Value;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

/// Splits on commas outside parentheses.
fn terms(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn set(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_string()).collect())
}

impl Selector {
    /// Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k`; `None` when malformed.
    pub fn parse(s: &str) -> Option<Selector> {
        let mut reqs = Vec::new();
        for t in terms(s) {
            let req = if let Some((k, v)) = t.split_once("!=") {
                Requirement::NotEquals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once("==") {
                Requirement::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once('=') {
                Requirement::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once(" notin ") {
                Requirement::NotIn(k.trim().into(), set(v)?)
            } else if let Some((k, v)) = t.split_once(" in ") {
                Requirement::In(k.trim().into(), set(v)?)
            } else if let Some(k) = t.strip_prefix('!') {
                Requirement::NotExists(k.trim().into())
            } else {
                Requirement::Exists(t)
            };
            reqs.push(req);
        }
        Some(Selector(reqs))
    }

    /// The keys the requirements are about.
    pub fn keys(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|r| match r {
                Requirement::Equals(k, _)
                | Requirement::NotEquals(k, _)
                | Requirement::In(k, _)
                | Requirement::NotIn(k, _)
                | Requirement::Exists(k)
                | Requirement::NotExists(k) => k.clone(),
            })
            .collect()
    }

    /// Whether `lookup` (key → value) satisfies every requirement.
    pub fn matches(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => lookup(k).as_deref() == Some(v.as_str()),
            Requirement::NotEquals(k, v) => lookup(k).as_deref() != Some(v.as_str()),
            Requirement::In(k, vs) => lookup(k).is_some_and(|x| vs.contains(&x)),
            Requirement::NotIn(k, vs) => lookup(k).is_none_or(|x| !vs.contains(&x)),
            Requirement::Exists(k) => lookup(k).is_some(),
            Requirement::NotExists(k) => lookup(k).is_none(),
        })
    }
}

/// The object's label `key`.
pub fn label(obj: &Value, key: &str) -> Option<String> {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The object's field at a dotted path (`metadata.name`, `status.phase`); a missing field
/// reads as the empty string, as the API server does.
pub fn field(obj: &Value, path: &str) -> Option<String> {
    let mut cur = obj;
    for part in path.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return Some(String::new()),
        }
    }
    Some(match cur {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors() {
        let pod =
            json!({"metadata": {"name": "p", "labels": {"app": "x", "role": "driver", "id": "3"}}});
        let cases = [
            ("app=x", true),
            ("app==x", true),
            ("app=y", false),
            ("app!=y", true),
            ("app=x,role=driver", true),
            ("app=x,role=executor", false),
            ("id in (1,3)", true),
            ("id in (1,2)", false),
            ("id notin (1,2)", true),
            ("missing notin (1,2)", true),
            ("app", true),
            ("!app", false),
            ("!missing", true),
            ("app=x,id in (3, 4),!gone", true),
        ];
        for (sel, want) in cases {
            let s = Selector::parse(sel).unwrap();
            assert_eq!(s.matches(|k| label(&pod, k)), want, "{sel}");
        }
    }

    #[test]
    fn field_selectors() {
        let pod = json!({"metadata": {"name": "p"}, "status": {"phase": "Pending"}});
        let cases = [
            ("metadata.name=p", true),
            ("metadata.name=q", false),
            ("status.phase=Pending", true),
            ("status.phase!=Pending", false),
            ("spec.nodeName=", true),
        ];
        for (sel, want) in cases {
            let s = Selector::parse(sel).unwrap();
            assert_eq!(s.matches(|k| field(&pod, k)), want, "{sel}");
        }
    }
}
