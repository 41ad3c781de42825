//! Tenant isolation (invariant 4) and who sees which requests inside one tenant: the tenant comes
//! from the credential only, and no id sent by another tenant reads or changes anything.

use std::collections::HashSet;

use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    invariant_4_tenant_isolation_same_keys_foreign_ids_and_separate_audit_chains,
    reviewers_see_requests_for_their_roles_or_their_own_submissions,
    a_reviewers_list_pages_through_each_visible_request_once,
);

const OTHER: &str = "globex";

const WORKFLOWS: &str = "{ workflows { key name } }";

const WORKFLOW: &str =
    "query($key: String!) { workflow(key: $key) { key name activePolicy { version document } } }";

const LIST: &str = "query($filter: RequestFilter) { approvalRequests(filter: $filter, first: 500) { totalCount edges { node { id workflowKey submittedBy } } pageInfo { hasNextPage } } }";

const PAGE: &str = "query($filter: RequestFilter, $first: Int!, $after: String) { approvalRequests(filter: $filter, first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";

const LIST_FIELD: &str = "approvalRequests";

const QUEUE: &str = "{ approvalQueue(first: 500) { totalCount edges { node { id } } } }";

const AUDIT: &str = "query($filter: AuditFilter) { auditLog(filter: $filter, first: 500) { edges { node { seq id type actor workflowKey requestId data } } pageInfo { hasNextPage } } }";

const VERIFY: &str = "{ verifyAuditChain { ok checked firstBrokenSeq headHash } }";

const CREATE_KEY: &str = "mutation($principal: String!, $roles: [String!]!) { createApiKey(principal: $principal, roles: $roles) { id key } }";

const REVOKE_KEY: &str = "mutation($id: ID!) { revokeApiKey(id: $id) }";

/// The ids of the requests a caller sees in `approvalRequests`, with the total count.
async fn visible(app: &TestApp, token: &str) -> (Vec<String>, i64) {
    let data = app.data(token, LIST, json!({ "filter": null })).await;
    let conn = &data["approvalRequests"];
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
    let ids = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, conn["totalCount"].as_i64().unwrap())
}

async fn queue_ids(app: &TestApp, token: &str) -> Vec<String> {
    let data = app.data(token, QUEUE, json!({})).await;
    data["approvalQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn audit_events(app: &TestApp, token: &str, filter: Value) -> Vec<Value> {
    let data = app.data(token, AUDIT, json!({ "filter": filter })).await;
    assert_eq!(data["auditLog"]["pageInfo"]["hasNextPage"], false);
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn id_of(out: &Value) -> String {
    out["request"]["id"].as_str().unwrap().to_owned()
}

async fn invariant_4_tenant_isolation_same_keys_foreign_ids_and_separate_audit_chains(
    app: &TestApp,
) {
    // The same subjects exist in both tenants: only the credential's tenant may tell them apart.
    let acme_admin = admin(app);
    let acme_agent = agent(app);
    let acme_reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let acme_auditor = app.token(TENANT, "audrey", &["auditor"]);
    let globex_admin = app.token(OTHER, "alice-admin", &["admin"]);
    let globex_agent = app.token(OTHER, "refund-bot", &["agent"]);
    let globex_reviewer = app.token(
        OTHER,
        "rita",
        &["support_agent", "support_manager", "finance"],
    );
    let globex_auditor = app.token(OTHER, "audrey", &["auditor"]);

    // both tenants create a workflow with the same key
    create_workflow(app, "refunds", refund_policy()).await;
    let globex_policy = json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] } });
    let created = app
        .data(
            &globex_admin,
            CREATE_WORKFLOW,
            json!({ "input": { "key": "refunds", "name": "Globex refunds", "policy": globex_policy } }),
        )
        .await;
    assert_eq!(created["createWorkflow"]["key"], "refunds");
    assert_eq!(created["createWorkflow"]["activePolicy"]["version"], 1);
    assert_eq!(app.count("workflows").await, 2);

    // each sees only its own
    let acme_wfs = app.data(&acme_admin, WORKFLOWS, json!({})).await;
    assert_eq!(
        acme_wfs["workflows"],
        json!([{ "key": "refunds", "name": "Workflow refunds" }])
    );
    let globex_wfs = app.data(&globex_admin, WORKFLOWS, json!({})).await;
    assert_eq!(
        globex_wfs["workflows"],
        json!([{ "key": "refunds", "name": "Globex refunds" }])
    );
    // (policy documents are for admins and auditors)
    let globex_wf = app
        .data(&globex_admin, WORKFLOW, json!({ "key": "refunds" }))
        .await;
    assert_eq!(globex_wf["workflow"]["name"], "Globex refunds");
    assert_eq!(
        globex_wf["workflow"]["activePolicy"]["document"]["rules"],
        json!([])
    );

    // requests: acme has a HUMAN one and a two-step one; globex reuses acme's idempotency key
    // (with other content), which is neither a replay nor a conflict across tenants
    let acme_mid = id_of(&submit(app, refund("refunds", "r-1", "200.00")).await);
    let acme_big = id_of(&submit(app, refund("refunds", "big-1", "2500.00")).await);
    let globex_out = app
        .data(
            &globex_agent,
            SUBMIT,
            json!({ "input": refund("refunds", "r-1", "300.00") }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(globex_out["created"], true);
    assert_eq!(globex_out["route"], "HUMAN");
    let globex_req = id_of(&globex_out);
    assert_ne!(globex_req, acme_mid);
    assert_eq!(app.count("approval_requests").await, 3);

    // acme's ids read as nothing from globex, whatever the role
    for token in [
        &globex_admin,
        &globex_agent,
        &globex_reviewer,
        &globex_auditor,
    ] {
        for id in [&acme_mid, &acme_big] {
            let r = app.data(token, REQUEST, json!({ "id": id })).await;
            assert_eq!(r["approvalRequest"], json!(null), "{id} leaked to globex");
        }
    }
    // and the other way round
    let r = app
        .data(&acme_admin, REQUEST, json!({ "id": globex_req }))
        .await;
    assert_eq!(r["approvalRequest"], json!(null));

    // globex cannot decide acme's request: NOT_FOUND, and nothing changes
    let decisions_before = app.count("decisions").await;
    let events_before = app.count("audit_events").await;
    for input in [
        json!({ "requestId": acme_mid, "decision": "APPROVE" }),
        json!({ "requestId": acme_mid, "decision": "APPROVE", "expectedVersion": 1, "editedAction": { "order": "r-1", "amount": "999999" } }),
        json!({ "requestId": acme_mid, "decision": "REJECT", "reasonCode": "fraud" }),
        json!({ "requestId": acme_big, "decision": "APPROVE" }),
    ] {
        let code = app
            .error_code(&globex_reviewer, DECIDE, json!({ "input": input }))
            .await;
        assert_eq!(code, "NOT_FOUND", "{input}");
    }
    assert_eq!(app.count("decisions").await, decisions_before);
    assert_eq!(app.count("audit_events").await, events_before);
    let r = request(app, &acme_admin, &acme_mid).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["version"], 1);
    assert_eq!(r["decisions"], json!([]));
    assert_eq!(r["action"]["amount"], "200.00");
    assert_eq!(r["finalAction"], r["action"]);

    // lists and queues show none of the other tenant's requests
    let (ids, total) = visible(app, &globex_admin).await;
    assert_eq!((ids, total), (vec![globex_req.clone()], 1));
    let (ids, total) = visible(app, &globex_auditor).await;
    assert_eq!((ids, total), (vec![globex_req.clone()], 1));
    // same subject "refund-bot" submitted acme's requests: still not visible from globex
    let (ids, total) = visible(app, &globex_agent).await;
    assert_eq!((ids, total), (vec![globex_req.clone()], 1));
    let filtered = app
        .data(
            &globex_admin,
            LIST,
            json!({ "filter": { "workflowKey": "refunds", "status": ["PENDING"] } }),
        )
        .await;
    assert_eq!(filtered["approvalRequests"]["totalCount"], 1);
    for token in [&acme_admin, &acme_agent] {
        let (ids, total) = visible(app, token).await;
        assert_eq!(total, 2);
        assert_eq!(
            sorted(ids),
            sorted(vec![acme_mid.clone(), acme_big.clone()])
        );
    }
    assert_eq!(
        queue_ids(app, &globex_reviewer).await,
        vec![globex_req.clone()]
    );
    // same subject "rita" in acme, with the role of both requests' open steps
    assert_eq!(queue_ids(app, &acme_reviewer).await, vec![acme_mid.clone()]);

    // audit: each tenant has its own chain, numbered from 1, with only its own events
    let acme_ids: HashSet<String> = [acme_mid.clone(), acme_big.clone()].into();
    let globex_ids: HashSet<String> = [globex_req.clone()].into();
    for (token, own, foreign) in [
        (&acme_auditor, &acme_ids, &globex_ids),
        (&globex_auditor, &globex_ids, &acme_ids),
    ] {
        let events = audit_events(app, token, json!(null)).await;
        assert!(!events.is_empty());
        let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        let expected: Vec<i64> = (1..=events.len() as i64).collect();
        assert_eq!(seqs, expected, "seq starts at 1 and has no gap");
        assert_eq!(events[0]["type"], "WORKFLOW_CREATED");
        for e in &events {
            if let Some(rid) = e["requestId"].as_str() {
                assert!(own.contains(rid), "event of an unknown request: {e}");
                assert!(!foreign.contains(rid), "other tenant's event: {e}");
            }
        }
        let submitted = events
            .iter()
            .filter(|e| e["type"] == "REQUEST_SUBMITTED")
            .count();
        assert_eq!(submitted, own.len());
        let v = app.data(token, VERIFY, json!({})).await;
        assert_eq!(v["verifyAuditChain"]["ok"], true);
        assert_eq!(v["verifyAuditChain"]["checked"], events.len() as i64);
        assert_eq!(v["verifyAuditChain"]["firstBrokenSeq"], json!(null));
    }
    // filtering by the other tenant's request or shared workflow key reveals nothing of it
    let by_foreign_request =
        audit_events(app, &globex_auditor, json!({ "requestId": acme_mid })).await;
    assert_eq!(by_foreign_request, Vec::<Value>::new());
    let by_key = audit_events(app, &globex_auditor, json!({ "workflowKey": "refunds" })).await;
    assert!(
        by_key
            .iter()
            .all(|e| e["requestId"].is_null() || e["requestId"] == globex_req.as_str()),
        "{by_key:?}"
    );
    let request_history = request(app, &acme_admin, &acme_mid).await["history"].clone();
    assert!(
        request_history
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "refund-bot" || e["actor"] == "system"),
        "{request_history}"
    );

    // API keys: bound to their tenant; another tenant cannot revoke one by id
    let acme_key = app
        .data(
            &acme_admin,
            CREATE_KEY,
            json!({ "principal": "bot-7", "roles": ["agent"] }),
        )
        .await["createApiKey"]
        .clone();
    let globex_key = app
        .data(
            &globex_admin,
            CREATE_KEY,
            json!({ "principal": "bot-7", "roles": ["agent"] }),
        )
        .await["createApiKey"]
        .clone();
    let me = "{ me { subject tenant } }";
    let acme_me = app
        .data(acme_key["key"].as_str().unwrap(), me, json!({}))
        .await;
    assert_eq!(
        acme_me["me"],
        json!({ "subject": "bot-7", "tenant": TENANT })
    );
    let globex_me = app
        .data(globex_key["key"].as_str().unwrap(), me, json!({}))
        .await;
    assert_eq!(
        globex_me["me"],
        json!({ "subject": "bot-7", "tenant": OTHER })
    );
    let events_before = app.count("audit_events").await;
    let code = app
        .error_code(&globex_admin, REVOKE_KEY, json!({ "id": acme_key["id"] }))
        .await;
    assert_eq!(code, "NOT_FOUND");
    assert_eq!(app.count("audit_events").await, events_before);
    let still = app
        .data(acme_key["key"].as_str().unwrap(), me, json!({}))
        .await;
    assert_eq!(still["me"]["tenant"], TENANT, "acme's key still works");
    // a globex key sees globex only
    let (ids, _) = visible(app, globex_key["key"].as_str().unwrap()).await;
    assert_eq!(
        ids,
        Vec::<String>::new(),
        "bot-7 submitted nothing in globex"
    );
    let r = app
        .data(
            globex_key["key"].as_str().unwrap(),
            REQUEST,
            json!({ "id": acme_mid }),
        )
        .await;
    assert_eq!(r["approvalRequest"], json!(null));
}

async fn reviewers_see_requests_for_their_roles_or_their_own_submissions(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    // AUTO, default HUMAN (support_agent), and two steps (support_manager then finance)
    let small = id_of(&submit(app, refund("refunds", "s-1", "20.00")).await);
    let mid = id_of(&submit(app, refund("refunds", "m-1", "200.00")).await);
    let big = id_of(&submit(app, refund("refunds", "b-1", "2500.00")).await);
    // another agent's submission
    let other_agent = app.token(TENANT, "email-bot", &["agent"]);
    let other = id_of(
        &app.data(
            &other_agent,
            SUBMIT,
            json!({ "input": refund("refunds", "o-1", "30.00") }),
        )
        .await["submitAction"],
    );
    let all = sorted(vec![small.clone(), mid.clone(), big.clone(), other.clone()]);

    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let mia = app.token(TENANT, "mia", &["support_manager"]);
    let fred = app.token(TENANT, "fred", &["finance"]);
    let rex = app.token(TENANT, "rex", &["legal"]);
    let audrey = app.token(TENANT, "audrey", &["auditor"]);

    let admin = admin(app);
    let submitter = agent(app);
    let cases: Vec<(&str, &str, Vec<String>)> = vec![
        ("admin", &admin, all.clone()),
        ("auditor", &audrey, all.clone()),
        (
            "the submitting agent",
            &submitter,
            sorted(vec![small.clone(), mid.clone(), big.clone()]),
        ),
        ("another agent", &other_agent, vec![other.clone()]),
        ("support_agent", &rita, vec![mid.clone()]),
        ("support_manager", &mia, vec![big.clone()]),
        // a later step's role sees the request too
        ("finance", &fred, vec![big.clone()]),
        ("an unrelated role", &rex, vec![]),
    ];
    for (who, token, expected) in &cases {
        let (ids, total) = visible(app, token).await;
        assert_eq!(sorted(ids), *expected, "{who}");
        assert_eq!(total, expected.len() as i64, "{who}: totalCount");
        // approvalRequest(id) agrees with the list
        for id in &all {
            let r = app.data(token, REQUEST, json!({ "id": id })).await;
            assert_eq!(
                r["approvalRequest"].is_null(),
                !expected.contains(id),
                "{who} reading {id}"
            );
        }
    }
}

/// How many requests a caller sees for `filter`.
async fn total(app: &TestApp, token: &str, filter: &Value) -> i64 {
    let vars = json!({ "filter": filter, "first": 1 });
    app.data(token, PAGE, vars).await["approvalRequests"]["totalCount"]
        .as_i64()
        .unwrap()
}

/// A reviewer's list is the union of several index ranges (own submissions, steps by role,
/// steps escalated to a role, QA samples) merged newest first: whatever the page size and the
/// filter, every visible request comes once, in the admin's order, and nothing else does.
async fn a_reviewers_list_pages_through_each_visible_request_once(app: &TestApp) {
    use chrono::{Duration, Utc};
    use countersign::domain::timeouts::escalate_due;

    let policy = json!({
        "rules": [
            { "name": "tiny", "when": "amount < 10.0", "route": "AUTO", "sampleRate": 1.0, "sampleRole": "qa" },
            // two steps of the same role: one request, two entries in that role's range
            { "name": "double", "when": "amount >= 500.0", "route": "HUMAN",
              "steps": [ { "role": "support_agent" }, { "role": "support_agent" } ] },
            { "name": "legal", "when": "amount >= 300.0", "route": "HUMAN",
              "steps": [ { "role": "legal", "sla": "PT1M" } ] }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "finance" } ] },
        // steps without an SLA are due an hour after they open: only the legal ones are due
        // ten minutes from now
        "escalation": { "after": "PT1H", "toRole": "support_agent" }
    });
    create_workflow(app, "mixed", policy).await;
    create_workflow(app, "refunds", refund_policy()).await;
    let rita = app.token(TENANT, "rita", &["agent", "qa", "support_agent"]);
    let mut expected = Vec::new();
    for i in 0..4 {
        for (workflow, amount, visible) in [
            ("mixed", "5.00", true),       // sampled for qa
            ("mixed", "700.00", true),     // support_agent, twice
            ("mixed", "350.00", true),     // legal, escalated to support_agent below
            ("mixed", "100.00", false),    // finance
            ("refunds", "200.00", true),   // support_agent (refunds' default)
            ("refunds", "2500.00", false), // support_manager, then finance
        ] {
            let out = submit(
                app,
                refund(workflow, &format!("{workflow}-{amount}-{i}"), amount),
            )
            .await;
            if visible {
                expected.push(id_of(&out));
            }
        }
        // rita's own submission, to finance
        let own = app
            .data(
                &rita,
                SUBMIT,
                json!({ "input": refund("mixed", &format!("own-{i}"), "120.00") }),
            )
            .await["submitAction"]
            .clone();
        assert_eq!(own["route"], "HUMAN");
        expected.push(id_of(&own));
    }
    let escalated = escalate_due(&app.state.store, Utc::now() + Duration::minutes(10), 200)
        .await
        .unwrap();
    assert_eq!(escalated, 4, "the legal steps");

    let admin = admin(app);
    for filter in [
        json!(null),
        json!({ "status": ["PENDING"] }),
        json!({ "workflowKey": "mixed" }),
        json!({ "workflowKey": "mixed", "status": ["APPROVED"] }),
        json!({ "route": "HUMAN", "workflowKey": "refunds" }),
    ] {
        // What rita should see: the admin's list (newest first), less what she may not see.
        let everything = all_pages(
            app,
            &admin,
            PAGE,
            json!({ "filter": filter }),
            LIST_FIELD,
            500,
        )
        .await;
        let want: Vec<String> = everything
            .into_iter()
            .filter(|id| expected.contains(id))
            .collect();
        for first in [1, 2, 3, 7, 50] {
            let ids = all_pages(
                app,
                &rita,
                PAGE,
                json!({ "filter": filter }),
                LIST_FIELD,
                first,
            )
            .await;
            assert_eq!(ids, want, "filter {filter}, first {first}");
        }
        assert_eq!(
            total(app, &rita, &filter).await,
            want.len() as i64,
            "filter {filter}: totalCount"
        );
    }
    // The reviewer sees 5 of every 7 requests, and the filters above are not empty.
    assert_eq!(expected.len(), 20);
}
