//! Kubernetes REST paths: `/api/v1/namespaces/{ns}/{plural}/{name}/{subresource}` and the
//! `/apis/{group}/{version}/...` form for API groups.

/// Which collection or object a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `v1` or `group/version`.
    pub api_version: String,
    /// Lower-case plural resource name (`pods`).
    pub plural: String,
    /// `None` for cluster-scoped resources and for lists across all namespaces.
    pub namespace: Option<String>,
    /// `None` for the collection.
    pub name: Option<String>,
    /// `status`, `scale`, ... when addressed.
    pub subresource: Option<String>,
}

impl Route {
    /// Parses a request path; `None` when it is not a resource path (discovery, `/version`).
    pub fn parse(path: &str) -> Option<Route> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (api_version, rest) = match parts.as_slice() {
            ["api", v, rest @ ..] => ((*v).to_string(), rest),
            ["apis", g, v, rest @ ..] => (format!("{g}/{v}"), rest),
            _ => return None,
        };
        let (namespace, rest) = match rest {
            ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some((*ns).to_string()), rest),
            _ => (None, rest),
        };
        match rest {
            [plural] => Some(Route {
                api_version,
                plural: (*plural).to_string(),
                namespace,
                name: None,
                subresource: None,
            }),
            [plural, name] => Some(Route {
                api_version,
                plural: (*plural).to_string(),
                namespace,
                name: Some((*name).to_string()),
                subresource: None,
            }),
            [plural, name, sub] => Some(Route {
                api_version,
                plural: (*plural).to_string(),
                namespace,
                name: Some((*name).to_string()),
                subresource: Some((*sub).to_string()),
            }),
            _ => None,
        }
    }
}

/// The kind served under a plural, for the objects the double fills in (`kind` on lists).
pub fn kind_of(plural: &str) -> String {
    match plural {
        "pods" => "Pod".into(),
        "services" => "Service".into(),
        "configmaps" => "ConfigMap".into(),
        "secrets" => "Secret".into(),
        "persistentvolumeclaims" => "PersistentVolumeClaim".into(),
        "networkpolicies" => "NetworkPolicy".into(),
        "events" => "Event".into(),
        "serviceaccounts" => "ServiceAccount".into(),
        "statefulsets" => "StatefulSet".into(),
        "deployments" => "Deployment".into(),
        "leases" => "Lease".into(),
        "ingresses" => "Ingress".into(),
        "sparkapplications" => "SparkApplication".into(),
        "scheduledsparkapplications" => "ScheduledSparkApplication".into(),
        "sparkclusters" => "SparkCluster".into(),
        other => {
            // An unknown plural: capitalise and drop the trailing `s`, which is right for
            // the regular plurals the tests use.
            let singular = other.strip_suffix('s').unwrap_or(other);
            let mut chars = singular.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expected<'a> = Option<(
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    )>;

    #[test]
    fn parses_paths() {
        let cases: &[(&str, Expected)] = &[
            (
                "/api/v1/namespaces/default/pods",
                Some(("v1", "pods", Some("default"), None, None)),
            ),
            (
                "/api/v1/namespaces/ns/pods/p1",
                Some(("v1", "pods", Some("ns"), Some("p1"), None)),
            ),
            (
                "/api/v1/namespaces/ns/pods/p1/status",
                Some(("v1", "pods", Some("ns"), Some("p1"), Some("status"))),
            ),
            ("/api/v1/pods", Some(("v1", "pods", None, None, None))),
            (
                "/api/v1/namespaces",
                Some(("v1", "namespaces", None, None, None)),
            ),
            (
                "/api/v1/namespaces/ns",
                Some(("v1", "namespaces", None, Some("ns"), None)),
            ),
            (
                "/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/x",
                Some((
                    "networking.k8s.io/v1",
                    "networkpolicies",
                    Some("a"),
                    Some("x"),
                    None,
                )),
            ),
            ("/version", None),
            ("/apis", None),
        ];
        for (path, want) in cases {
            let got = Route::parse(path);
            let want = want.map(|(v, p, ns, n, s)| Route {
                api_version: v.into(),
                plural: p.into(),
                namespace: ns.map(Into::into),
                name: n.map(Into::into),
                subresource: s.map(Into::into),
            });
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of("pods"), "Pod");
        assert_eq!(kind_of("widgets"), "Widget");
    }
}
