//! Kubernetes name rules (DNS-1123, DNS-1035, IANA service names), as pure checks with
//! explanations.

fn is_alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn label_ok(s: &str, first_letter: bool) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let first_ok = if first_letter {
        first.is_ascii_lowercase()
    } else {
        is_alnum_lower(first)
    };
    first_ok
        && s.chars().all(|c| is_alnum_lower(c) || c == '-')
        && s.chars().last().is_some_and(is_alnum_lower)
}

/// A DNS-1123 label: at most 63 lowercase letters, digits and '-', alphanumeric at both ends.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.len() <= 63 && label_ok(s, false) {
        Ok(())
    } else {
        Err("expected a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit".into())
    }
}

/// A DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() <= 253 && s.split('.').all(|l| label_ok(l, false)) {
        Ok(())
    } else {
        Err("expected a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters".into())
    }
}

/// A DNS-1035 label of at most `max` characters: starts with a lowercase letter.
pub fn dns1035_label(s: &str, max: usize) -> Result<(), String> {
    if s.len() <= max && label_ok(s, true) {
        Ok(())
    } else {
        Err(format!("expected a DNS-1035 label: at most {max} lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"))
    }
}

/// An IANA service name, which Kubernetes requires of a named container port: at most 15
/// lowercase letters, digits and '-', at least one letter, '-' neither at an end nor twice in
/// a row (`IsValidPortName`).
pub fn iana_svc_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s.chars().all(|c| is_alnum_lower(c) || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err("expected an IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no \"--\"".into())
    }
}

/// The name part of a qualified name or a label value: alphanumerics, '-', '_' and '.',
/// alphanumeric at both ends, at most 63 characters.
fn label_name_ok(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.len() <= 63
        && s.chars().next().is_some_and(alnum)
        && s.chars().last().is_some_and(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// A label value: empty, or at most 63 alphanumerics, '-', '_' and '.', alphanumeric at both
/// ends (`IsValidLabelValue`).
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() || label_name_ok(s) {
        Ok(())
    } else {
        Err("expected a label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit".into())
    }
}

/// A qualified name, as label keys and toleration keys are: an optional DNS-1123 subdomain
/// prefix and '/', then at most 63 letters, digits, '-', '_' and '.', alphanumeric at both
/// ends (`IsQualifiedName`).
pub fn qualified_name(s: &str) -> Result<(), String> {
    let ok = match s.split_once('/') {
        Some((prefix, name)) => dns1123_subdomain(prefix).is_ok() && label_name_ok(name),
        None => label_name_ok(s),
    };
    if ok {
        Ok(())
    } else {
        Err("expected a qualified name: an optional DNS-1123 subdomain and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_and_label_values() {
        for good in [
            "a",
            "spark",
            "node.kubernetes.io/unreachable",
            "A_b.c-D",
            "example.com/x",
        ] {
            assert_eq!(qualified_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a/b/c",
            "Example.com/x",
            "/x",
            "x/",
            &"a".repeat(64),
        ] {
            assert!(qualified_name(bad).is_err(), "{bad}");
        }
        for good in ["", "a", "v1.2_x-Y", &"a".repeat(63)] {
            assert_eq!(label_value(good), Ok(()), "{good}");
        }
        for bad in ["-a", "a b", "a/b", &"a".repeat(64)] {
            assert!(label_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_names() {
        for good in ["http", "ui-4040", "a", "x1", "abcdefghijklmno"] {
            assert_eq!(iana_svc_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "HTTP",
            "Http",
            "4040",
            "-ui",
            "ui-",
            "spark--ui",
            "abcdefghijklmnop",
            "ui_port",
            "ui.port",
        ] {
            assert!(iana_svc_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        let long63 = "a".repeat(63);
        let long64 = "a".repeat(64);
        let sub253 = format!("{}.{}", "a".repeat(126), "b".repeat(126));
        let sub254 = format!("{sub253}c");
        let long50 = "a".repeat(50);
        let cases: &[(&str, bool, bool, bool)] = &[
            // (name, label, subdomain, dns1035 max 50)
            ("spark-pi", true, true, true),
            ("pi", true, true, true),
            ("a", true, true, true),
            ("a-1", true, true, true),
            ("9lives", true, true, false),
            ("a.b", false, true, false),
            ("a..b", false, false, false),
            (".a", false, false, false),
            ("a.", false, false, false),
            ("a.-b", false, false, false),
            ("Spark_Pi", false, false, false),
            ("Pi", false, false, false),
            ("-x", false, false, false),
            ("x-", false, false, false),
            ("x y", false, false, false),
            ("é", false, false, false),
            ("", false, false, false),
            (&long50, true, true, true),
            (&long63, true, true, false),
            (&long64, false, true, false),
            (&sub253, false, true, false),
            (&sub254, false, false, false),
        ];
        for (n, label, sub, d1035) in cases {
            assert_eq!(dns1123_label(n).is_ok(), *label, "label {n}");
            assert_eq!(dns1123_subdomain(n).is_ok(), *sub, "subdomain {n}");
            assert_eq!(dns1035_label(n, 50).is_ok(), *d1035, "1035 {n}");
        }
        assert!(dns1035_label(&long63, 63).is_ok());
    }

    #[test]
    fn messages_say_what_was_expected() {
        let cases = [
            (dns1123_label("A"), "expected a DNS-1123 label: at most 63"),
            (dns1123_subdomain("A"), "expected a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters"),
            (dns1035_label("1a", 50), "expected a DNS-1035 label: at most 50 lowercase letters, digits and '-', starting with a letter"),
        ];
        for (got, want) in cases {
            let msg = got.unwrap_err();
            assert!(msg.starts_with(want), "{msg}");
        }
    }
}
