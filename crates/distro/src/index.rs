//! The PEP 503 "simple" package index page of `pyspark`: parsing its HTML, and choosing the
//! release an install request means. Pure: the HTTP part lives in `download.rs`.

use std::fmt;
use std::str::FromStr;

use sparkplane_api::version::{SparkVersion, VersionError, SUPPORTED_LINES};

/// The index used when neither the request nor the environment names one.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// One final-release source distribution `pyspark-X.Y.Z.tar.gz` listed on the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The release version (any line; see [`SparkVersion::is_supported`]).
    pub version: SparkVersion,
    /// The link as written on the page, without its `#...` fragment and with HTML entities
    /// decoded; may be relative to the page.
    pub url: String,
    /// Lower-case hex sha256 from the link's `#sha256=` fragment, when given.
    pub sha256: Option<String>,
    /// True when the index marks the file as yanked (PEP 592).
    pub yanked: bool,
}

/// Which release to install: an exact version or the newest of a release line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    /// `4.3.0`: exactly this release.
    Exact(SparkVersion),
    /// `4.3`: the newest `4.3.x` release.
    Line {
        /// Major version.
        major: u32,
        /// Minor version.
        minor: u32,
    },
}

impl VersionSpec {
    /// True when `v` is what this spec asks for.
    pub fn matches(&self, v: &SparkVersion) -> bool {
        match self {
            Self::Exact(e) => e == v,
            Self::Line { major, minor } => v.major == *major && v.minor == *minor,
        }
    }
}

impl FromStr for VersionSpec {
    type Err = VersionError;

    /// Accepts `X.Y.Z` or `X.Y` of a supported line.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.split('.').count() == 2 {
            // Reuse the full parser for the digit checks by appending a patch number.
            let v: SparkVersion = format!("{t}.0")
                .parse()
                .map_err(|_| VersionError::Malformed(s.to_string()))?;
            if !SUPPORTED_LINES.contains(&(v.major, v.minor)) {
                return Err(VersionError::Unsupported(v));
            }
            return Ok(Self::Line {
                major: v.major,
                minor: v.minor,
            });
        }
        SparkVersion::parse_supported(t).map(Self::Exact)
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(v) => write!(f, "{v}"),
            Self::Line { major, minor } => write!(f, "{major}.{minor}.x"),
        }
    }
}

/// The version of a file named `pyspark-X.Y.Z.tar.gz`; `None` for anything else (wheels,
/// `.dev`/`rc`/`.post` releases, other packages).
pub fn sdist_version(file_name: &str) -> Option<SparkVersion> {
    let v = file_name
        .strip_prefix("pyspark-")?
        .strip_suffix(".tar.gz")?;
    v.parse().ok()
}

/// The sdist file name of a release: `pyspark-X.Y.Z.tar.gz`.
pub fn sdist_file_name(v: &SparkVersion) -> String {
    format!("pyspark-{v}.tar.gz")
}

/// The final-release sdists linked from a PEP 503 simple index page, in page order.
pub fn parse_simple_index(html: &str) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(found) = lower[pos..].find("<a") {
        let start = pos + found + 2;
        // "<abbr" and the like are not links.
        if !lower[start..].starts_with(|c: char| c.is_ascii_whitespace()) {
            pos = start;
            continue;
        }
        let Some(end) = lower[start..].find('>') else {
            break;
        };
        let attrs = parse_attrs(&html[start..start + end]);
        pos = start + end + 1;
        let Some(href) = attrs
            .iter()
            .find(|(n, _)| n == "href")
            .and_then(|(_, v)| v.as_deref())
        else {
            continue;
        };
        let href = decode_entities(href);
        let (url, fragment) = match href.split_once('#') {
            Some((u, f)) => (u.to_string(), Some(f)),
            None => (href.clone(), None),
        };
        let path = url.split(['?']).next().unwrap_or_default();
        let file_name = path.rsplit('/').next().unwrap_or_default();
        let Some(version) = sdist_version(file_name) else {
            continue;
        };
        let sha256 = fragment
            .and_then(|f| f.strip_prefix("sha256="))
            .map(str::to_ascii_lowercase)
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let yanked = attrs.iter().any(|(n, _)| n == "data-yanked");
        out.push(IndexEntry {
            version,
            url,
            sha256,
            yanked,
        });
    }
    out
}

/// The entry a request means: for an exact version that release (yanked or not); for a line
/// or no spec, the newest release of that line or of any supported line, skipping yanked
/// ones. Unsupported lines are never chosen.
pub fn choose_release<'a>(
    entries: &'a [IndexEntry],
    spec: Option<&VersionSpec>,
) -> Option<&'a IndexEntry> {
    let exact = matches!(spec, Some(VersionSpec::Exact(_)));
    entries
        .iter()
        .filter(|e| e.version.is_supported())
        .filter(|e| spec.is_none_or(|s| s.matches(&e.version)))
        .filter(|e| exact || !e.yanked)
        // Among equal versions prefer an entry that is not yanked and has a digest.
        .max_by_key(|e| (e.version, !e.yanked, e.sha256.is_some()))
}

/// The supported, not yanked releases on the index, newest first, without duplicates.
pub fn available_versions(entries: &[IndexEntry]) -> Vec<SparkVersion> {
    let mut v: Vec<SparkVersion> = entries
        .iter()
        .filter(|e| e.version.is_supported() && !e.yanked)
        .map(|e| e.version)
        .collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.dedup();
    v
}

/// The attributes of a tag's text (after the tag name), names lower-cased, values as written.
fn parse_attrs(tag: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = tag.trim_start();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = None;
        if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let (v, remaining) = match after_eq.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after_eq[1..];
                    match body.find(q) {
                        Some(i) => (&body[..i], &body[i + 1..]),
                        None => (body, ""),
                    }
                }
                _ => {
                    let i = after_eq
                        .find(|c: char| c.is_ascii_whitespace())
                        .unwrap_or(after_eq.len());
                    (&after_eq[..i], &after_eq[i..])
                }
            };
            value = Some(v.to_string());
            rest = remaining;
        } else if name.is_empty() {
            // A stray character such as '/': skip it.
            rest = rest.get(1..).unwrap_or_default();
        }
        if !name.is_empty() {
            out.push((name, value));
        }
        rest = rest.trim_start();
    }
    out
}

/// Decodes the HTML character references that can appear in an attribute value.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').and_then(|semi| {
            let ent = &rest[1..semi];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => ent
                    .strip_prefix("#x")
                    .or_else(|| ent.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| ent.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "e8c5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const H2: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn v(s: &str) -> SparkVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_index_links() {
        let html = format!(
            r#"<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.4"><title>Links for pyspark</title></head>
<body><h1>Links for pyspark</h1>
<a href="https://files.pythonhosted.org/packages/aa/bb/pyspark-4.3.0.tar.gz#sha256={H1}" data-requires-python="&gt;=3.10" >pyspark-4.3.0.tar.gz</a><br />
<a href="https://files.pythonhosted.org/packages/cc/pyspark-4.3.0.dev1.tar.gz#sha256={H2}">pyspark-4.3.0.dev1.tar.gz</a><br />
<a href="https://files.pythonhosted.org/packages/cc/pyspark-4.1.0rc1.tar.gz#sha256={H2}">pyspark-4.1.0rc1.tar.gz</a><br />
<a href="https://files.pythonhosted.org/packages/cc/pyspark-3.5.1.post1.tar.gz#sha256={H2}">x</a><br />
<a href="https://files.pythonhosted.org/packages/cc/pyspark-4.3.0-py2.py3-none-any.whl#sha256={H2}">wheel</a><br />
<A HREF='../../packages/dd/pyspark-3.5.9.tar.gz#sha256={}'>pyspark-3.5.9.tar.gz</A><br/>
<a href="/packages/ee/pyspark-2.4.8.tar.gz#md5=abc">pyspark-2.4.8.tar.gz</a>
<a data-yanked="" href="https://h/pyspark-3.5.8.tar.gz?x=1&amp;y=2#sha256={H2}">pyspark-3.5.8.tar.gz</a>
<abbr href="https://h/pyspark-3.5.7.tar.gz">no</abbr>
<a>no href</a>
</body></html>"#,
            H1.to_uppercase()
        );
        let got = parse_simple_index(&html);
        let want = vec![
            IndexEntry {
                version: v("4.3.0"),
                url: "https://files.pythonhosted.org/packages/aa/bb/pyspark-4.3.0.tar.gz".into(),
                sha256: Some(H1.into()),
                yanked: false,
            },
            IndexEntry {
                version: v("3.5.9"),
                url: "../../packages/dd/pyspark-3.5.9.tar.gz".into(),
                sha256: Some(H1.into()),
                yanked: false,
            },
            IndexEntry {
                version: v("2.4.8"),
                url: "/packages/ee/pyspark-2.4.8.tar.gz".into(),
                sha256: None,
                yanked: false,
            },
            IndexEntry {
                version: v("3.5.8"),
                url: "https://h/pyspark-3.5.8.tar.gz?x=1&y=2".into(),
                sha256: Some(H2.into()),
                yanked: true,
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn sdist_names() {
        let cases: &[(&str, Option<&str>)] = &[
            ("pyspark-4.3.0.tar.gz", Some("4.3.0")),
            ("pyspark-3.5.10.tar.gz", Some("3.5.10")),
            ("pyspark-4.3.0.dev1.tar.gz", None),
            ("pyspark-4.1.0rc1.tar.gz", None),
            ("pyspark-4.3.0.zip", None),
            ("pyspark_connect-4.3.0.tar.gz", None),
            ("pyspark-4.3.tar.gz", None),
            ("pyspark-2.1.1+hadoop2.7.tar.gz", None),
        ];
        for (name, want) in cases {
            assert_eq!(sdist_version(name), want.map(v), "{name}");
        }
        assert_eq!(sdist_file_name(&v("4.3.0")), "pyspark-4.3.0.tar.gz");
    }

    #[test]
    fn version_specs() {
        let cases: &[(&str, Result<VersionSpec, &str>)] = &[
            ("4.3.0", Ok(VersionSpec::Exact(v("4.3.0")))),
            ("3.5", Ok(VersionSpec::Line { major: 3, minor: 5 })),
            (" 4.0 ", Ok(VersionSpec::Line { major: 4, minor: 0 })),
            (
                "3.4",
                Err("Spark 3.4.0 is not supported (supported: 3.5.x and 4.0.x to 4.3.x)"),
            ),
            (
                "3.4.1",
                Err("Spark 3.4.1 is not supported (supported: 3.5.x and 4.0.x to 4.3.x)"),
            ),
            (
                "4",
                Err("expected a Spark version such as 4.3.0, got \"4\""),
            ),
            (
                "4.x",
                Err("expected a Spark version such as 4.3.0, got \"4.x\""),
            ),
            (
                "4.3.0.dev1",
                Err("expected a Spark version such as 4.3.0, got \"4.3.0.dev1\""),
            ),
        ];
        for (text, want) in cases {
            let got = text.parse::<VersionSpec>().map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{text}");
        }
        assert_eq!(
            VersionSpec::Line { major: 4, minor: 3 }.to_string(),
            "4.3.x"
        );
    }

    fn entry(ver: &str, yanked: bool) -> IndexEntry {
        IndexEntry {
            version: v(ver),
            url: format!("https://h/pyspark-{ver}.tar.gz"),
            sha256: Some(H2.into()),
            yanked,
        }
    }

    #[test]
    fn chooses_releases() {
        let entries = vec![
            entry("3.4.4", false),
            entry("3.5.8", false),
            entry("3.5.9", true),
            entry("4.2.1", false),
            entry("4.3.0", false),
            entry("4.4.0", false),
        ];
        let line = |major, minor| Some(VersionSpec::Line { major, minor });
        let exact = |s: &str| Some(VersionSpec::Exact(v(s)));
        let cases: &[(Option<VersionSpec>, Option<&str>)] = &[
            (None, Some("4.3.0")),
            (line(3, 5), Some("3.5.8")),
            (line(4, 2), Some("4.2.1")),
            (line(4, 1), None),
            (exact("3.5.9"), Some("3.5.9")),
            (exact("4.3.0"), Some("4.3.0")),
            (exact("4.3.1"), None),
            (exact("3.4.4"), None),
        ];
        for (spec, want) in cases {
            let got = choose_release(&entries, spec.as_ref()).map(|e| e.version);
            assert_eq!(got, want.map(v), "{spec:?}");
        }
        assert_eq!(choose_release(&[], None), None);
        assert_eq!(
            available_versions(&entries),
            vec![v("4.3.0"), v("4.2.1"), v("3.5.8")]
        );
    }

    #[test]
    fn decodes_entities() {
        let cases = [
            ("a&amp;b", "a&b"),
            ("&#61;&#x3D;&lt;&gt;&quot;&apos;", "==<>\"'"),
            ("a & b", "a & b"),
            ("&bogus;x", "&bogus;x"),
            ("plain", "plain"),
        ];
        for (input, want) in cases {
            assert_eq!(decode_entities(input), want, "{input}");
        }
    }
}
