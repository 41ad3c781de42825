//! GraphQL over WebSocket at `/graphql/ws`, speaking the `graphql-transport-ws` protocol of the
//! `graphql-ws` library, close codes included: 4400 invalid message, 4401 subscribe before the
//! acknowledgement, 4403 credentials refused, 4406 wrong subprotocol, 4408 no `connection_init`
//! in time, 4409 duplicate subscription id, 4429 a second `connection_init`; 1001 when the server
//! shuts down or an authenticated client stays silent past `COUNTERSIGN_WS_IDLE_TIMEOUT_MS`.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::Request;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::auth::{self, Auth};
use crate::graphql::{AppSchema, subscriptions};

/// The one subprotocol spoken here.
pub const PROTOCOL: &str = "graphql-transport-ws";

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        payload: Option<Value>,
    },
    Ping {
        payload: Option<Value>,
    },
    Pong {
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    operation_name: Option<String>,
    variables: Option<Value>,
}

/// Upgrades to a WebSocket; the `Authorization` header of the upgrade request is used when
/// `connection_init` carries none. A browser's upgrade (it sends `Origin`) from an origin that
/// is neither this server's host nor in `cors_origins` is refused with 403 first.
pub async fn upgrade(
    ws: WebSocketUpgrade,
    headers: HeaderMap,
    state: AppState,
    schema: AppSchema,
) -> Response {
    if let Err(why) = crate::http::check_ws_origin(&headers, &state.settings) {
        tracing::info!(reason = %why, "WebSocket upgrade refused");
        let body = json!({ "errors": [{ "message": why, "extensions": { "code": "FORBIDDEN" } }] });
        return (axum::http::StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    let header_auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ws = ws.protocols([PROTOCOL]);
    let agreed = ws.selected_protocol().is_some();
    ws.on_upgrade(move |socket| async move {
        Connection::new(socket, state, schema, header_auth, agreed)
            .run()
            .await;
    })
}

enum Out {
    Text(Value),
    Close(u16, String),
}

struct Connection {
    socket: Option<WebSocket>,
    state: AppState,
    schema: AppSchema,
    header_auth: Option<String>,
    agreed: bool,
}

impl Connection {
    fn new(
        socket: WebSocket,
        state: AppState,
        schema: AppSchema,
        header_auth: Option<String>,
        agreed: bool,
    ) -> Self {
        Connection {
            socket: Some(socket),
            state,
            schema,
            header_auth,
            agreed,
        }
    }

    async fn run(mut self) {
        let Some(socket) = self.socket.take() else {
            return;
        };
        let (mut sink, mut incoming) = socket.split();
        let (out, mut out_rx) = mpsc::channel::<Out>(256);
        // One writer: subscription tasks and the reader all send through `out`.
        let writer = tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                let (frame, last) = match msg {
                    Out::Text(v) => (Message::Text(Utf8Bytes::from(v.to_string())), false),
                    Out::Close(code, reason) => {
                        let reason = Utf8Bytes::from(truncate(&reason, 123));
                        (Message::Close(Some(CloseFrame { code, reason })), true)
                    }
                };
                if sink.send(frame).await.is_err() || last {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let close = |code: u16, reason: &str| {
            let out = out.clone();
            let reason = reason.to_owned();
            async move {
                let _ = out.send(Out::Close(code, reason)).await;
            }
        };
        if !self.agreed {
            close(4406, "Subprotocol not acceptable").await;
            let _ = writer.await;
            return;
        }

        // connection_init must come within the timeout.
        let init_timeout = Duration::from_millis(self.state.settings.ws_init_timeout_ms.max(1));
        let deadline = tokio::time::Instant::now() + init_timeout;
        let principal = loop {
            let frame = match tokio::time::timeout_at(deadline, incoming.next()).await {
                Err(_) => {
                    close(4408, "Connection initialisation timeout").await;
                    let _ = writer.await;
                    return;
                }
                Ok(None) | Ok(Some(Err(_))) => return,
                Ok(Some(Ok(frame))) => frame,
            };
            match parse(frame) {
                Parsed::Ignore => continue,
                Parsed::Closed => return,
                Parsed::Invalid(why) => {
                    close(4400, &why).await;
                    let _ = writer.await;
                    return;
                }
                Parsed::Message(ClientMessage::Ping { payload }) => {
                    let _ = out.send(Out::Text(pong(payload))).await;
                }
                Parsed::Message(ClientMessage::Pong { .. }) => {}
                Parsed::Message(ClientMessage::Subscribe { .. }) => {
                    close(4401, "Unauthorized").await;
                    let _ = writer.await;
                    return;
                }
                Parsed::Message(ClientMessage::Complete { .. }) => {}
                Parsed::Message(ClientMessage::ConnectionInit { payload }) => {
                    let credential = payload
                        .as_ref()
                        .and_then(|p| p.get("Authorization").or_else(|| p.get("authorization")))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .or_else(|| self.header_auth.clone());
                    match auth::authenticate(&self.state, credential.as_deref())
                        .await
                        .0
                    {
                        Ok(p) => break p,
                        Err(why) => {
                            close(4403, &format!("Forbidden: {why}")).await;
                            let _ = writer.await;
                            return;
                        }
                    }
                }
            }
        };
        if out
            .send(Out::Text(json!({ "type": "connection_ack" })))
            .await
            .is_err()
        {
            return;
        }

        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<String>();
        let mut subscriptions: HashMap<String, JoinHandle<()>> = HashMap::new();
        let max = self.state.settings.ws_max_subscriptions;
        let mut shutdown = self.state.shutdown.clone();
        // A client that says nothing (no message, ping or pong) for this long is gone or idle;
        // its socket is closed so that it holds no descriptor.
        let idle = self.state.settings.ws_idle_timeout();
        let mut last_heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = stopping(&mut shutdown) => {
                    close(1001, "Server shutting down; resubscribe with afterSeq").await;
                    break;
                }
                () = silent_for(idle, last_heard) => {
                    let secs = idle.map(|d| d.as_secs_f64()).unwrap_or_default();
                    close(1001, &format!("Idle timeout: nothing received for {secs} s; send ping messages to stay connected")).await;
                    break;
                }
                Some(id) = done_rx.recv() => { subscriptions.remove(&id); }
                frame = incoming.next() => {
                    let frame = match frame {
                        None | Some(Err(_)) => break,
                        Some(Ok(frame)) => frame,
                    };
                    last_heard = tokio::time::Instant::now();
                    match parse(frame) {
                        Parsed::Ignore => {}
                        Parsed::Closed => break,
                        Parsed::Invalid(why) => { close(4400, &why).await; break; }
                        Parsed::Message(ClientMessage::ConnectionInit { .. }) => {
                            close(4429, "Too many initialisation requests").await;
                            break;
                        }
                        Parsed::Message(ClientMessage::Ping { payload }) => {
                            let _ = out.send(Out::Text(pong(payload))).await;
                        }
                        Parsed::Message(ClientMessage::Pong { .. }) => {}
                        Parsed::Message(ClientMessage::Complete { id }) => {
                            if let Some(task) = subscriptions.remove(&id) {
                                task.abort();
                            }
                        }
                        Parsed::Message(ClientMessage::Subscribe { id, payload }) => {
                            if subscriptions.contains_key(&id) {
                                close(4409, &format!("Subscriber for {id} already exists")).await;
                                break;
                            }
                            if subscriptions.len() >= max {
                                let _ = out.send(Out::Text(json!({ "id": id, "type": "error", "payload": [{
                                    "message": format!("at most {max} subscriptions per connection"),
                                    "extensions": { "code": "RATE_LIMITED" }
                                }] }))).await;
                                continue;
                            }
                            // A live-only subscription starts at the head as of this message, so a
                            // client that sees the answer to a later message knows it is live.
                            let live_from = match subscriptions::tenant_head(&self.state, &principal.tenant).await {
                                Ok(seq) => seq,
                                Err(e) => {
                                    let _ = out.send(Out::Text(json!({ "id": id, "type": "error", "payload": [ async_graphql::Error::from(crate::error::ApiError(e)).into_server_error(async_graphql::Pos::default()) ] }))).await;
                                    continue;
                                }
                            };
                            let mut request = Request::new(payload.query)
                                .variables(async_graphql::Variables::from_json(payload.variables.unwrap_or(Value::Null)))
                                .data(Auth(Ok(principal.clone())))
                                .data(subscriptions::LiveFrom(live_from));
                            if let Some(name) = payload.operation_name {
                                request = request.operation_name(name);
                            }
                            let task = tokio::spawn(forward(self.schema.clone(), request, id.clone(), out.clone(), done_tx.clone()));
                            subscriptions.insert(id, task);
                        }
                    }
                }
            }
        }
        for (_, task) in subscriptions {
            task.abort();
        }
        drop(out);
        let _ = writer.await;
    }
}

/// Runs one operation and forwards its results as `next` messages, then `complete`; an operation
/// refused before it produced anything is one `error` message.
async fn forward(
    schema: AppSchema,
    request: Request,
    id: String,
    out: mpsc::Sender<Out>,
    done: mpsc::UnboundedSender<String>,
) {
    let mut stream = schema.execute_stream(request);
    let mut first = true;
    while let Some(response) = stream.next().await {
        let refused =
            first && response.data == async_graphql::Value::Null && !response.errors.is_empty();
        first = false;
        let message = if refused {
            json!({ "id": id, "type": "error", "payload": response.errors })
        } else {
            json!({ "id": id, "type": "next", "payload": response })
        };
        if out.send(Out::Text(message)).await.is_err() {
            return;
        }
        if refused {
            let _ = done.send(id);
            return;
        }
    }
    let _ = out
        .send(Out::Text(json!({ "id": id, "type": "complete" })))
        .await;
    let _ = done.send(id);
}

/// Resolves once `idle` has passed since `since`; never when there is no idle timeout.
async fn silent_for(idle: Option<Duration>, since: tokio::time::Instant) {
    match idle {
        Some(idle) => tokio::time::sleep_until(since + idle).await,
        None => std::future::pending().await,
    }
}

/// Resolves once the server starts shutting down.
async fn stopping(rx: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            // The server is gone without saying so; nothing left to wait for.
            return std::future::pending().await;
        }
    }
}

/// A close reason may be at most 123 bytes; cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn pong(payload: Option<Value>) -> Value {
    match payload {
        Some(p) => json!({ "type": "pong", "payload": p }),
        None => json!({ "type": "pong" }),
    }
}

enum Parsed {
    Message(ClientMessage),
    Invalid(String),
    Ignore,
    Closed,
}

fn parse(frame: Message) -> Parsed {
    match frame {
        Message::Text(text) => match serde_json::from_str::<ClientMessage>(text.as_str()) {
            Ok(m) => Parsed::Message(m),
            Err(e) => Parsed::Invalid(format!("Invalid message received: {e}")),
        },
        Message::Binary(_) => Parsed::Invalid(
            "Invalid message received: binary frames are not part of the protocol".into(),
        ),
        Message::Ping(_) | Message::Pong(_) => Parsed::Ignore,
        Message::Close(_) => Parsed::Closed,
    }
}
