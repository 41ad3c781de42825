//! What the web console stands on: its files served from the binary (every browser route gets
//! the page, API clients never do; compressed copies; a content security policy that keeps it
//! on this server), and the API fields it needed that any frontend may use (`apiKeys`,
//! `reasonCodes`).

use countersign_tests::{TestApp, db_tests};
use reqwest::header;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    the_console_is_served_to_browsers_from_the_binary,
    api_keys_are_listed_for_admins_without_their_secrets,
    reason_codes_given_before_come_most_used_first,
);

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header_of(res: &reqwest::Response, name: header::HeaderName) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn the_console_is_served_to_browsers_from_the_binary(app: &TestApp) {
    let html = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")];
    // The page, at the root and at every client-side route.
    let mut page = String::new();
    for path in [
        "/",
        "/requests/0190c2d8-0000-7000-8000-000000000000",
        "/dashboard",
        "/query",
    ] {
        let res = get(app, path, &html).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(header_of(&res, header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(header_of(&res, header::CACHE_CONTROL), "no-cache");
        let csp = header_of(&res, header::CONTENT_SECURITY_POLICY);
        for directive in [
            "default-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        page = res.text().await.unwrap();
        assert!(page.contains("<div id=\"app\">"), "{page}");
    }
    // Nothing in the page comes from another host.
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );

    // Its script and styles: every file the page names, compressed as the browser accepts.
    let assets: Vec<&str> = page
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{page}");
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{page}");
    for asset in assets {
        let plain = get(app, asset, &[]).await;
        assert_eq!(plain.status(), 200, "{asset}");
        assert_eq!(header_of(&plain, header::CONTENT_ENCODING), "");
        assert_eq!(
            header_of(&plain, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        let plain_len = plain.bytes().await.unwrap().len();
        let gz = get(app, asset, &[("accept-encoding", "gzip")]).await;
        assert_eq!(header_of(&gz, header::CONTENT_ENCODING), "gzip", "{asset}");
        let gz = gz.bytes().await.unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "{asset} is gzip");
        let br = get(app, asset, &[("accept-encoding", "gzip, br")]).await;
        assert_eq!(header_of(&br, header::CONTENT_ENCODING), "br", "{asset}");
        let br_len = br.bytes().await.unwrap().len();
        assert!(br_len < plain_len && gz.len() < plain_len, "{asset}");
        let refused = get(app, asset, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
        assert_eq!(header_of(&refused, header::CONTENT_ENCODING), "");
    }
    assert_eq!(get(app, "/assets/missing.js", &[]).await.status(), 404);

    // API clients and other methods get a plain 404, never the page.
    let res = get(app, "/nothing", &[("accept", "application/json")]).await;
    assert_eq!(res.status(), 404);
    assert!(header_of(&res, header::CONTENT_TYPE).starts_with("text/plain"));
    let res = app
        .client
        .post(format!("{}/", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // GraphiQL (which loaded its code from a CDN) is now the console's query page.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/graphiql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(header_of(&res, header::LOCATION), "/query");
}

const CREATE_KEY: &str = "mutation($principal: String!, $roles: [String!]!, $label: String) { createApiKey(principal: $principal, roles: $roles, label: $label) { id key } }";
const KEYS: &str =
    "{ apiKeys { id prefix principal roles label createdBy createdAt revokedAt revokedBy } }";

async fn api_keys_are_listed_for_admins_without_their_secrets(app: &TestApp) {
    let admin = admin(app);
    let first = app
        .data(
            &admin,
            CREATE_KEY,
            json!({ "principal": "refund-bot", "roles": ["agent"], "label": "prod bot" }),
        )
        .await["createApiKey"]
        .clone();
    let second = app
        .data(
            &admin,
            CREATE_KEY,
            json!({ "principal": "crm-sync", "roles": ["agent", "auditor"] }),
        )
        .await["createApiKey"]
        .clone();
    let other_tenant = app.token("other", "olga", &["admin"]);
    app.data(
        &other_tenant,
        CREATE_KEY,
        json!({ "principal": "theirs", "roles": ["agent"] }),
    )
    .await;
    app.data(
        &admin,
        "mutation($id: ID!) { revokeApiKey(id: $id) }",
        json!({ "id": first["id"] }),
    )
    .await;

    let body = app.gql(&admin, KEYS, json!({})).await;
    let keys = body["data"]["apiKeys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "only this tenant's keys: {body}");
    // Newest first; the revoked key is still listed, with who revoked it.
    assert_eq!(keys[0]["id"], second["id"]);
    assert_eq!(keys[0]["roles"], json!(["agent", "auditor"]));
    assert_eq!(keys[0]["label"], Value::Null);
    assert_eq!(keys[0]["revokedAt"], Value::Null);
    assert_eq!(keys[1]["id"], first["id"]);
    assert_eq!(keys[1]["principal"], "refund-bot");
    assert_eq!(keys[1]["label"], "prod bot");
    assert_eq!(keys[1]["createdBy"], "alice-admin");
    assert_eq!(keys[1]["revokedBy"], "alice-admin");
    assert!(keys[1]["revokedAt"].is_string());
    // The prefix tells keys apart; the secret itself is never listed.
    let secret = first["key"].as_str().unwrap();
    let prefix = keys[1]["prefix"].as_str().unwrap();
    assert!(
        secret.starts_with(prefix) && prefix.len() < secret.len(),
        "{prefix}"
    );
    assert!(!body.to_string().contains(secret));
    assert!(!body.to_string().contains(second["key"].as_str().unwrap()));

    for roles in [&["auditor"][..], &["support_agent"], &["agent"]] {
        let token = app.token(TENANT, "someone", roles);
        assert_eq!(
            app.error_code(&token, KEYS, json!({})).await,
            "FORBIDDEN",
            "{roles:?}"
        );
    }
}

const REASON_CODES: &str = "query($w: String) { reasonCodes(workflowKey: $w) { code count } }";

async fn reason_codes_given_before_come_most_used_first(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    create_workflow(app, "payouts", refund_policy()).await;
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let reject = |workflow: &'static str, key: &'static str, code: &'static str| {
        let rita = rita.clone();
        async move {
            let out = submit(app, refund(workflow, key, "200")).await;
            let id = out["request"]["id"].as_str().unwrap().to_owned();
            let decided = decide(
                app,
                &rita,
                json!({ "requestId": id, "decision": "REJECT", "reasonCode": code, "comment": "no" }),
            )
            .await;
            assert_eq!(decided["status"], "REJECTED", "{decided}");
        }
    };
    reject("refunds", "r-1", "wrong_amount").await;
    reject("refunds", "r-2", "wrong_amount").await;
    reject("refunds", "r-3", "duplicate_charge").await;
    reject("payouts", "p-1", "not_eligible").await;
    reject("payouts", "p-2", "duplicate_charge").await;

    // Any signed-in person of the tenant: a reviewer picks from these when rejecting.
    let all = app.data(&rita, REASON_CODES, json!({})).await["reasonCodes"].clone();
    assert_eq!(
        all,
        json!([
            { "code": "duplicate_charge", "count": 2 },
            { "code": "wrong_amount", "count": 2 },
            { "code": "not_eligible", "count": 1 },
        ])
    );
    let refunds = app
        .data(&rita, REASON_CODES, json!({ "w": "refunds" }))
        .await["reasonCodes"]
        .clone();
    assert_eq!(
        refunds,
        json!([
            { "code": "wrong_amount", "count": 2 },
            { "code": "duplicate_charge", "count": 1 },
        ])
    );
    let other = app.token("other", "olga", &["support_agent"]);
    assert_eq!(
        app.data(&other, REASON_CODES, json!({})).await["reasonCodes"],
        json!([])
    );
    let body = app
        .gql(&rita, "{ reasonCodes(first: 0) { code } }", json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
}
