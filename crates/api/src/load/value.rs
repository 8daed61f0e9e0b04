//! One YAML document turned into a JSON value, the form Kubernetes itself reads manifests in.
//!
//! A plain `serde_json::Value` would keep the last of two equal keys and drop the first
//! without a word (`driver:` written twice loses the first block); this builder records the
//! path of every such duplicate instead. Mapping keys that YAML reads as numbers or booleans
//! (`1: x`, `true: y`) become strings, as they do when kubectl converts YAML to JSON.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Deserializes one document into a [`Value`], pushing the path of every duplicate key
/// onto `duplicates`.
pub(super) fn document<'de, D: Deserializer<'de>>(
    de: D,
    duplicates: &RefCell<Vec<String>>,
) -> Result<Value, D::Error> {
    Node {
        path: String::new(),
        duplicates,
    }
    .deserialize(de)
}

/// Joins a field path and a key the way problems show paths (`spec.driver`).
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A value at `path`.
struct Node<'a> {
    path: String,
    duplicates: &'a RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    // Integers beyond 64 bits fit no field of any manifest; as a float they still reach the
    // typed stage, which names the field and the allowed range.
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{}: expected a finite number, got {v}", self.path)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        self.deserialize(de)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        self.deserialize(de)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node {
            path: format!("{}[{}]", self.path, items.len()),
            duplicates: self.duplicates,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let path = join(&self.path, &key);
            let value = map.next_value_seed(Node {
                path: path.clone(),
                duplicates: self.duplicates,
            })?;
            if object.insert(key, value).is_some() {
                self.duplicates.borrow_mut().push(path);
            }
        }
        Ok(Value::Object(object))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(format!(
            "{}: YAML tags such as !!binary or !custom have no meaning in a Kubernetes manifest",
            if self.path.is_empty() {
                "document"
            } else {
                &self.path
            }
        )))
    }
}

/// A mapping key, as a string.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<String, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean as mapping key")
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_unit<E>(self) -> Result<String, E> {
        Ok("null".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (Value, Vec<String>) {
        let dups = RefCell::new(Vec::new());
        let v = document(serde_yaml_ng::Deserializer::from_str(text), &dups).unwrap();
        (v, dups.into_inner())
    }

    #[test]
    fn builds_json_values() {
        let cases: &[(&str, Value)] = &[
            ("a: 1", serde_json::json!({"a": 1})),
            ("a: -1", serde_json::json!({"a": -1})),
            ("a: 1.5", serde_json::json!({"a": 1.5})),
            ("a: true", serde_json::json!({"a": true})),
            ("a: yes", serde_json::json!({"a": "yes"})),
            ("a: ~", serde_json::json!({"a": null})),
            ("a: [x, 2]", serde_json::json!({"a": ["x", 2]})),
            ("1: x\ntrue: y", serde_json::json!({"1": "x", "true": "y"})),
            (
                "a: &x {b: 1}\nc: *x",
                serde_json::json!({"a": {"b": 1}, "c": {"b": 1}}),
            ),
            ("a: 99999999999999999999", serde_json::json!({"a": 1e20})),
        ];
        for (text, want) in cases {
            assert_eq!(&load(text).0, want, "{text}");
        }
    }

    #[test]
    fn records_every_duplicate_key_with_its_path() {
        let (v, dups) = load("a: 1\nspec:\n  d: {x: 1}\n  l: [{n: 1, n: 2}]\n  d: {y: 2}\na: 2\n");
        assert_eq!(dups, ["spec.l[0].n", "spec.d", "a"]);
        // The last value wins, as in a JSON decoder.
        assert_eq!(v["a"], 2);
    }

    #[test]
    fn refuses_tags_and_non_finite_numbers() {
        let dups = RefCell::new(Vec::new());
        for text in ["a: !custom x", "a: .inf", "a: .nan"] {
            let err = document(serde_yaml_ng::Deserializer::from_str(text), &dups).unwrap_err();
            assert!(err.to_string().starts_with("a: "), "{text}: {err}");
        }
    }
}
