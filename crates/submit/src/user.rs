//! The user name spark-submit gives the driver (its pod's `SPARK_USER`).
//!
//! Up to 4.2, the driver step writes Spark's `Utils.getCurrentUserName`, evaluated inside
//! spark-submit, which runs the Kubernetes client as the proxy user (`doAs`) when one is
//! given: the submitter's `SPARK_USER` when it is set (even to the empty string), else the
//! current Hadoop user's short name, which is the proxy user when there is one, else
//! `HADOOP_USER_NAME` when set, else the login name. From 4.3, a proxy user comes before
//! everything, `SPARK_USER` included. The conformance cases `06` and `58`–`67` record each
//! combination on every supported version.
//!
//! Nothing here reads the environment: the caller passes what it read in a
//! [`SubmitterUser`].

use crate::error::SubmitError;
use crate::version::Behaviour;

/// What the submitter's environment says about who is submitting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitterUser {
    /// `SPARK_USER`, when it is set (the empty string counts: Spark takes it as it is).
    pub spark_user: Option<String>,
    /// `HADOOP_USER_NAME`, when it is set.
    pub hadoop_user_name: Option<String>,
    /// The operating system's name for the submitting process's user.
    pub login_name: String,
}

impl SubmitterUser {
    /// A submitter whose `SPARK_USER` is `name`.
    pub fn with_spark_user(name: impl Into<String>) -> SubmitterUser {
        SubmitterUser {
            spark_user: Some(name.into()),
            ..SubmitterUser::default()
        }
    }
}

/// The driver's `SPARK_USER`, for a submission by `submitter` with `proxy_user`. Refuses, as
/// spark-submit fails on them, a proxy user or `HADOOP_USER_NAME` that Hadoop cannot read as
/// a user name (whichever name wins: Hadoop reads both before Spark asks), and an empty proxy
/// user.
pub fn driver_spark_user(
    submitter: &SubmitterUser,
    proxy_user: Option<&str>,
    behaviour: &Behaviour,
) -> Result<String, SubmitError> {
    let hadoop_user = match &submitter.hadoop_user_name {
        Some(h) => Some(short_name(h).ok_or_else(|| malformed("HADOOP_USER_NAME", h))?),
        None => None,
    };
    let proxy = match proxy_user {
        Some("") => {
            return Err(SubmitError::invalid(
                "--proxy-user",
                "a user name (Hadoop: \"Null user\")",
                String::new(),
            ))
        }
        Some(p) => Some((
            p,
            short_name(p).ok_or_else(|| malformed("--proxy-user", p))?,
        )),
        None => None,
    };
    if behaviour.spark_user_is_proxy_user {
        if let Some((given, _)) = proxy {
            return Ok(given.to_string());
        }
    }
    if let Some(u) = &submitter.spark_user {
        return Ok(u.clone());
    }
    Ok(match (proxy, hadoop_user) {
        (Some((_, short)), _) => short,
        (None, Some(short)) => short,
        (None, None) => submitter.login_name.clone(),
    })
}

fn malformed(setting: &str, name: &str) -> SubmitError {
    SubmitError::invalid(
        setting,
        "a user name: NAME, NAME/HOST or either @REALM (Hadoop: \"Malformed Kerberos name\")",
        name,
    )
}

/// Hadoop's short name of a user name when security is off (`HadoopKerberosName` with the
/// rules `RULE:[1:$1] RULE:[2:$1]`): the first component of `name[/host][@realm]`, a name
/// that is not of that form (`a/b/c`) as it is, and `None` (malformed) when such a name
/// holds an `@`.
fn short_name(name: &str) -> Option<String> {
    let (principal, realm) = match name.split_once('@') {
        Some((p, r)) => (p, Some(r)),
        None => (name, None),
    };
    let (first, host) = match principal.split_once('/') {
        Some((f, h)) => (f, Some(h)),
        None => (principal, None),
    };
    let component = |s: &str| !s.is_empty() && !s.contains(['/', '@']);
    let parsed = component(first) && host.is_none_or(component) && realm.is_none_or(component);
    if parsed {
        Some(first.to_string())
    } else if name.contains('@') {
        None
    } else {
        Some(name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplane_api::version::SparkVersion;

    fn user(spark: Option<&str>, hadoop: Option<&str>) -> SubmitterUser {
        SubmitterUser {
            spark_user: spark.map(str::to_string),
            hadoop_user_name: hadoop.map(str::to_string),
            login_name: "login".into(),
        }
    }

    /// SPARK_USER, HADOOP_USER_NAME, proxy user; the driver's user up to 4.2, and from 4.3.
    type Row = (
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        &'static str,
    );

    #[test]
    fn which_setting_wins_on_which_version() {
        let table: &[Row] = &[
            (None, None, None, "login", "login"),
            (Some("bob"), None, None, "bob", "bob"),
            (Some(""), None, None, "", ""),
            (None, Some("hdfs"), None, "hdfs", "hdfs"),
            (Some("bob"), Some("hdfs"), None, "bob", "bob"),
            (None, None, Some("alice"), "alice", "alice"),
            (Some("bob"), None, Some("alice"), "bob", "alice"),
            (Some(""), None, Some("alice"), "", "alice"),
            (None, Some("hdfs"), Some("alice"), "alice", "alice"),
            (Some("bob"), Some("hdfs"), Some("alice"), "bob", "alice"),
            (
                None,
                None,
                Some("alice@EXAMPLE.COM"),
                "alice",
                "alice@EXAMPLE.COM",
            ),
            (
                None,
                None,
                Some("svc/h@EXAMPLE.COM"),
                "svc",
                "svc/h@EXAMPLE.COM",
            ),
            (None, None, Some("a/b"), "a", "a/b"),
            (None, None, Some("x/y/z"), "x/y/z", "x/y/z"),
            (None, Some("hdfs/nn@EXAMPLE.COM"), None, "hdfs", "hdfs"),
            (None, Some(""), None, "", ""),
        ];
        for &(spark, hadoop, proxy, old, new) in table {
            let u = user(spark, hadoop);
            for (v, want) in [((3, 5), old), ((4, 0), old), ((4, 2), old), ((4, 3), new)] {
                let b = Behaviour::of(SparkVersion::new(v.0, v.1, 0));
                assert_eq!(
                    driver_spark_user(&u, proxy, &b).unwrap(),
                    want,
                    "SPARK_USER={spark:?} HADOOP_USER_NAME={hadoop:?} proxy={proxy:?} on {v:?}"
                );
            }
        }
    }

    #[test]
    fn names_hadoop_cannot_read_are_refused_whichever_wins() {
        let b = Behaviour::of(SparkVersion::new(4, 3, 0));
        for (spark, hadoop, proxy) in [
            (None, None, Some("a/b/c@R")),
            (None, None, Some("@R")),
            (None, None, Some("a@")),
            (None, None, Some("a@b@c")),
            (None, None, Some("")),
            (Some("bob"), None, Some("a/b/c@R")),
            (None, Some("a/b/c@R"), None),
            (Some("bob"), Some("a/b/c@R"), Some("alice")),
        ] {
            assert!(
                driver_spark_user(&user(spark, hadoop), proxy, &b).is_err(),
                "{spark:?} {hadoop:?} {proxy:?}"
            );
        }
    }
}
