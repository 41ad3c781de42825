//! A local webhook receiver for the tests: an axum endpoint on 127.0.0.1 that records every
//! request (headers, body, arrival) and can answer with failures or hold a request; and the
//! receiver-side Standard Webhooks signature check.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// The receiver: a local HTTP endpoint that records every request and can fail or hold.

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub json: Value,
    pub at: Instant,
}

#[derive(Default)]
pub struct ReceiverState {
    pub got: Mutex<Vec<Delivery>>,
    pub fail_remaining: AtomicUsize,
    pub hold_first: AtomicBool,
}

/// A webhook receiver on 127.0.0.1 (stopped when dropped).
pub struct Receiver {
    pub addr: SocketAddr,
    pub state: Arc<ReceiverState>,
    server: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let delivery = Delivery {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body: body.to_vec(),
        at: Instant::now(),
    };
    let nth = {
        let mut got = state.got.lock().unwrap();
        got.push(delivery);
        got.len()
    };
    if nth == 1 && state.hold_first.load(Ordering::SeqCst) {
        // Never answer: the sender is killed while it waits.
        std::future::pending::<()>().await;
    }
    let fail = state
        .fail_remaining
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(ReceiverState::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new()
            .route("/hooks", post(receive))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Receiver {
            addr,
            state,
            server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// Answers the next `n` requests with 500.
    pub fn fail_next(&self, n: usize) {
        self.state.fail_remaining.store(n, Ordering::SeqCst);
    }

    /// Never answers the first request.
    pub fn hold_first(&self) {
        self.state.hold_first.store(true, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<Delivery> {
        self.state.got.lock().unwrap().clone()
    }

    pub fn for_request(&self, id: &str) -> Vec<Delivery> {
        self.all()
            .into_iter()
            .filter(|d| d.json["requestId"] == id)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An endpoint on 127.0.0.1 that answers every request with `307 Temporary Redirect` to
/// `location` and counts them (stopped when dropped).
pub struct Redirector {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl Redirector {
    pub async fn start(location: String) -> Redirector {
        let hits = Arc::new(AtomicUsize::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counter = hits.clone();
        let router = Router::new().route(
            "/hooks",
            post(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let location = location.clone();
                async move {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(axum::http::header::LOCATION, location)],
                    )
                }
            }),
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Redirector { addr, hits, server }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }
}

impl Drop for Redirector {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A fresh `whsec_` secret of 32 bytes.
pub fn new_secret() -> String {
    let bytes = [Uuid::now_v7().into_bytes(), Uuid::now_v7().into_bytes()].concat();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Verifies a delivery as a receiver would: HMAC-SHA256 over `id.timestamp.body` keyed with the
/// decoded secret, compared in constant time with any `v1,` signature in the header.
pub fn verify(secret: &str, d: &Delivery) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    d.signature.split(' ').any(|sig| {
        let Some(encoded) = sig.strip_prefix("v1,") else {
            return false;
        };
        let Ok(expected) = STANDARD.decode(encoded) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.", d.id, d.timestamp).as_bytes());
        mac.update(&d.body);
        mac.verify_slice(&expected).is_ok()
    })
}
