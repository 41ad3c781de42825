//! The one paragraph a model reads beside each structured tool result: what the request's
//! state means for the agent, and what to do next.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Who runs an approved action of the request's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Runner {
    /// Countersign, through the workflow's execution webhook.
    Webhook,
    /// The agent, which then reports with `report_execution`.
    Agent,
}

impl Runner {
    pub(super) fn name(self) -> &'static str {
        match self {
            Runner::Webhook => "WEBHOOK",
            Runner::Agent => "AGENT",
        }
    }
}

/// "16:00 UTC on 2026-12-01" from an RFC 3339 time.
pub(super) fn when(at: &Value) -> Option<String> {
    let at: DateTime<Utc> = at.as_str()?.parse().ok()?;
    Some(at.format("%H:%M UTC on %Y-%m-%d").to_string())
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn decisions<'a>(request: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    request["decisions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |d| text(d, "decision") == Some(kind))
}

/// Who approved, for "Approved by …".
fn approvers(request: &Value) -> String {
    let mut names: Vec<&str> = decisions(request, "APPROVE")
        .filter_map(|d| text(d, "actor"))
        .collect();
    names.dedup();
    if names.is_empty() {
        "people".to_owned()
    } else {
        names.join(", ")
    }
}

/// The paragraph for a request (`request` as `request_view` shows it), ending with its id
/// where the id is not already in it.
pub(super) fn summary(request: &Value, runner: Runner) -> String {
    let id = text(request, "id").unwrap_or("?");
    let paragraph = state(request, runner, id);
    if paragraph.contains(id) {
        paragraph
    } else {
        format!("{paragraph} Request {id}.")
    }
}

fn state(request: &Value, runner: Runner, id: &str) -> String {
    let rule = text(request, "matchedRule");
    let by_rule = |verb: &str| match rule {
        Some(rule) => format!("{verb} by policy rule {rule:?}"),
        None => format!("{verb} by policy"),
    };
    match text(request, "status").unwrap_or("") {
        "PENDING" => pending(request, id),
        "APPROVED" => {
            let by = if text(request, "route") == Some("AUTO") {
                by_rule("Approved")
            } else {
                format!("Approved by {}", approvers(request))
            };
            let edited = if request["editPatch"].is_null() {
                ""
            } else {
                " A reviewer edited the action: what may run is request.finalAction, not what you proposed."
            };
            let next = match runner {
                Runner::Webhook => {
                    "Countersign delivers it through the workflow's execution webhook: do not run it yourself."
                }
                Runner::Agent => {
                    "Run request.finalAction now, then report the outcome with report_execution."
                }
            };
            format!("{by}.{edited} {next}")
        }
        "REJECTED" => {
            if text(request, "route") == Some("REJECT") {
                return format!("{}: do not run this action.", by_rule("Rejected"));
            }
            let why = decisions(request, "REJECT").last().map(|d| {
                let actor = text(d, "actor").unwrap_or("a reviewer");
                let reason = text(d, "reasonCode")
                    .map(|code| format!(" with reason {code:?}"))
                    .unwrap_or_default();
                let comment = text(d, "comment")
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                format!("Rejected by {actor}{reason}{comment}")
            });
            format!(
                "{}: do not run this action.",
                why.unwrap_or_else(|| "Rejected".to_owned())
            )
        }
        "EXPIRED" => "Expired: no decision came in time. Do not run this action.".to_owned(),
        "CANCELLED" => "Cancelled: withdrawn before a decision. Do not run this action.".to_owned(),
        "EXECUTED" => {
            let reference = text(request, "externalRef")
                .map(|r| format!(" (external reference {r})"))
                .unwrap_or_default();
            format!("Approved and executed{reference}.")
        }
        "EXECUTION_FAILED" => format!(
            "Approved, but execution failed: {}.",
            text(request, "executionError").unwrap_or("no error given")
        ),
        "ROLLED_BACK" => "Executed, then rolled back by an administrator.".to_owned(),
        other => format!("Status {other}."),
    }
}

fn pending(request: &Value, id: &str) -> String {
    let steps = request["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let Some(open) = steps.iter().find(|s| text(s, "status") == Some("OPEN")) else {
        return format!("Pending. Call wait_for_decision with requestId {id} to wait.");
    };
    let role = text(open, "escalatedTo")
        .or_else(|| text(open, "role"))
        .unwrap_or("a reviewer");
    let quorum = open["quorum"].as_i64().unwrap_or(1);
    let approvals = open["approvals"].as_i64().unwrap_or(0);
    let so_far = if approvals > 0 {
        format!(", {approvals} so far")
    } else {
        String::new()
    };
    let step = if steps.len() > 1 {
        format!(
            " (step {} of {})",
            open["index"].as_i64().unwrap_or(0) + 1,
            steps.len()
        )
    } else {
        String::new()
    };
    let due = when(&open["dueAt"])
        .map(|due| format!(", due {due}"))
        .unwrap_or_default();
    format!(
        "Pending: waiting for {role} (quorum {quorum}{so_far}){step}{due}. Do not run the action yet; \
         call wait_for_decision with requestId {id} to wait for the decision."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pending_names_the_role_quorum_and_due_time() {
        let request = json!({
            "id": "r1", "status": "PENDING", "route": "HUMAN",
            "steps": [{ "index": 0, "role": "finance", "quorum": 1, "approvals": 0,
                        "status": "OPEN", "dueAt": "2026-12-01T16:00:00.000000Z" }],
        });
        assert_eq!(
            summary(&request, Runner::Agent),
            "Pending: waiting for finance (quorum 1), due 16:00 UTC on 2026-12-01. Do not run the \
             action yet; call wait_for_decision with requestId r1 to wait for the decision."
        );
    }

    #[test]
    fn approvals_and_rejections_say_who_and_what_next() {
        let approved = json!({
            "id": "r1", "status": "APPROVED", "route": "HUMAN", "editPatch": [{"op": "replace"}],
            "decisions": [{ "decision": "APPROVE", "actor": "rita" }],
        });
        let text = summary(&approved, Runner::Agent);
        assert!(
            text.starts_with("Approved by rita. A reviewer edited the action"),
            "{text}"
        );
        assert!(
            text.ends_with("report the outcome with report_execution. Request r1."),
            "{text}"
        );
        assert!(summary(&approved, Runner::Webhook).contains("do not run it yourself"));

        let rejected = json!({
            "id": "r1", "status": "REJECTED", "route": "HUMAN",
            "decisions": [{ "decision": "REJECT", "actor": "rita", "reasonCode": "wrong_amount",
                            "comment": "too much" }],
        });
        assert_eq!(
            summary(&rejected, Runner::Agent),
            "Rejected by rita with reason \"wrong_amount\" (too much): do not run this action. Request r1."
        );
        let by_policy = json!({ "id": "r2", "status": "REJECTED", "route": "REJECT", "matchedRule": "too-big" });
        assert_eq!(
            summary(&by_policy, Runner::Agent),
            "Rejected by policy rule \"too-big\": do not run this action. Request r2."
        );
    }
}
