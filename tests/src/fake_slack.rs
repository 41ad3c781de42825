//! A local fake of the Slack Web API (the real one is out of reach in tests): records every
//! call (`chat.postMessage`, `chat.update`, `chat.postEphemeral`, `views.open`) with its bearer
//! token and JSON body, answers like Slack, and can fail the next calls to stand in for an
//! outage. Also signs interaction payloads the way Slack does.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::Notify;

/// One Web API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// `chat.postMessage`, …
    pub method: String,
    /// The `Authorization` header.
    pub auth: String,
    /// The JSON body.
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    fail: usize,
    failed: usize,
    ts: u64,
}

/// The fake; `url` is its `COUNTERSIGN_SLACK_API_URL`.
#[derive(Clone)]
pub struct FakeSlack {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    called: Arc<Notify>,
}

impl FakeSlack {
    /// Listens on a free port.
    pub async fn start() -> FakeSlack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fake = FakeSlack {
            url,
            inner: Arc::default(),
            called: Arc::default(),
        };
        let app = Router::new()
            .route("/{method}", axum::routing::post(answer))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    /// Answers the next `n` calls with HTTP 503.
    pub fn fail_next(&self, n: usize) {
        self.inner.lock().unwrap().fail = n;
    }

    /// Calls failed on purpose so far.
    pub fn failed(&self) -> usize {
        self.inner.lock().unwrap().failed
    }

    /// The successful calls of `method`, in order.
    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.inner
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Waits until at least `n` successful calls of `method` were made.
    pub async fn wait_for(&self, method: &str, n: usize) -> Vec<Call> {
        loop {
            let notified = self.called.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let calls = self.calls(method);
            if calls.len() >= n {
                return calls;
            }
            notified.await;
        }
    }

    /// The headers Slack would send with `body`, signed with `secret` at `timestamp`.
    pub fn sign(secret: &str, timestamp: i64, body: &str) -> Vec<(String, String)> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{timestamp}:{body}").as_bytes());
        vec![
            (
                "x-slack-request-timestamp".to_owned(),
                timestamp.to_string(),
            ),
            (
                "x-slack-signature".to_owned(),
                format!("v0={}", hex_encode(&mac.finalize().into_bytes())),
            ),
        ]
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn answer(
    State(fake): State<FakeSlack>,
    Path(method): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let ts = {
        let mut inner = fake.inner.lock().unwrap();
        if inner.fail > 0 {
            inner.fail -= 1;
            inner.failed += 1;
            return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
        }
        inner.ts += 1;
        inner.calls.push(Call {
            method: method.clone(),
            auth: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: body.clone(),
        });
        inner.ts
    };
    fake.called.notify_waiters();
    let channel = body["channel"].clone();
    match method.as_str() {
        "chat.postMessage" => {
            Json(json!({ "ok": true, "channel": channel, "ts": format!("1700000000.{ts:06}") }))
        }
        "chat.update" => Json(json!({ "ok": true, "channel": channel, "ts": body["ts"] })),
        "chat.postEphemeral" => {
            Json(json!({ "ok": true, "message_ts": format!("1700000001.{ts:06}") }))
        }
        "views.open" => Json(json!({ "ok": true, "view": { "id": format!("V{ts}") } })),
        _ => Json(json!({ "ok": false, "error": "unknown_method" })),
    }
    .into_response()
}
