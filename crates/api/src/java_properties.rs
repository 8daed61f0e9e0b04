//! Writing Java properties files, as `java.util.Properties.store` does (Spark reads its
//! configuration through `Properties.load`).

/// Escapes a key or value per `Properties.store`'s rules: keys escape every space, values only
/// a leading one; both escape `\`, `=`, `:`, `#`, `!`, tab, newline, carriage return and form
/// feed. With `escape_unicode` (`store(OutputStream)`, read back as ISO-8859-1) other
/// characters outside printable ASCII become `\uXXXX`; without it (`store(Writer)`, a Java
/// string) they are written as they are.
pub fn escape(s: &str, is_key: bool, escape_unicode: bool) -> String {
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
            c if escape_unicode && ((c as u32) < 0x20 || (c as u32) > 0x7e) => {
                // Characters beyond the BMP become a surrogate pair, which `load` joins back.
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

/// `key=value` lines for `entries`, escaped.
pub fn lines<'a>(
    entries: impl IntoIterator<Item = (&'a String, &'a String)>,
    escape_unicode: bool,
) -> String {
    let mut out = String::new();
    for (k, v) in entries {
        out.push_str(&escape(k, true, escape_unicode));
        out.push('=');
        out.push_str(&escape(v, false, escape_unicode));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_java() {
        let cases = [
            ("k8s://http://h:1", false, false, "k8s\\://http\\://h\\:1"),
            ("a=b", false, false, "a\\=b"),
            ("#x !y", false, false, "\\#x \\!y"),
            ("  lead", false, false, "\\  lead"),
            ("a b", true, false, "a\\ b"),
            ("C:\\t", false, false, "C\\:\\\\t"),
            ("tab\there", false, false, "tab\\there"),
            ("héllo", false, false, "héllo"),
            ("héllo", false, true, "h\\u00E9llo"),
            ("😀", false, true, "\\uD83D\\uDE00"),
        ];
        for (s, key, unicode, want) in cases {
            assert_eq!(escape(s, key, unicode), want, "{s}");
        }
    }
}
