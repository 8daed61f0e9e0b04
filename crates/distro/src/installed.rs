//! Finding installed distributions (managed ones and `$SPARK_HOME`) and choosing the one
//! for a wanted version.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use sparkplane_api::version::SparkVersion;

use crate::error::DistroError;
use crate::layout::RELEASE_FILE;
use crate::layout::{parse_core_jar_version, parse_install_dir_name, parse_release_version};
use crate::Distributions;

/// Where an installed distribution comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Origin {
    /// Installed by sparkplane under [`Distributions::root`].
    #[serde(rename = "managed")]
    Managed,
    /// Named by the `SPARK_HOME` environment variable.
    #[serde(rename = "SPARK_HOME")]
    SparkHomeEnv,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Managed => "managed",
            Self::SparkHomeEnv => "SPARK_HOME",
        })
    }
}

/// An installed Spark distribution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Installation {
    /// Its version.
    #[serde(serialize_with = "serialize_display")]
    pub version: SparkVersion,
    /// Its `SPARK_HOME` directory.
    pub home: PathBuf,
    /// Where it comes from.
    pub origin: Origin,
}

/// The distribution chosen for a wanted version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The distribution to use.
    pub installation: Installation,
    /// True when it is another release of the wanted line (the wanted one is not
    /// installed); callers should warn.
    pub substituted: bool,
}

impl Distributions {
    /// The managed installs, newest first.
    pub fn managed(&self) -> Result<Vec<Installation>, DistroError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(DistroError::io("read directory", &self.root, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| DistroError::io("read directory", &self.root, e))?;
            let Some(version) = entry.file_name().to_str().and_then(parse_install_dir_name) else {
                continue;
            };
            let home = entry.path();
            if home.is_dir() {
                out.push(Installation {
                    version,
                    home,
                    origin: Origin::Managed,
                });
            }
        }
        out.sort_by_key(|i| std::cmp::Reverse(i.version));
        Ok(out)
    }

    /// The distribution named by `$SPARK_HOME`, when that variable is set (and not empty).
    /// An error when it is set but not a Spark distribution whose version can be told.
    pub fn spark_home_env() -> Result<Option<Installation>, DistroError> {
        let Some(home) = std::env::var_os("SPARK_HOME").filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let home = PathBuf::from(home);
        let bad = |reason: String| DistroError::BadSparkHome {
            path: home.clone(),
            reason,
        };
        if !home.is_dir() {
            return Err(bad("no such directory".into()));
        }
        let version = detect_version(&home).map_err(bad)?;
        Ok(Some(Installation {
            version,
            home,
            origin: Origin::SparkHomeEnv,
        }))
    }

    /// Every installed distribution: the managed ones and `$SPARK_HOME` when set, newest
    /// first (for equal versions `$SPARK_HOME` first).
    pub fn installed(&self) -> Result<Vec<Installation>, DistroError> {
        let mut all = self.managed()?;
        if let Some(env) = Self::spark_home_env()? {
            all.push(env);
        }
        all.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| origin_rank(a.origin).cmp(&origin_rank(b.origin)))
        });
        Ok(all)
    }

    /// The distribution to run `wanted` with: that exact version (`$SPARK_HOME` preferred
    /// over a managed install), else the newest installed release of the same line
    /// (`substituted`), else [`DistroError::NotInstalled`].
    pub fn resolve(&self, wanted: &SparkVersion) -> Result<Resolved, DistroError> {
        let all = self.installed()?;
        pick(&all, wanted).ok_or_else(|| {
            let mut installed: Vec<SparkVersion> = all.iter().map(|i| i.version).collect();
            installed.sort_unstable();
            installed.dedup();
            DistroError::NotInstalled {
                wanted: *wanted,
                installed,
            }
        })
    }

    /// The distribution of exactly `wanted` (`$SPARK_HOME` preferred over a managed install,
    /// as [`Distributions::resolve`] prefers it), or [`DistroError::NotInstalled`]: unlike
    /// `resolve`, never another release of the line, because callers (`sparkplane spark
    /// home`, scripts) name a release to use its files.
    pub fn exact(&self, wanted: &SparkVersion) -> Result<Installation, DistroError> {
        let all = self.installed()?;
        match pick(&all, wanted) {
            Some(r) if !r.substituted => Ok(r.installation),
            _ => {
                let mut installed: Vec<SparkVersion> = all.iter().map(|i| i.version).collect();
                installed.sort_unstable();
                installed.dedup();
                Err(DistroError::NotInstalled {
                    wanted: *wanted,
                    installed,
                })
            }
        }
    }
}

fn origin_rank(o: Origin) -> u8 {
    match o {
        Origin::SparkHomeEnv => 0,
        Origin::Managed => 1,
    }
}

/// The choice [`Distributions::resolve`] makes among `installed`.
pub fn pick(installed: &[Installation], wanted: &SparkVersion) -> Option<Resolved> {
    let best = |candidates: &mut dyn Iterator<Item = &Installation>| {
        candidates
            .max_by(|a, b| {
                a.version
                    .cmp(&b.version)
                    .then_with(|| origin_rank(b.origin).cmp(&origin_rank(a.origin)))
            })
            .cloned()
    };
    if let Some(exact) = best(&mut installed.iter().filter(|i| i.version == *wanted)) {
        return Some(Resolved {
            installation: exact,
            substituted: false,
        });
    }
    let same_line = installed
        .iter()
        .filter(|i| i.version.major == wanted.major && i.version.minor == wanted.minor);
    best(&mut { same_line }).map(|installation| Resolved {
        installation,
        substituted: true,
    })
}

/// The version of the distribution in `home`: from the first line of its `RELEASE` file,
/// else from the name of its `jars/spark-core_*-X.Y.Z.jar`. Returns what is wrong.
pub fn detect_version(home: &Path) -> Result<SparkVersion, String> {
    if let Ok(text) = fs::read_to_string(home.join(RELEASE_FILE)) {
        if let Some(v) = parse_release_version(&text) {
            return Ok(v);
        }
    }
    let jars = home.join("jars");
    let entries = fs::read_dir(&jars)
        .map_err(|_| "not a Spark distribution (no RELEASE file and no jars folder)".to_string())?;
    entries
        .flatten()
        .find_map(|e| e.file_name().to_str().and_then(parse_core_jar_version))
        .ok_or_else(|| {
            "cannot tell its Spark version (no RELEASE file naming it and no jars/spark-core_*.jar)"
                .to_string()
        })
}

fn serialize_display<S: serde::Serializer>(v: &SparkVersion, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SparkVersion {
        s.parse().unwrap()
    }

    fn inst(ver: &str, origin: Origin) -> Installation {
        let home = match origin {
            Origin::Managed => format!("/m/{ver}"),
            Origin::SparkHomeEnv => format!("/env/{ver}"),
        };
        Installation {
            version: v(ver),
            home: home.into(),
            origin,
        }
    }

    #[test]
    fn picks_installations() {
        use Origin::{Managed as M, SparkHomeEnv as E};
        // (installed, wanted, expected (version, origin, substituted))
        type Case<'a> = (Vec<Installation>, &'a str, Option<(&'a str, Origin, bool)>);
        let cases: Vec<Case> = vec![
            (vec![inst("4.3.0", M)], "4.3.0", Some(("4.3.0", M, false))),
            (
                vec![inst("4.3.0", M), inst("4.3.0", E)],
                "4.3.0",
                Some(("4.3.0", E, false)),
            ),
            (
                vec![inst("4.3.0", E), inst("4.3.0", M)],
                "4.3.0",
                Some(("4.3.0", E, false)),
            ),
            (
                vec![inst("4.3.1", E), inst("4.3.0", M)],
                "4.3.0",
                Some(("4.3.0", M, false)),
            ),
            (
                vec![inst("4.3.0", M), inst("4.3.2", M)],
                "4.3.1",
                Some(("4.3.2", M, true)),
            ),
            (
                vec![inst("4.3.0", M), inst("4.3.2", E)],
                "4.3.1",
                Some(("4.3.2", E, true)),
            ),
            (
                vec![inst("4.2.0", M), inst("3.5.9", M)],
                "3.5.0",
                Some(("3.5.9", M, true)),
            ),
            (vec![inst("4.3.0", M)], "3.5.0", None),
            (vec![inst("4.2.0", M)], "4.3.0", None),
            (vec![], "4.3.0", None),
        ];
        for (installed, wanted, want) in cases {
            let got = pick(&installed, &v(wanted))
                .map(|r| (r.installation.version, r.installation.origin, r.substituted));
            let want = want.map(|(ver, o, s)| (v(ver), o, s));
            assert_eq!(got, want, "{installed:?} {wanted}");
        }
    }

    #[test]
    fn serializes_installations() {
        let got = serde_json::to_string(&inst("4.3.0", Origin::SparkHomeEnv)).unwrap();
        assert_eq!(
            got,
            r#"{"version":"4.3.0","home":"/env/4.3.0","origin":"SPARK_HOME"}"#
        );
    }

    #[test]
    fn detects_versions_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        assert!(detect_version(home).is_err());
        fs::create_dir(home.join("jars")).unwrap();
        fs::write(home.join("jars/spark-sql_2.13-4.2.0.jar"), "").unwrap();
        assert!(detect_version(home).is_err());
        fs::write(home.join("jars/spark-core_2.13-4.2.0.jar"), "").unwrap();
        assert_eq!(detect_version(home), Ok(v("4.2.0")));
        fs::write(
            home.join(RELEASE_FILE),
            "Spark 4.2.1 built for Hadoop 3.4.1\n",
        )
        .unwrap();
        assert_eq!(detect_version(home), Ok(v("4.2.1")));
        fs::write(home.join(RELEASE_FILE), "garbage\n").unwrap();
        assert_eq!(detect_version(home), Ok(v("4.2.0")));
    }
}
