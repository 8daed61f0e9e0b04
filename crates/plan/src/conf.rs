//! Spark configuration maps: layering and rendering as a Java properties file.

use std::collections::BTreeMap;

/// A Spark configuration: key → value, ordered so rendered files are stable.
pub type SparkConf = BTreeMap<String, String>;

/// Layers configurations: later layers override earlier ones key by key.
pub fn layer<'a>(layers: impl IntoIterator<Item = &'a SparkConf>) -> SparkConf {
    let mut out = SparkConf::new();
    for l in layers {
        for (k, v) in l {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Renders `conf` as a Java properties file that `java.util.Properties.load` reads back to
/// the same map (Spark's `--properties-file` uses exactly that loader).
pub fn render_properties(conf: &SparkConf) -> String {
    let mut out = String::from("# Written by sparkplane; regenerated on every start.\n");
    for (k, v) in conf {
        out.push_str(&escape(k, true));
        out.push('=');
        out.push_str(&escape(v, false));
        out.push('\n');
    }
    out
}

/// Escapes per the `Properties.store` rules: keys escape every space, values only a leading
/// one; both escape `\`, `=`, `:`, `#`, `!` and control characters.
fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                // \uXXXX keeps the file ASCII, as Properties.store does; characters beyond the
                // BMP become a surrogate pair, which Properties.load joins back.
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> SparkConf {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn later_layers_win() {
        let a = conf(&[("spark.a", "1"), ("spark.b", "1")]);
        let b = conf(&[("spark.b", "2")]);
        assert_eq!(layer([&a, &b]), conf(&[("spark.a", "1"), ("spark.b", "2")]));
    }

    #[test]
    fn escapes_like_java_properties() {
        let cases = [
            (("spark.x", "plain"), "spark.x=plain"),
            (("spark.x", " lead"), "spark.x=\\ lead"),
            (("spark.x", "a b"), "spark.x=a b"),
            (("spark.x", "k=v:w"), "spark.x=k\\=v\\:w"),
            (("spark.x", "C:\\dir"), "spark.x=C\\:\\\\dir"),
            (("spark.x", "l1\nl2"), "spark.x=l1\\nl2"),
            (("spark.x", "é"), "spark.x=\\u00E9"),
            (("spark x", "v"), "spark\\ x=v"),
        ];
        for ((k, v), want) in cases {
            let got = render_properties(&conf(&[(k, v)]));
            assert_eq!(got.lines().nth(1), Some(want), "{k}={v}");
        }
    }
}
