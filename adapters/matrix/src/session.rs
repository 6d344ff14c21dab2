//! Logging in. With an access token, the token's device is asked from the homeserver (`whoami`)
//! and must belong to the configured user. With a password, kubechat logs in once and keeps the
//! session in `store_path/session.json` (0600), so a restart reuses the device instead of
//! adding one per restart (and, with the `e2e` feature, keeps its encryption identity, which
//! lives in the SQLite store beside it).

use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId, UserId, device_id};
use matrix_sdk::{Client, SessionMeta, SessionTokens};

use crate::{Auth, Settings, SetupError};

const SESSION_FILE: &str = "session.json";

/// A client for `settings`, logged in.
pub async fn login(settings: &Settings) -> Result<Client, SetupError> {
    let user_id = UserId::parse(&settings.user_id)
        .map_err(|_| SetupError::UserId(settings.user_id.clone()))?;
    let client = build(settings).await?;
    match &settings.auth {
        Auth::AccessToken(token) => {
            let device_id = whoami(settings, &user_id, token).await?;
            restore(&client, user_id, device_id, token.clone()).await?;
        }
        Auth::Password(password) => {
            let saved = settings.store_path.as_deref().and_then(load);
            match saved {
                Some(session) if session.meta.user_id == user_id => {
                    tracing::info!(device = %session.meta.device_id, "Matrix: reusing the saved session");
                    client
                        .restore_session(session)
                        .await
                        .map_err(|e| SetupError::Login(Box::new(e)))?;
                }
                _ => {
                    client
                        .matrix_auth()
                        .login_username(&user_id, password)
                        .initial_device_display_name(&settings.device_name)
                        .send()
                        .await
                        .map_err(|e| SetupError::Login(Box::new(e)))?;
                    if let (Some(dir), Some(session)) =
                        (&settings.store_path, client.matrix_auth().session())
                    {
                        save(dir, &session)?;
                    }
                }
            }
        }
    }
    Ok(client)
}

async fn build(settings: &Settings) -> Result<Client, SetupError> {
    let builder = Client::builder().homeserver_url(&settings.homeserver);
    #[cfg(feature = "e2e")]
    let builder = match &settings.store_path {
        Some(dir) => builder.sqlite_store(dir.join("sdk"), settings.store_passphrase.as_deref()),
        None => builder,
    };
    #[cfg(not(feature = "e2e"))]
    if settings.store_passphrase.is_some() {
        tracing::warn!(
            "matrix.store_passphrase is set, but this kubechat has no encryption store \
             (built without `matrix-e2e`); it is not used"
        );
    }
    builder.build().await.map_err(|source| SetupError::Client {
        homeserver: settings.homeserver.clone(),
        source: Box::new(source),
    })
}

/// The device of an access token, checked to belong to `user_id`.
async fn whoami(
    settings: &Settings,
    user_id: &UserId,
    token: &str,
) -> Result<OwnedDeviceId, SetupError> {
    // A throwaway client: the real one must be restored with the real device (its crypto store
    // is bound to it), which is what we are asking for.
    let probe = Client::builder()
        .homeserver_url(&settings.homeserver)
        .build()
        .await
        .map_err(|source| SetupError::Client {
            homeserver: settings.homeserver.clone(),
            source: Box::new(source),
        })?;
    restore(
        &probe,
        user_id.to_owned(),
        device_id!("KUBECHATPROBE").to_owned(),
        token.to_string(),
    )
    .await?;
    let me = probe
        .whoami()
        .await
        .map_err(|e| SetupError::Login(Box::new(e.into())))?;
    if me.user_id != user_id {
        return Err(SetupError::WrongUser {
            configured: user_id.to_string(),
            actual: me.user_id.to_string(),
        });
    }
    Ok(me
        .device_id
        .unwrap_or_else(|| device_id!("KUBECHAT").to_owned()))
}

async fn restore(
    client: &Client,
    user_id: OwnedUserId,
    device_id: OwnedDeviceId,
    access_token: String,
) -> Result<(), SetupError> {
    let session = MatrixSession {
        meta: SessionMeta { user_id, device_id },
        tokens: SessionTokens {
            access_token,
            refresh_token: None,
        },
    };
    client
        .restore_session(session)
        .await
        .map_err(|e| SetupError::Login(Box::new(e)))
}

fn session_path(dir: &Path) -> PathBuf {
    dir.join(SESSION_FILE)
}

fn load(dir: &Path) -> Option<MatrixSession> {
    let text = std::fs::read_to_string(session_path(dir)).ok()?;
    match serde_json::from_str(&text) {
        Ok(session) => Some(session),
        Err(e) => {
            tracing::warn!(error = %e, "Matrix: ignoring an unreadable saved session; logging in again");
            None
        }
    }
}

fn save(dir: &Path, session: &MatrixSession) -> Result<(), SetupError> {
    let err = |message: String| SetupError::Store {
        path: dir.to_owned(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    let text = serde_json::to_string(session).map_err(|e| err(e.to_string()))?;
    let path = session_path(dir);
    write_private(&path, &text).map_err(|e| err(e.to_string()))
}

/// Writes a file only its owner can read: it holds the bot's access token.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::{device_id, user_id};

    use super::*;

    #[test]
    fn a_saved_session_reads_back_and_only_its_owner_can_read_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        let session = MatrixSession {
            meta: SessionMeta {
                user_id: user_id!("@kubechat:example.org").to_owned(),
                device_id: device_id!("KCDEVICE").to_owned(),
            },
            tokens: SessionTokens {
                access_token: "syt_secret".into(),
                refresh_token: None,
            },
        };
        save(&store, &session).expect("saved");
        assert_eq!(load(&store), Some(session));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(session_path(&store))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(session_path(&store), "not json").expect("write");
        assert_eq!(
            load(&store),
            None,
            "an unreadable session means a fresh login"
        );
    }
}
