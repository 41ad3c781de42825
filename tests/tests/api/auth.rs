//! Who may call and what they may do: JWTs (missing, garbage, foreign signature, other algorithm,
//! expired), API keys (hashed at rest, audited, revocable), the built-in roles, GET versus POST,
//! the health check, and an `extensions.code` on every error.

use countersign::auth::TokenVerifier;
use countersign::config::Settings;
use countersign_tests::{TestApp, db_tests};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
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
    tokens_must_carry_sub_tenant_roles_and_exp,
    a_token_not_yet_valid_is_refused,
    token_errors_say_what_to_do,
    only_admins_and_auditors_read_policy_documents,
);

db_tests!(
    provider_claims;
    roles_and_tenant_are_read_from_the_configured_claims,
);

db_tests!(
    one_pooled_connection;
    a_failed_api_key_check_is_internal_not_unauthenticated,
);

/// Claims named the way some identity providers name them: Keycloak's nested realm roles, and a
/// namespaced tenant claim whose name contains dots.
fn provider_claims(s: &mut Settings) {
    s.jwt_roles_claim = "realm_access.roles".into();
    s.jwt_tenant_claim = "https://countersign.dev/tenant".into();
}

/// One connection in the pool, and a short wait for it.
fn one_pooled_connection(s: &mut Settings) {
    s.db_max_connections = 1;
    s.db_acquire_timeout_ms = 300;
    s.scheduler_enabled = false;
    s.outbox_enabled = false;
}

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

/// Signs `claims` with the server's own HS256 secret: the signature is good, the claims are ours.
fn signed(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn in_seconds(seconds: i64) -> i64 {
    chrono::Utc::now().timestamp() + seconds
}

/// The first error's code and message.
async fn refusal(app: &TestApp, token: &str, query: &str) -> (String, String) {
    let body = app.gql(token, query, json!({})).await;
    assert_eq!(body["data"], json!(null), "{body}");
    (
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code: {body}"))
            .to_owned(),
        body["errors"][0]["message"].as_str().unwrap().to_owned(),
    )
}

async fn tokens_must_carry_sub_tenant_roles_and_exp(app: &TestApp) {
    let full = json!({ "sub": "alice-admin", "tenant": TENANT, "roles": ["admin"], "exp": in_seconds(600) });
    // control: all four claims, signed with the server's secret
    let me = app.data(&signed(&full), ME, json!({})).await;
    assert_eq!(me["me"]["roles"], json!(["admin"]));

    for claim in ["sub", "tenant", "roles", "exp"] {
        let mut claims = full.clone();
        claims.as_object_mut().unwrap().remove(claim);
        let (code, message) = refusal(app, &signed(&claims), ME).await;
        assert_eq!(code, "UNAUTHENTICATED", "without {claim}: {message}");
        assert!(
            message.contains(&format!("the claim `{claim}` is missing")),
            "without {claim}: {message}"
        );
    }
    // a token without roles reads nothing: not the workflows, not their policies
    create_workflow(app, "refunds", refund_policy()).await;
    let mut no_roles = full.clone();
    no_roles.as_object_mut().unwrap().remove("roles");
    let (code, _) = refusal(
        app,
        &signed(&no_roles),
        "{ workflows { key activePolicy { document } } }",
    )
    .await;
    assert_eq!(code, "UNAUTHENTICATED");

    // present but of the wrong shape
    for (claim, value, says) in [
        ("roles", json!("admin"), "must be an array of strings"),
        ("roles", json!([1, 2]), "must be an array of strings"),
        ("roles", json!(null), "the claim `roles` is missing"),
        ("tenant", json!(["acme"]), "must be a string"),
        (
            "exp",
            json!("tomorrow"),
            "`exp` must be a number of seconds since 1970-01-01T00:00:00Z",
        ),
        ("sub", json!(42), "the claim `sub` must be a string"),
    ] {
        let mut claims = full.clone();
        claims[claim] = value.clone();
        let (code, message) = refusal(app, &signed(&claims), ME).await;
        assert_eq!(code, "UNAUTHENTICATED", "{claim} = {value}: {message}");
        assert!(message.contains(says), "{claim} = {value}: {message}");
    }
}

async fn a_token_not_yet_valid_is_refused(app: &TestApp) {
    let claims = |nbf: i64| json!({ "sub": "alice-admin", "tenant": TENANT, "roles": ["admin"], "exp": in_seconds(3600), "nbf": nbf });
    let nbf = in_seconds(600);
    let (code, message) = refusal(app, &signed(&claims(nbf)), ME).await;
    assert_eq!(code, "UNAUTHENTICATED", "{message}");
    let at = chrono::DateTime::from_timestamp(nbf, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        message.contains(&format!("not valid before {at}")),
        "{message}"
    );
    assert!(message.contains("60 s of clock skew"), "{message}");
    // within the 60 s leeway, and in the past: accepted
    for nbf in [in_seconds(20), in_seconds(-600)] {
        let me = app.data(&signed(&claims(nbf)), ME, json!({})).await;
        assert_eq!(me["me"]["subject"], "alice-admin");
    }
}

async fn token_errors_say_what_to_do(app: &TestApp) {
    // signed with another secret: ask whether it was minted elsewhere, and say where the
    // server's secret comes from (the test server has COUNTERSIGN_JWT_SECRET set)
    let foreign = verifier("another-secret-another-secret-another-0123456789", "HS256");
    let token = mint(
        &foreign,
        "alice-admin",
        &["admin"],
        chrono::Duration::hours(1),
    );
    let (code, message) = refusal(app, &token, ME).await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(message.contains("signature does not match"), "{message}");
    assert!(message.contains("minted with another secret?"), "{message}");
    assert!(message.contains("`countersign token`"), "{message}");
    assert!(message.contains("COUNTERSIGN_JWT_SECRET"), "{message}");

    // expired: when, and that 60 s of skew are allowed
    let exp = in_seconds(-3600);
    let expired =
        signed(&json!({ "sub": "alice-admin", "tenant": TENANT, "roles": ["admin"], "exp": exp }));
    let (code, message) = refusal(app, &expired, ME).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let at = chrono::DateTime::from_timestamp(exp, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(message.contains(&format!("expired at {at}")), "{message}");
    assert!(message.contains("60 s of clock skew"), "{message}");
    // expired 30 s ago: inside the leeway, still accepted
    let recent = signed(
        &json!({ "sub": "alice-admin", "tenant": TENANT, "roles": ["admin"], "exp": in_seconds(-30) }),
    );
    assert_eq!(
        app.data(&recent, ME, json!({})).await["me"]["subject"],
        "alice-admin"
    );

    // the wrong algorithm, named, with the setting that fixes it
    let hs512 = verifier(SECRET, "HS512");
    let token = mint(
        &hs512,
        "alice-admin",
        &["admin"],
        chrono::Duration::hours(1),
    );
    let (code, message) = refusal(app, &token, ME).await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(
        message.contains("signed with HS512, but this server accepts only HS256"),
        "{message}"
    );
    assert!(message.contains("COUNTERSIGN_JWT_ALGORITHM"), "{message}");

    // not a JWT at all
    let (_, message) = refusal(app, "garbage", ME).await;
    assert!(message.contains("not a JWT"), "{message}");
}

async fn only_admins_and_auditors_read_policy_documents(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    const ACTIVE: &str = "{ workflows { key activePolicy { version document } } }";
    const ALL: &str = "{ workflow(key: \"refunds\") { policies { version document } } }";
    const SHAPE: &str = "{ workflows { key mode activePolicy { version status proposedBy } } }";
    let agent = agent(app);
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    for token in [&agent, &reviewer] {
        for query in [ACTIVE, ALL] {
            let body = app.gql(token, query, json!({})).await;
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{query}: {body}");
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("admin, auditor"),
                "{body}"
            );
            assert_eq!(
                error["path"].as_array().unwrap().last().unwrap(),
                "document"
            );
            // nothing of the document comes back
            let data = body["data"].to_string();
            assert!(
                !data.contains("document") && !data.contains("small-clean"),
                "{body}"
            );
        }
        // what a reviewer needs stays readable: which workflows, their mode and policy version
        let seen = app.data(token, SHAPE, json!({})).await;
        assert_eq!(
            seen["workflows"],
            json!([{ "key": "refunds", "mode": "ACTIVE", "activePolicy": { "version": 1, "status": "ACTIVE", "proposedBy": "alice-admin" } }])
        );
    }
    let auditor = app.token(TENANT, "audrey", &["auditor"]);
    for token in [&auditor, &admin(app)] {
        let seen = app.data(token, ACTIVE, json!({})).await;
        let document = &seen["workflows"][0]["activePolicy"]["document"];
        assert_eq!(document["rules"][1]["name"], "large", "{seen}");
        assert_eq!(document["default"]["route"], "HUMAN", "{seen}");
        let all = app.data(token, ALL, json!({})).await;
        assert_eq!(all["workflow"]["policies"][0]["document"], *document);
    }

    // nor through the audit tail: a reviewer subscribed to the workflow's events sees that a
    // policy was stored (and its hash), not the document
    let schema = countersign::graphql::build_schema(app.state.clone());
    let events = |roles: &[&str]| {
        let principal = countersign::auth::Principal {
            subject: "someone".into(),
            tenant: TENANT.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            name: None,
            credential: countersign::auth::Credential::Jwt,
        };
        async_graphql::Request::new("subscription { approvalEvents(afterSeq: 0) { type data } }")
            .data(countersign::auth::Auth(Ok(principal)))
    };
    use futures::StreamExt;
    let first = |request| {
        let mut stream = schema.execute_stream(request);
        async move {
            let r = stream.next().await.unwrap();
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            r.data.into_json().unwrap()["approvalEvents"].clone()
        }
    };
    let reviewer_sees = first(events(&["support_agent"])).await;
    assert_eq!(reviewer_sees["type"], "WORKFLOW_CREATED");
    assert!(
        reviewer_sees["data"]["policyHash"].is_string(),
        "{reviewer_sees}"
    );
    assert!(
        reviewer_sees["data"].get("policy").is_none(),
        "{reviewer_sees}"
    );
    let auditor_sees = first(events(&["auditor"])).await;
    assert_eq!(auditor_sees["data"]["policy"]["rules"][1]["name"], "large");
}

async fn roles_and_tenant_are_read_from_the_configured_claims(app: &TestApp) {
    let nested = json!({
        "sub": "kc-user",
        "https://countersign.dev/tenant": TENANT,
        "realm_access": { "roles": ["admin", "offline_access"] },
        "resource_access": { "account": { "roles": ["manage-account"] } },
        "exp": in_seconds(600),
    });
    let me = app.data(&signed(&nested), ME, json!({})).await;
    assert_eq!(
        me["me"],
        json!({ "subject": "kc-user", "tenant": TENANT, "roles": ["admin", "offline_access"] })
    );
    // the default names are not read any more: a token with only those is refused, naming the
    // configured claim and its setting
    let plain = json!({ "sub": "kc-user", "tenant": TENANT, "roles": ["admin"], "realm_access": { "roles": ["admin"] }, "exp": in_seconds(600) });
    let (code, message) = refusal(app, &signed(&plain), ME).await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(
        message.contains("the claim `https://countersign.dev/tenant` is missing"),
        "{message}"
    );
    assert!(
        message.contains("COUNTERSIGN_JWT_TENANT_CLAIM"),
        "{message}"
    );
    let mut no_roles = nested.clone();
    no_roles["realm_access"] = json!({ "groups": ["admin"] });
    let (_, message) = refusal(app, &signed(&no_roles), ME).await;
    assert!(
        message.contains("the claim `realm_access.roles` is missing"),
        "{message}"
    );
    assert!(message.contains("COUNTERSIGN_JWT_ROLES_CLAIM"), "{message}");
    // tokens the server mints (`countersign token`) use the configured names too
    let me = app.data(&admin(app), ME, json!({})).await;
    assert_eq!(me["me"]["roles"], json!(["admin"]));
}

async fn a_failed_api_key_check_is_internal_not_unauthenticated(app: &TestApp) {
    let created = create_key(app, "bot-7", &["agent"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.data(&key, ME, json!({})).await["me"]["subject"],
        "bot-7"
    );

    // Hold the pool's only connection: the key cannot be checked, which says nothing about the
    // key. The caller must not be told to throw a good key away.
    let held = sea_orm::TransactionTrait::begin(app.state.store.db())
        .await
        .unwrap();
    let body = app.gql(&key, ME, json!({})).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL", "{body}");
    assert!(error["extensions"]["correlationId"].is_string(), "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("API key") && !message.contains("pool"),
        "{message}"
    );
    // a JWT needs no database to be checked: still accepted meanwhile
    assert_eq!(
        app.data(&admin(app), ME, json!({})).await["me"]["subject"],
        "alice-admin"
    );

    held.rollback().await.unwrap();
    assert_eq!(
        app.data(&key, ME, json!({})).await["me"]["subject"],
        "bot-7"
    );
}
