//! `spark.properties` as `java.util.Properties.store` writes it.

/// The file: a comment naming the ConfigMap, a date comment, then `key=value` lines.
pub fn store(entries: &[(String, String)], comment: &str, date: &str) -> String {
    // Spark stores into a `StringWriter`: non-ASCII stays as it is.
    let mut out = format!("#{comment}\n#{date}\n");
    out.push_str(&sparkplane_api::java_properties::lines(
        entries.iter().map(|(k, v)| (k, v)),
        false,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores() {
        let f = store(&[("a".into(), "1".into())], "c", "d");
        assert_eq!(f, "#c\n#d\na=1\n");
    }
}

/// Parses a Java properties file (`Properties.load`): `#`/`!` comments, `=`, `:` or
/// whitespace separators, backslash escapes and continuation lines. Entries in file order.
pub fn load(text: &str) -> Vec<(String, String)> {
    // Join continuation lines first: an odd number of trailing backslashes continues.
    let mut logical: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for raw in text.lines() {
        let line = match current {
            Some(_) => raw.trim_start(),
            None => {
                let t = raw.trim_start();
                if t.is_empty() || t.starts_with('#') || t.starts_with('!') {
                    continue;
                }
                t
            }
        };
        let trailing = line.chars().rev().take_while(|c| *c == '\\').count();
        let (body, continues) = if trailing % 2 == 1 {
            (&line[..line.len() - 1], true)
        } else {
            (line, false)
        };
        let acc = current.get_or_insert_with(String::new);
        acc.push_str(body);
        if !continues {
            logical.extend(current.take());
        }
    }
    logical.extend(current);
    logical.iter().map(|l| split_entry(l)).collect()
}

fn split_entry(line: &str) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut key_end = chars.len();
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' | ':' | ' ' | '\t' | '\x0c' => {
                key_end = i;
                break;
            }
            _ => i += 1,
        }
    }
    let key_end = key_end.min(chars.len());
    let mut j = key_end;
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
        j += 1;
    }
    if j < chars.len() && matches!(chars[j], '=' | ':') {
        j += 1;
        while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
            j += 1;
        }
    }
    let key: String = chars[..key_end].iter().collect();
    let value: String = chars[j.min(chars.len())..].iter().collect();
    (unescape(&key), unescape(&value))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = (0..4).filter_map(|_| it.next()).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod load_tests {
    use super::*;

    #[test]
    fn loads_like_java() {
        let text = "# c\n! c\na=1\nb : 2\nc   3\nd=multi \\\n   line\ne\\:f=g\nh=\\u00e9\n  i = spaced  \n";
        let got = load(text);
        let want: Vec<(String, String)> = [
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "multi line"),
            ("e:f", "g"),
            ("h", "é"),
            ("i", "spaced  "),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn round_trips_store() {
        let entries = vec![("k:x".to_string(), " a=b#c\\d é".to_string())];
        assert_eq!(load(&store(&entries, "c", "d")), entries);
    }
}
