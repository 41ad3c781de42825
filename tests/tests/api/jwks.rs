//! Tokens from an identity provider's key set (`COUNTERSIGN_JWT_JWKS_URL`): a fake provider on
//! 127.0.0.1 publishes ES256 keys generated here and counts how often it is asked; the server
//! chooses keys by `kid`, follows rotation, refreshes on an unknown `kid` at most once per
//! interval and periodically, keeps running while the provider is down, and uses only keys that
//! fit the configured algorithm.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use countersign::config::Settings;
use countersign_tests::{Db, TestApp, bounded};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::TENANT;

const ME: &str = "{ me { subject tenant roles } }";

/// A fake identity provider: serves `keys` (or 503 while it is `None`) and counts requests.
#[derive(Clone, Default)]
struct Provider {
    keys: Arc<Mutex<Option<Vec<Value>>>>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    /// Starts it on a free port; returns the key set URL.
    async fn start(&self) -> String {
        async fn jwks(State(p): State<Provider>) -> Response {
            p.fetches.fetch_add(1, Ordering::SeqCst);
            match p.keys.lock().unwrap().clone() {
                Some(keys) => axum::Json(json!({ "keys": keys })).into_response(),
                None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            }
        }
        let router = axum::Router::new()
            .route("/.well-known/jwks.json", axum::routing::get(jwks))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        format!("http://127.0.0.1:{port}/.well-known/jwks.json")
    }

    /// Publishes these JWKs from now on.
    fn publish(&self, keys: &[&Value]) {
        *self.keys.lock().unwrap() = Some(keys.iter().map(|k| (*k).clone()).collect());
    }

    /// Answers 503 from now on.
    fn go_down(&self) {
        *self.keys.lock().unwrap() = None;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// An ES256 key pair made for this test, with its public JWK.
struct Key {
    kid: String,
    private: EncodingKey,
    jwk: Value,
}

impl Key {
    fn es256(kid: &str) -> Key {
        // Throwaway test keys: any valid scalar will do, so hash fresh UUIDs until one is.
        let secret = loop {
            let seed = Sha256::digest(uuid::Uuid::now_v7().as_bytes());
            if let Ok(secret) = p256::SecretKey::from_slice(&seed) {
                break secret;
            }
        };
        let private = EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes());
        let mut jwk = Jwk::from_encoding_key(&private, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        Key {
            kid: kid.to_owned(),
            private,
            jwk: serde_json::to_value(jwk).unwrap(),
        }
    }

    /// A token for `sub` with `roles`, signed by this key, naming `kid` in its header.
    fn token_as(&self, kid: Option<&str>, sub: &str, roles: &[&str]) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_owned);
        let claims = json!({
            "sub": sub,
            "tenant": TENANT,
            "roles": roles,
            "exp": chrono::Utc::now().timestamp() + 600,
        });
        jsonwebtoken::encode(&header, &claims, &self.private).unwrap()
    }

    fn token(&self, roles: &[&str]) -> String {
        self.token_as(Some(&self.kid), "idp-user", roles)
    }
}

fn jwks_settings(
    url: String,
    min_refresh_secs: u64,
    refresh_secs: u64,
) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.jwt_algorithm = "ES256".into();
        s.jwt_jwks_url = Some(url);
        s.jwt_jwks_min_refresh_secs = min_refresh_secs;
        s.jwt_jwks_refresh_secs = refresh_secs;
        s.scheduler_enabled = false;
        s.outbox_enabled = false;
    }
}

/// `me`'s answer, or the first error's code and message.
async fn me(app: &TestApp, token: &str) -> Result<Value, (String, String)> {
    let body = app.gql(token, ME, json!({})).await;
    match body["errors"].get(0) {
        None => Ok(body["data"]["me"].clone()),
        Some(e) => Err((
            e["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            e["message"].as_str().unwrap_or_default().to_owned(),
        )),
    }
}

/// Refused as UNAUTHENTICATED; returns the message.
async fn refused(app: &TestApp, token: &str) -> String {
    let (code, message) = me(app, token).await.expect_err("the token must be refused");
    assert_eq!(code, "UNAUTHENTICATED", "{message}");
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_are_chosen_by_kid_and_rotation_is_followed() {
    bounded(async {
        let provider = Provider::default();
        let (k1, k2, k3) = (Key::es256("k1"), Key::es256("k2"), Key::es256("k3"));
        provider.publish(&[&k1.jwk]);
        let url = provider.start().await;
        // no rate limit here: every unknown kid fetches the set again
        let app = TestApp::spawn_with(Db::Sqlite, jwks_settings(url, 0, 300))
            .await
            .unwrap();
        assert_eq!(provider.fetches(), 1, "the key set is fetched at start");

        let who = me(&app, &k1.token(&["admin"])).await.unwrap();
        assert_eq!(
            who,
            json!({ "subject": "idp-user", "tenant": TENANT, "roles": ["admin"] })
        );
        assert_eq!(
            provider.fetches(),
            1,
            "a known kid is served from the cache"
        );

        // k2 is not published yet: the set is fetched again, and the kid is named
        let message = refused(&app, &k2.token(&["agent"])).await;
        assert!(message.contains("unknown key id (kid) \"k2\""), "{message}");
        assert_eq!(provider.fetches(), 2);

        // the provider rotates k2 in: accepted after the refresh its unknown kid causes
        provider.publish(&[&k1.jwk, &k2.jwk]);
        let who = me(&app, &k2.token(&["agent"])).await.unwrap();
        assert_eq!(who["roles"], json!(["agent"]));
        assert_eq!(provider.fetches(), 3);

        // a token signed by another key under k2's kid: the signature does not match k2
        let forged = k3.token_as(Some("k2"), "idp-user", &["admin"]);
        let message = refused(&app, &forged).await;
        assert!(
            message.contains("signature does not match key \"k2\""),
            "{message}"
        );

        // k1 is retired: once the set is fetched again, k1 tokens stop working
        provider.publish(&[&k2.jwk]);
        let message = refused(&app, &k3.token(&["admin"])).await;
        assert!(message.contains("\"k3\""), "{message}");
        let message = refused(&app, &k1.token(&["admin"])).await;
        assert!(message.contains("unknown key id (kid) \"k1\""), "{message}");
        assert!(me(&app, &k2.token(&["agent"])).await.is_ok());
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_kids_fetch_the_key_set_at_most_once_per_interval() {
    bounded(async {
        let provider = Provider::default();
        let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
        provider.publish(&[&k1.jwk]);
        let url = provider.start().await;
        let app = TestApp::spawn_with(Db::Sqlite, jwks_settings(url, 3600, 3600))
            .await
            .unwrap();
        assert_eq!(provider.fetches(), 1);

        // a flood of made-up kids, at once: each is refused by name, the provider is not asked
        let bogus: Vec<String> = (0..40).map(|i| format!("bogus-{i}")).collect();
        let tokens: Vec<String> = bogus
            .iter()
            .map(|kid| k1.token_as(Some(kid), "x", &["admin"]))
            .collect();
        let answers = futures::future::join_all(tokens.iter().map(|t| refused(&app, t))).await;
        for (kid, message) in bogus.iter().zip(&answers) {
            assert!(
                message.contains(&format!("unknown key id (kid) \"{kid}\"")),
                "{message}"
            );
            assert!(message.contains("at most every 3600 s"), "{message}");
        }
        assert_eq!(
            provider.fetches(),
            1,
            "the refresh on unknown kids is rate-limited"
        );

        // within the interval even a newly published key waits for the next refresh
        provider.publish(&[&k1.jwk, &k2.jwk]);
        refused(&app, &k2.token(&["admin"])).await;
        assert_eq!(provider.fetches(), 1);
        // and known keys keep working meanwhile
        assert!(me(&app, &k1.token(&["admin"])).await.is_ok());
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_key_set_is_refreshed_periodically() {
    bounded(async {
        let provider = Provider::default();
        let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
        provider.publish(&[&k1.jwk]);
        let url = provider.start().await;
        // every second, and never because of an unknown kid
        let app = TestApp::spawn_with(Db::Sqlite, jwks_settings(url, 3600, 1))
            .await
            .unwrap();
        assert!(me(&app, &k1.token(&["admin"])).await.is_ok());
        provider.publish(&[&k2.jwk]);
        countersign_tests::eventually("the periodic refresh to bring k2", || async {
            me(&app, &k2.token(&["admin"])).await.ok()
        })
        .await;
        assert!(provider.fetches() >= 2);
        let message = refused(&app, &k1.token(&["admin"])).await;
        assert!(message.contains("unknown key id (kid) \"k1\""), "{message}");
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_provider_down_at_start_does_not_stop_the_server() {
    bounded(async {
        let provider = Provider::default();
        let k1 = Key::es256("k1");
        provider.go_down();
        let url = provider.start().await;
        let app = TestApp::spawn_with(Db::Sqlite, jwks_settings(url, 0, 300))
            .await
            .expect("the server starts while the provider is down");
        assert_eq!(provider.fetches(), 1);
        let health = app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status().as_u16(), 200);

        let message = refused(&app, &k1.token(&["admin"])).await;
        assert!(
            message.contains("key set (COUNTERSIGN_JWT_JWKS_URL) could not be loaded"),
            "{message}"
        );
        assert!(message.contains("try again"), "{message}");

        // the provider is back: the next token fetches the set and is accepted
        provider.publish(&[&k1.jwk]);
        let who = me(&app, &k1.token(&["admin"])).await.unwrap();
        assert_eq!(who["subject"], "idp-user");
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_keys_that_fit_the_configured_algorithm_are_used() {
    bounded(async {
        let provider = Provider::default();
        let k1 = Key::es256("k1");
        // A symmetric key in the set, whose secret anyone who reads the set knows: the classic
        // algorithm-confusion attack signs an HS256 token with it.
        let shared = b"a-secret-published-in-the-key-set-for-everyone";
        let mut oct = serde_json::to_value(
            Jwk::from_encoding_key(&EncodingKey::from_secret(shared), Algorithm::HS256).unwrap(),
        )
        .unwrap();
        oct["kid"] = json!("shared");
        // no "alg": only its key type tells it apart
        oct.as_object_mut().unwrap().remove("alg");
        // An ES256-capable key the provider says is for ES384.
        let mislabeled = Key::es256("mislabeled");
        let mut mislabeled_jwk = mislabeled.jwk.clone();
        mislabeled_jwk["alg"] = json!("ES384");
        provider.publish(&[&k1.jwk, &oct, &mislabeled_jwk]);
        let url = provider.start().await;
        let app = TestApp::spawn_with(Db::Sqlite, jwks_settings(url, 0, 300))
            .await
            .unwrap();
        assert!(me(&app, &k1.token(&["admin"])).await.is_ok());

        // HS256 signed with the published secret: the algorithm is configuration, not header
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("shared".into());
        let claims = json!({ "sub": "mallory", "tenant": TENANT, "roles": ["admin"],
            "exp": chrono::Utc::now().timestamp() + 600 });
        let confused =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(shared)).unwrap();
        let message = refused(&app, &confused).await;
        assert!(
            message.contains("signed with HS256, but this server accepts only ES256"),
            "{message}"
        );
        // an ES256 token naming the symmetric key: that key is never used
        let message = refused(&app, &k1.token_as(Some("shared"), "mallory", &["admin"])).await;
        assert!(message.contains("key \"shared\""), "{message}");
        assert!(message.contains("symmetric"), "{message}");
        // a key published for another algorithm is not used either, even if it would verify
        let message = refused(&app, &mislabeled.token(&["admin"])).await;
        assert!(message.contains("published for ES384"), "{message}");
        // with a key set, a token must name its key
        let message = refused(&app, &k1.token_as(None, "idp-user", &["admin"])).await;
        assert!(message.contains("names no key (kid)"), "{message}");
        app.cleanup().await;
    })
    .await;
}
