//! Access reviews for writes, as the requester: one SelfSubjectAccessReview per permission a
//! write needs (including subresources such as `pods/eviction`), and the words for a denial.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};

use super::super::{ExecError, Target};

/// One permission a write needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub verb: &'static str,
    pub group: String,
    pub resource: String,
    pub subresource: Option<&'static str>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl Need {
    /// "create pods/eviction in shop", "patch nodes cluster-wide".
    pub fn words(&self) -> String {
        let resource = match self.subresource {
            Some(sub) => format!("{}/{sub}", self.resource),
            None => self.resource.clone(),
        };
        let place = match &self.namespace {
            Some(ns) => format!("in {ns}"),
            None => "cluster-wide".to_string(),
        };
        format!("{} {resource} {place}", self.verb)
    }
}

/// The outcome of checking every need: the first one RBAC denies, if any.
pub struct Verdict {
    pub denied: Option<(Need, Option<String>)>,
    /// "may patch deployments in prod; may create jobs in prod".
    pub allowed_words: String,
}

/// Checks each need with a SelfSubjectAccessReview as the impersonated requester.
pub async fn check(client: &kube::Client, needs: &[Need]) -> Result<Verdict, ExecError> {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let target = Target {
        verb: "create".into(),
        resource: "selfsubjectaccessreviews".into(),
        ..Default::default()
    };
    for need in needs {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(need.verb.to_string()),
                    group: Some(need.group.clone()),
                    resource: Some(need.resource.clone()),
                    subresource: need.subresource.map(str::to_string),
                    name: need.name.clone(),
                    namespace: need.namespace.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = api
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| ExecError::from_kube(e, &target))?;
        let status = answer.status.unwrap_or_default();
        if !status.allowed || status.denied.unwrap_or(false) {
            let reason = status.reason.filter(|r| !r.is_empty());
            return Ok(Verdict {
                denied: Some((need.clone(), reason)),
                allowed_words: String::new(),
            });
        }
    }
    let words: Vec<String> = needs.iter().map(|n| format!("may {}", n.words())).collect();
    Ok(Verdict {
        denied: None,
        allowed_words: words.join("; "),
    })
}

/// The preview of a write RBAC refuses: nothing else is tried.
pub fn denied_preview(need: &Need, reason: Option<String>) -> super::WritePreview {
    super::WritePreview {
        allowed: false,
        rbac: format!(
            "RBAC denies: may not {}{}",
            need.words(),
            reason.map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_read_like_kubectl_auth_can_i() {
        let n = Need {
            verb: "create",
            group: String::new(),
            resource: "pods".into(),
            subresource: Some("eviction"),
            name: None,
            namespace: Some("shop".into()),
        };
        assert_eq!(n.words(), "create pods/eviction in shop");
        let n = Need {
            verb: "patch",
            group: String::new(),
            resource: "nodes".into(),
            subresource: None,
            name: Some("n1".into()),
            namespace: None,
        };
        assert_eq!(n.words(), "patch nodes cluster-wide");
    }
}
