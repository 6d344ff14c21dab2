//! The real-cluster harness: reads `KUBECHAT_E2E_KUBECONFIG` (admin: sets up and cleans up)
//! and `KUBECHAT_E2E_BOT_KUBECONFIG` (kubechat's own credentials: impersonation only), makes
//! a throw-away namespace that a [`Cleanup`] guard deletes however the story ends (pass,
//! failed assertion, panic in setup), and drives kubechat through its app loop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kubechat::app::{App, Reply, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::Ledger;
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, UndoRequest, Verdict};
use serde_json::{Value, json};

/// Where the two kubeconfigs are.
pub struct Env {
    pub admin: PathBuf,
    pub bot: PathBuf,
}

/// The kubeconfigs, or why the suite skips.
pub fn env() -> Result<Env, &'static str> {
    match (
        std::env::var_os("KUBECHAT_E2E_KUBECONFIG"),
        std::env::var_os("KUBECHAT_E2E_BOT_KUBECONFIG"),
    ) {
        (Some(admin), Some(bot)) => Ok(Env {
            admin: admin.into(),
            bot: bot.into(),
        }),
        _ => Err(
            "skipped: set KUBECHAT_E2E_KUBECONFIG (admin) and KUBECHAT_E2E_BOT_KUBECONFIG (impersonate-only) to run the real-cluster suite (docs/e2e.md)",
        ),
    }
}

/// A client with the admin kubeconfig (setup, checks and cleanup only; kubechat never uses it).
pub async fn admin_client(path: &Path) -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(path).expect("admin kubeconfig reads");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("admin kubeconfig is usable");
    Client::try_from(config).expect("admin client")
}

/// A fresh namespace name with this prefix.
pub fn namespace_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("kubechat-e2e-{prefix}-{}", &id[..8])
}

/// Deletes the namespaces it holds when dropped, whatever happened before. It builds its own
/// runtime and client on a separate thread: the test's runtime may be unwinding a panic, and a
/// client made on it could not make progress while this thread blocks.
pub struct Cleanup {
    admin: PathBuf,
    namespaces: Vec<String>,
}

impl Cleanup {
    pub fn new(admin: &Path) -> Cleanup {
        Cleanup {
            admin: admin.to_path_buf(),
            namespaces: Vec::new(),
        }
    }

    /// Creates `name` (labelled as e2e) and remembers to delete it.
    pub async fn namespace(&mut self, admin: &Client, name: &str) {
        self.namespaces.push(name.to_string());
        create(
            admin,
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": name, "labels": {"kubechat.io/e2e": "true"}}}),
        )
        .await;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let namespaces = std::mem::take(&mut self.namespaces);
        let admin = self.admin.clone();
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                eprintln!("cleanup: no runtime; delete namespaces {namespaces:?} by hand");
                return;
            };
            rt.block_on(async {
                let client = admin_client(&admin).await;
                let api: Api<Namespace> = Api::all(client);
                for ns in &namespaces {
                    match api.delete(ns, &DeleteParams::background()).await {
                        Ok(_) => eprintln!("cleanup: namespace {ns} deleted"),
                        Err(e) => eprintln!("cleanup: could not delete namespace {ns}: {e}"),
                    }
                }
            });
        });
        let _ = done.join();
    }
}

/// Creates any object from JSON with the admin client.
pub async fn create(admin: &Client, object: Value) {
    let obj: DynamicObject = serde_json::from_value(object.clone()).expect("object");
    let types = obj.types.clone().expect("apiVersion and kind");
    let (group, version) = types
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &types.api_version));
    let gvk = kube::api::GroupVersionKind::gvk(group, version, &types.kind);
    let (resource, caps) = kube::discovery::pinned_kind(admin, &gvk)
        .await
        .expect("kind is served");
    let api: Api<DynamicObject> = match (&obj.metadata.namespace, caps.scope) {
        (Some(ns), kube::discovery::Scope::Namespaced) => {
            Api::namespaced_with(admin.clone(), ns, &resource)
        }
        _ => Api::all_with(admin.clone(), &resource),
    };
    api.create(&PostParams::default(), &obj)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "setup: cannot create {} {:?}: {e}",
                types.kind, obj.metadata.name
            )
        });
}

/// Binds `user` to the ClusterRole `role` in `ns`.
pub async fn bind(admin: &Client, ns: &str, user: &str, role: &str) {
    let api: Api<RoleBinding> = Api::namespaced(admin.clone(), ns);
    let binding = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": format!("e2e-{role}-{}", user.split('@').next().unwrap_or(user))},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]
    }))
    .expect("binding");
    api.create(&PostParams::default(), &binding)
        .await
        .expect("create rolebinding");
}

/// kubechat over the bot kubeconfig, a temporary SQLite ledger and the real clock.
pub struct Bot {
    pub app: App,
    pub ledger: Ledger,
    thread: ThreadRef,
    _dir: tempfile::TempDir,
}

impl Bot {
    /// Connects as the bot with `identities` (TOML `[[identities]]` blocks) and `ns` as the
    /// default namespace, plus `extra` cluster keys (`production_namespaces = …`).
    pub async fn start(env: &Env, ns: &str, identities: &str, extra: &str) -> Bot {
        let dir = tempfile::tempdir().expect("tempdir");
        let ledger = Ledger::open(&format!("sqlite://{}", dir.path().join("l.db").display()))
            .await
            .expect("ledger");
        let config = Config::parse(&format!(
            "[[clusters]]\nname = \"e2e\"\nkubeconfig = {bot:?}\ndefault_namespace = \"{ns}\"\n{extra}\n\n{identities}",
            bot = env.bot.display().to_string(),
        ))
        .expect("config");
        let conn = ClusterConn::load(&config.clusters[0])
            .await
            .expect("bot kubeconfig loads");
        let app = App::new(
            config,
            Executor::new(vec![conn]),
            ledger.clone(),
            Clock::system(),
            Metrics::default(),
        );
        Bot {
            app,
            ledger,
            thread: ThreadRef {
                platform: Platform::Console,
                channel: "e2e".into(),
                thread: ns.to_string(),
            },
            _dir: dir,
        }
    }

    /// `user` says `text` in the suite's thread.
    pub async fn says(&self, user: &str, text: &str) -> Reply {
        let msg = Inbound {
            thread: self.thread.clone(),
            user: user.into(),
            text: text.into(),
            event_id: format!("e2e-{}", uuid::Uuid::new_v4().simple()),
            email: None,
        };
        self.app.handle_message(&msg).await
    }

    /// `user` approves the preview in `reply`.
    pub async fn approves(&self, user: &str, reply: &Reply) -> Reply {
        let card = reply.card.as_ref().expect("a preview card");
        let decision = Decision {
            thread: self.thread.clone(),
            user: user.into(),
            plan_id: card.plan_id.clone(),
            plan_hash: Some(card.plan_hash.clone()),
            verdict: Verdict::Approve,
            event_id: format!("e2e-{}", uuid::Uuid::new_v4().simple()),
            email: None,
        };
        self.app.decide(&decision).await
    }

    /// `user` asks to undo `plan_id`.
    pub async fn undoes(&self, user: &str, plan_id: &str) -> Reply {
        let request = UndoRequest {
            thread: self.thread.clone(),
            user: user.into(),
            plan_id: plan_id.into(),
            event_id: format!("e2e-{}", uuid::Uuid::new_v4().simple()),
            email: None,
        };
        self.app.undo(&request).await
    }

    /// `asker` asks, `approver` approves; the executed reply and the preview. Controllers
    /// update status (and so resourceVersion) behind our back; when that lands between preview
    /// and approval kubechat refuses ("changed since the preview") and a person asks again —
    /// so does this, up to three times.
    pub async fn ask_approved(&self, asker: &str, approver: &str, text: &str) -> (Reply, Reply) {
        let mut last = String::new();
        for _ in 0..3 {
            let preview = self.says(asker, text).await;
            assert_eq!(preview.status, Status::Preview, "{text}: {}", preview.reply);
            let done = self.approves(approver, &preview).await;
            if done.status == Status::Executed {
                return (preview, done);
            }
            assert!(
                done.reply.contains("changed since the preview"),
                "{text}: {}",
                done.reply
            );
            last = done.reply;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        panic!("{text}: kept changing under us: {last}");
    }
}

/// Polls `check` every half second for up to 30 s (controllers act asynchronously).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..60 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("timed out waiting for: {what}");
}
