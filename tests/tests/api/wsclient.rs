//! A small graphql-transport-ws client over tokio-tungstenite, as a reviewer app's `graphql-ws`
//! client would speak it.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const EVENTS: &str = "subscription($key: String, $after: Int) { approvalEvents(workflowKey: $key, afterSeq: $after) { seq type actor workflowKey requestId at } }";

/// What the server sent.
#[derive(Debug)]
pub enum Incoming {
    /// A protocol message.
    Text(Value),
    /// A close frame.
    Close(u16, String),
    /// The connection ended without a close frame.
    Ended,
}

pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects to `<base>/graphql/ws` with the graphql-transport-ws subprotocol (or none).
    pub async fn connect_with(
        base: &str,
        subprotocol: bool,
        header_token: Option<&str>,
    ) -> WsClient {
        let url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        if subprotocol {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static("graphql-transport-ws"),
            );
        }
        if let Some(token) = header_token {
            request.headers_mut().insert(
                "Authorization",
                HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connect failed");
        WsClient { ws }
    }

    pub async fn connect(base: &str) -> WsClient {
        WsClient::connect_with(base, true, None).await
    }

    /// Connects, sends connection_init with the token and expects connection_ack.
    pub async fn ready(base: &str, token: &str) -> WsClient {
        let mut c = WsClient::connect(base).await;
        c.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
        match c.recv().await {
            Incoming::Text(v) if v["type"] == "connection_ack" => c,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    /// The next message (20 s at most).
    pub async fn recv(&mut self) -> Incoming {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("no message from the server within 20 s");
            return match frame {
                None | Some(Err(_)) => Incoming::Ended,
                Some(Ok(Message::Text(t))) => {
                    Incoming::Text(serde_json::from_str(t.as_str()).unwrap())
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    Incoming::Close(frame.code.into(), frame.reason.to_string())
                }
                Some(Ok(Message::Close(None))) => Incoming::Ended,
                Some(Ok(_)) => continue,
            };
        }
    }

    /// Expects the server to close with `code`; returns the reason.
    pub async fn expect_close(&mut self, code: u16) -> String {
        match self.recv().await {
            Incoming::Close(c, reason) if c == code => reason,
            other => panic!("expected close {code}, got {other:?}"),
        }
    }

    pub async fn subscribe(&mut self, id: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": EVENTS, "variables": variables } })).await;
    }

    /// The next `next` message's event for `id` (panics on anything else but pongs).
    pub async fn next_event(&mut self, id: &str) -> Value {
        loop {
            match self.recv().await {
                Incoming::Text(v) if v["type"] == "next" && v["id"] == id => {
                    assert!(
                        v["payload"].get("errors").is_none(),
                        "subscription error: {v}"
                    );
                    return v["payload"]["data"]["approvalEvents"].clone();
                }
                Incoming::Text(v) if v["type"] == "pong" || v["type"] == "ping" => continue,
                other => panic!("expected an event for {id}, got {other:?}"),
            }
        }
    }

    /// Events for `id` until one has `seq >= last`.
    pub async fn events_until(&mut self, id: &str, last: i64) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let e = self.next_event(id).await;
            let seq = e["seq"].as_i64().unwrap();
            out.push(e);
            if seq >= last {
                return out;
            }
        }
    }

    /// A ping and its pong: everything sent before has been read by the server.
    pub async fn ping(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        match self.recv().await {
            Incoming::Text(v) if v["type"] == "pong" => {}
            other => panic!("expected pong, got {other:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
