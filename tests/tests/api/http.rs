//! The HTTP layer of `/graphql`, end to end: GraphQL over HTTP (media type by `Accept`, request
//! bodies, status codes and the `data` entry of request errors), error messages that are short
//! and readable, the credential checked before anything is parsed, public introspection, CORS
//! for browser clients and the `Origin` check of the WebSocket upgrade. (The full
//! `graphql-http` audit suite runs in CI, `.ci/graphql-http`.)

use countersign::Application;
use countersign::config::Settings;
use countersign_tests::{Db, TestApp, bounded};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::common::*;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The HTTP behaviours do not depend on the database: one SQLite server per scenario.
async fn sqlite(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    TestApp::spawn_with(Db::Sqlite, adjust)
        .await
        .expect("sqlite app")
}

/// A POST to `/graphql` with the given headers and raw body; returns status, headers and the
/// body (parsed as JSON).
async fn post_raw(
    app: &TestApp,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = app.client.post(format!("{}/graphql", app.base)).body(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.expect("request failed");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("no body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the response is not JSON ({e}): {text}"));
    (status, headers, body)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn content_type(headers: &HeaderMap) -> String {
    header(headers, "content-type").unwrap_or("").to_owned()
}

/// `{"query": query}` as JSON text.
fn body(query: &str) -> String {
    json!({ "query": query }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_media_type_follows_accept() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let bearer = format!("Bearer {}", admin(&app));
        let json_ct = "application/json";
        let cases: [(Option<&str>, &str); 7] = [
            (None, json_ct),
            (Some("*/*"), json_ct),
            (Some("application/json"), json_ct),
            (Some("application/*"), json_ct),
            (Some(GRAPHQL_RESPONSE_JSON), GRAPHQL_RESPONSE_JSON),
            // what graphql-http's client sends: the new type preferred
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                GRAPHQL_RESPONSE_JSON,
            ),
            // the quality decides
            (
                Some("application/graphql-response+json;q=0.5, application/json"),
                json_ct,
            ),
        ];
        for (accept, expected) in cases {
            let mut headers = vec![
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
            ];
            if let Some(accept) = accept {
                headers.push(("accept", accept));
            }
            let (status, h, body) = post_raw(&app, &headers, body("{ __typename }")).await;
            assert_eq!(status, StatusCode::OK, "Accept {accept:?}: {body}");
            let ct = content_type(&h);
            assert!(
                ct.starts_with(expected) && ct.contains("charset=utf-8"),
                "Accept {accept:?}: expected {expected}, got {ct}"
            );
            assert_eq!(body["data"]["__typename"], "QueryRoot");
        }

        // neither type acceptable: 406, in the error shape
        let (status, h, body) = post_raw(
            &app,
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
                ("accept", "text/html"),
            ],
            body("{ __typename }"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{body}");
        assert!(content_type(&h).starts_with("application/json"));
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_needs_a_json_content_type() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let bearer = format!("Bearer {}", admin(&app));
        let mutation = "mutation { createWorkflow(input: { key: \"refunds\", name: \"Refunds\", policy: { default: { route: \"HUMAN\", steps: [{ role: \"support_agent\" }] } } }) { key } }";
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/json; charset=latin1"),
        ] {
            let mut headers = vec![("authorization", bearer.as_str())];
            if let Some(ct) = content_type {
                headers.push(("content-type", ct));
            }
            let (status, _, body) = post_raw(&app, &headers, body(mutation)).await;
            assert_eq!(
                status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type {content_type:?}: {body}"
            );
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("application/json") || message.contains("UTF-8"));
        }
        assert_eq!(app.count("workflows").await, 0, "nothing ran");

        // with a charset, UTF-8 is fine
        let (status, _, body) = post_raw(
            &app,
            &[
                ("authorization", &bearer),
                ("content-type", "application/json; charset=utf-8"),
            ],
            body("{ __type(name: \"Run🏃Swim🏊\") { name } }"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_have_no_data_and_400_with_graphql_response_json() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let bearer = format!("Bearer {}", admin(&app));
        let cases = [
            ("syntax error", json!({ "query": "{ me { subject " })),
            ("unknown field", json!({ "query": "{ me { nope } }" })),
            (
                "missing required variable",
                json!({ "query": "query($key: String!) { workflow(key: $key) { key } }" }),
            ),
            (
                "null for a required variable",
                json!({ "query": "query($key: String!) { workflow(key: $key) { key } }", "variables": { "key": null } }),
            ),
            (
                "variable of the wrong type",
                json!({ "query": "query($key: String!) { workflow(key: $key) { key } }", "variables": { "key": 5 } }),
            ),
            (
                "unknown operation name",
                json!({ "query": "query A { __typename }", "operationName": "B" }),
            ),
        ];
        for (what, request) in cases {
            for (accept, expected_status) in [
                (GRAPHQL_RESPONSE_JSON, StatusCode::BAD_REQUEST),
                ("application/json", StatusCode::OK),
            ] {
                let (status, _, body) = post_raw(
                    &app,
                    &[
                        ("authorization", &bearer),
                        ("content-type", "application/json"),
                        ("accept", accept),
                    ],
                    request.to_string(),
                )
                .await;
                assert_eq!(status, expected_status, "{what}, Accept {accept}: {body}");
                assert!(
                    body.get("data").is_none(),
                    "{what}, Accept {accept}: a request error has no data entry: {body}"
                );
                let err = &body["errors"][0];
                assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{what}: {body}");
                assert!(
                    err["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{body}"
                );
            }
        }

        // an error during execution is not a request error: 200 with the data entry
        let (status, _, body) = post_raw(
            &app,
            &[
                ("authorization", &format!("Bearer {}", agent(&app))),
                ("content-type", "application/json"),
                ("accept", GRAPHQL_RESPONSE_JSON),
            ],
            body("{ auditLog { edges { node { seq } } } }"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("data").is_some(), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_answer_in_the_error_shape() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let bearer = format!("Bearer {}", admin(&app));
        let cases: [(&str, &str, &str); 9] = [
            (
                "not JSON",
                r#"{"query": "{ me { subject } }", x}"#,
                "the request body is not valid JSON: key must be a string at line 1 column 33",
            ),
            (
                "cut short",
                r#"{ "not a JSON"#,
                "the request body is not valid JSON: EOF while parsing a string at line 1 column 13",
            ),
            ("empty", "", "the request body is empty"),
            ("an array", r#"[{"query": "{ __typename }"}]"#, "batched requests are not supported"),
            ("a number", "42", "the request body must be a JSON object with a query, not a number"),
            ("no query", r#"{"qeury": "{ __typename }"}"#, "the request has no query"),
            ("query not a string", r#"{"query": 1}"#, "query must be a string"),
            (
                "variables not an object",
                r#"{"query": "{ __typename }", "variables": "x"}"#,
                "variables must be an object",
            ),
            (
                "operationName not a string",
                r#"{"query": "{ __typename }", "operationName": false}"#,
                "operationName must be a string or null, not a boolean",
            ),
        ];
        for (what, raw, expected) in cases {
            for accept in ["application/json", GRAPHQL_RESPONSE_JSON] {
                let (status, h, body) = post_raw(
                    &app,
                    &[
                        ("authorization", &bearer),
                        ("content-type", "application/json"),
                        ("accept", accept),
                    ],
                    raw.to_owned(),
                )
                .await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
                assert!(content_type(&h).starts_with(accept), "{what}");
                assert_eq!(
                    body,
                    json!({ "errors": [{ "message": body["errors"][0]["message"], "extensions": { "code": "BAD_USER_INPUT" } }] }),
                    "{what}: the documented shape"
                );
                let message = body["errors"][0]["message"].as_str().unwrap();
                assert!(
                    message.starts_with(expected),
                    "{what}: {message:?} should start with {expected:?}"
                );
                assert!(
                    !message.contains("Error(") && !message.contains("line: "),
                    "{what}: not a debug string: {message}"
                );
            }
        }

        // GET parameters are held to the same rules
        let resp = app
            .client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", "{ __typename }"), ("variables", "{not json")])
            .bearer_auth(admin(&app))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("the variables parameter is not valid JSON: key must be a string at line 1 column 2"),
            "{body}"
        );
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_never_echo_a_large_query() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let bearer = format!("Bearer {}", admin(&app));
        let filler = "x".repeat(500_000);
        let cases = [
            // a syntax error at the end of a 500 KB line
            ("syntax error", format!("{{ me {{ subject {filler} ( }}")),
            // a validation error naming a 500 KB field
            ("unknown field", format!("{{ me {{ {filler} }} }}")),
            // an unknown 500 KB argument
            (
                "unknown argument",
                format!("{{ workflows({filler}: 1) {{ key }} }}"),
            ),
        ];
        for (what, query) in cases {
            let request = body(&query);
            assert!(request.len() > 500_000);
            let resp = app
                .client
                .post(format!("{}/graphql", app.base))
                .header("authorization", &bearer)
                .header("content-type", "application/json")
                .body(request)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let text = resp.text().await.unwrap();
            assert!(
                text.len() < 2_000,
                "{what}: a {} byte answer to a 500 KB query: {}…",
                text.len(),
                &text[..300.min(text.len())]
            );
            let body: Value = serde_json::from_str(&text).unwrap();
            for err in body["errors"].as_array().unwrap() {
                let message = err["message"].as_str().unwrap();
                assert!(message.len() <= 400, "{what}: {message}");
                assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
                assert!(err["locations"][0]["line"].is_number(), "{what}: {body}");
            }
        }

        // a syntax error reads as one line with its position
        let (_, _, body) = post_raw(
            &app,
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            body("{ me { subject "),
        )
        .await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("syntax error at line 1, column 16: expected "),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
        app.cleanup().await;
    })
    .await;
}

/// 10^7 expansions of `__typename` in 7 levels of 10 fragment spreads: a few hundred bytes.
fn fragment_bomb() -> String {
    let mut q = String::from("query { ...F0 }");
    for level in 0..7 {
        let spreads = format!(" ...F{}", level + 1).repeat(10);
        q.push_str(&format!(" fragment F{level} on QueryRoot {{{spreads} }}"));
    }
    q.push_str(" fragment F7 on QueryRoot { __typename }");
    q
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_without_a_credential_get_only_a_cheap_refusal() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let bomb = fragment_bomb();
        assert!(bomb.len() < 1_000, "{}", bomb.len());
        let cases: [(&str, Option<String>, &str); 5] = [
            ("no credential, fragment bomb", None, &bomb),
            ("garbage token, fragment bomb", Some("Bearer garbage".into()), &bomb),
            ("not Bearer", Some(format!("Basic {}", admin(&app))), "{ me { subject } }"),
            ("no credential, introspection", None, "{ __schema { queryType { name } } }"),
            ("no credential, __typename", None, "{ __typename }"),
        ];
        for (what, authorization, query) in cases {
            let mut req = app
                .client
                .post(format!("{}/graphql", app.base))
                .header("content-type", "application/json")
                .body(body(query));
            if let Some(a) = &authorization {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{what}");
            let challenge = header(resp.headers(), "www-authenticate").unwrap_or("").to_owned();
            if authorization.is_none() {
                assert_eq!(challenge, "Bearer", "{what}");
            } else {
                assert_eq!(challenge, r#"Bearer error="invalid_token""#, "{what}");
            }
            let text = resp.text().await.unwrap();
            assert!(text.len() < 300, "{what}: a small refusal: {text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                body,
                json!({ "errors": [{ "message": body["errors"][0]["message"], "extensions": { "code": "UNAUTHENTICATED" } }] }),
                "{what}"
            );
            assert!(!body["errors"][0]["message"].as_str().unwrap().is_empty());
        }

        // GET too, before the query is looked at
        let resp = app
            .client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", bomb.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(header(resp.headers(), "www-authenticate"), Some("Bearer"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

        // the refusal does not depend on the body being well formed
        let (status, _, body) = post_raw(&app, &[("content-type", "text/plain")], "{{{").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

        // and the server is still there for callers with a credential
        let me = app.data(&admin(&app), "{ me { subject } }", json!({})).await;
        assert_eq!(me["me"]["subject"], "alice-admin");
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_introspection_lets_only_introspection_through() {
    bounded(async {
        let app = sqlite(|s| s.public_introspection = true).await;
        let allowed = [
            "{ __schema { queryType { name } } }",
            "{ __typename }",
            "query Q { __type(name: \"QueryRoot\") { name } }",
            "query { ...Intro } fragment Intro on QueryRoot { __schema { queryType { name } } }",
            "{ ... on QueryRoot { __typename } }",
        ];
        let full = FULL_INTROSPECTION.to_owned();
        for query in allowed.iter().copied().chain([full.as_str()]) {
            let (status, _, body) =
                post_raw(&app, &[("content-type", "application/json")], body(query)).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert!(body.get("errors").is_none(), "{query}: {body}");
            assert!(body["data"].is_object(), "{query}: {body}");
        }
        let refused = [
            "{ me { subject } }",
            "{ __typename me { subject } }",
            "{ __schema { queryType { name } } workflows { key } }",
            "query { ...W } fragment W on QueryRoot { workflows { key } }",
            "query A { __typename } query B { me { subject } }",
            "mutation { __typename }",
            "{ __typename ...Missing }",
            // a syntax error is not told to a caller without a credential
            "{ __schema { ",
            // introspection-only, but fragments that spread themselves
            "query { ...A } fragment A on QueryRoot { __typename ...A }",
        ];
        // introspection-only, but 10^7 selections once the fragments are inlined: refused
        // before the schema sees it
        let bomb = fragment_bomb();
        for query in refused.iter().copied().chain([bomb.as_str()]) {
            let (status, h, body) =
                post_raw(&app, &[("content-type", "application/json")], body(query)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{query}: {body}");
            assert_eq!(header(&h, "www-authenticate"), Some("Bearer"));
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        }
        // GET as well
        let resp = app
            .client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", "{ __schema { queryType { name } } }")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
        let resp = app
            .client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", "{ me { subject } }")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        // with a credential everything works as usual
        let me = app
            .data(&admin(&app), "{ me { subject } }", json!({}))
            .await;
        assert_eq!(me["me"]["subject"], "alice-admin");
        app.cleanup().await;
    })
    .await;
}

/// The introspection query of graphql-js (`getIntrospectionQuery`), as GraphiQL sends it.
const FULL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

const APP_ORIGIN: &str = "https://app.example.com";
const DEV_ORIGIN: &str = "http://localhost:5173";
const OTHER_ORIGIN: &str = "https://evil.example.net";

fn with_cors(s: &mut Settings) {
    // written loosely on purpose: case and the default port are normalized
    s.cors_origins = Some(format!(" HTTPS://App.Example.com:443 , {DEV_ORIGIN}"));
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.base))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

fn csv_lower(headers: &HeaderMap, name: &str) -> Vec<String> {
    header(headers, name)
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_listed_origins_only() {
    bounded(async {
        let app = sqlite(with_cors).await;
        let token = admin(&app);
        for origin in [APP_ORIGIN, DEV_ORIGIN] {
            for path in ["/graphql", "/export/requests.csv"] {
                let resp = preflight(&app, path, origin).await;
                assert!(
                    resp.status().is_success(),
                    "{path} {origin}: {}",
                    resp.status()
                );
                let h = resp.headers();
                assert_eq!(
                    header(h, "access-control-allow-origin"),
                    Some(origin),
                    "{path}"
                );
                let methods = csv_lower(h, "access-control-allow-methods");
                assert!(methods.contains(&"post".into()) && methods.contains(&"get".into()));
                let allowed = csv_lower(h, "access-control-allow-headers");
                for needed in ["authorization", "content-type", "accept"] {
                    assert!(
                        allowed.contains(&needed.to_owned()),
                        "{needed}: {allowed:?}"
                    );
                }
                assert!(h.get("access-control-allow-credentials").is_none());
            }
            // the request itself
            let resp = app
                .client
                .post(format!("{}/graphql", app.base))
                .header("origin", origin)
                .bearer_auth(&token)
                .json(&json!({ "query": "{ me { subject } }" }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let h = resp.headers();
            assert_eq!(header(h, "access-control-allow-origin"), Some(origin));
            assert!(csv_lower(h, "access-control-expose-headers").contains(&"x-request-id".into()));
            assert!(h.get("access-control-allow-credentials").is_none());
            assert!(csv_lower(h, "vary").contains(&"origin".into()));
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["data"]["me"]["subject"], "alice-admin");
        }

        // an origin that is not listed gets no allow-origin, preflight or not
        for path in ["/graphql", "/export/requests.csv"] {
            let resp = preflight(&app, path, OTHER_ORIGIN).await;
            assert!(
                resp.headers().get("access-control-allow-origin").is_none(),
                "{path}"
            );
        }
        // exactly: another port, scheme or subdomain of a listed origin is another origin
        for near in [
            "https://app.example.com:8443",
            "http://app.example.com",
            "https://x.app.example.com",
        ] {
            let resp = preflight(&app, "/graphql", near).await;
            assert!(
                resp.headers().get("access-control-allow-origin").is_none(),
                "{near}"
            );
        }
        let resp = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("origin", OTHER_ORIGIN)
            .bearer_auth(&token)
            .json(&json!({ "query": "{ me { subject } }" }))
            .send()
            .await
            .unwrap();
        assert!(resp.headers().get("access-control-allow-origin").is_none());
        assert!(
            resp.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cors_origins_there_are_no_cors_headers() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let resp = preflight(&app, "/graphql", APP_ORIGIN).await;
        assert!(!resp.status().is_success(), "{}", resp.status());
        assert!(resp.headers().get("access-control-allow-origin").is_none());
        let resp = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("origin", APP_ORIGIN)
            .bearer_auth(admin(&app))
            .json(&json!({ "query": "{ me { subject } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            !resp
                .headers()
                .keys()
                .any(|k| k.as_str().starts_with("access-control-")),
            "{:?}",
            resp.headers()
        );
        app.cleanup().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_cors_origin_stops_the_server_naming_it() {
    bounded(async {
        for bad in [
            "https://app.example.com/",
            "https://app.example.com/app",
            "app.example.com",
            "ftp://files.example.com",
            "https://user@app.example.com",
            "https://app.example.com:99999",
            "*",
            "null",
        ] {
            let settings = Settings {
                listen: "127.0.0.1:0".parse().unwrap(),
                // never reached: the setting is checked before anything is opened
                database_url: "sqlite:///nonexistent-dir/never.db?mode=rwc".into(),
                jwt_secret: Some(secrecy::SecretString::from(countersign_tests::SECRET)),
                cors_origins: Some(format!("http://localhost:3000,{bad}")),
                ..Settings::default()
            };
            let err = match Application::build(settings).await {
                Ok(_) => panic!("{bad:?} was accepted"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains("COUNTERSIGN_CORS_ORIGINS"), "{err}");
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    })
    .await;
}

/// Opens `/graphql/ws` with `origin` (none: not a browser); the HTTP status of a refusal.
async fn ws_upgrade(app: &TestApp, origin: Option<&str>) -> Result<(), u16> {
    let url = format!("{}/graphql/ws", app.base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut ws, _)) => {
            let _ = ws.close(None).await;
            Ok(())
        }
        Err(tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrade_checks_the_origin() {
    bounded(async {
        let app = sqlite(with_cors).await;
        let own = app.base.clone(); // http://127.0.0.1:<port>, the Host the client sends
        assert_eq!(
            ws_upgrade(&app, None).await,
            Ok(()),
            "no Origin: not a browser"
        );
        assert_eq!(ws_upgrade(&app, Some(&own)).await, Ok(()), "same origin");
        assert_eq!(ws_upgrade(&app, Some(APP_ORIGIN)).await, Ok(()), "listed");
        assert_eq!(ws_upgrade(&app, Some(DEV_ORIGIN)).await, Ok(()), "listed");
        for refused in [
            OTHER_ORIGIN,
            "https://app.example.com:8443",
            "null",
            // the server's host on another port is another origin
            "http://127.0.0.1:1",
        ] {
            assert_eq!(ws_upgrade(&app, Some(refused)).await, Err(403), "{refused}");
        }
        app.cleanup().await;

        // without the setting: same origin only
        let app = sqlite(|_| {}).await;
        let own = app.base.clone();
        assert_eq!(ws_upgrade(&app, Some(&own)).await, Ok(()));
        assert_eq!(ws_upgrade(&app, None).await, Ok(()));
        assert_eq!(ws_upgrade(&app, Some(APP_ORIGIN)).await, Err(403));
        app.cleanup().await;
    })
    .await;
}

/// Response fields come in the order of the selection (GraphQL spec, "Serialized Map Ordering"),
/// and error objects start with their message, as the README's examples print them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn response_fields_keep_the_order_of_the_selection() {
    bounded(async {
        let app = sqlite(|_| {}).await;
        let token = admin(&app);
        for query in [
            "{ me { tenant subject roles } }",
            "{ me { roles subject tenant } }",
        ] {
            let resp = app
                .client
                .post(format!("{}/graphql", app.base))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body(query))
                .send()
                .await
                .unwrap();
            let text = resp.text().await.unwrap();
            let fields: Vec<&str> = query
                .split_whitespace()
                .filter(|w| !["{", "}", "me"].contains(w))
                .collect();
            let positions: Vec<usize> = fields
                .iter()
                .map(|f| text.find(&format!("\"{f}\"")).expect(f))
                .collect();
            assert!(
                positions.windows(2).all(|w| w[0] < w[1]),
                "{query} answered {text}"
            );
        }
        let text = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .bearer_auth(&token)
            .body("{")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.starts_with(r#"{"errors":[{"message":""#), "{text}");
        app.cleanup().await;
    })
    .await;
}
