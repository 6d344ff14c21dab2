//! Kubernetes clients that always impersonate the person kubechat acts for.
//!
//! Each cluster gets one connection pool (TLS set up once) built from the bot's own
//! credentials. A per-person [`kube::Client`] is a thin layer over that shared pool that adds
//! `Impersonate-User`, `Impersonate-Group` and `Impersonate-Extra-*` headers to every request,
//! so creating one per request costs no TLS handshake and never widens the bot's rights.

use std::collections::BTreeMap;
use std::time::Duration;

use http::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::{Body, ConfigExt};
use tower::buffer::Buffer;
use tower::util::BoxService;
use tower::{BoxError, ServiceBuilder, ServiceExt};

use crate::config::ClusterConfig;
use crate::identity::Subject;

/// Extra key carrying the kubechat plan id into the cluster's audit log.
pub const EXTRA_PLAN_ID: &str = "kubechat.io/plan-id";
/// Extra key carrying the approvers of an execution.
pub const EXTRA_APPROVERS: &str = "kubechat.io/approvers";

type Base = BoxService<Request<Body>, Response<hyper::body::Incoming>, BoxError>;
type Shared = Buffer<Request<Body>, <Base as tower::Service<Request<Body>>>::Future>;

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
    shared: Shared,
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
        ClusterConn::new(&name, config)
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
            .map_err(BoxError::from)
            .service(hyper)
            .boxed();
        Ok(ClusterConn {
            name: name.to_string(),
            base: config,
            shared: Buffer::new(service, 1024),
        })
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
        let service = ServiceBuilder::new()
            .layer(headers)
            .timeout(self.base.read_timeout.unwrap_or(Duration::from_secs(30)))
            .service(self.shared.clone());
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
