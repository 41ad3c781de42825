//! `analytics(filter)` end to end: a dataset built through the API (every route and outcome,
//! executions, rollbacks, QA verdicts, SLA breaches, expiry, cancellation, two ROI settings) and
//! every figure checked against analytics.md, computed here independently from what the API
//! reports of each request.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use countersign::config::Settings;
use countersign_tests::{TestApp, db_tests, eventually};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    fast_scheduler;
    every_figure_matches_analytics_md,
    analytics_is_for_auditors_and_admins_and_checks_its_filter,
);

db_tests!(demo_mode; serve_demo_seeds_a_populated_dashboard_once);

fn demo_mode(settings: &mut Settings) {
    settings.demo = true;
}

/// Expiry in this dataset takes a scheduler tick: tick often.
fn fast_scheduler(settings: &mut Settings) {
    settings.scheduler_interval_ms = 50;
}

const REPORT: &str =
    "mutation($input: ReportExecutionInput!) { reportExecution(input: $input) { id status } }";
const ROLLBACK: &str = "mutation($id: ID!, $reason: String!) { rollbackAction(id: $id, reason: $reason) { id status } }";
const REVIEW: &str = "mutation($id: ID!, $verdict: SampleVerdict!, $reasonCode: String) { reviewSample(id: $id, verdict: $verdict, reasonCode: $reasonCode) { id qaVerdict } }";
const CANCEL: &str =
    "mutation($id: ID!, $r: String!) { cancelRequest(id: $id, reason: $r) { id status } }";
const TIMES: &str = "query($id: ID!) { approvalRequest(id: $id) { status submittedAt decidedAt } }";

const TOTALS: &str = "submitted autoApproved humanApproved rejected pending expired cancelled executed executionFailed rolledBack sampled sampledIncorrect";
const COST: &str = "aiCostUsd reviewCostUsd totalCostUsd costPerRequestUsd";
const ROI: &str = "hoursSaved valueSavedUsd netValueUsd roi";

fn analytics_query() -> String {
    format!(
        "query($filter: AnalyticsFilter) {{ analytics(filter: $filter) {{
            totals {{ {TOTALS} }}
            autoApprovalRate humanApprovalRate rejectionRate editRate errorRate slaBreachRate
            cycleTime {{ count p50Seconds p90Seconds p99Seconds meanSeconds }}
            rejectionReasons {{ reasonCode count share }}
            cost {{ {COST} }}
            roi {{ {ROI} }}
            byWorkflow {{ workflowKey totals {{ {TOTALS} }} autoApprovalRate rejectionRate errorRate
                cycleTime {{ count p50Seconds }} cost {{ {COST} }} roi {{ {ROI} }} }}
            series {{ bucketStart submitted autoApproved humanApproved rejected errors p50CycleSeconds aiCostUsd }}
        }} }}"
    )
}

fn auditor(app: &TestApp) -> String {
    app.token(TENANT, "audrey", &["auditor"])
}

async fn analytics(app: &TestApp, filter: Value) -> Value {
    app.data(
        &auditor(app),
        &analytics_query(),
        json!({ "filter": filter }),
    )
    .await["analytics"]
        .clone()
}

fn id_of(submitted: &Value) -> String {
    submitted["request"]["id"].as_str().unwrap().to_owned()
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("money as a string, got {v}"))
        .parse()
        .unwrap()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[track_caller]
fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("a number, got {actual}"));
    assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
}

/// Linear-interpolated percentile (numpy's default), written out independently of polars.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Waits until the clock is past `due` (steps with sub-second SLAs).
async fn wait_past(due: DateTime<Utc>) {
    eventually("the clock to pass a due time", || async {
        (Utc::now() > due + Duration::milliseconds(5)).then_some(())
    })
    .await;
}

fn refunds_policy() -> Value {
    json!({
        "rules": [
            { "name": "blocked-country", "when": "has(context.country) && context.country in ['XX']", "route": "REJECT", "reasonCode": "sanctions" },
            { "name": "small", "when": "amount < 50.0", "route": "AUTO", "sampleRate": 1.0, "sampleRole": "qa_reviewer" },
            { "name": "large", "when": "amount >= 1000.0", "route": "HUMAN",
              "steps": [ { "role": "support_manager" }, { "role": "finance", "quorum": 2 } ] }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] }
    })
}

fn invoices_policy() -> Value {
    json!({
        "rules": [
            { "name": "small", "when": "amount < 100.0", "route": "AUTO" },
            { "name": "urgent", "when": "amount >= 5000.0", "route": "HUMAN", "steps": [ { "role": "finance", "sla": "PT0.2S" } ] }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "finance", "sla": "P1D" } ] }
    })
}

async fn every_figure_matches_analytics_md(app: &TestApp) {
    let admin = admin(app);
    let agent = agent(app);
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let manny = app.token(TENANT, "manny", &["support_manager"]);
    let fin1 = app.token(TENANT, "fin1", &["finance"]);
    let fin2 = app.token(TENANT, "fin2", &["finance"]);
    let qa = app.token(TENANT, "quinn", &["qa_reviewer"]);

    create_workflow(app, "refunds", refunds_policy()).await;
    app.data(
        &admin,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "invoices", "name": "Invoices", "policy": invoices_policy(),
            "roi": { "minutesSavedPerAuto": 3, "minutesSavedPerAssisted": 20, "reviewerMinutesPerDecision": 6, "hourlyRateUsd": "90.00" } } }),
    )
    .await;
    create_workflow(
        app,
        "expiring",
        // Its step is due before the request expires: skipped at expiry, it was open past its
        // due time.
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "sla": "PT0.1S" } ] }, "expireAfter": "PT0.3S" }),
    )
    .await;
    // A workflow without requests still gets its (empty) entry.
    create_workflow(app, "idle", refund_policy()).await;

    let approve = |id: &str| json!({ "requestId": id, "decision": "APPROVE" });
    let reject =
        |id: &str, code: &str| json!({ "requestId": id, "decision": "REJECT", "reasonCode": code });
    let report = |id: &str, ok: bool| json!({ "input": { "requestId": id, "success": ok, "externalRef": "x-1", "error": if ok { Value::Null } else { json!("gateway down") } } });

    // refunds: three AUTO (all sampled), executed / rolled back / failed; one verdict each way.
    let a1 = id_of(&submit(app, refund("refunds", "a1", "20")).await);
    let a2 = id_of(&submit(app, refund("refunds", "a2", "30")).await);
    let a3 = id_of(&submit(app, refund("refunds", "a3", "40")).await);
    app.data(&agent, REPORT, report(&a1, true)).await;
    app.data(&agent, REPORT, report(&a2, true)).await;
    app.data(
        &admin,
        ROLLBACK,
        json!({ "id": a2, "reason": "customer disputed" }),
    )
    .await;
    app.data(&agent, REPORT, report(&a3, false)).await;
    app.data(&qa, REVIEW, json!({ "id": a1, "verdict": "CORRECT" }))
        .await;
    app.data(
        &qa,
        REVIEW,
        json!({ "id": a2, "verdict": "INCORRECT", "reasonCode": "wrong_policy" }),
    )
    .await;
    // Human: approved with an edit, approved and executed, rejected.
    let a4 = id_of(&submit(app, refund("refunds", "a4", "200")).await);
    let mut edited = approve(&a4);
    edited["editedAction"] = json!({ "order": "a4", "amount": "150", "note": "Partial refund" });
    decide(app, &rita, edited).await;
    let a5 = id_of(&submit(app, refund("refunds", "a5", "300")).await);
    decide(app, &rita, approve(&a5)).await;
    app.data(&agent, REPORT, report(&a5, true)).await;
    let a6 = id_of(&submit(app, refund("refunds", "a6", "400")).await);
    decide(app, &rita, reject(&a6, "wrong_amount")).await;
    // Two steps, quorum 2: approved with three votes; rejected at the last vote.
    let a7 = id_of(&submit(app, refund("refunds", "a7", "2000")).await);
    decide(app, &manny, approve(&a7)).await;
    decide(app, &fin1, approve(&a7)).await;
    decide(app, &fin2, approve(&a7)).await;
    let a8 = id_of(&submit(app, refund("refunds", "a8", "2500")).await);
    decide(app, &manny, approve(&a8)).await;
    decide(app, &fin1, approve(&a8)).await;
    decide(app, &fin2, reject(&a8, "duplicate")).await;
    // Routed REJECT by the policy; still pending; cancelled.
    let mut blocked = refund("refunds", "a9", "25");
    blocked["context"] = json!({ "country": "XX" });
    let a9 = submit(app, blocked).await;
    assert_eq!(a9["route"], "REJECT");
    let a10 = id_of(&submit(app, refund("refunds", "a10", "500")).await);
    let a11 = id_of(&submit(app, refund("refunds", "a11", "600")).await);
    app.data(
        &agent,
        CANCEL,
        json!({ "id": a11, "r": "customer withdrew" }),
    )
    .await;

    // invoices (own ROI settings): AUTO with its own cost; on time; late; open past due.
    let mut b1 = refund("invoices", "b1", "50");
    b1["costUsd"] = json!("1.10");
    submit(app, b1).await;
    let b2 = id_of(&submit(app, refund("invoices", "b2", "500")).await);
    decide(app, &fin1, approve(&b2)).await;
    let b3 = submit(app, refund("invoices", "b3", "6000")).await;
    wait_past(time(&b3["request"]["steps"][0]["dueAt"])).await;
    decide(app, &fin1, approve(&id_of(&b3))).await;
    let b4 = submit(app, refund("invoices", "b4", "7000")).await;
    wait_past(time(&b4["request"]["steps"][0]["dueAt"])).await;

    // expiring: one request the scheduler expires.
    let c1 = id_of(&submit(app, refund("expiring", "c1", "10")).await);
    eventually("c1 to expire", || async {
        let r = app.data(&admin, TIMES, json!({ "id": c1 })).await;
        (r["approvalRequest"]["status"] == "EXPIRED").then_some(())
    })
    .await;

    let r = analytics(app, json!(null)).await;

    // Totals.
    assert_eq!(
        r["totals"],
        json!({
            "submitted": 16, "autoApproved": 4, "humanApproved": 5, "rejected": 3,
            "pending": 2, "expired": 1, "cancelled": 1,
            // a1 and a5 executed; a2 executed and then rolled back (its last report was a success).
            "executed": 3, "executionFailed": 1, "rolledBack": 1,
            "sampled": 3, "sampledIncorrect": 1
        })
    );
    // Rates over decided = 4 + 5 + 3 = 12.
    close(&r["autoApprovalRate"], 4.0 / 12.0);
    close(&r["humanApprovalRate"], 5.0 / 12.0);
    close(&r["rejectionRate"], 3.0 / 12.0);
    close(&r["editRate"], 1.0 / 5.0);
    // (failed a3 + rolled back a2 + incorrect a2) / (4 auto + 5 human)
    close(&r["errorRate"], 3.0 / 9.0);
    // Steps opened: a4 a5 a6 a10 a11 (1 each), a7 a8 (2 each), b2 b3 b4, c1 = 13; late: b3
    // (decided after its due time), b4 (open past it), c1 (expired after it).
    close(&r["slaBreachRate"], 3.0 / 13.0);

    // Cycle time over the people-decided human requests, from the API's own timestamps.
    let mut cycles = Vec::new();
    for id in [&a4, &a5, &a6, &a7, &a8, &b2, &id_of(&b3)] {
        let t = &app.data(&admin, TIMES, json!({ "id": id })).await["approvalRequest"];
        cycles.push(
            (time(&t["decidedAt"]) - time(&t["submittedAt"]))
                .num_microseconds()
                .unwrap() as f64
                / 1e6,
        );
    }
    cycles.sort_by(f64::total_cmp);
    let c = &r["cycleTime"];
    assert_eq!(c["count"], 7);
    close(&c["p50Seconds"], percentile(&cycles, 0.5));
    close(&c["p90Seconds"], percentile(&cycles, 0.9));
    close(&c["p99Seconds"], percentile(&cycles, 0.99));
    close(&c["meanSeconds"], cycles.iter().sum::<f64>() / 7.0);

    // Reasons: most frequent first, then by code; each a third of the rejected.
    let reasons: Vec<(&str, i64)> = r["rejectionReasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            close(&x["share"], 1.0 / 3.0);
            (
                x["reasonCode"].as_str().unwrap(),
                x["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [("duplicate", 1), ("sanctions", 1), ("wrong_amount", 1)]
    );

    // Money. AI: 15 × 0.0125 + 1.10. Review: refunds 9 decisions × 2 min at $60/h = 18.00;
    // invoices 2 × 6 min at $90/h = 18.00.
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    assert_eq!(dec(&r["cost"]["aiCostUsd"]), d("1.2875"));
    assert_eq!(dec(&r["cost"]["reviewCostUsd"]), d("36.00"));
    assert_eq!(dec(&r["cost"]["totalCostUsd"]), d("37.2875"));
    // 37.2875 / 16 = 2.33046875, to 4 places.
    assert_eq!(dec(&r["cost"]["costPerRequestUsd"]), d("2.3305"));
    // Saved: refunds 3 auto × 10 + 3 assisted × 5 = 45 min at $60/h = 45.00;
    // invoices 1 × 3 + 2 × 20 = 43 min at $90/h = 64.50.
    close(&r["roi"]["hoursSaved"], 45.0 / 60.0 + 43.0 / 60.0);
    assert_eq!(dec(&r["roi"]["valueSavedUsd"]), d("109.50"));
    assert_eq!(dec(&r["roi"]["netValueUsd"]), d("72.2125"));
    close(&r["roi"]["roi"], 72.2125 / 37.2875);

    // Per workflow, by key; "idle" is there with nothing in it.
    let by: BTreeMap<&str, &Value> = r["byWorkflow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["workflowKey"].as_str().unwrap(), w))
        .collect();
    assert_eq!(
        by.keys().copied().collect::<Vec<_>>(),
        ["expiring", "idle", "invoices", "refunds"]
    );
    let refunds = by["refunds"];
    assert_eq!(refunds["totals"]["submitted"], 11);
    assert_eq!(refunds["totals"]["humanApproved"], 3);
    close(&refunds["autoApprovalRate"], 3.0 / 9.0);
    close(&refunds["rejectionRate"], 3.0 / 9.0);
    close(&refunds["errorRate"], 3.0 / 6.0);
    assert_eq!(refunds["cycleTime"]["count"], 5);
    assert_eq!(dec(&refunds["cost"]["aiCostUsd"]), d("0.1375"));
    assert_eq!(dec(&refunds["cost"]["totalCostUsd"]), d("18.1375"));
    assert_eq!(dec(&refunds["roi"]["valueSavedUsd"]), d("45.00"));
    assert_eq!(dec(&refunds["roi"]["netValueUsd"]), d("26.8625"));
    close(&refunds["roi"]["roi"], 26.8625 / 18.1375);
    let invoices = by["invoices"];
    assert_eq!(invoices["totals"]["submitted"], 4);
    assert_eq!(dec(&invoices["cost"]["aiCostUsd"]), d("1.1375"));
    assert_eq!(dec(&invoices["cost"]["reviewCostUsd"]), d("18.00"));
    assert_eq!(dec(&invoices["roi"]["valueSavedUsd"]), d("64.50"));
    close(&invoices["roi"]["hoursSaved"], 43.0 / 60.0);
    close(&invoices["errorRate"], 0.0);
    let idle = by["idle"];
    assert_eq!(idle["totals"]["submitted"], 0);
    assert_eq!(idle["autoApprovalRate"], Value::Null);
    assert_eq!(idle["cost"]["costPerRequestUsd"], Value::Null);
    assert_eq!(idle["roi"]["roi"], Value::Null);
    assert_eq!(idle["cycleTime"]["p50Seconds"], Value::Null);

    // Series: one bucket per UTC day that saw submissions (the run may cross midnight).
    let series = r["series"].as_array().unwrap();
    let total: i64 = series
        .iter()
        .map(|p| p["submitted"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 16);
    let errors: i64 = series.iter().map(|p| p["errors"].as_i64().unwrap()).sum();
    assert_eq!(errors, 3);
    let cost: Decimal = series.iter().map(|p| dec(&p["aiCostUsd"])).sum();
    assert_eq!(cost, d("1.2875"));
    for p in series {
        assert_eq!(time(&p["bucketStart"]).time(), NaiveTime::MIN);
    }

    // Filters: one workflow; an empty range; months.
    let only = analytics(app, json!({ "workflowKeys": ["invoices"] })).await;
    assert_eq!(only["totals"]["submitted"], 4);
    assert_eq!(only["byWorkflow"].as_array().unwrap().len(), 1);
    assert_eq!(dec(&only["cost"]["totalCostUsd"]), d("19.1375"));
    let now = Utc::now();
    let nothing = analytics(
        app,
        json!({ "from": (now - Duration::days(3)).to_rfc3339(), "to": (now - Duration::days(2)).to_rfc3339() }),
    )
    .await;
    assert_eq!(nothing["totals"]["submitted"], 0);
    assert_eq!(nothing["autoApprovalRate"], Value::Null);
    assert_eq!(nothing["cycleTime"]["count"], 0);
    assert_eq!(
        nothing["series"].as_array().unwrap().len(),
        2,
        "two empty days"
    );
    let monthly = analytics(app, json!({ "granularity": "MONTH" })).await;
    let first = time(&monthly["series"][0]["bucketStart"]);
    assert_eq!(first.format("%d %H:%M").to_string(), "01 00:00");

    // The in-memory rows follow new history: one more submission, one more request.
    submit(app, refund("refunds", "a12", "10")).await;
    let again = analytics(app, json!(null)).await;
    assert_eq!(again["totals"]["submitted"], 17);
    assert_eq!(again["totals"]["autoApproved"], 5);
    // And a change to an old request (a10 approved now) is picked up too.
    decide(app, &rita, approve(&a10)).await;
    let again = analytics(app, json!(null)).await;
    assert_eq!(again["totals"]["pending"], 1);
    assert_eq!(again["totals"]["humanApproved"], 6);
}

async fn analytics_is_for_auditors_and_admins_and_checks_its_filter(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    submit(app, refund("refunds", "x1", "20")).await;
    let q = "query($f: AnalyticsFilter) { analytics(filter: $f) { totals { submitted } } }";
    for token in [
        agent(app),
        app.token(TENANT, "rita", &["support_agent"]),
        app.token(TENANT, "quinn", &["qa_reviewer"]),
    ] {
        assert_eq!(app.error_code(&token, q, json!({})).await, "FORBIDDEN");
    }
    for token in [admin(app), auditor(app)] {
        let r = app.data(&token, q, json!({})).await;
        assert_eq!(r["analytics"]["totals"]["submitted"], 1);
    }
    // Another tenant's auditor sees nothing of acme's.
    let other = app.token("globex", "gus", &["auditor"]);
    let r = app.data(&other, q, json!({})).await;
    assert_eq!(r["analytics"]["totals"]["submitted"], 0);
    // A backwards range, or one with too many buckets, is refused with a code.
    let now = Utc::now();
    let backwards =
        json!({ "f": { "from": now.to_rfc3339(), "to": (now - Duration::days(1)).to_rfc3339() } });
    assert_eq!(
        app.error_code(&admin(app), q, backwards).await,
        "BAD_USER_INPUT"
    );
    let huge = json!({ "f": { "from": "1990-01-01T00:00:00Z", "to": now.to_rfc3339() } });
    assert_eq!(app.error_code(&admin(app), q, huge).await, "BAD_USER_INPUT");
    let months = json!({ "f": { "from": "1990-01-01T00:00:00Z", "to": now.to_rfc3339(), "granularity": "MONTH" } });
    assert_eq!(
        app.data(&admin(app), q, months).await["analytics"]["totals"]["submitted"],
        1
    );
}

async fn serve_demo_seeds_a_populated_dashboard_once(app: &TestApp) {
    use countersign::seed::{DEMO_REQUESTS, DEMO_TENANT, seed_demo};
    let viewer = app.token(DEMO_TENANT, "newcomer", &["auditor"]);
    let q = "{ analytics { totals { submitted autoApproved humanApproved rejected executed sampled } autoApprovalRate cycleTime { count p50Seconds } rejectionReasons { reasonCode } roi { roi } byWorkflow { workflowKey } series { submitted } } }";
    let r = app.data(&viewer, q, json!({})).await["analytics"].clone();
    let t = &r["totals"];
    assert_eq!(t["submitted"], DEMO_REQUESTS);
    for figure in [
        "autoApproved",
        "humanApproved",
        "rejected",
        "executed",
        "sampled",
    ] {
        assert!(t[figure].as_i64().unwrap() > 0, "{figure}: {t}");
    }
    assert!(r["autoApprovalRate"].as_f64().unwrap() > 0.0);
    assert!(r["cycleTime"]["p50Seconds"].as_f64().unwrap() > 0.0);
    assert!(!r["rejectionReasons"].as_array().unwrap().is_empty());
    assert!(r["roi"]["roi"].is_number());
    assert_eq!(r["byWorkflow"].as_array().unwrap().len(), 3);
    assert!(r["series"].as_array().unwrap().len() >= 30);
    // A restart on the same database does not seed again. The token it gives (logged with the
    // console's address) signs in as an admin and auditor holding every seeded reviewer role, so
    // the console opens on a queue with work in it.
    let token = seed_demo(&app.state.store, &app.state.tokens)
        .await
        .unwrap()
        .expect("a token for the demo tenant");
    let me = app
        .data(&token, "{ me { subject tenant roles } approvalQueue(first: 1) { totalCount } sampleQueue(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(me["me"]["tenant"], DEMO_TENANT);
    let roles = me["me"]["roles"].as_array().unwrap();
    for role in ["admin", "auditor", "support_agent", "qa_reviewer"] {
        assert!(roles.iter().any(|r| r == role), "{role}: {me}");
    }
    assert!(
        me["approvalQueue"]["totalCount"].as_i64().unwrap() > 0,
        "{me}"
    );
    assert!(
        me["sampleQueue"]["totalCount"].as_i64().unwrap() > 0,
        "{me}"
    );
    let again = app.data(&viewer, q, json!({})).await;
    assert_eq!(again["analytics"]["totals"]["submitted"], DEMO_REQUESTS);
    // Other tenants are untouched.
    let r = app.data(&auditor(app), q, json!({})).await;
    assert_eq!(r["analytics"]["totals"]["submitted"], 0);
}

/// `countersign bench-analytics` (the benchmark command) runs end to end on a small history and
/// its check passes: the dashboard's totals equal one SQL aggregate over the same rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_analytics_command_agrees_with_sql() {
    let bin = countersign_tests::countersign_bin();
    countersign_tests::bounded(async {
        let pg = countersign_tests::PgDatabase::create().await;
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["bench-analytics", "--requests", "600"])
            .env_remove("COUNTERSIGN_CONFIG")
            .env("RUST_LOG", "warn");
        if let Some(db) = &pg {
            cmd.args(["--database-url", &db.url]);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in [
            "seed:",
            "dashboard, cold:",
            "dashboard, warm:",
            "same answers",
            "export /export/requests.parquet",
            "server peak memory",
        ] {
            assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
        }
        if let Some(db) = pg {
            db.drop_database().await;
        }
    })
    .await;
}
