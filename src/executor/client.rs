//! Kubernetes clients that always impersonate the person kubechat acts for.
//!
//! Each cluster gets one connection pool (TLS set up once) built from the bot's own
//! credentials. A per-person [`kube::Client`] is a thin layer over that shared pool that adds
//! `Impersonate-User`, `Impersonate-Group` and `Impersonate-Extra-*` headers to every request,
//! so creating one per request costs no TLS handshake and never widens the bot's rights.
//! The bot's own client (no impersonation) is used for API discovery only: the bot needs
//! discovery rights anyway, and a person may lack them.

use std::collections::BTreeMap;
use std::time::Duration;

use http::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::{Body, ConfigExt};
use tower::{BoxError, ServiceBuilder};

use crate::config::ClusterConfig;
use crate::identity::Subject;

/// Extra key carrying the kubechat plan id into the cluster's audit log.
pub const EXTRA_PLAN_ID: &str = "kubechat.io/plan-id";
/// Extra key carrying the approvers of an execution.
pub const EXTRA_APPROVERS: &str = "kubechat.io/approvers";

/// How often, at most, API discovery is refreshed after a miss (a typo must not hammer the
/// API server with discovery requests).
pub const DISCOVERY_REFRESH: Duration = Duration::from_secs(30);

/// Who a request is made as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impersonation {
    pub subject: Subject,
    /// The plan this request belongs to.
    pub plan_id: String,
    /// The people who approved it (executions only).
    pub approvers: Vec<String>,
}

impl Impersonation {
    /// The `Impersonate-Extra-*` values sent with every request.
    pub fn extras(&self) -> BTreeMap<String, Vec<String>> {
        let mut extra = BTreeMap::new();
        extra.insert(EXTRA_PLAN_ID.to_string(), vec![self.plan_id.clone()]);
        if !self.approvers.is_empty() {
            extra.insert(EXTRA_APPROVERS.to_string(), self.approvers.clone());
        }
        extra
    }
}

/// One cluster's shared connection and the bot's base configuration.
#[derive(Clone)]
pub struct ClusterConn {
    pub name: String,
    base: kube::Config,
    /// The bot's own client over the shared connection pool: no impersonation headers.
    bot: kube::Client,
    /// Minimum time between two discovery refreshes of this cluster.
    pub discovery_refresh: Duration,
}

impl std::fmt::Debug for ClusterConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConn")
            .field("name", &self.name)
            .field("url", &self.base.cluster_url)
            .finish()
    }
}

/// Makes ring rustls' process-wide crypto provider, once. kube's TLS asks rustls for the
/// process default; when another dependency (matrix-sdk's reqwest) also enables aws-lc-rs,
/// rustls cannot pick one itself and panics ("no process-level CryptoProvider"). Installing an
/// already-installed provider fails harmlessly, so every caller may call this.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why a cluster connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot load kubeconfig for cluster {cluster}: {source}")]
    Kubeconfig {
        cluster: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("cannot load in-cluster credentials for cluster {cluster}: {source}")]
    InCluster {
        cluster: String,
        #[source]
        source: kube::config::InClusterError,
    },
    #[error("cannot find a kubeconfig for cluster {cluster}: {source}")]
    Infer {
        cluster: String,
        #[source]
        source: kube::config::InferConfigError,
    },
    #[error("cannot build the HTTP client for cluster {cluster}: {source}")]
    Client {
        cluster: String,
        #[source]
        source: kube::Error,
    },
}

impl ClusterConn {
    /// Loads the bot's credentials for a configured cluster.
    pub async fn load(cfg: &ClusterConfig) -> Result<ClusterConn, ConnectError> {
        let name = cfg.name.clone();
        let options = kube::config::KubeConfigOptions {
            context: cfg.context.clone(),
            ..Default::default()
        };
        let config = if cfg.in_cluster {
            kube::Config::incluster().map_err(|source| ConnectError::InCluster {
                cluster: name.clone(),
                source,
            })?
        } else if let Some(path) = &cfg.kubeconfig {
            let kubeconfig = kube::config::Kubeconfig::read_from(path).map_err(|source| {
                ConnectError::Kubeconfig {
                    cluster: name.clone(),
                    source,
                }
            })?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|source| ConnectError::Kubeconfig {
                    cluster: name.clone(),
                    source,
                })?
        } else if cfg.context.is_some() {
            kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|source| ConnectError::Kubeconfig {
                    cluster: name.clone(),
                    source,
                })?
        } else {
            kube::Config::infer()
                .await
                .map_err(|source| ConnectError::Infer {
                    cluster: name.clone(),
                    source,
                })?
        };
        let conn = ClusterConn::new(&name, config)?;
        Ok(conn.with_discovery_refresh(Duration::from_secs(cfg.discovery_refresh_seconds)))
    }

    /// Builds the shared connection from a kube config (tests point it at a fake server).
    pub fn new(name: &str, mut config: kube::Config) -> Result<ClusterConn, ConnectError> {
        // The bot's own kubeconfig must not impersonate anyone itself: we add our headers.
        config.auth_info.impersonate = None;
        config.auth_info.impersonate_groups = None;
        config.auth_info.impersonate_uid = None;
        config.auth_info.impersonate_user_extra = None;
        install_crypto_provider();
        let err = |source| ConnectError::Client {
            cluster: name.to_string(),
            source,
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let https = config
            .rustls_https_connector_with_connector(http)
            .map_err(err)?;
        let hyper = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https);
        let service = ServiceBuilder::new()
            .layer(config.base_uri_layer())
            .option_layer(config.auth_layer().map_err(err)?)
            .timeout(config.read_timeout.unwrap_or(Duration::from_secs(30)))
            .map_err(BoxError::from)
            .service(hyper);
        let bot = kube::Client::new(service, config.default_namespace.clone());
        Ok(ClusterConn {
            name: name.to_string(),
            base: config,
            bot,
            discovery_refresh: DISCOVERY_REFRESH,
        })
    }

    /// A connection whose requests are answered by `service` in process (benchmarks drive the
    /// whole app against a fake cluster that answers instantly).
    pub fn in_process<S>(name: &str, service: S) -> ClusterConn
    where
        S: tower::Service<Request<Body>, Response = Response<Body>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
    {
        let url = "http://in-process.invalid"
            .parse()
            .expect("a valid static URL");
        ClusterConn {
            name: name.to_string(),
            base: kube::Config::new(url),
            bot: kube::Client::new(service, "default"),
            discovery_refresh: DISCOVERY_REFRESH,
        }
    }

    /// Sets the minimum time between discovery refreshes (tests use zero or an hour).
    pub fn with_discovery_refresh(mut self, every: Duration) -> Self {
        self.discovery_refresh = every;
        self
    }

    /// The bot's own client, without impersonation: for API discovery only.
    pub(super) fn bot_client(&self) -> kube::Client {
        self.bot.clone()
    }

    /// A client acting as `who`, sharing this cluster's connection pool.
    pub fn client(&self, who: &Impersonation) -> kube::Client {
        let mut config = self.base.clone();
        config.auth_info.impersonate = Some(who.subject.user.clone());
        config.auth_info.impersonate_groups = Some(who.subject.groups.clone());
        config.auth_info.impersonate_user_extra = Some(who.extras().into_iter().collect());
        // Header values were validated when the identity was configured; a value that is not
        // a valid header (control characters) makes this fail, and then we send nothing.
        let headers = match config.extra_headers_layer() {
            Ok(layer) => layer,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode impersonation headers; refusing");
                return refusing_client(&self.base.default_namespace);
            }
        };
        let bot = self.bot.clone();
        let send = tower::service_fn(move |req: Request<Body>| {
            let bot = bot.clone();
            async move { bot.send(req).await }
        });
        let service = ServiceBuilder::new()
            .layer(headers)
            .timeout(self.base.read_timeout.unwrap_or(Duration::from_secs(30)))
            .service(send);
        kube::Client::new(service, self.base.default_namespace.clone())
    }

    /// The namespace the bot's kubeconfig context names.
    pub fn default_namespace(&self) -> &str {
        &self.base.default_namespace
    }
}

/// A client whose every request fails, used when impersonation headers cannot be built:
/// failing is better than calling with the bot's own rights.
fn refusing_client(ns: &str) -> kube::Client {
    let service = tower::service_fn(|_req: Request<Body>| async {
        Err::<Response<Body>, BoxError>("impersonation headers could not be encoded".into())
    });
    kube::Client::new(service, ns.to_string())
}
