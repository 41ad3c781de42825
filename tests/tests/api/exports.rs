//! `GET /export/{requests,audit}.{csv,parquet,jsonl}`: auditor/admin only, the filters of
//! `approvalRequests`/`auditLog` as query parameters, streamed over several pages, and the three
//! formats agreeing with each other and with the API row for row.

use std::io::Cursor;

use countersign::seed::{SeedOptions, seed};
use countersign_tests::{TestApp, db_tests};
use polars::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    exports_stream_every_row_in_three_formats,
    exports_check_who_asks_and_what_they_ask_for,
    exports_write_utc_times_and_money_alike_in_every_format,
);

const COUNT: &str =
    "query($filter: RequestFilter) { approvalRequests(filter: $filter, first: 1) { totalCount } }";

fn auditor(app: &TestApp) -> String {
    app.token(TENANT, "audrey", &["auditor"])
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> (StatusCode, String, Vec<u8>) {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, res.bytes().await.unwrap().to_vec())
}

async fn ok(app: &TestApp, path: &str) -> Vec<u8> {
    let (status, _, body) = get(app, Some(&auditor(app)), path).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    body
}

fn jsonl(body: &[u8]) -> Vec<Value> {
    std::str::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn csv_frame(body: &[u8]) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0)) // every column as text: compare what was written
        .into_reader_with_file_handle(Cursor::new(body.to_vec()))
        .finish()
        .unwrap()
}

fn parquet_frame(body: &[u8]) -> DataFrame {
    ParquetReader::new(Cursor::new(body.to_vec()))
        .finish()
        .unwrap()
}

fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    let c = df.column(column).unwrap().cast(&DataType::String).unwrap();
    let c = c.str().unwrap();
    (0..c.len())
        .map(|i| c.get(i).unwrap_or_default().to_owned())
        .collect()
}

async fn exports_stream_every_row_in_three_formats(app: &TestApp) {
    // Real activity first (an edit, a rejection), then seeded history: more rows than one page.
    create_workflow(app, "refunds", refund_policy()).await;
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let auto = submit(app, refund("refunds", "e-1", "20")).await;
    let human = submit(app, refund("refunds", "e-2", "200")).await;
    let human_id = human["request"]["id"].as_str().unwrap().to_owned();
    decide(
        app,
        &rita,
        json!({ "requestId": human_id, "decision": "APPROVE", "editedAction": { "order": "e-2", "amount": "150", "note": "partial" } }),
    )
    .await;
    let mut opts = SeedOptions::new(TENANT, 2_300);
    opts.seed = 11;
    seed(&app.state.store, opts).await.unwrap();
    let admin = admin(app);
    let total = app.data(&admin, COUNT, json!({})).await["approvalRequests"]["totalCount"]
        .as_i64()
        .unwrap() as usize;
    assert_eq!(total, 2_302);

    // Requests: the same rows in every format.
    let lines = jsonl(&ok(app, "/export/requests.jsonl").await);
    let csv = csv_frame(&ok(app, "/export/requests.csv").await);
    let parquet = parquet_frame(&ok(app, "/export/requests.parquet").await);
    assert_eq!(
        (lines.len(), csv.height(), parquet.height()),
        (total, total, total)
    );
    let ids: Vec<String> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(strings(&csv, "id"), ids);
    assert_eq!(strings(&parquet, "id"), ids);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), total, "no row twice");
    // The edited request as the API shows it: final action, edit flag, exact money.
    let row = lines.iter().find(|l| l["id"] == human_id.as_str()).unwrap();
    assert_eq!(row["status"], "APPROVED");
    assert_eq!(row["edited"], true);
    assert_eq!(row["finalAction"]["amount"], "150");
    assert_eq!(row["action"]["amount"], "200");
    assert_eq!(row["costUsd"], "0.01250000");
    assert_eq!(row["route"], "HUMAN");
    let i = ids.iter().position(|id| *id == human_id).unwrap();
    assert_eq!(strings(&csv, "cost_usd")[i], "0.01250000");
    assert_eq!(strings(&csv, "edited")[i], "true");
    let cost = parquet.column("cost_usd").unwrap();
    assert_eq!(cost.dtype(), &DataType::Decimal(38, 8));
    assert!(matches!(
        parquet.column("submitted_at").unwrap().dtype(),
        DataType::Datetime(TimeUnit::Microseconds, _)
    ));
    assert_eq!(strings(&parquet, "status")[i], "APPROVED");
    let auto_id = auto["request"]["id"].as_str().unwrap();
    assert_eq!(
        lines.iter().find(|l| l["id"] == auto_id).unwrap()["route"],
        "AUTO"
    );

    // Filters narrow exactly as approvalRequests does.
    let approved = app
        .data(
            &admin,
            COUNT,
            json!({ "filter": { "status": ["APPROVED", "EXECUTED"], "route": "HUMAN" } }),
        )
        .await["approvalRequests"]["totalCount"]
        .as_u64()
        .unwrap() as usize;
    let narrowed = jsonl(
        &ok(
            app,
            "/export/requests.jsonl?status=APPROVED,EXECUTED&route=HUMAN",
        )
        .await,
    );
    assert_eq!(narrowed.len(), approved);
    assert!(
        narrowed
            .iter()
            .all(|l| l["route"] == "HUMAN"
                && (l["status"] == "APPROVED" || l["status"] == "EXECUTED"))
    );
    let only = jsonl(&ok(app, "/export/requests.jsonl?workflowKey=refunds").await);
    assert!(only.len() >= 2 && only.iter().all(|l| l["workflowKey"] == "refunds"));
    let future = jsonl(
        &ok(
            app,
            "/export/requests.jsonl?submittedFrom=2999-01-01T00:00:00Z",
        )
        .await,
    );
    assert!(future.is_empty());
    // An empty CSV still has its header; an empty Parquet file is a valid file.
    let empty_csv = csv_frame(
        &ok(
            app,
            "/export/requests.csv?submittedFrom=2999-01-01T00:00:00Z",
        )
        .await,
    );
    assert_eq!(
        (empty_csv.height(), empty_csv.width()),
        (0, parquet.width())
    );
    let empty_parquet = parquet_frame(
        &ok(
            app,
            "/export/requests.parquet?submittedFrom=2999-01-01T00:00:00Z",
        )
        .await,
    );
    assert_eq!(empty_parquet.height(), 0);

    // Audit: every event, in seq order, the chain linking row to row, in every format.
    let events = jsonl(&ok(app, "/export/audit.jsonl").await);
    let head = app
        .data(
            &admin,
            "{ verifyAuditChain { ok checked headHash } }",
            json!({}),
        )
        .await;
    assert_eq!(
        events.len() as i64,
        head["verifyAuditChain"]["checked"].as_i64().unwrap()
    );
    assert!(
        events.len() > 4_000,
        "more than two pages: {}",
        events.len()
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"].as_u64().unwrap(), i as u64 + 1);
        if i > 0 {
            assert_eq!(e["prevHash"], events[i - 1]["hash"]);
        }
    }
    assert_eq!(
        events.last().unwrap()["hash"],
        head["verifyAuditChain"]["headHash"]
    );
    assert!(events[0]["data"].is_object(), "data embedded as JSON");
    let audit_csv = csv_frame(&ok(app, "/export/audit.csv").await);
    let audit_parquet = parquet_frame(&ok(app, "/export/audit.parquet").await);
    assert_eq!(audit_csv.height(), events.len());
    assert_eq!(strings(&audit_parquet, "hash"), strings(&audit_csv, "hash"));
    // Audit filters: after a seq, by request, by type.
    let after = jsonl(&ok(app, "/export/audit.jsonl?afterSeq=100").await);
    assert_eq!(after.len(), events.len() - 100);
    assert_eq!(after[0]["seq"], 101);
    let of_request = jsonl(&ok(app, &format!("/export/audit.jsonl?requestId={human_id}")).await);
    let types: Vec<&str> = of_request
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"REQUEST_SUBMITTED"));
    assert!(types.contains(&"REQUEST_APPROVED"), "{types:?}");
    let created = jsonl(&ok(app, "/export/audit.jsonl?types=WORKFLOW_CREATED").await);
    assert!(!created.is_empty() && created.iter().all(|e| e["type"] == "WORKFLOW_CREATED"));
}

/// The Parquet footer's logical type of each timestamp column (read from the file itself, not
/// from the Arrow schema polars embeds beside it).
fn parquet_timestamp_types(body: &[u8]) -> Vec<(String, String)> {
    let mut reader = ParquetReader::new(Cursor::new(body.to_vec()));
    let metadata = reader.get_metadata().unwrap();
    metadata
        .schema_descr
        .columns()
        .iter()
        .map(|c| {
            (
                c.path_in_schema.join("."),
                format!("{:?}", c.descriptor.primitive_type.logical_type),
            )
        })
        .filter(|(_, logical)| logical.contains("Timestamp"))
        .collect()
}

fn optional_strings(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    let c = df.column(column).unwrap().cast(&DataType::String).unwrap();
    let c = c.str().unwrap();
    (0..c.len()).map(|i| c.get(i).map(str::to_owned)).collect()
}

fn json_strings(lines: &[Value], key: &str) -> Vec<Option<String>> {
    lines
        .iter()
        .map(|l| l[key].as_str().map(str::to_owned))
        .collect()
}

/// Parquet timestamps are instants (`isAdjustedToUTC = true`), CSV times are RFC 3339 with `Z`
/// exactly as JSON lines write them, and money is the same decimal string (8 places) in CSV,
/// JSON lines and Parquet's `Decimal(38, 8)`.
async fn exports_write_utc_times_and_money_alike_in_every_format(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    submit(app, refund("refunds", "m-1", "20.5")).await;
    submit(app, refund("refunds", "m-2", "0.10")).await;
    let human = submit(app, refund("refunds", "m-3", "123.45678")).await;
    let mut no_money = refund("refunds", "m-4", "1");
    no_money.as_object_mut().unwrap().remove("amount");
    no_money.as_object_mut().unwrap().remove("costUsd");
    submit(app, no_money).await;
    let human_id = human["request"]["id"].as_str().unwrap().to_owned();
    decide(
        app,
        &rita,
        json!({ "requestId": human_id, "decision": "APPROVE" }),
    )
    .await;

    let lines = jsonl(&ok(app, "/export/requests.jsonl").await);
    let csv = csv_frame(&ok(app, "/export/requests.csv").await);
    let parquet_bytes = ok(app, "/export/requests.parquet").await;
    let parquet = parquet_frame(&parquet_bytes);
    assert_eq!(lines.len(), 4);

    // Parquet: every timestamp column is UTC-adjusted, and reads back as UTC.
    let types = parquet_timestamp_types(&parquet_bytes);
    let names: Vec<&str> = types.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["submitted_at", "decided_at", "executed_at"]);
    for (name, logical) in &types {
        assert!(
            logical.contains("is_adjusted_to_utc: true"),
            "{name}: {logical}"
        );
    }
    assert_eq!(
        parquet.column("submitted_at").unwrap().dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    let audit_parquet = ok(app, "/export/audit.parquet").await;
    let audit_types = parquet_timestamp_types(&audit_parquet);
    assert_eq!(audit_types.len(), 1, "{audit_types:?}");
    assert!(audit_types[0].1.contains("is_adjusted_to_utc: true"));

    // CSV times: the JSON lines' strings, RFC 3339 with Z.
    for (column, key) in [
        ("submitted_at", "submittedAt"),
        ("decided_at", "decidedAt"),
        ("executed_at", "executedAt"),
    ] {
        let from_json = json_strings(&lines, key);
        assert_eq!(optional_strings(&csv, column), from_json, "{column}");
        for t in from_json.iter().flatten() {
            assert!(t.ends_with('Z') && t.contains('T'), "{column}: {t}");
            chrono::DateTime::parse_from_rfc3339(t).unwrap();
        }
    }
    assert!(
        json_strings(&lines, "decidedAt").iter().flatten().count() >= 1,
        "a decided request is in the export"
    );
    let events = jsonl(&ok(app, "/export/audit.jsonl").await);
    let audit_csv = csv_frame(&ok(app, "/export/audit.csv").await);
    assert_eq!(
        optional_strings(&audit_csv, "at"),
        json_strings(&events, "at")
    );

    // Money: one string in every format.
    for (column, key) in [("amount", "amount"), ("cost_usd", "costUsd")] {
        let from_json = json_strings(&lines, key);
        assert_eq!(optional_strings(&csv, column), from_json, "{column} csv");
        assert_eq!(
            optional_strings(&parquet, column),
            from_json,
            "{column} parquet"
        );
        assert_eq!(
            parquet.column(column).unwrap().dtype(),
            &DataType::Decimal(38, 8)
        );
    }
    let amount_of = |key: &str| {
        let l = lines
            .iter()
            .find(|l| l["finalAction"]["order"] == key)
            .unwrap();
        (l["amount"].clone(), l["costUsd"].clone())
    };
    assert_eq!(
        amount_of("m-1"),
        (json!("20.50000000"), json!("0.01250000"))
    );
    assert_eq!(amount_of("m-2").0, json!("0.10000000"));
    assert_eq!(amount_of("m-3").0, json!("123.45678000"));
    assert_eq!(amount_of("m-4"), (json!(null), json!(null)));
}

async fn exports_check_who_asks_and_what_they_ask_for(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    submit(app, refund("refunds", "w-1", "20")).await;
    let code =
        |body: &[u8]| serde_json::from_slice::<Value>(body).unwrap()["error"]["code"].clone();

    let (status, _, body) = get(app, None, "/export/requests.csv").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, json!("UNAUTHENTICATED"))
    );
    for token in [agent(app), app.token(TENANT, "rita", &["support_agent"])] {
        let (status, _, body) = get(app, Some(&token), "/export/audit.jsonl").await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, json!("FORBIDDEN"))
        );
    }
    let admin = admin(app);
    for (path, expected) in [
        ("/export/requests.xlsx", StatusCode::NOT_FOUND),
        ("/export/secrets.csv", StatusCode::NOT_FOUND),
        ("/export/requests.csv?status=DONE", StatusCode::BAD_REQUEST),
        ("/export/requests.csv?route=MAYBE", StatusCode::BAD_REQUEST),
        (
            "/export/requests.csv?submittedFrom=yesterday",
            StatusCode::BAD_REQUEST,
        ),
        ("/export/requests.csv?colour=red", StatusCode::BAD_REQUEST),
        ("/export/audit.csv?afterSeq=-1", StatusCode::BAD_REQUEST),
        ("/export/audit.csv?afterSeq=many", StatusCode::BAD_REQUEST),
        ("/export/audit.csv?requestId=nope", StatusCode::BAD_REQUEST),
    ] {
        let (status, _, body) = get(app, Some(&admin), path).await;
        assert_eq!(
            status,
            expected,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        let c = code(&body);
        assert!(c == "NOT_FOUND" || c == "BAD_USER_INPUT", "{path}: {c}");
    }
    // Content types, and the tenant comes from the credential only.
    for (path, ct) in [
        ("/export/requests.csv", "text/csv; charset=utf-8"),
        ("/export/requests.parquet", "application/vnd.apache.parquet"),
        ("/export/audit.jsonl", "application/x-ndjson"),
    ] {
        let (status, content_type, _) = get(app, Some(&admin), path).await;
        assert_eq!((status, content_type.as_str()), (StatusCode::OK, ct));
    }
    let other = app.token("globex", "gus", &["auditor"]);
    let (status, _, body) = get(app, Some(&other), "/export/requests.jsonl").await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
}
