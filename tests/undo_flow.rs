//! Server-side apply of a two-document manifest and undo, end to end: the prior state is
//! captured into the `executing` entry (redacted), `undo` builds the inverse plan and sends it
//! through the same preview → approval path, linked to the original in the ledger.

mod common;

use common::*;
use kubechat::app::Status;
use kubechat::ledger::EntryKind;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{MockServer, ResponseTemplate};

const CM: &str = "/api/v1/namespaces/prod/configmaps/settings";
const SVC: &str = "/api/v1/namespaces/prod/services/web";
const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";

const MANIFEST: &str = "apply\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n```";

fn not_found(what: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
           "reason": "NotFound", "message": format!("{what} not found")})
}

fn configmap(rv: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "settings", "namespace": "prod", "resourceVersion": rv}, "data": {"mode": "fast"}})
}

fn service(rv: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "prod", "resourceVersion": rv},
           "spec": {"clusterIP": "10.0.0.9", "ports": [{"port": 80}]}})
}

/// Both objects are absent for the first three reads each (preview, capture, execute), then
/// exist (for the undo's preview).
async fn mount_apply(server: &MockServer) {
    allow_all_reviews(server).await;
    for (p, live, what) in [
        (CM, configmap("5"), "configmaps \"settings\""),
        (SVC, service("6"), "services \"web\""),
    ] {
        as_alice()
            .and(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(404).set_body_json(not_found(what)))
            .up_to_n_times(3)
            .with_priority(1)
            .mount(server)
            .await;
        as_alice()
            .and(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(live.clone()))
            .mount(server)
            .await;
        as_alice()
            .and(method("PATCH"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(live.clone()))
            .mount(server)
            .await;
        as_alice()
            .and(method("DELETE"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(live))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn a_two_document_apply_is_server_side_applied_and_undone_by_deleting_what_it_created() {
    let h = harness().await;
    mount_apply(&h.server).await;
    let preview = h.app.handle_message(&says("alice", MANIFEST)).await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.clone().expect("card");
    assert!(
        card.checks
            .iter()
            .any(|c| c == "configmap/settings created"),
        "{:?}",
        card.checks
    );
    assert!(
        card.checks.iter().any(|c| c == "service/web created"),
        "{:?}",
        card.checks
    );
    assert!(
        card.diff.contains("+kind: ConfigMap") && card.diff.contains("+kind: Service"),
        "{}",
        card.diff
    );
    let reviews: Vec<(Value, Value)> = reviews(&h.server)
        .await
        .iter()
        .map(|r| (r["verb"].clone(), r["resource"].clone()))
        .collect();
    for want in [
        ("patch", "configmaps"),
        ("patch", "services"),
        ("create", "configmaps"),
        ("create", "services"),
    ] {
        assert!(
            reviews.contains(&(json!(want.0), json!(want.1))),
            "{want:?} in {reviews:?}"
        );
    }

    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert!(
        done.reply
            .contains("configmap/settings created, service/web created"),
        "{}",
        done.reply
    );
    assert!(done.undoable);
    for p in [CM, SVC] {
        let patches = received(&h.server, "PATCH", p).await;
        assert_eq!(patches.len(), 2, "dry run + apply of {p}");
        for r in &patches {
            assert_eq!(
                head(r, "content-type").as_deref(),
                Some("application/apply-patch+yaml")
            );
            assert_eq!(query(r, "fieldManager").as_deref(), Some("kubechat"));
            assert!(query(r, "force").is_none(), "never force-applies");
            assert_eq!(body(r)["metadata"]["namespace"], "prod");
        }
        assert!(is_dry_run(&patches[0]));
        assert!(!is_dry_run(&patches[1]));
        assert_eq!(
            head(&patches[1], APPROVERS_EXTRA).as_deref(),
            Some("bob@example.com")
        );
    }
    let id = preview.plan_id.clone().expect("plan id");
    let intent = entries(&h.ledger, &id)
        .await
        .into_iter()
        .find(|e| e.kind == EntryKind::Executing)
        .expect("intent");
    assert_eq!(intent.payload["prior"][0][0]["name"], "settings");
    assert_eq!(
        intent.payload["prior"][0][0]["object"],
        Value::Null,
        "did not exist"
    );

    let back = h.app.undo(&undo("alice", &id)).await;
    assert_eq!(back.status, Status::Preview, "{}", back.reply);
    assert!(
        back.reply.starts_with(&format!("Undo of plan {id}:")),
        "{}",
        back.reply
    );
    assert_eq!(
        back.kubectl,
        vec![
            "kubectl delete service web -n prod",
            "kubectl delete configmap settings -n prod"
        ]
    );
    let undone = bob_approves(&h, &back).await;
    assert_eq!(undone.status, Status::Executed, "{}", undone.reply);
    for p in [CM, SVC] {
        let deletes = received(&h.server, "DELETE", p).await;
        assert_eq!(deletes.len(), 2, "dry run + delete of {p}");
        assert_eq!(
            head(&deletes[1], APPROVERS_EXTRA).as_deref(),
            Some("bob@example.com")
        );
    }
    let new_id = back.plan_id.expect("undo plan id");
    let planned = entries(&h.ledger, &new_id).await;
    assert_eq!(planned[0].kind, EntryKind::Planned);
    assert_eq!(
        planned[0].payload["plan"]["source"],
        json!({"planner": "undo", "of": id})
    );
    let report = h.ledger.verify().await.expect("verify");
    assert!(report.first_break.is_none(), "{report:?}");
}

fn deployment(replicas: u32, image: &str, rv: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "resourceVersion": rv,
                     "managedFields": [{"manager": "kubectl"}],
                     "annotations": {"deployment.kubernetes.io/revision": "4"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": image,
                                  "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]}}}})
}

/// The deployment at 3 replicas and image pay:1 until the first change, then at 5 / pay:2.
async fn mount_deployment(server: &MockServer, reads_before_change: u64) {
    allow_all_reviews(server).await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "pay:1", "100")))
        .up_to_n_times(reads_before_change)
        .with_priority(1)
        .mount(server)
        .await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "pay:2", "101")))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "pay:2", "101")))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_scale_is_undone_by_scaling_back_through_a_new_approved_plan() {
    let h = harness().await;
    // Preview, capture and execute read the old state.
    mount_deployment(&h.server, 3).await;
    let preview = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert!(done.undoable);
    let id = preview.plan_id.clone().expect("plan id");
    let intent = entries(&h.ledger, &id)
        .await
        .into_iter()
        .find(|e| e.kind == EntryKind::Executing)
        .expect("intent");
    let prior = &intent.payload["prior"][0][0]["object"];
    assert_eq!(prior["spec"]["replicas"], 3);
    assert!(prior["metadata"].get("managedFields").is_none());
    assert!(
        !intent.payload.to_string().contains("hunter2"),
        "env values never reach the ledger"
    );

    let back = h.app.undo(&undo("alice", &id)).await;
    assert_eq!(back.status, Status::Preview, "{}", back.reply);
    assert_eq!(
        back.kubectl,
        vec!["kubectl scale deployment/payment-api -n prod --replicas=3"]
    );
    let card = back.card.clone().expect("card");
    assert!(
        card.summary.contains(&format!("undo plan {id}")),
        "{}",
        card.summary
    );
    assert!(
        card.diff.contains("-  replicas: 5") || card.checks.iter().any(|c| c.contains("5 → 3")),
        "{:?}",
        card.checks
    );
    let undone = bob_approves(&h, &back).await;
    assert_eq!(undone.status, Status::Executed, "{}", undone.reply);
    let last = received(&h.server, "PATCH", DEPLOY)
        .await
        .pop()
        .expect("patch");
    assert!(!is_dry_run(&last));
    assert_eq!(body(&last)["spec"]["replicas"], 3);
    assert_eq!(body(&last)["metadata"]["resourceVersion"], "101");
}

#[tokio::test]
async fn a_set_image_is_undone_by_setting_the_previous_image() {
    let h = harness().await;
    mount_deployment(&h.server, 3).await;
    let preview = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl set image deployment/payment-api api=pay:2",
        ))
        .await;
    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    let back = h
        .app
        .undo(&undo("alice", &preview.plan_id.expect("id")))
        .await;
    assert_eq!(back.status, Status::Preview, "{}", back.reply);
    assert_eq!(
        back.kubectl,
        vec!["kubectl set image deployment/payment-api api=pay:1 -n prod"]
    );
}

#[tokio::test]
async fn only_an_executed_plan_can_be_undone_and_only_by_a_known_person() {
    let h = harness().await;
    mount_deployment(&h.server, 10).await;
    let unknown = h.app.undo(&undo("alice", "kc-0000000000")).await;
    assert_eq!(unknown.status, Status::Error);
    assert!(
        unknown
            .reply
            .contains("no executed plan with id kc-0000000000"),
        "{}",
        unknown.reply
    );
    let pending = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    let id = pending.plan_id.expect("plan id");
    let early = h.app.undo(&undo("alice", &id)).await;
    assert_eq!(early.status, Status::Denied);
    assert!(early.reply.contains("never ran"), "{}", early.reply);
    let stranger = h.app.undo(&undo("mallory", &id)).await;
    assert_eq!(stranger.status, Status::Denied);
    assert!(
        stranger.reply.contains("don't know who you are"),
        "{}",
        stranger.reply
    );
}
