//! Spark's names for the objects of a submission.

/// `KubernetesConf.getResourceNamePrefix`: `<app>-<id>`, lower-cased, with anything but
/// `[a-z0-9-]` turned into `-`, runs of `-` collapsed, a leading `-` dropped and a leading
/// digit replaced by `x`. It is not truncated (pod names may be 253 characters long).
pub fn resource_name_prefix(app_name: &str, unique_id: &str) -> String {
    let raw = format!("{app_name}-{unique_id}");
    let mut s = collapse_dashes(&sanitize(raw.trim()));
    if s.starts_with('-') {
        s.remove(0);
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.replace_range(0..1, "x");
    }
    s
}

/// `KubernetesConf.getAppNameLabel`: sanitised like the prefix, cut to 63 characters, then
/// stripped of one leading and one trailing `-`.
pub fn app_name_label(app_name: &str) -> String {
    let s = collapse_dashes(&sanitize(app_name.trim()));
    let cut: String = s.chars().take(63).collect();
    let cut = cut.strip_prefix('-').unwrap_or(&cut);
    cut.strip_suffix('-').unwrap_or(cut).to_string()
}

fn sanitize(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn collapse_dashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// The headless Service's name: `<prefix>-driver-svc`, or `spark-<id>-driver-svc` when that
/// would exceed the 63 characters of a DNS label.
pub fn driver_service_name(prefix: &str, fallback_id: &str) -> String {
    let preferred = format!("{prefix}-driver-svc");
    if preferred.len() <= 63 {
        preferred
    } else {
        format!("spark-{fallback_id}-driver-svc")
    }
}

/// The driver conf ConfigMap's name (`KubernetesClientUtils.configMapName`): the prefix cut
/// to 244 characters, then `-conf-map`.
pub fn config_map_name(prefix: &str) -> String {
    let cut: String = prefix.chars().take(253 - 9).collect();
    format!("{cut}-conf-map")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let cases = [
            ("spark-pi", "abc", "spark-pi-abc"),
            ("My App_2024 (Test)! --- v2", "1a", "my-app-2024-test-v2-1a"),
            ("123-numbers-first", "1a", "x23-numbers-first-1a"),
            ("-lead", "1a", "lead-1a"),
            ("  spaced  ", "1a", "spaced-1a"),
            (
                "org.apache.spark.examples.SparkPi",
                "1a",
                "org-apache-spark-examples-sparkpi-1a",
            ),
            ("ünï", "1a", "n-1a"),
        ];
        for (name, id, want) in cases {
            assert_eq!(resource_name_prefix(name, id), want, "{name}");
        }
    }

    #[test]
    fn labels() {
        let long =
            "a-very-long-application-name-that-goes-well-past-the-sixty-three-character-limit";
        let cases = [
            ("spark-pi", "spark-pi"),
            ("123-numbers-first", "123-numbers-first"),
            ("My App_2024 (Test)! --- v2", "my-app-2024-test-v2"),
            (
                long,
                "a-very-long-application-name-that-goes-well-past-the-sixty-thre",
            ),
            ("etl_job.py", "etl-job-py"),
        ];
        for (name, want) in cases {
            assert_eq!(app_name_label(name), want, "{name}");
        }
    }

    #[test]
    fn service_names() {
        assert_eq!(driver_service_name("pi-1a", "zz"), "pi-1a-driver-svc");
        let long = "x".repeat(60);
        assert_eq!(driver_service_name(&long, "zz"), "spark-zz-driver-svc");
        assert_eq!(config_map_name("spark-drv-1a"), "spark-drv-1a-conf-map");
    }
}
