//! The people's side of the Matrix tests: users registered on the test Synapse through the
//! shared-secret admin API, talking through the plain client-server REST API (as any client
//! would), so the adapter under test is the only matrix-sdk in the conversation.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// The homeserver `scripts/synapse.sh start` runs.
pub struct Homeserver {
    pub url: String,
    secret: String,
    http: reqwest::Client,
}

/// A registered user.
pub struct Person {
    pub user_id: String,
    pub token: String,
    pub password: String,
    hs_url: String,
    http: reqwest::Client,
}

static TXN: AtomicU64 = AtomicU64::new(1);

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

/// The thread an event belongs to (its root), if any.
pub fn thread_of(e: &Value) -> Option<&str> {
    let r = &e["content"]["m.relates_to"];
    (r["rel_type"] == "m.thread")
        .then(|| r["event_id"].as_str())
        .flatten()
}

/// The event's relation type.
pub fn relation(e: &Value) -> Option<&str> {
    e["content"]["m.relates_to"]["rel_type"].as_str()
}

impl Homeserver {
    /// From `KUBECHAT_TEST_SYNAPSE_URL` / `KUBECHAT_TEST_SYNAPSE_SECRET`; fails (never skips)
    /// without them, saying how to start Synapse.
    pub fn from_env() -> Homeserver {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: these tests need a real Synapse. Start one with \
                     `eval \"$(scripts/synapse.sh start)\"` (installs Synapse into \
                     ~/.cache/kubechat-synapse once), or run .ci/run, which does it"
                )
            })
        };
        Homeserver {
            url: var("KUBECHAT_TEST_SYNAPSE_URL"),
            secret: var("KUBECHAT_TEST_SYNAPSE_SECRET"),
            // No pooled connections: a test that restarts Synapse must not reuse a dead one.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
        }
    }

    /// Registers `name-<random>` with the shared-secret admin API (`/_synapse/admin/v1/register`).
    pub async fn register(&self, name: &str) -> Person {
        let endpoint = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: Value = self
            .http
            .get(&endpoint)
            .send()
            .await
            .expect("Synapse answers")
            .json()
            .await
            .expect("nonce");
        let nonce = nonce["nonce"].as_str().expect("nonce").to_string();
        let username = format!("{name}-{}", unique());
        let password = unique();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(self.secret.as_bytes()).expect("key");
        for (i, part) in [nonce.as_str(), &username, &password, "notadmin"]
            .iter()
            .enumerate()
        {
            if i > 0 {
                mac.update(b"\0");
            }
            mac.update(part.as_bytes());
        }
        let mac = hex::encode(mac.finalize().into_bytes());
        let body = json!({"nonce": nonce, "username": username, "password": password,
                          "admin": false, "mac": mac});
        let res = self
            .http
            .post(&endpoint)
            .json(&body)
            .send()
            .await
            .expect("register");
        let status = res.status();
        let out: Value = res.json().await.expect("json");
        assert!(status.is_success(), "register {username}: {status} {out}");
        Person {
            user_id: out["user_id"].as_str().expect("user_id").to_string(),
            token: out["access_token"].as_str().expect("token").to_string(),
            password,
            hs_url: self.url.clone(),
            http: self.http.clone(),
        }
    }
}

impl Person {
    fn api(&self, path: &str) -> String {
        format!("{}/_matrix/client/v3{path}", self.hs_url)
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Value {
        let res = req
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("Synapse answers");
        let status = res.status();
        let out: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{}: {status} {out}", self.user_id);
        out
    }

    /// A private room with `invite`d users; its id (never parsed: it may have no server part).
    pub async fn create_room(&self, invite: &[&str]) -> String {
        let body = json!({"preset": "private_chat", "invite": invite, "name": "kubechat test"});
        let out = self
            .call(self.http.post(self.api("/createRoom")).json(&body))
            .await;
        out["room_id"].as_str().expect("room_id").to_string()
    }

    pub async fn join(&self, room: &str) {
        let url = self.api(&format!("/join/{}", urlencode(room)));
        self.call(self.http.post(url).json(&json!({}))).await;
    }

    async fn send(&self, room: &str, event_type: &str, content: Value) -> String {
        let txn = format!(
            "t{}-{}",
            std::process::id(),
            TXN.fetch_add(1, Ordering::Relaxed)
        );
        let url = self.api(&format!(
            "/rooms/{}/send/{event_type}/{txn}",
            urlencode(room)
        ));
        let out = self.call(self.http.put(url).json(&content)).await;
        out["event_id"].as_str().expect("event_id").to_string()
    }

    /// Says `text` in the room (or in the thread rooted at `thread`); the event id.
    pub async fn say(&self, room: &str, text: &str, thread: Option<&str>) -> String {
        let mut content = json!({"msgtype": "m.text", "body": text});
        if let Some(root) = thread {
            content["m.relates_to"] = json!({"rel_type": "m.thread", "event_id": root,
                "is_falling_back": true, "m.in_reply_to": {"event_id": root}});
        }
        self.send(room, "m.room.message", content).await
    }

    /// Reacts with `key` to `target`.
    pub async fn react(&self, room: &str, target: &str, key: &str) -> String {
        let content =
            json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}});
        self.send(room, "m.reaction", content).await
    }

    /// The room's latest events, oldest first.
    pub async fn messages(&self, room: &str) -> Vec<Value> {
        let url = self.api(&format!(
            "/rooms/{}/messages?dir=b&limit=200",
            urlencode(room)
        ));
        let out = self.call(self.http.get(url)).await;
        let mut events = out["chunk"].as_array().cloned().unwrap_or_default();
        events.reverse();
        events
    }

    /// Polls the room until `found` returns something (at most ~60 s, then fails naming `what`).
    pub async fn wait_for<T>(
        &self,
        room: &str,
        what: &str,
        found: impl Fn(&[Value]) -> Option<T>,
    ) -> T {
        let mut last = Vec::new();
        for _ in 0..600 {
            last = self.messages(room).await;
            if let Some(t) = found(&last) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let bodies: Vec<String> = last
            .iter()
            .map(|e| format!("{} {}: {}", e["type"], e["sender"], e["content"]["body"]))
            .collect();
        panic!(
            "waited in vain for {what}; the room has:\n{}",
            bodies.join("\n")
        );
    }

    /// The display names of this user's devices (sessions).
    pub async fn devices(&self) -> Vec<String> {
        let out = self.call(self.http.get(self.api("/devices"))).await;
        out["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["display_name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Waits until `user` has joined the room.
    pub async fn wait_joined(&self, room: &str, user: &str) {
        let url = self.api(&format!("/rooms/{}/joined_members", urlencode(room)));
        for _ in 0..600 {
            let out = self.call(self.http.get(&url)).await;
            if out["joined"].get(user).is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{user} never joined {room}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
