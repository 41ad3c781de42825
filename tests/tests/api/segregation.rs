//! Invariants 1 and 3: only eligible people approve, each at most once per request, never their
//! own action; and the approval queue shows exactly what the caller may decide now.

use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};

use crate::common::*;

const QUEUE: &str = "query($wf: String, $first: Int, $after: String) { approvalQueue(workflowKey: $wf, first: $first, after: $after) { totalCount edges { cursor node { id workflowKey dueAt currentStep } } pageInfo { hasNextPage endCursor } } }";

const CREATE_KEY: &str = "mutation($principal: String!, $roles: [String!]!) { createApiKey(principal: $principal, roles: $roles) { id key } }";

db_tests!(
    invariant_3_submitter_never_approves_own_action,
    invariant_3_one_person_approves_at_most_one_step,
    one_vote_per_person_per_step,
    invariant_1_nothing_approved_without_quorum_of_eligible_people,
    approval_queue_shows_what_the_caller_may_decide_now,
);

/// Manager first, then finance.
fn two_step_policy() -> Value {
    json!({
        "rules": [],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_manager" }, { "role": "finance" } ] }
    })
}

/// One finance step with the given SLA.
fn finance_policy(sla: &str) -> Value {
    json!({
        "rules": [],
        "default": { "route": "HUMAN", "steps": [ { "role": "finance", "sla": sla } ] }
    })
}

/// The ids in the caller's whole queue, in queue order.
async fn queue_ids(app: &TestApp, token: &str) -> Vec<String> {
    let data = app.data(token, QUEUE, json!({ "first": 500 })).await;
    let conn = &data["approvalQueue"];
    let ids: Vec<String> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(conn["totalCount"], ids.len());
    ids
}

fn approve(id: &str) -> Value {
    json!({ "input": { "requestId": id, "decision": "APPROVE" } })
}

async fn invariant_3_submitter_never_approves_own_action(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let sam = app.token(TENANT, "sam", &["agent", "support_agent"]);
    let out = app
        .data(
            &sam,
            SUBMIT,
            json!({ "input": refund("refunds", "sam-1", "200.00") }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(out["route"], "HUMAN");
    assert_eq!(out["request"]["steps"][0]["role"], "support_agent");
    let id = out["request"]["id"].as_str().unwrap().to_owned();

    assert!(
        !queue_ids(app, &sam).await.contains(&id),
        "the submitter's own request is not in its queue"
    );
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    assert_eq!(
        queue_ids(app, &rita).await,
        [id.as_str()],
        "another holder of the role sees it"
    );

    assert_eq!(
        app.error_code(&sam, DECIDE, approve(&id)).await,
        "FORBIDDEN"
    );
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["version"], 1);
    assert_eq!(r["decisions"], json!([]));
    assert_eq!(r["steps"][0]["approvals"], 0);
    assert_eq!(app.count("decisions").await, 0);

    // the principal counts, not the credential: submitted with an API key for "sam", sam's
    // reviewer token cannot approve it either
    let key = app
        .data(
            &admin(app),
            CREATE_KEY,
            json!({ "principal": "sam", "roles": ["agent"] }),
        )
        .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = app
        .data(
            &key,
            SUBMIT,
            json!({ "input": refund("refunds", "sam-2", "300.00") }),
        )
        .await["submitAction"]
        .clone();
    let id2 = out["request"]["id"].as_str().unwrap().to_owned();
    let reviewer_sam = app.token(TENANT, "sam", &["support_agent"]);
    assert!(!queue_ids(app, &reviewer_sam).await.contains(&id2));
    assert_eq!(
        app.error_code(&reviewer_sam, DECIDE, approve(&id2)).await,
        "FORBIDDEN"
    );
    assert_eq!(request(app, &admin(app), &id2).await["status"], "PENDING");
    assert_eq!(app.count("decisions").await, 0);

    // someone else may approve it
    let r = decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
}

async fn invariant_3_one_person_approves_at_most_one_step(app: &TestApp) {
    create_workflow(app, "payouts", two_step_policy()).await;
    let out = submit(app, refund("payouts", "p-1", "900.00")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let pat = app.token(TENANT, "pat", &["support_manager", "finance"]);

    let r = decide(app, &pat, json!({ "requestId": id, "decision": "APPROVE" })).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["currentStep"], 1);
    assert!(
        !queue_ids(app, &pat).await.contains(&id),
        "who approved step 0 does not see step 1 in the queue"
    );

    assert_eq!(
        app.error_code(&pat, DECIDE, approve(&id)).await,
        "FORBIDDEN"
    );
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["version"], 2);
    assert_eq!(r["currentStep"], 1);
    assert_eq!(r["steps"][1]["status"], "OPEN");
    assert_eq!(r["steps"][1]["approvals"], 0);
    assert_eq!(r["decisions"].as_array().unwrap().len(), 1);

    let fred = app.token(TENANT, "fred", &["finance"]);
    let r = decide(
        app,
        &fred,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    let actors: Vec<(i64, &str)> = r["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["step"].as_i64().unwrap(), d["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(actors, [(0, "pat"), (1, "fred")]);
}

async fn one_vote_per_person_per_step(app: &TestApp) {
    create_workflow(
        app,
        "payments",
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "finance", "quorum": 2 } ] } }),
    )
    .await;
    let out = submit(app, refund("payments", "q-1", "5000")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let fred = app.token(TENANT, "fred", &["finance"]);

    let r = decide(
        app,
        &fred,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["steps"][0]["approvals"], 1);
    assert!(!queue_ids(app, &fred).await.contains(&id));

    assert_eq!(
        app.error_code(&fred, DECIDE, approve(&id)).await,
        "CONFLICT"
    );
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["steps"][0]["approvals"], 1);
    assert_eq!(r["version"], 2);
    assert_eq!(r["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(app.count("decisions").await, 1);

    let fiona = app.token(TENANT, "fiona", &["finance"]);
    let r = decide(
        app,
        &fiona,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["steps"][0]["approvals"], 2);
}

async fn invariant_1_nothing_approved_without_quorum_of_eligible_people(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    // "large": support_manager, then finance with quorum 2
    let out = submit(app, refund("refunds", "big-1", "2500.00")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();

    let roles_of = |who: &str| -> &'static [&'static str] {
        match who {
            "mia" => &["support_manager"],
            "fred" | "fiona" => &["finance"],
            other => panic!("unknown reviewer {other}"),
        }
    };
    let token = |who: &str| app.token(TENANT, who, roles_of(who));
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let admin_token = admin(app);
    let auditor = app.token(TENANT, "audrey", &["auditor"]);

    for t in [&rita, &admin_token, &auditor] {
        assert_eq!(
            app.error_code(t, DECIDE, approve(&id)).await,
            "FORBIDDEN",
            "only holders of the step's role approve"
        );
    }
    let r = request(app, &admin_token, &id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["decisions"], json!([]));

    decide(
        app,
        &token("mia"),
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    decide(
        app,
        &token("fred"),
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(
        app.error_code(&admin_token, DECIDE, approve(&id)).await,
        "FORBIDDEN"
    );
    let r = request(app, &admin_token, &id).await;
    assert_eq!(
        r["status"], "PENDING",
        "quorum 2 is not met by one approval"
    );
    assert_eq!(r["steps"][1]["approvals"], 1);

    let r = decide(
        app,
        &token("fiona"),
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");

    let full = request(app, &admin_token, &id).await;
    let steps = full["steps"].as_array().unwrap();
    for step in steps {
        assert_eq!(step["status"], "APPROVED");
        assert_eq!(step["approvals"], step["quorum"]);
    }
    let decisions = full["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 3);
    let mut actors = std::collections::HashSet::new();
    for d in decisions {
        let actor = d["actor"].as_str().unwrap();
        assert!(actors.insert(actor), "distinct people: {decisions:?}");
        assert_eq!(d["decision"], "APPROVE");
        let step = &steps[d["step"].as_u64().unwrap() as usize];
        let role = step["role"].as_str().unwrap();
        assert!(
            roles_of(actor).contains(&role),
            "{actor} holds {role} for step {}",
            step["index"]
        );
    }
    let approved: Vec<&Value> = full["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "REQUEST_APPROVED")
        .collect();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["actor"], "fiona");
    assert_eq!(
        approved[0]["data"]["finalActionHash"],
        full["finalActionHash"]
    );
    assert_eq!(
        full["finalActionHash"], out["request"]["finalActionHash"],
        "unedited: the hash of what was submitted"
    );
}

async fn approval_queue_shows_what_the_caller_may_decide_now(app: &TestApp) {
    create_workflow(app, "payouts", two_step_policy()).await;
    create_workflow(app, "fast", finance_policy("PT1H")).await;
    create_workflow(app, "slow", finance_policy("PT2H")).await;
    let mia = app.token(TENANT, "mia", &["support_manager"]);
    let fred = app.token(TENANT, "fred", &["finance"]);

    let two = submit(app, refund("payouts", "qa-two", "900.00")).await;
    let two_id = two["request"]["id"].as_str().unwrap().to_owned();
    assert!(
        queue_ids(app, &fred).await.is_empty(),
        "finance has nothing to decide while step 0 is open"
    );
    assert_eq!(queue_ids(app, &mia).await, [two_id.as_str()]);

    decide(
        app,
        &mia,
        json!({ "requestId": two_id, "decision": "APPROVE" }),
    )
    .await;
    assert!(
        queue_ids(app, &mia).await.is_empty(),
        "decided: gone from the manager's queue"
    );
    assert_eq!(queue_ids(app, &fred).await, [two_id.as_str()]);

    // due times: slow (PT2H) submitted before fast (PT1H); the payout's finance step has none
    let slow = submit(app, refund("slow", "qa-slow", "700.00")).await;
    let fast = submit(app, refund("fast", "qa-fast", "700.00")).await;
    let slow_id = slow["request"]["id"].as_str().unwrap().to_owned();
    let fast_id = fast["request"]["id"].as_str().unwrap().to_owned();
    assert!(slow["request"]["steps"][0]["dueAt"].is_string());

    let data = app.data(&fred, QUEUE, json!({ "first": 50 })).await;
    let edges = data["approvalQueue"]["edges"].as_array().unwrap();
    let ids: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [fast_id.as_str(), slow_id.as_str(), two_id.as_str()],
        "oldest due first, no due time last"
    );
    let due = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(edges[i]["node"]["dueAt"].as_str().unwrap()).unwrap()
    };
    assert!(due(0) < due(1));
    assert_eq!(edges[2]["node"]["dueAt"], json!(null));
    assert_eq!(edges[2]["node"]["currentStep"], 1);
    assert_eq!(data["approvalQueue"]["totalCount"], 3);

    // the same order page by page
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .data(&fred, QUEUE, json!({ "first": 1, "after": after }))
            .await;
        let conn = &data["approvalQueue"];
        for edge in conn["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(conn["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(seen.len() <= 3, "paging does not end");
    }
    assert_eq!(seen, [fast_id.clone(), slow_id.clone(), two_id.clone()]);

    // the workflow filter narrows the queue
    let data = app
        .data(&fred, QUEUE, json!({ "wf": "slow", "first": 50 }))
        .await;
    assert_eq!(data["approvalQueue"]["totalCount"], 1);
    assert_eq!(
        data["approvalQueue"]["edges"][0]["node"]["id"],
        json!(slow_id)
    );

    // deciding removes it; the manager never sees finance's work
    decide(
        app,
        &fred,
        json!({ "requestId": fast_id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(queue_ids(app, &fred).await, [slow_id, two_id]);
    assert!(queue_ids(app, &mia).await.is_empty());
}
