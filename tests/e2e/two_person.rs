//! The two-person rule on a real cluster: bob asks to delete a Deployment in a production
//! namespace; bob's own approval is refused; carol approves; it runs — as bob, with carol in
//! Impersonate-Extra. (Moved here from the standalone `tests/e2e_two_person.rs`.)

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kubechat::app::Status;
use kubechat::ledger::EntryKind;
use serde_json::json;

use super::harness::{self, Bot, Cleanup, Env, bind, create};

const IDENTITIES: &str = r#"
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
"#;

/// The story in its own (production) namespace; the guard deletes it however this ends.
pub async fn run(env: Env) {
    let admin = harness::admin_client(&env.admin).await;
    let ns = harness::namespace_name("2p");
    let mut cleanup = Cleanup::new(&env.admin);
    cleanup.namespace(&admin, &ns).await;
    bind(&admin, &ns, "bob@e2e.kubechat.io", "edit").await;
    create(
        &admin,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                     "template": {"metadata": {"labels": {"app": "api"}},
                                  "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.9"}]}}}}),
    )
    .await;
    let production = format!("production_namespaces = [\"{ns}\"]");
    let bot = Bot::start(&env, &ns, IDENTITIES, &production).await;

    let preview = bot
        .says("bob", &format!("delete deployment api in {ns}"))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.clone().expect("card");
    let id = preview.plan_id.clone().expect("plan id");
    assert!(
        card.approvers.contains("other than bob"),
        "{}",
        card.approvers
    );

    let own = bot.approves("bob", &preview).await;
    assert_eq!(own.status, Status::Denied, "{}", own.reply);
    assert!(
        own.reply.contains("cannot approve it yourself"),
        "{}",
        own.reply
    );
    let deployments: Api<Deployment> = Api::namespaced(admin.clone(), &ns);
    assert!(
        deployments.get_opt("api").await.expect("get").is_some(),
        "still there"
    );

    let done = bot.approves("carol", &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    let gone = deployments.get_opt("api").await.expect("get");
    assert!(
        gone.is_none_or(|d| d.metadata.deletion_timestamp.is_some()),
        "the deployment is deleted"
    );
    let kinds: Vec<EntryKind> = bot
        .ledger
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
    drop(cleanup);
}
