//! Kubernetes clients: authenticated as kubectl would be, and counted for the metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use kube::client::{Body, ConfigExt};
use kube::Client;

use crate::error::OperatorError;
use crate::metrics::Metrics;

/// A client for `api_url` (or, without one, the kubeconfig's or in-cluster server),
/// authenticated as kubectl would be (kubeconfig, else the in-cluster service account);
/// with neither, unauthenticated. With `metrics`, every request is counted by verb and code.
pub async fn client(
    api_url: Option<&str>,
    metrics: Option<Arc<Metrics>>,
) -> Result<Client, OperatorError> {
    let mut config = match kube::Config::infer().await {
        Ok(c) => c,
        Err(e) => match api_url {
            Some(_) => kube::Config::new("http://localhost".parse().map_err(|_| {
                OperatorError::Config("cannot build a default configuration".into())
            })?),
            None => return Err(OperatorError::Config(format!(
                "no Kubernetes configuration: {e} (set KUBECONFIG, run in a pod, or pass the API server URL)"
            ))),
        },
    };
    if let Some(url) = api_url {
        config.cluster_url = url
            .parse()
            .map_err(|e| OperatorError::Config(format!("not a URL: {url}: {e}")))?;
    }
    let plain_http = config.cluster_url.scheme_str() == Some("http");
    if !plain_http && metrics.is_none() {
        return Client::try_from(config).map_err(|e| OperatorError::Config(e.to_string()));
    }
    let counted = CountLayer(metrics);
    if plain_http {
        // Over plain HTTP (a local proxy or a test double) no TLS stack is needed.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        return with_layers(&config, counted, connector);
    }
    let https = config
        .rustls_https_connector()
        .map_err(|e| OperatorError::Config(e.to_string()))?;
    with_layers(&config, counted, https)
}

/// A client over `connector` with kube's layers (base URI, authentication, headers) and
/// the request counter.
fn with_layers<C>(
    config: &kube::Config,
    counted: CountLayer,
    connector: C,
) -> Result<Client, OperatorError>
where
    C: tower::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper::rt::Read
        + hyper::rt::Write
        + hyper_util::client::legacy::connect::Connection
        + Unpin
        + Send
        + 'static,
    C::Future: Send + Unpin + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let config_error = |e: kube::Error| OperatorError::Config(e.to_string());
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer().map_err(config_error)?)
        .layer(config.extra_headers_layer().map_err(config_error)?)
        .layer(counted)
        .map_err(|e: hyper_util::client::legacy::Error| {
            Box::new(e) as Box<dyn std::error::Error + Send + Sync>
        })
        .service(http);
    Ok(Client::new(service, config.default_namespace.clone()))
}

/// Counts requests by verb and response code.
#[derive(Clone)]
struct CountLayer(Option<Arc<Metrics>>);

impl<S> tower::Layer<S> for CountLayer {
    type Service = Count<S>;
    fn layer(&self, inner: S) -> Count<S> {
        Count {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
struct Count<S> {
    inner: S,
    metrics: Option<Arc<Metrics>>,
}

/// The Kubernetes verb of a request (`watch` and `list` told apart by the query).
fn verb(req: &http::Request<Body>) -> &'static str {
    let query = req.uri().query().unwrap_or("");
    match *req.method() {
        http::Method::GET if query.contains("watch=true") || query.contains("watch=1") => "watch",
        http::Method::GET => "get",
        http::Method::POST => "create",
        http::Method::PUT => "update",
        http::Method::PATCH => "patch",
        http::Method::DELETE => "delete",
        _ => "other",
    }
}

impl<S, B> tower::Service<http::Request<Body>> for Count<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let verb = verb(&req);
        let metrics = self.metrics.clone();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let result = fut.await;
            if let Some(m) = metrics {
                let code = match &result {
                    Ok(r) => r.status().as_u16().to_string(),
                    Err(_) => "error".to_string(),
                };
                m.api_call(verb, &code);
            }
            result
        })
    }
}
