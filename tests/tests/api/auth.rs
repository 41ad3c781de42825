//! Who may call and what they may do: JWTs (missing, garbage, foreign signature, other algorithm,
//! expired), API keys (hashed at rest, audited, revocable), the built-in roles, GET versus POST,
//! the health check, and an `extensions.code` on every error.

use countersign::auth::TokenVerifier;
use countersign::config::Settings;
use countersign_tests::{TestApp, db_tests};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    missing_or_invalid_credentials_are_unauthenticated,
    expired_token_is_unauthenticated,
    api_key_authenticates_is_stored_hashed_and_revocable,
    non_admin_cannot_manage_api_keys,
    non_admin_cannot_create_workflow,
    audit_is_for_auditors_and_admins_only,
    reviewer_cannot_submit_actions,
    get_refuses_mutations_and_serves_queries,
    get_runs_the_operation_named_by_operation_name,
    healthz_answers_ok,
    every_error_has_a_code,
);

/// The secret the test server verifies HS256 tokens with.
const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

const ME: &str = "{ me { subject tenant roles } }";

const CREATE_KEY: &str = "mutation($principal: String!, $roles: [String!]!, $label: String) { createApiKey(principal: $principal, roles: $roles, label: $label) { id key principal roles } }";

const REVOKE_KEY: &str = "mutation($id: ID!) { revokeApiKey(id: $id) }";

/// A token verifier (and minter) of our own, to make tokens the server did not mint.
fn verifier(secret: &str, algorithm: &str) -> TokenVerifier {
    let settings = Settings {
        jwt_secret: Some(SecretString::from(secret)),
        jwt_algorithm: algorithm.to_owned(),
        ..Default::default()
    };
    TokenVerifier::new(&settings, settings.jwt_secret.as_ref()).unwrap()
}

fn mint(verifier: &TokenVerifier, sub: &str, roles: &[&str], ttl: chrono::Duration) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    verifier.mint(TENANT, sub, &roles, ttl).unwrap()
}

/// Posts `query` with a raw `Authorization` header value.
async fn post_with_authorization(app: &TestApp, authorization: &str, query: &str) -> Value {
    app.client
        .post(format!("{}/graphql", app.base))
        .header("Authorization", authorization)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request failed")
        .json()
        .await
        .expect("response is not JSON")
}

async fn create_key(app: &TestApp, principal: &str, roles: &[&str]) -> Value {
    app.data(
        &admin(app),
        CREATE_KEY,
        json!({ "principal": principal, "roles": roles, "label": "ci" }),
    )
    .await["createApiKey"]
        .clone()
}

async fn missing_or_invalid_credentials_are_unauthenticated(app: &TestApp) {
    // control: the harness's token is accepted
    let valid = admin(app);
    let me = app.data(&valid, ME, json!({})).await;
    assert_eq!(
        me["me"],
        json!({ "subject": "alice-admin", "tenant": TENANT, "roles": ["admin"] })
    );

    // no Authorization header
    let body = app.gql("", ME, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(body["data"], json!(null));

    // not a Bearer credential
    let body = post_with_authorization(app, &format!("Basic {valid}"), ME).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // garbage, and an API key that does not exist
    for garbage in ["garbage", "a.b.c", "cs_not-a-real-key-0123456789"] {
        assert_eq!(
            app.error_code(garbage, ME, json!({})).await,
            "UNAUTHENTICATED",
            "{garbage:?} must not authenticate"
        );
    }

    // signed with another secret
    let foreign = verifier("another-secret-another-secret-another-0123456789", "HS256");
    let token = mint(
        &foreign,
        "alice-admin",
        &["admin"],
        chrono::Duration::hours(1),
    );
    assert_eq!(
        app.error_code(&token, ME, json!({})).await,
        "UNAUTHENTICATED"
    );

    // the server's own token with its signature altered
    let (signed, signature) = valid.rsplit_once('.').unwrap();
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    let altered = format!("{signed}.{first}{}", &signature[1..]);
    assert_ne!(altered, valid);
    assert_eq!(
        app.error_code(&altered, ME, json!({})).await,
        "UNAUTHENTICATED"
    );

    // the right secret, but an algorithm the server is not configured for (it never takes the
    // algorithm from the token header)
    let hs512 = verifier(SECRET, "HS512");
    let token = mint(
        &hs512,
        "alice-admin",
        &["admin"],
        chrono::Duration::hours(1),
    );
    assert_eq!(
        app.error_code(&token, ME, json!({})).await,
        "UNAUTHENTICATED"
    );

    // an unauthenticated caller cannot write either
    let code = app
        .error_code(
            &altered,
            CREATE_WORKFLOW,
            json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
        )
        .await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert_eq!(app.count("workflows").await, 0);
}

async fn expired_token_is_unauthenticated(app: &TestApp) {
    let ours = verifier(SECRET, "HS256");
    // control: a token from this verifier is valid for the server
    let fresh = mint(
        &ours,
        "alice-admin",
        &["admin"],
        chrono::Duration::minutes(2),
    );
    let me = app.data(&fresh, ME, json!({})).await;
    assert_eq!(me["me"]["subject"], "alice-admin");

    // expired two minutes ago: beyond the 60 s leeway
    let expired = mint(
        &ours,
        "alice-admin",
        &["admin"],
        chrono::Duration::seconds(-120),
    );
    assert_eq!(
        app.error_code(&expired, ME, json!({})).await,
        "UNAUTHENTICATED"
    );
    let expired_long_ago = mint(&ours, "alice-admin", &["admin"], chrono::Duration::days(-1));
    assert_eq!(
        app.error_code(&expired_long_ago, ME, json!({})).await,
        "UNAUTHENTICATED"
    );
}

async fn api_key_authenticates_is_stored_hashed_and_revocable(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let created = create_key(app, "bot-7", &["agent"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("cs_"), "{key}");
    assert!(key.len() >= 32, "a key carries enough randomness: {key}");
    assert_eq!(created["principal"], "bot-7");
    assert_eq!(created["roles"], json!(["agent"]));

    // the key is a credential: who it is, in which tenant, with which roles
    let me = app.data(&key, ME, json!({})).await;
    assert_eq!(
        me["me"],
        json!({ "subject": "bot-7", "tenant": TENANT, "roles": ["agent"] })
    );

    // and it can submit, as its principal
    let out = app
        .data(
            &key,
            SUBMIT,
            json!({ "input": refund("refunds", "key-1", "200.00") }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(out["created"], true);
    let id = out["request"]["id"].as_str().unwrap();
    let r = request(app, &admin(app), id).await;
    assert_eq!(r["history"][0]["type"], "REQUEST_SUBMITTED");
    assert_eq!(r["history"][0]["actor"], "bot-7");

    // stored only as a hash (and a short display prefix)
    let secret_part = key.strip_prefix("cs_").unwrap();
    let db = app.db().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT key_hash, key_prefix FROM api_keys",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let key_hash: String = rows[0].try_get("", "key_hash").unwrap();
    let key_prefix: String = rows[0].try_get("", "key_prefix").unwrap();
    assert_ne!(key_hash, key);
    assert_eq!(key_hash.len(), 64, "{key_hash}");
    assert!(
        key_hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{key_hash}"
    );
    assert!(
        key.starts_with(&key_prefix) && key_prefix.len() < 16,
        "only a short prefix is kept: {key_prefix:?}"
    );
    let all_rows = countersign_entity::api_key::Entity::find()
        .all(&db)
        .await
        .unwrap();
    let dump = serde_json::to_string(&all_rows).unwrap();
    assert!(
        !dump.contains(&key) && !dump.contains(secret_part),
        "the api_keys table holds the plaintext key: {dump}"
    );

    // revoked: the key stops working at once, and it cannot submit any more
    let revoked = app
        .data(&admin(app), REVOKE_KEY, json!({ "id": key_id }))
        .await;
    assert_eq!(revoked["revokeApiKey"], true);
    assert_eq!(app.error_code(&key, ME, json!({})).await, "UNAUTHENTICATED");
    let requests_before = app.count("approval_requests").await;
    let code = app
        .error_code(
            &key,
            SUBMIT,
            json!({ "input": refund("refunds", "key-2", "200.00") }),
        )
        .await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert_eq!(app.count("approval_requests").await, requests_before);
    // revoking again answers true and records nothing new
    let again = app
        .data(&admin(app), REVOKE_KEY, json!({ "id": key_id }))
        .await;
    assert_eq!(again["revokeApiKey"], true);

    // both steps are audited, with who did it, and never with the key
    let log = app
        .data(
            &admin(app),
            "{ auditLog(filter: { types: [\"API_KEY_CREATED\", \"API_KEY_REVOKED\"] }) { edges { node { type actor data } } } }",
            json!({}),
        )
        .await;
    let events = log["auditLog"]["edges"].as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["API_KEY_CREATED", "API_KEY_REVOKED"]);
    for e in events {
        let node = &e["node"];
        assert_eq!(node["actor"], "alice-admin");
        assert_eq!(node["data"]["keyId"], key_id.as_str());
        assert_eq!(node["data"]["principal"], "bot-7");
        let data = node["data"].to_string();
        assert!(
            !data.contains(&key) && !data.contains(secret_part),
            "audit data holds the key: {data}"
        );
    }
    let audit_rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT data FROM audit_events",
        ))
        .await
        .unwrap();
    for row in &audit_rows {
        let data: String = row.try_get("", "data").unwrap();
        assert!(
            !data.contains(secret_part),
            "an audit event holds the key: {data}"
        );
    }
    db.close().await.ok();
}

async fn non_admin_cannot_manage_api_keys(app: &TestApp) {
    let agent = agent(app);
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let auditor = app.token(TENANT, "audrey", &["auditor"]);
    for token in [&agent, &reviewer, &auditor] {
        let code = app
            .error_code(
                token,
                CREATE_KEY,
                json!({ "principal": "bot-7", "roles": ["admin"], "label": "escalate" }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    assert_eq!(app.count("api_keys").await, 0);
    assert_eq!(app.count("audit_events").await, 0);

    // an agent key cannot mint keys for itself either
    let created = create_key(app, "bot-7", &["agent"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let code = app
        .error_code(
            &key,
            CREATE_KEY,
            json!({ "principal": "bot-8", "roles": ["admin"] }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");

    // nor revoke one
    for token in [&agent, &reviewer, &auditor, &key] {
        let code = app
            .error_code(token, REVOKE_KEY, json!({ "id": created["id"] }))
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    assert_eq!(app.count("api_keys").await, 1);
    let me = app.data(&key, ME, json!({})).await;
    assert_eq!(me["me"]["subject"], "bot-7", "the key still works");
}

async fn non_admin_cannot_create_workflow(app: &TestApp) {
    let input =
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } });
    for roles in [
        &["agent"][..],
        &["auditor"][..],
        &["support_agent"][..],
        &["support_manager", "finance"][..],
    ] {
        let token = app.token(TENANT, "mallory", roles);
        let code = app.error_code(&token, CREATE_WORKFLOW, input.clone()).await;
        assert_eq!(code, "FORBIDDEN", "roles {roles:?}");
    }
    assert_eq!(app.count("workflows").await, 0);
    assert_eq!(app.count("policy_versions").await, 0);
    assert_eq!(app.count("audit_events").await, 0);
    let none = app
        .data(&admin(app), "{ workflows { key } }", json!({}))
        .await;
    assert_eq!(none["workflows"], json!([]));
}

async fn audit_is_for_auditors_and_admins_only(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    const LOG: &str = "{ auditLog { edges { node { seq type actor workflowKey } } } }";
    const VERIFY: &str = "{ verifyAuditChain { ok checked firstBrokenSeq } }";
    for token in [
        agent(app),
        app.token(TENANT, "rita", &["support_agent"]),
        app.token(TENANT, "mia", &["support_manager", "finance"]),
    ] {
        assert_eq!(app.error_code(&token, LOG, json!({})).await, "FORBIDDEN");
        assert_eq!(app.error_code(&token, VERIFY, json!({})).await, "FORBIDDEN");
    }
    let auditor = app.token(TENANT, "audrey", &["auditor"]);
    for token in [auditor, admin(app)] {
        let log = app.data(&token, LOG, json!({})).await;
        assert_eq!(
            log["auditLog"]["edges"],
            json!([{ "node": { "seq": 1, "type": "WORKFLOW_CREATED", "actor": "alice-admin", "workflowKey": "refunds" } }])
        );
        let v = app.data(&token, VERIFY, json!({})).await;
        assert_eq!(
            v["verifyAuditChain"],
            json!({ "ok": true, "checked": 1, "firstBrokenSeq": null })
        );
    }
}

async fn reviewer_cannot_submit_actions(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    for roles in [
        &["support_agent"][..],
        &["support_manager"][..],
        &["auditor"][..],
    ] {
        let token = app.token(TENANT, "rita", roles);
        let code = app
            .error_code(
                &token,
                SUBMIT,
                json!({ "input": refund("refunds", "r-1", "200.00") }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN", "roles {roles:?}");
    }
    assert_eq!(app.count("approval_requests").await, 0);
    assert_eq!(app.count("approval_steps").await, 0);
    assert_eq!(app.count("audit_events").await, 1, "only WORKFLOW_CREATED");
    // and the idempotency key was not consumed
    let out = submit(app, refund("refunds", "r-1", "200.00")).await;
    assert_eq!(out["created"], true);
}

async fn get_refuses_mutations_and_serves_queries(app: &TestApp) {
    let url = format!("{}/graphql", app.base);
    let token = admin(app);
    let mutation = "mutation { createWorkflow(input: { key: \"refunds\", name: \"Refunds\", policy: { default: { route: \"HUMAN\", steps: [{ role: \"support_agent\" }] } } }) { key } }";

    let resp = app
        .client
        .get(&url)
        .query(&[("query", mutation)])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["errors"][0]["extensions"]["code"].is_string(),
        "{body}"
    );
    assert_eq!(app.count("workflows").await, 0);
    assert_eq!(app.count("audit_events").await, 0);

    // a query over GET works
    let resp = app
        .client
        .get(&url)
        .query(&[("query", "{ me { subject tenant } }")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["me"],
        json!({ "subject": "alice-admin", "tenant": TENANT })
    );

    // GET still needs a credential
    let resp = app
        .client
        .get(&url)
        .query(&[("query", "{ me { subject } }")])
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // the refused mutation itself was valid: POST runs it
    let made = app.data(&token, mutation, json!({})).await;
    assert_eq!(made["createWorkflow"]["key"], "refunds");
    assert_eq!(app.count("workflows").await, 1);
}

/// GraphQL over HTTP names the operation to run with the `operationName` parameter, on GET as on
/// POST: GET may run the named query of a document that also holds a mutation, never the mutation.
async fn get_runs_the_operation_named_by_operation_name(app: &TestApp) {
    let url = format!("{}/graphql", app.base);
    let token = admin(app);
    let both = "query Who { me { subject } } mutation Make { createWorkflow(input: { key: \"refunds\", name: \"Refunds\", policy: { default: { route: \"HUMAN\", steps: [{ role: \"support_agent\" }] } } }) { key } }";
    let resp = app
        .client
        .get(&url)
        .query(&[("query", both), ("operationName", "Make")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(app.count("workflows").await, 0);
    let resp = app
        .client
        .get(&url)
        .query(&[("query", both), ("operationName", "Who")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "GET with operationName=Who must run the query Who"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["me"]["subject"], "alice-admin", "{body}");
    assert_eq!(app.count("workflows").await, 0);
    // two queries: the named one runs
    let two = "query A { me { subject } } query B { me { tenant } }";
    let resp = app
        .client
        .get(&url)
        .query(&[("query", two), ("operationName", "B")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["me"], json!({ "tenant": TENANT }));
    // POST selects the same way
    let body = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "query": both, "operationName": "Who" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(body["data"]["me"]["subject"], "alice-admin", "{body}");
    assert_eq!(app.count("workflows").await, 0);
}

async fn healthz_answers_ok(app: &TestApp) {
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn every_error_has_a_code(app: &TestApp) {
    let token = admin(app);
    let cases = [
        ("syntax error", "{ me { subject ", json!({})),
        ("unknown field", "{ me { subject nope } }", json!({})),
        (
            "unknown argument",
            "{ workflows(tenant: \"globex\") { key } }",
            json!({}),
        ),
        (
            "missing variable",
            "query($key: String!) { workflow(key: $key) { key } }",
            json!({}),
        ),
        (
            "variable of the wrong type",
            SUBMIT,
            json!({ "input": { "workflowKey": "refunds", "idempotencyKey": "k", "actionType": "refund.issue", "title": "t", "action": {}, "confidence": "very" } }),
        ),
        (
            "bad enum value",
            "{ approvalRequests(filter: { route: SIDEWAYS }) { totalCount } }",
            json!({}),
        ),
    ];
    for (what, query, variables) in cases {
        let body = app.gql(&token, query, variables).await;
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: expected errors: {body}"));
        assert!(!errors.is_empty(), "{what}: {body}");
        for err in errors {
            assert_eq!(
                err["extensions"]["code"], "BAD_USER_INPUT",
                "{what}: every error has a code: {body}"
            );
            assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    assert_eq!(app.count("approval_requests").await, 0);
}
