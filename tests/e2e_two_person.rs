//! Real-cluster story: the two-person rule. bob asks to delete a Deployment in a production
//! namespace; bob's own approval is refused; carol approves; it runs — as bob, with carol in
//! Impersonate-Extra.
//!
//! Runs only when `KUBECHAT_E2E_KUBECONFIG` (admin, used to set up and clean up) and
//! `KUBECHAT_E2E_BOT_KUBECONFIG` (credentials that may only impersonate users, groups and the
//! `kubechat.io/*` user extras) are set; otherwise it prints that it skipped. It creates its
//! own namespace, RoleBinding and Deployment, and deletes the namespace afterwards, pass or
//! fail. (Written before the shared `tests/e2e` harness landed; it uses only public APIs and
//! moves into that suite as one story file.)

use std::path::PathBuf;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use kubechat::app::{App, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{EntryKind, Ledger};
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, Verdict};
use serde_json::json;

struct Env {
    admin: PathBuf,
    bot: PathBuf,
}

fn env() -> Option<Env> {
    let admin = std::env::var_os("KUBECHAT_E2E_KUBECONFIG")?;
    let bot = std::env::var_os("KUBECHAT_E2E_BOT_KUBECONFIG")?;
    Some(Env {
        admin: admin.into(),
        bot: bot.into(),
    })
}

async fn admin_client(path: &PathBuf) -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(path).expect("admin kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("admin config");
    Client::try_from(config).expect("admin client")
}

async fn set_up(client: &Client, ns: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": ns, "labels": {"kubechat.io/e2e": "two-person"}}
    }))
    .expect("namespace");
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .expect("create namespace");
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), ns);
    let binding = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "bob-edit"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob@e2e.kubechat.io"}]
    }))
    .expect("binding");
    bindings
        .create(&PostParams::default(), &binding)
        .await
        .expect("create rolebinding");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.9"}]}}}
    }))
    .expect("deployment");
    deployments
        .create(&PostParams::default(), &deployment)
        .await
        .expect("create deployment");
}

fn config(env: &Env, ns: &str) -> Config {
    Config::parse(&format!(
        r#"
        [[clusters]]
        name = "e2e"
        kubeconfig = {bot:?}
        default_namespace = "{ns}"
        production_namespaces = ["{ns}"]

        [[identities]]
        platform = "console"
        user = "bob"
        kube_user = "bob@e2e.kubechat.io"
        groups = ["kubechat-e2e"]

        [[identities]]
        platform = "console"
        user = "carol"
        kube_user = "carol@e2e.kubechat.io"
        groups = ["kubechat-e2e"]
        "#,
        bot = env.bot.display().to_string(),
    ))
    .expect("config")
}

fn thread() -> ThreadRef {
    ThreadRef {
        platform: Platform::Console,
        channel: "e2e".into(),
        thread: "two-person".into(),
    }
}

fn decision(user: &str, plan_id: &str, hash: &str) -> Decision {
    Decision {
        thread: thread(),
        user: user.into(),
        plan_id: plan_id.into(),
        plan_hash: Some(hash.into()),
        verdict: Verdict::Approve,
        event_id: format!("e2e-{user}-{plan_id}"),
        email: None,
    }
}

async fn story(env: Env, ns: String, admin: Client) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Ledger::open(&format!("sqlite://{}", dir.path().join("l.db").display()))
        .await
        .expect("ledger");
    let config = config(&env, &ns);
    let conn = ClusterConn::load(&config.clusters[0])
        .await
        .expect("bot connects");
    let app = App::new(
        config,
        Executor::new(vec![conn]),
        ledger.clone(),
        Clock::system(),
        Metrics::default(),
    );

    let ask = Inbound {
        thread: thread(),
        user: "bob".into(),
        text: format!("delete deployment api in {ns}"),
        event_id: "e2e-ask".into(),
        email: None,
    };
    let preview = app.handle_message(&ask).await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.expect("card");
    let id = preview.plan_id.expect("plan id");
    assert!(
        card.approvers.contains("other than bob"),
        "{}",
        card.approvers
    );

    let own = app.decide(&decision("bob", &id, &card.plan_hash)).await;
    assert_eq!(own.status, Status::Denied, "{}", own.reply);
    assert!(
        own.reply.contains("cannot approve it yourself"),
        "{}",
        own.reply
    );
    let deployments: Api<Deployment> = Api::namespaced(admin, &ns);
    assert!(
        deployments.get_opt("api").await.expect("get").is_some(),
        "still there"
    );

    let done = app.decide(&decision("carol", &id, &card.plan_hash)).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    let gone = deployments.get_opt("api").await.expect("get");
    assert!(
        gone.is_none_or(|d| d.metadata.deletion_timestamp.is_some()),
        "the deployment is deleted"
    );
    let kinds: Vec<EntryKind> = ledger
        .plan_entries(&id)
        .await
        .expect("entries")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Refused,
            EntryKind::Approved,
            EntryKind::Executing,
            EntryKind::Executed
        ]
    );
}

#[tokio::test]
async fn bob_deletes_in_production_his_approval_is_refused_carol_approves_it_runs() {
    let Some(env) = env() else {
        eprintln!(
            "skipped: set KUBECHAT_E2E_KUBECONFIG and KUBECHAT_E2E_BOT_KUBECONFIG to run the real-cluster story"
        );
        return;
    };
    let admin = admin_client(&env.admin).await;
    let ns = format!(
        "kubechat-e2e-2p-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    set_up(&admin, &ns).await;
    let outcome = tokio::spawn(story(env, ns.clone(), admin.clone())).await;
    let namespaces: Api<Namespace> = Api::all(admin);
    if let Err(e) = namespaces.delete(&ns, &DeleteParams::default()).await {
        eprintln!("cleanup: could not delete namespace {ns}: {e}");
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
