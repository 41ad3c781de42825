//! Benchmark: what a submission pays for its policy, compiled on every action (as before) or
//! taken from the per-process cache of compiled policy versions (as now). Alternates the two in
//! rounds in one run and prints the time per action.
//!
//! `cargo bench -p countersign-tests --bench policy_compile` (ROUNDS, PER_ROUND change the size).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use countersign::domain::policy::{compile_stored_policy, compiled_version};
use serde_json::json;
use uuid::Uuid;

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // A policy of the size the README's patterns use: validations, four rules, two steps.
    let document = json!({
        "validations": [ { "name": "positive", "check": "!has_amount || amount > 0.0", "message": "amount must be positive" } ],
        "rules": [
            { "name": "flagged", "when": "'fraud' in risk_flags", "route": "REJECT", "reasonCode": "fraud" },
            { "name": "blocked-country", "when": "has(context.country) && context.country in ['XX', 'YY']", "route": "REJECT", "reasonCode": "sanctions" },
            { "name": "large", "when": "amount >= 1000.0", "route": "HUMAN",
              "steps": [ { "role": "support_manager" }, { "role": "finance", "quorum": 2 } ] },
            { "name": "small-clean", "when": "amount < 50.0 && confidence >= 0.9 && size(risk_flags) == 0", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "sla": "PT4H" } ] },
        "escalation": { "after": "PT4H", "toRole": "support_manager" }
    });
    let text = serde_json::to_string(&document).unwrap();
    let id = Uuid::now_v7();
    compiled_version(id, &text).unwrap();
    let rounds = env("ROUNDS", 5);
    let per_round = env("PER_ROUND", 2_000);
    let mut every_time = Duration::ZERO;
    let mut cached = Duration::ZERO;
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            black_box(compile_stored_policy(&value).unwrap());
        }
        every_time += started.elapsed();
        let started = Instant::now();
        for _ in 0..per_round {
            black_box(compiled_version(id, &text).unwrap());
        }
        cached += started.elapsed();
    }
    let n = f64::from(rounds * per_round);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n;
    println!(
        "policy per action, {} actions each, alternating in {rounds} rounds:",
        rounds * per_round
    );
    println!("  parse + compile every time: {:>8.2} µs", per(every_time));
    println!("  compiled version, cached:   {:>8.2} µs", per(cached));
    println!("  ratio: {:.0}×", per(every_time) / per(cached).max(1e-9));
}
