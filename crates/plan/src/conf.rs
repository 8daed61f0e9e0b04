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
    // Read back as ISO-8859-1 by `Properties.load(InputStream)`: non-ASCII is escaped.
    out.push_str(&sparkplane_api::java_properties::lines(conf, true));
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
