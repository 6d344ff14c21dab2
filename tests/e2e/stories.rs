//! The user stories against a real cluster: vera (`view`) reads (get, describe, rollout
//! status and history, top) and is refused a scale at preview; ed (`edit`) scales, restarts, sets an image and undoes it, labels, applies a
//! two-document manifest, starts a job from a cronjob and deletes a pod — each previewed as
//! ed (dry run + diff), approved by abe, and checked with the admin client afterwards.
//! Assumes no running nodes (pods stay Pending) and no metrics server.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use kube::{Api, Client};
use kubechat::app::Status;
use serde_json::json;

use super::harness::{self, Bot, Cleanup, Env, bind, create, eventually};

const VERA: &str = "vera@e2e.kubechat.io";
const ED: &str = "ed@e2e.kubechat.io";
const PAUSE: &str = "registry.k8s.io/pause:3.9";
const PAUSE_NEXT: &str = "registry.k8s.io/pause:3.10";

const IDENTITIES: &str = r#"
[[identities]]
platform = "console"
user = "vera"
kube_user = "vera@e2e.kubechat.io"
groups = ["kubechat-e2e"]

[[identities]]
platform = "console"
user = "ed"
kube_user = "ed@e2e.kubechat.io"
groups = ["kubechat-e2e"]

[[identities]]
platform = "console"
user = "abe"
kube_user = "abe@e2e.kubechat.io"
groups = ["kubechat-e2e"]
"#;

/// The requests of the story, exactly as typed (also checked offline by `plans`).
pub fn manifest() -> String {
    "apply\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-settings\ndata:\n  mode: fast\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: e2e-web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n```".to_string()
}

async fn set_up(admin: &Client, ns: &str) {
    bind(admin, ns, VERA, "view").await;
    bind(admin, ns, ED, "edit").await;
    create(
        admin,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "pause", "image": PAUSE}]}}}}),
    )
    .await;
    create(
        admin,
        json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "report", "namespace": ns},
            // Suspended: only our manual job runs.
            "spec": {"schedule": "0 0 1 1 *", "suspend": true, "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "report", "image": PAUSE}]}}}}}}),
    )
    .await;
    create(
        admin,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "scratch", "namespace": ns},
               "spec": {"containers": [{"name": "pause", "image": PAUSE}]}}),
    )
    .await;
}

/// The Deployment as the admin sees it.
async fn web(admin: &Client, ns: &str) -> Deployment {
    Api::<Deployment>::namespaced(admin.clone(), ns)
        .get("web")
        .await
        .expect("deployment web")
}

fn image(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|s| s.containers[0].image.clone().unwrap_or_default())
        .unwrap_or_default()
}

/// Waits until the deployment controller has seen the latest spec, so a preview is not
/// overtaken by its status update.
async fn settled(admin: &Client, ns: &str) {
    eventually("deployment web observed", || async {
        let d = web(admin, ns).await;
        d.status.and_then(|s| s.observed_generation) == d.metadata.generation
    })
    .await;
}

async fn reads_and_refusals(bot: &Bot, ns: &str) {
    let pods = bot.says("vera", "kubectl get pods").await;
    assert_eq!(pods.status, Status::Answered, "{}", pods.reply);
    assert!(pods.reply.contains("scratch"), "{}", pods.reply);
    let list = bot.says("vera", "kubectl get deployments").await;
    assert_eq!(list.status, Status::Answered, "{}", list.reply);
    assert!(list.reply.contains("web"), "{}", list.reply);
    let described = bot.says("vera", "kubectl describe deployment web").await;
    assert_eq!(described.status, Status::Answered, "{}", described.reply);
    assert!(described.reply.contains("web"), "{}", described.reply);

    let refused = bot
        .says("vera", "kubectl scale deployment/web --replicas=2")
        .await;
    assert_eq!(refused.status, Status::Denied, "{}", refused.reply);
    assert!(
        refused
            .reply
            .contains(&format!("may not patch deployments in {ns}")),
        "{}",
        refused.reply
    );
    assert!(refused.card.is_none(), "no approval offered");
}

async fn scale_restart_image_undo(bot: &Bot, admin: &Client, ns: &str) {
    settled(admin, ns).await;
    let (preview, done) = bot
        .ask_approved("ed", "abe", "kubectl scale deployment/web --replicas=2")
        .await;
    let card = preview.card.expect("card");
    assert!(
        card.diff.contains("-  replicas: 1") && card.diff.contains("+  replicas: 2"),
        "{}",
        card.diff
    );
    assert!(
        card.checks.iter().any(|c| c.contains("RBAC allows")),
        "{:?}",
        card.checks
    );
    assert!(done.reply.contains("Approved by abe"), "{}", done.reply);
    assert_eq!(web(admin, ns).await.spec.and_then(|s| s.replicas), Some(2));

    settled(admin, ns).await;
    bot.ask_approved("ed", "abe", "kubectl rollout restart deployment/web")
        .await;
    let restarted = web(admin, ns).await;
    let annotations = restarted
        .spec
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .unwrap_or_default();
    assert!(
        annotations.contains_key("kubectl.kubernetes.io/restartedAt"),
        "{annotations:?}"
    );

    settled(admin, ns).await;
    let (preview, done) = bot
        .ask_approved(
            "ed",
            "abe",
            &format!("kubectl set image deployment/web pause={PAUSE_NEXT}"),
        )
        .await;
    assert!(done.undoable, "{}", done.reply);
    assert_eq!(image(&web(admin, ns).await), PAUSE_NEXT);

    settled(admin, ns).await;
    let set_image = preview.plan_id.expect("plan id");
    let mut undone = None;
    for _ in 0..3 {
        let back = bot.undoes("ed", &set_image).await;
        assert_eq!(back.status, Status::Preview, "{}", back.reply);
        assert!(
            back.reply.contains(&format!("Undo of plan {set_image}")),
            "{}",
            back.reply
        );
        let done = bot.approves("abe", &back).await;
        if done.status == Status::Executed {
            undone = Some(done);
            break;
        }
        assert!(
            done.reply.contains("changed since the preview"),
            "{}",
            done.reply
        );
        settled(admin, ns).await;
    }
    assert!(undone.is_some(), "the undo ran");
    assert_eq!(image(&web(admin, ns).await), PAUSE);
}

/// vera (view) reads the rollout state and history kubechat builds from the Deployment's
/// ReplicaSets, and asks for `top` (without metrics-server: a plain answer saying so).
async fn rollout_and_top(bot: &Bot) {
    let history = bot
        .says("vera", "kubectl rollout history deployment/web")
        .await;
    assert_eq!(history.status, Status::Answered, "{}", history.reply);
    assert!(
        history
            .reply
            .starts_with("deployment.apps/web\nREVISION   CHANGE-CAUSE\n1 "),
        "{}",
        history.reply
    );
    let status = bot
        .says("vera", "kubectl rollout status deployment/web")
        .await;
    assert_eq!(status.status, Status::Answered, "{}", status.reply);
    assert!(
        status.reply.contains("deployment \"web\""),
        "{}",
        status.reply
    );
    let top = bot.says("vera", "kubectl top pods").await;
    match top.status {
        Status::Answered => assert!(top.reply.contains("CPU(cores)"), "{}", top.reply),
        _ => assert!(
            top.reply.contains("metrics-server is not installed"),
            "{}",
            top.reply
        ),
    }
}

async fn label_apply_job_delete(bot: &Bot, admin: &Client, ns: &str) {
    settled(admin, ns).await;
    bot.ask_approved("ed", "abe", "kubectl label deployment web tier=frontend")
        .await;
    let labels = web(admin, ns).await.metadata.labels.unwrap_or_default();
    assert_eq!(labels.get("tier").map(String::as_str), Some("frontend"));

    let (preview, _) = bot.ask_approved("ed", "abe", &manifest()).await;
    let card = preview.card.expect("card");
    assert!(
        card.checks
            .iter()
            .any(|c| c == "configmap/e2e-settings created"),
        "{:?}",
        card.checks
    );
    let cm = Api::<ConfigMap>::namespaced(admin.clone(), ns)
        .get("e2e-settings")
        .await
        .expect("configmap applied");
    assert!(
        cm.metadata
            .managed_fields
            .unwrap_or_default()
            .iter()
            .any(|m| m.manager.as_deref() == Some("kubechat")),
        "field manager kubechat"
    );
    Api::<Service>::namespaced(admin.clone(), ns)
        .get("e2e-web")
        .await
        .expect("service applied");

    bot.ask_approved(
        "ed",
        "abe",
        "kubectl create job report-now --from=cronjob/report",
    )
    .await;
    let job = Api::<Job>::namespaced(admin.clone(), ns)
        .get("report-now")
        .await
        .expect("job created");
    let cronjob = Api::<CronJob>::namespaced(admin.clone(), ns)
        .get("report")
        .await
        .expect("cronjob");
    let annotations = job.metadata.annotations.unwrap_or_default();
    assert_eq!(
        annotations
            .get("cronjob.kubernetes.io/instantiate")
            .map(String::as_str),
        Some("manual")
    );
    let owner = job.metadata.owner_references.unwrap_or_default();
    assert_eq!(owner.first().map(|o| o.uid.clone()), cronjob.metadata.uid);

    bot.ask_approved("ed", "abe", "kubectl delete pod scratch")
        .await;
    let pods: Api<Pod> = Api::namespaced(admin.clone(), ns);
    eventually("pod scratch deleted", || async {
        pods.get_opt("scratch")
            .await
            .map(|p| p.is_none_or(|p| p.metadata.deletion_timestamp.is_some()))
            .unwrap_or(false)
    })
    .await;
}

/// The whole story in one namespace; the guard deletes it however this ends.
pub async fn run(env: Env) {
    let admin = harness::admin_client(&env.admin).await;
    let ns = harness::namespace_name("story");
    let mut cleanup = Cleanup::new(&env.admin);
    cleanup.namespace(&admin, &ns).await;
    set_up(&admin, &ns).await;
    let bot = Bot::start(&env, &ns, IDENTITIES, "").await;
    reads_and_refusals(&bot, &ns).await;
    scale_restart_image_undo(&bot, &admin, &ns).await;
    rollout_and_top(&bot).await;
    label_apply_job_delete(&bot, &admin, &ns).await;
    let report = bot.ledger.verify().await.expect("ledger verifies");
    assert!(report.first_break.is_none(), "{report:?}");
    drop(cleanup);
}
