//! Secrets in the config file: chat tokens, signing secrets, LLM keys, checkpoint keys.
//!
//! One way for every secret key: `{ env = "NAME" }` (an environment variable, e.g. from a
//! Kubernetes Secret via `secretKeyRef`), `{ file = "/path" }` (a mounted Secret file; one
//! trailing newline is dropped), or an inline string (for local trials only). The value is
//! resolved when the config loads, so a missing variable or unreadable file is a start-up error
//! that names the key. The value is held as a [`SecretString`]; printing a config
//! (`kubechat check-config`) shows only where each secret comes from, never its value.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A resolved secret and where it came from.
#[derive(Clone, Debug)]
pub struct Secret {
    value: SecretString,
    source: SecretSource,
}

/// Where a [`Secret`] was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
    Inline,
}

impl Secret {
    /// The secret value. Use it only to authenticate; never log or show it.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    /// Where the value came from (for messages; never the value itself).
    pub fn source(&self) -> &SecretSource {
        &self.source
    }

    /// A secret given directly (tests, built-in defaults).
    pub fn inline(value: impl Into<String>) -> Secret {
        Secret {
            value: SecretString::from(value.into()),
            source: SecretSource::Inline,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Inline(String),
    Env { env: String },
    File { file: PathBuf },
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Raw::deserialize(deserializer).map_err(|_| {
            D::Error::custom(
                "a secret must be { env = \"NAME\" }, { file = \"/path\" } or a string",
            )
        })?;
        let (value, source) = match raw {
            Raw::Inline(v) => (v, SecretSource::Inline),
            Raw::Env { env } => match std::env::var(&env) {
                Ok(v) if !v.is_empty() => (v, SecretSource::Env(env)),
                Ok(_) => {
                    return Err(D::Error::custom(format!(
                        "environment variable {env} is empty"
                    )));
                }
                Err(_) => {
                    return Err(D::Error::custom(format!(
                        "environment variable {env} is not set"
                    )));
                }
            },
            Raw::File { file } => match std::fs::read_to_string(&file) {
                Ok(v) => {
                    let v = v.strip_suffix('\n').unwrap_or(&v);
                    let v = v.strip_suffix('\r').unwrap_or(v).to_string();
                    if v.is_empty() {
                        return Err(D::Error::custom(format!(
                            "secret file {} is empty",
                            file.display()
                        )));
                    }
                    (v, SecretSource::File(file))
                }
                Err(e) => {
                    return Err(D::Error::custom(format!(
                        "cannot read secret file {}: {e}",
                        file.display()
                    )));
                }
            },
        };
        Ok(Secret {
            value: SecretString::from(value),
            source,
        })
    }
}

/// Serializes where the secret comes from, never the value.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match &self.source {
            SecretSource::Env(name) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("env", name)?;
                map.end()
            }
            SecretSource::File(path) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("file", path)?;
                map.end()
            }
            SecretSource::Inline => serializer.serialize_str("<redacted inline secret>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct Holder {
        token: Secret,
    }

    #[test]
    fn file_secrets_are_read_and_lose_one_trailing_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "xoxb-123\n").expect("write");
        let text = format!("token = {{ file = {:?} }}", path.display().to_string());
        let h: Holder = toml::from_str(&text).expect("parses");
        assert_eq!(h.token.expose(), "xoxb-123");
        let shown = toml::to_string(&h).expect("serializes");
        assert!(!shown.contains("xoxb"), "{shown}");
        assert!(shown.contains("file"), "{shown}");
    }

    #[test]
    fn a_missing_variable_is_an_error_that_names_it() {
        let err = toml::from_str::<Holder>("token = { env = \"KUBECHAT_TEST_SURELY_UNSET_VAR\" }")
            .expect_err("unset");
        let text = err.to_string();
        assert!(
            text.contains("KUBECHAT_TEST_SURELY_UNSET_VAR is not set"),
            "{text}"
        );
        assert!(text.contains("token"), "the key is named: {text}");
    }

    #[test]
    fn env_secrets_are_read_and_shown_by_name_only() {
        // PATH is set in every environment tests run in.
        let h: Holder = toml::from_str("token = { env = \"PATH\" }").expect("parses");
        assert!(!h.token.expose().is_empty());
        let shown = toml::to_string(&h).expect("serializes");
        assert_eq!(shown.trim(), "[token]\nenv = \"PATH\"");
    }

    #[test]
    fn inline_secrets_are_never_printed_and_bad_shapes_are_explained() {
        let h: Holder = toml::from_str("token = \"hunter2\"").expect("parses");
        assert_eq!(h.token.expose(), "hunter2");
        assert!(!toml::to_string(&h).expect("ser").contains("hunter2"));
        let err = toml::from_str::<Holder>("token = { vault = \"x\" }").expect_err("bad shape");
        assert!(err.to_string().contains("{ env = \"NAME\" }"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let text = format!("token = {{ file = {:?} }}", missing.display().to_string());
        let err = toml::from_str::<Holder>(&text).expect_err("missing file");
        assert!(err.to_string().contains("cannot read secret file"), "{err}");
    }
}
