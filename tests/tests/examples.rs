//! The example agents in `examples/` run against the real server, with a reviewer deciding
//! through the API, so they cannot rot: `agent_refunds.py` (GraphQL, `awaitDecision`) and
//! `mcp_agent.py` (the official MCP Python SDK against `/mcp`). Needs a Python with the
//! examples' requirements: `examples/.venv` (`python3 -m venv examples/.venv &&
//! examples/.venv/bin/pip install -r examples/requirements.txt`), or `EXAMPLES_PYTHON`; without
//! it the test fails and says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

db_tests!(
    the_graphql_agent_pays_what_the_reviewer_approved,
    the_mcp_agent_reports_an_approved_refund,
    the_mcp_agent_leaves_a_rejected_refund_alone,
);

const TENANT: &str = "acme";

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The Python that runs the examples, or a message saying how to get one.
fn python() -> PathBuf {
    let python = std::env::var_os("EXAMPLES_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| examples_dir().join(".venv/bin/python"));
    let ready = std::process::Command::new(&python)
        .args(["-c", "import mcp, httpx2"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ready,
        "example agents: no Python with the examples' requirements at {}: run \
         `python3 -m venv examples/.venv && examples/.venv/bin/pip install -r examples/requirements.txt` \
         (or set EXAMPLES_PYTHON)",
        python.display()
    );
    python
}

/// An example agent running as a process, read line by line (its line protocol).
struct Agent {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Agent {
    fn start(app: &TestApp, script: &str, args: &[&str]) -> Agent {
        let token = app.token(TENANT, "refund-bot", &["agent"]);
        let mut child = Command::new(python())
            .arg(examples_dir().join(script))
            .args(args)
            .env("COUNTERSIGN_URL", &app.base)
            .env("COUNTERSIGN_TOKEN", token)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Agent { child, lines }
    }

    /// The next event, which must be `event`.
    async fn expect(&mut self, event: &str) -> Value {
        let line = self
            .lines
            .next_line()
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the agent ended before {event:?}"));
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["event"], event, "{value}");
        value
    }

    async fn exit_code(mut self) -> i32 {
        assert_eq!(
            self.lines.next_line().await.unwrap(),
            None,
            "no more events"
        );
        self.child.wait().await.unwrap().code().unwrap()
    }
}

async fn refunds_workflow(app: &TestApp) {
    let admin = app.token(TENANT, "alice", &["admin"]);
    app.data(
        &admin,
        "mutation($p: JSON!) { createWorkflow(input: {key: \"refunds\", name: \"Customer refunds\", policy: $p}) { key } }",
        json!({ "p": {
            "rules": [ { "name": "small-clean", "when": "amount < 50.0 && confidence >= 0.9 && size(risk_flags) == 0", "route": "AUTO" } ],
            "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] }
        } }),
    )
    .await;
}

async fn until_waiting(app: &TestApp) {
    countersign_tests::eventually("the agent to wait", || async {
        app.state.events.broadcast_head(TENANT).map(|_| ())
    })
    .await;
}

async fn decide(app: &TestApp, input: Value) -> Value {
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    app.data(
        &rita,
        "mutation($input: DecideInput!) { decide(input: $input) { status } }",
        json!({ "input": input }),
    )
    .await["decide"]
        .clone()
}

async fn request(app: &TestApp, id: &str) -> Value {
    let admin = app.token(TENANT, "alice", &["admin"]);
    app.data(
        &admin,
        "query($id: ID!) { approvalRequest(id: $id) { status externalRef reasonCode finalAction correlation } }",
        json!({ "id": id }),
    )
    .await["approvalRequest"]
        .clone()
}

async fn the_graphql_agent_pays_what_the_reviewer_approved(app: &TestApp) {
    refunds_workflow(app).await;
    let mut agent = Agent::start(
        app,
        "agent_refunds.py",
        &["--amount", "120.00", "--max-wait", "120"],
    );
    let submitted = agent.expect("submitted").await;
    assert_eq!(submitted["status"], "PENDING");
    let id = submitted["requestId"].as_str().unwrap().to_owned();
    until_waiting(app).await;
    let edited = json!({ "customer": "c-1001", "amount": "100.00", "currency": "EUR", "reason": "Parcel arrived damaged" });
    decide(
        app,
        json!({ "requestId": id, "decision": "APPROVE", "editedAction": edited }),
    )
    .await;
    let decided = agent.expect("decided").await;
    assert_eq!(decided["status"], "APPROVED");
    assert_eq!(decided["finalAction"], edited);
    assert_eq!(decided["decisions"][0]["actor"], "rita");
    let executed = agent.expect("executed").await;
    assert_eq!(executed["amount"], "100.00", "it paid the edited amount");
    assert_eq!(executed["status"], "EXECUTED");
    assert_eq!(agent.exit_code().await, 0);

    let r = request(app, &id).await;
    assert_eq!(r["status"], "EXECUTED");
    assert_eq!(r["externalRef"], format!("refund-{id}"));
    assert_eq!(r["correlation"]["step"], "refund");
}

async fn the_mcp_agent_reports_an_approved_refund(app: &TestApp) {
    refunds_workflow(app).await;
    let mut agent = Agent::start(
        app,
        "mcp_agent.py",
        &["--amount", "80.00", "--max-wait", "120"],
    );
    let tools = agent.expect("tools").await;
    for tool in ["submit_action", "wait_for_decision", "report_execution"] {
        assert!(
            tools["names"].as_array().unwrap().contains(&json!(tool)),
            "{tools}"
        );
    }
    let submitted = agent.expect("submitted").await;
    assert_eq!(submitted["status"], "PENDING");
    assert!(
        submitted["text"]
            .as_str()
            .unwrap()
            .starts_with("Pending: waiting for support_agent"),
        "{submitted}"
    );
    let id = submitted["requestId"].as_str().unwrap().to_owned();
    until_waiting(app).await;
    decide(app, json!({ "requestId": id, "decision": "APPROVE" })).await;
    let decided = agent.expect("decided").await;
    assert_eq!(decided["status"], "APPROVED");
    assert!(
        decided["text"]
            .as_str()
            .unwrap()
            .starts_with("Approved by rita."),
        "{decided}"
    );
    assert_eq!(agent.expect("reported").await["status"], "EXECUTED");
    assert_eq!(agent.exit_code().await, 0);
    let r = request(app, &id).await;
    assert_eq!(r["status"], "EXECUTED");
    assert_eq!(r["externalRef"], format!("refund-{id}"));
}

async fn the_mcp_agent_leaves_a_rejected_refund_alone(app: &TestApp) {
    refunds_workflow(app).await;
    let mut agent = Agent::start(
        app,
        "mcp_agent.py",
        &["--amount", "80.00", "--max-wait", "120"],
    );
    agent.expect("tools").await;
    let id = agent.expect("submitted").await["requestId"]
        .as_str()
        .unwrap()
        .to_owned();
    until_waiting(app).await;
    decide(
        app,
        json!({ "requestId": id, "decision": "REJECT", "reasonCode": "not_eligible" }),
    )
    .await;
    assert_eq!(agent.expect("decided").await["status"], "REJECTED");
    let not_executed = agent.expect("not_executed").await;
    assert_eq!(not_executed["reasonCode"], "not_eligible");
    assert_eq!(agent.exit_code().await, 0);
    assert_eq!(request(app, &id).await["status"], "REJECTED");
}
