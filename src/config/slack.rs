//! The `[slack]` section: how kubechat connects to Slack. When it is present, `kubechat serve`
//! runs the Slack adapter instead of the terminal console.

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};

/// How Slack reaches kubechat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlackMode {
    /// kubechat opens a WebSocket to Slack: no public URL, works behind firewalls.
    #[default]
    Socket,
    /// Slack calls `/slack/events`, `/slack/interactivity`, `/slack/commands` on `server.listen`.
    Http,
}

/// `[slack]`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    #[serde(default)]
    pub mode: SlackMode,
    /// Bot token (`xoxb-…`), OAuth & Permissions page.
    pub bot_token: Secret,
    /// App-level token (`xapp-…`, scope `connections:write`); required in socket mode.
    pub app_token: Option<Secret>,
    /// Signing secret (Basic Information → App Credentials); required in http mode.
    pub signing_secret: Option<Secret>,
    /// Attach the user's Slack-confirmed email to requests so identities can be mapped by
    /// email. Off by default: a Slack workspace admin can change emails, so ids are stronger.
    #[serde(default)]
    pub allow_email_mapping: bool,
    /// The Web API base URL (a proxy, or a fake in tests). Default `https://slack.com/api`.
    pub api_url: Option<String>,
}

impl SlackConfig {
    /// Names the missing secret for the chosen mode.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.mode {
            SlackMode::Socket if self.app_token.is_none() => Err(ConfigError::Invalid(
                "slack.mode = \"socket\" needs slack.app_token (an xapp-… app-level token with \
                 connections:write), or set mode = \"http\" with a signing_secret"
                    .into(),
            )),
            SlackMode::Http if self.signing_secret.is_none() => Err(ConfigError::Invalid(
                "slack.mode = \"http\" needs slack.signing_secret (Basic Information → App \
                 Credentials)"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn socket_mode_is_the_default_and_needs_an_app_token() {
        let c = Config::parse("[slack]\nbot_token = \"xoxb-1\"\napp_token = \"xapp-1\"\n")
            .expect("valid");
        let slack = c.slack.expect("slack section");
        assert_eq!(slack.mode, super::SlackMode::Socket);
        assert!(!slack.allow_email_mapping);
        let err = Config::parse("[slack]\nbot_token = \"xoxb-1\"\n").expect_err("no app token");
        assert!(err.to_string().contains("slack.app_token"), "{err}");
    }

    #[test]
    fn http_mode_needs_the_signing_secret_and_typos_are_named() {
        let err = Config::parse("[slack]\nmode = \"http\"\nbot_token = \"xoxb-1\"\n")
            .expect_err("no secret");
        assert!(err.to_string().contains("slack.signing_secret"), "{err}");
        let err = Config::parse("[slack]\nbot_token = \"x\"\nsigning_secert = \"s\"\n")
            .expect_err("typo");
        assert!(err.to_string().contains("signing_secert"), "{err}");
        let c = Config::parse(
            "[slack]\nmode = \"http\"\nbot_token = \"xoxb-1\"\nsigning_secret = \"hunter2\"\n",
        )
        .expect("valid");
        let shown = c.redacted();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[slack]"), "{shown}");
    }

    #[test]
    fn email_identities_need_allow_email_mapping_and_the_slack_platform() {
        let id = "[[identities]]\nplatform = \"slack\"\nemail = \"alice@example.com\"\nkube_user = \"alice\"\n";
        let slack = "[slack]\nbot_token = \"xoxb-1\"\napp_token = \"xapp-1\"\n";
        let err = Config::parse(&format!("{slack}{id}")).expect_err("not enabled");
        assert!(
            err.to_string().contains("allow_email_mapping = true"),
            "{err}"
        );
        let on = format!("{slack}allow_email_mapping = true\n{id}");
        let c = Config::parse(&on).expect("enabled");
        assert_eq!(c.identities[0].key(), "alice@example.com");
        let err = Config::parse(&format!("{on}{}", id.replace("alice", "Alice")))
            .expect_err("the same email twice, in another case");
        assert!(err.to_string().contains("mapped twice"), "{err}");
        let err = Config::parse(&on.replace("\"slack\"\nemail", "\"matrix\"\nemail"))
            .expect_err("matrix has no confirmed emails");
        assert!(
            err.to_string().contains("only available for Slack"),
            "{err}"
        );
        let err =
            Config::parse(&on.replace("email = ", "user = \"U1\"\nemail = ")).expect_err("both");
        assert!(err.to_string().contains("not both"), "{err}");
        let err = Config::parse("[[identities]]\nplatform = \"slack\"\nkube_user = \"a\"\n")
            .expect_err("neither");
        assert!(err.to_string().contains("set `user`"), "{err}");
    }
}
