//! The policy document exactly as stored (JSON, camelCase), parsed strictly: unknown keys are
//! refused so that a typo can never silently disable a control.

use serde::{Deserialize, Serialize};

/// A workflow's policy, as submitted and stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyDocument {
    /// Rules tried in order; the first whose `when` is true decides the route.
    #[serde(default)]
    pub rules: Vec<RuleDoc>,
    /// The route when no rule matches; its steps are also where exceptions and MANUAL_ONLY send
    /// AUTO actions.
    pub default: DefaultDoc,
    /// Named checks; each failing one becomes an exception.
    #[serde(default)]
    pub validations: Vec<ValidationDoc>,
    /// CEL expression giving the duplicate-detection key.
    pub duplicate_key: Option<String>,
    /// How far back duplicates are looked for (ISO 8601).
    pub duplicate_window: Option<String>,
    /// Who steps escalate to once their due time passes.
    pub escalation: Option<EscalationDoc>,
    /// Pending requests expire this long after submission (ISO 8601).
    pub expire_after: Option<String>,
    /// Bounds that trip the workflow to MANUAL_ONLY.
    pub guardrails: Option<GuardrailsDoc>,
}

/// The three routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RouteDoc {
    /// Approved at once.
    Auto,
    /// Sequential approval steps.
    Human,
    /// Refused with a reason code.
    Reject,
}

/// One routing rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleDoc {
    /// Unique within the policy; recorded as `matchedRule`.
    pub name: String,
    /// CEL condition.
    pub when: String,
    /// Route when `when` is true.
    pub route: RouteDoc,
    /// Steps for a HUMAN route.
    pub steps: Option<Vec<StepDoc>>,
    /// Fraction of AUTO approvals picked for QA.
    pub sample_rate: Option<f64>,
    /// Role that reviews sampled requests.
    pub sample_role: Option<String>,
    /// Reason code for a REJECT route.
    pub reason_code: Option<String>,
}

/// The default route.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DefaultDoc {
    /// Route when no rule matches.
    pub route: RouteDoc,
    /// Steps for HUMAN; also the fallback steps for exception review and MANUAL_ONLY.
    pub steps: Option<Vec<StepDoc>>,
    /// Fraction of AUTO approvals picked for QA (when the default route is AUTO).
    pub sample_rate: Option<f64>,
    /// Role that reviews sampled requests.
    pub sample_role: Option<String>,
    /// Reason code for a REJECT default.
    pub reason_code: Option<String>,
}

/// One approval step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StepDoc {
    /// Role whose holders may approve.
    pub role: String,
    /// Distinct approvals needed (default 1).
    pub quorum: Option<u32>,
    /// Due time after the step opens (ISO 8601).
    pub sla: Option<String>,
}

/// A named validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidationDoc {
    /// Exception name added when the check fails.
    pub name: String,
    /// CEL condition that must hold.
    pub check: String,
    /// Explanation for reviewers.
    pub message: Option<String>,
}

/// Escalation settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EscalationDoc {
    /// Default step SLA (ISO 8601).
    pub after: String,
    /// Role that may also decide an overdue step.
    pub to_role: String,
}

/// Guardrail bounds over a trailing window.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GuardrailsDoc {
    /// Trailing window (ISO 8601).
    pub window: String,
    /// Outcomes needed before any bound is checked.
    pub min_samples: Option<u32>,
    /// Upper bound of the error rate.
    pub max_error_rate: Option<f64>,
    /// Upper bound of the rejection rate.
    pub max_rejection_rate: Option<f64>,
    /// Upper bound of AI cost per hour, as a decimal string.
    pub max_ai_cost_usd_per_hour: Option<String>,
}
