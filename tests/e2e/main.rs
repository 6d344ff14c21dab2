//! The real-cluster suite (`cargo test --test e2e`). With `KUBECHAT_E2E_KUBECONFIG` (admin)
//! and `KUBECHAT_E2E_BOT_KUBECONFIG` (impersonate-only) set, each story creates its own
//! namespace, RoleBindings and workloads, drives kubechat through its app loop, checks the
//! cluster with the admin client and deletes the namespace afterwards — pass or fail. Without
//! them every story prints why it skipped and passes. docs/e2e.md says how to run it and the
//! RBAC the bot kubeconfig needs.

mod harness;
mod stories;
mod two_person;

use kubechat::planner::{PlanContext, Planned, plan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_and_edit_users_read_scale_restart_set_image_undo_label_apply_create_job_delete() {
    match harness::env() {
        Ok(env) => stories::run(env).await,
        Err(why) => eprintln!("{why}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_deletes_in_production_his_approval_is_refused_carol_approves_it_runs() {
    match harness::env() {
        Ok(env) => two_person::run(env).await,
        Err(why) => eprintln!("{why}"),
    }
}

/// Runs everywhere (no cluster): the story's requests plan into the actions it expects, so
/// a planner change shows up here and not only on a reviewer's cluster.
#[test]
fn the_storys_requests_plan_into_the_expected_actions() {
    let clusters = vec!["e2e".to_string()];
    let ctx = PlanContext {
        cluster: "e2e",
        namespace: "kubechat-e2e-story-1",
        clusters: &clusters,
        last_target: None,
    };
    let ns = "-n kubechat-e2e-story-1";
    let cases = [
        (
            "kubectl scale deployment/web --replicas=2",
            format!("kubectl scale deployment/web {ns} --replicas=2"),
        ),
        (
            "kubectl rollout restart deployment/web",
            format!("kubectl rollout restart deployment/web {ns}"),
        ),
        (
            "kubectl set image deployment/web pause=registry.k8s.io/pause:3.10",
            format!("kubectl set image deployment/web pause=registry.k8s.io/pause:3.10 {ns}"),
        ),
        (
            "kubectl label deployment web tier=frontend",
            format!("kubectl label deployment web tier=frontend {ns}"),
        ),
        (
            "kubectl create job report-now --from=cronjob/report",
            format!("kubectl create job report-now --from=cronjob/report {ns}"),
        ),
        (
            "kubectl delete pod scratch",
            format!("kubectl delete pod scratch {ns}"),
        ),
    ];
    for (text, want) in cases {
        match plan(text, &ctx) {
            Planned::Plan(p) => assert_eq!(p.kubectl(), vec![want], "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    match plan(&stories::manifest(), &ctx) {
        Planned::Plan(p) => assert_eq!(p.actions.len(), 1, "one apply of two documents"),
        other => panic!("apply: {other:?}"),
    }
    for read in [
        "kubectl get pods",
        "kubectl get deployments",
        "kubectl describe deployment web",
    ] {
        assert!(
            matches!(plan(read, &ctx), Planned::Plan(p) if !p.is_write()),
            "{read}"
        );
    }
}
