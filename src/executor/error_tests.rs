//! API errors become plain answers: admission denials name the webhook and keep its message,
//! create conflicts say the name is taken, SSA conflicts say who owns the fields, timeouts and
//! unreachable clusters say what is known.

use super::*;

fn api(code: u16, reason: &str, message: &str) -> kube::Error {
    let status: kube::core::Status = serde_json::from_value(serde_json::json!({
        "status": "Failure", "code": code, "reason": reason, "message": message
    }))
    .expect("status");
    kube::Error::Api(status.into())
}

fn deployments() -> Target {
    Target {
        cluster: "prod-eu".into(),
        verb: "patch".into(),
        resource: "deployments".into(),
        name: Some("api".into()),
        namespace: Some("shop".into()),
    }
}

#[test]
fn an_admission_webhook_denial_names_the_webhook_and_keeps_its_message() {
    let e = ExecError::from_kube(
        api(
            400,
            "BadRequest",
            r#"admission webhook "validate.kyverno.svc-fail" denied the request: images must come from registry.corp"#,
        ),
        &deployments(),
    );
    let text = e.to_string();
    assert!(matches!(e, ExecError::AdmissionDenied { .. }), "{e:?}");
    assert!(text.contains("webhook validate.kyverno.svc-fail"), "{text}");
    assert!(
        text.contains("images must come from registry.corp"),
        "{text}"
    );
}

#[test]
fn a_validating_admission_policy_denial_is_not_mistaken_for_rbac() {
    let e = ExecError::from_kube(
        api(
            403,
            "Forbidden",
            "deployments.apps \"api\" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding' denied request: at most 5 replicas",
        ),
        &deployments(),
    );
    let text = e.to_string();
    assert!(
        text.contains("ValidatingAdmissionPolicy replica-limit"),
        "{text}"
    );
    assert!(text.contains("at most 5 replicas"), "{text}");
    assert!(!text.contains("Ask for a role"), "{text}");
}

#[test]
fn conflicts_say_what_happened() {
    let taken = ExecError::from_kube(
        api(
            409,
            "AlreadyExists",
            "jobs.batch \"report-1\" already exists",
        ),
        &Target {
            verb: "create".into(),
            resource: "jobs".into(),
            name: Some("report-1".into()),
            namespace: Some("shop".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        taken.to_string(),
        "jobs report-1 in namespace shop already exists; pick another name or delete it first"
    );
    let ssa = ExecError::from_kube(
        api(
            409,
            "Conflict",
            "Apply failed with 1 conflict: conflict with \"helm\" using apps/v1: .spec.replicas",
        ),
        &deployments(),
    );
    assert!(ssa.to_string().contains("does not force-apply"), "{ssa}");
    let edit = ExecError::from_kube(
        api(409, "Conflict", "the object has been modified"),
        &deployments(),
    );
    assert!(matches!(edit, ExecError::Conflict(_)), "{edit:?}");
}

#[test]
fn timeouts_and_not_found_and_forbidden_read_plainly() {
    let slow = ExecError::from_kube(
        api(
            504,
            "Timeout",
            "the server was unable to return a response in the time allotted",
        ),
        &deployments(),
    );
    assert!(
        slow.to_string()
            .starts_with("cluster prod-eu did not answer in time"),
        "{slow}"
    );
    let gone = ExecError::from_kube(api(404, "NotFound", "not found"), &deployments());
    assert_eq!(gone.to_string(), "no deployment api in shop");
    let no = ExecError::from_kube(api(403, "Forbidden", "user cannot patch"), &deployments());
    assert!(
        no.to_string()
            .starts_with("you may not patch deployments in namespace shop"),
        "{no}"
    );
    let unnamed = ExecError::Timeout {
        cluster: String::new(),
        detail: "deadline".into(),
    };
    assert!(
        unnamed
            .on("prod-eu")
            .to_string()
            .contains("cluster prod-eu")
    );
}
