//! The web console end to end: `console/e2e/run.mjs` drives Debian's Chromium (playwright-core)
//! against this server on a fresh SQLite database, as a reviewer, a second reviewer, an admin, a
//! second admin and an agent. Needs Node (`node`), the console's packages (`npm ci` in
//! `console/`) and Chromium (`/usr/bin/chromium`, or `CHROMIUM`); without them the test fails
//! and says what to install. Screenshots go to `<target>/console-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use countersign_tests::{Db, TestApp};
use serde_json::json;

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../console")
}

/// `<target>/console-screenshots`, next to the test binaries.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/debug/deps/console-… → <target>
    exe.ancestors()
        .nth(3)
        .map(|t| t.join("console-screenshots"))
        .unwrap_or_else(|| std::env::temp_dir().join("console-screenshots"))
}

/// What the browser tests need, or a message saying how to get it.
fn prerequisites() -> Result<String, String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("node is not installed: install Node.js 20 or later (e.g. `apt-get install nodejs npm`)".into());
    }
    if !console_dir().join("node_modules/playwright-core").exists() {
        return Err(format!(
            "the console's packages are not installed: run `npm ci` in {}",
            console_dir().display()
        ));
    }
    if !Path::new(&chromium).exists() {
        return Err(format!(
            "no Chromium at {chromium}: install Debian's `chromium` package or set CHROMIUM"
        ));
    }
    Ok(chromium)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_end_to_end_in_chromium() {
    let chromium = prerequisites().unwrap_or_else(|why| panic!("console end-to-end tests: {why}"));
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let tokens = json!({
        "admin": app.token("acme", "alice-admin", &["admin", "auditor"]),
        "admin2": app.token("acme", "bob-admin", &["admin"]),
        "agent": app.token("acme", "refund-bot", &["agent"]),
        "reviewer": app.token("acme", "rita", &["support_agent"]),
        "reviewer2": app.token("acme", "sam", &["support_agent"]),
    });
    let shots = screenshot_dir();
    let run = tokio::process::Command::new("node")
        .arg("e2e/run.mjs")
        .current_dir(console_dir())
        .env("COUNTERSIGN_URL", &app.base)
        .env("E2E_TOKENS", tokens.to_string())
        .env("CHROMIUM", chromium)
        .env("SCREENSHOT_DIR", &shots)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the browser tests did not finish within 10 minutes")
        .expect("cannot start node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "console end-to-end tests failed:\n{stdout}\n{stderr}"
    );
    app.cleanup().await;
}
