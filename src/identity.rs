//! Who is asking: chat users mapped to Kubernetes identities.
//!
//! Invariant: kubechat acts only as a mapped identity. An unmapped user gets a polite refusal
//! that says how to get access, and nothing runs.

use std::collections::HashMap;

use kubechat_chat::Platform;
use serde::{Deserialize, Serialize};

use crate::config::IdentityConfig;

/// The Kubernetes identity kubechat impersonates for a person.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub user: String,
    pub groups: Vec<String>,
}

/// A person: who they are on the chat platform and in the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub platform: Platform,
    /// The platform's user id.
    pub chat_user: String,
    pub subject: Subject,
}

impl Person {
    /// `platform:user`, as the ledger records actors.
    pub fn actor(&self) -> String {
        actor(self.platform, &self.chat_user)
    }
}

/// The ledger's actor name for a chat user.
pub fn actor(platform: Platform, user: &str) -> String {
    format!("{platform}:{user}")
}

/// The identity map from the config.
#[derive(Clone, Debug, Default)]
pub struct Identities {
    map: HashMap<(Platform, String), Subject>,
    /// Email mappings, keyed by lower-cased email.
    emails: HashMap<(Platform, String), Subject>,
}

impl Identities {
    /// Builds the map from `[[identities]]`.
    pub fn new(config: &[IdentityConfig]) -> Self {
        let mut ids = Identities::default();
        for i in config {
            let subject = Subject {
                user: i.kube_user.clone(),
                groups: i.groups.clone(),
            };
            match &i.email {
                Some(email) => ids
                    .emails
                    .insert((i.platform, email.to_ascii_lowercase()), subject),
                None => ids.map.insert((i.platform, i.user.clone()), subject),
            };
        }
        ids
    }

    /// Every mapped person as (chat user or email, subject), sorted (for "who may approve").
    pub fn people(&self) -> Vec<(&str, &Subject)> {
        let mut out: Vec<(&str, &Subject)> = self
            .map
            .iter()
            .chain(&self.emails)
            .map(|((_, u), s)| (u.as_str(), s))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// The person behind a chat user, or the refusal to show them. The user id is tried first;
    /// `email` (which adapters attach only when the operator enabled mapping by email and the
    /// platform confirmed the address) is tried second. The actor stays the platform user id.
    pub fn resolve(
        &self,
        platform: Platform,
        user: &str,
        email: Option<&str>,
    ) -> Result<Person, Unknown> {
        let by_email = || {
            let email = email?.to_ascii_lowercase();
            let subject = self.emails.get(&(platform, email));
            if subject.is_some() {
                tracing::debug!(%platform, %user, "identity mapped by confirmed email");
            }
            subject
        };
        self.map
            .get(&(platform, user.to_string()))
            .or_else(by_email)
            .map(|subject| Person {
                platform,
                chat_user: user.to_string(),
                subject: subject.clone(),
            })
            .ok_or_else(|| Unknown {
                platform,
                user: user.to_string(),
            })
    }
}

/// A chat user with no mapping.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "Sorry, I don't know who you are ({platform} user `{user}`), so I can't act for you. \
     Ask a kubechat admin to map your {platform} account to a Kubernetes user \
     (an [[identities]] entry with platform = \"{platform}\", user = \"{user}\"), then try again."
)]
pub struct Unknown {
    pub platform: Platform,
    pub user: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(user: &str, email: Option<&str>, kube_user: &str) -> IdentityConfig {
        IdentityConfig {
            platform: Platform::Slack,
            user: user.into(),
            email: email.map(Into::into),
            kube_user: kube_user.into(),
            groups: vec!["sre".into()],
        }
    }

    fn ids() -> Identities {
        Identities::new(&[
            entry("U1", None, "alice@example.com"),
            entry("", Some("Bob@Example.com"), "bob@example.com"),
            entry("", Some("alice@example.com"), "someone-else"),
        ])
    }

    #[test]
    fn mapped_users_resolve_to_their_subject() {
        let p = ids().resolve(Platform::Slack, "U1", None).expect("mapped");
        assert_eq!(p.subject.user, "alice@example.com");
        assert_eq!(p.subject.groups, vec!["sre"]);
        assert_eq!(p.actor(), "slack:U1");
    }

    #[test]
    fn the_same_id_on_another_platform_is_unknown() {
        let err = ids()
            .resolve(Platform::Matrix, "U1", None)
            .expect_err("not mapped");
        assert!(err.to_string().contains("matrix user `U1`"));
        assert!(err.to_string().contains("[[identities]]"));
    }

    #[test]
    fn a_confirmed_email_maps_case_insensitively_and_the_actor_stays_the_user_id() {
        let p = ids()
            .resolve(Platform::Slack, "U2", Some("bob@EXAMPLE.com"))
            .expect("mapped by email");
        assert_eq!(p.subject.user, "bob@example.com");
        assert_eq!(p.actor(), "slack:U2");
    }

    #[test]
    fn an_id_mapping_wins_over_an_email_mapping() {
        let p = ids()
            .resolve(Platform::Slack, "U1", Some("alice@example.com"))
            .expect("mapped");
        assert_eq!(p.subject.user, "alice@example.com");
    }

    #[test]
    fn without_an_email_or_with_an_unmapped_one_the_user_is_unknown() {
        assert!(ids().resolve(Platform::Slack, "U2", None).is_err());
        assert!(
            ids()
                .resolve(Platform::Slack, "U2", Some("carol@example.com"))
                .is_err()
        );
        assert!(
            ids()
                .resolve(Platform::Matrix, "@bob:x", Some("bob@example.com"))
                .is_err()
        );
    }

    #[test]
    fn a_matrix_user_of_another_homeserver_is_not_the_mapped_one() {
        let ids = Identities::new(&[IdentityConfig {
            platform: Platform::Matrix,
            user: "@alice:example.org".into(),
            email: None,
            kube_user: "alice@example.com".into(),
            groups: vec![],
        }]);
        assert!(
            ids.resolve(Platform::Matrix, "@alice:example.org", None)
                .is_ok()
        );
        for other in [
            "@alice:evil.org",
            "@alice:example.org.evil.com",
            "@Alice:example.org",
            "alice",
        ] {
            assert!(
                ids.resolve(Platform::Matrix, other, None).is_err(),
                "{other}"
            );
        }
    }
}
