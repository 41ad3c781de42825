/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * Implement the DateTime<Utc> scalar
   *
   * The input/output is a string in RFC3339 format.
   */
  DateTime: { input: string; output: string; }
  Decimal: { input: string; output: string; }
  Duration: { input: string; output: string; }
  /** A scalar that can represent any JSON value. */
  JSON: { input: unknown; output: unknown; }
};

/** Which requests a report covers. */
export type AnalyticsFilter = {
  /** Submitted at or after this instant. */
  from?: InputMaybe<Scalars['DateTime']['input']>;
  /** Bucket size of `series`. */
  granularity?: InputMaybe<Granularity>;
  /** Submitted before this instant. */
  to?: InputMaybe<Scalars['DateTime']['input']>;
  /** Only these workflows (all when absent). */
  workflowKeys?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** Every figure of docs/analytics.md for one filter; rates are null when their denominator is zero. */
export type AnalyticsReport = {
  __typename?: 'AnalyticsReport';
  /** autoApproved / decided. */
  autoApprovalRate?: Maybe<Scalars['Float']['output']>;
  /** One entry per workflow (in the filter), by key. */
  byWorkflow: Array<WorkflowMetrics>;
  cost: CostSummary;
  cycleTime: CycleTime;
  /** Human approvals with an edited action / humanApproved. */
  editRate?: Maybe<Scalars['Float']['output']>;
  /** (executionFailed + rolledBack + sampledIncorrect) / (autoApproved + humanApproved). */
  errorRate?: Maybe<Scalars['Float']['output']>;
  /** humanApproved / decided. */
  humanApprovalRate?: Maybe<Scalars['Float']['output']>;
  /** rejected / decided. */
  rejectionRate?: Maybe<Scalars['Float']['output']>;
  /** Most frequent first. */
  rejectionReasons: Array<ReasonCount>;
  roi: RoiSummary;
  /** Every bucket of the range, empty ones included. */
  series: Array<SeriesPoint>;
  /** Human steps decided after their due time or still open past it / human steps opened. */
  slaBreachRate?: Maybe<Scalars['Float']['output']>;
  totals: Totals;
};

/** An API key as listed: who it acts as, never the secret. */
export type ApiKey = {
  __typename?: 'ApiKey';
  /** When it was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Who created it. */
  createdBy: Scalars['String']['output'];
  /** Key id. */
  id: Scalars['ID']['output'];
  /** Label given at creation. */
  label?: Maybe<Scalars['String']['output']>;
  /** The key's first characters (`cs_…`), to tell keys apart. */
  prefix: Scalars['String']['output'];
  /** Principal the key acts as. */
  principal: Scalars['String']['output'];
  /** When it was revoked; null while it works. */
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Who revoked it. */
  revokedBy?: Maybe<Scalars['String']['output']>;
  /** Roles it carries. */
  roles: Array<Scalars['String']['output']>;
};

/** A new API key; `key` is shown only here. */
export type ApiKeyCreated = {
  __typename?: 'ApiKeyCreated';
  /** Key id, for revocation. */
  id: Scalars['ID']['output'];
  /** The key (`cs_…`): store it now, it is not shown again. */
  key: Scalars['String']['output'];
  /** Principal the key acts as. */
  principal: Scalars['String']['output'];
  /** Roles it carries. */
  roles: Array<Scalars['String']['output']>;
};

export type ApprovalRequest = {
  __typename?: 'ApprovalRequest';
  /** The action as submitted. */
  action: Scalars['JSON']['output'];
  /** Action type. */
  actionType: Scalars['String']['output'];
  /** Money at stake. */
  amount?: Maybe<Scalars['Decimal']['output']>;
  /** The AI's confidence, 0..1. */
  confidence?: Maybe<Scalars['Float']['output']>;
  /** Context given at submission. */
  context?: Maybe<Scalars['JSON']['output']>;
  /** The submitting agent's correlation handle, exactly as given. */
  correlation?: Maybe<Scalars['JSON']['output']>;
  /** What producing the recommendation cost. */
  costUsd?: Maybe<Scalars['Decimal']['output']>;
  /** ISO 4217 currency. */
  currency?: Maybe<Scalars['String']['output']>;
  /** Index of the open step; null when none is open. */
  currentStep?: Maybe<Scalars['Int']['output']>;
  /** When it was approved or rejected. */
  decidedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Decisions, in order. */
  decisions: Array<Decision>;
  /** Webhook deliveries of this request (approval, rollback), oldest first. */
  deliveries: Array<WebhookDelivery>;
  /** When the open step is due. */
  dueAt?: Maybe<Scalars['DateTime']['output']>;
  /** The earlier request this one duplicates. */
  duplicateOf?: Maybe<Scalars['ID']['output']>;
  /** RFC 6902 patch from `action` to `finalAction`. */
  editPatch?: Maybe<Scalars['JSON']['output']>;
  /** Failed validations, `duplicate`, `rule_error:<name>`. */
  exceptions: Array<Scalars['String']['output']>;
  /** When it was executed. */
  executedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Why execution failed (EXECUTION_FAILED), as reported by the agent or the webhook delivery. */
  executionError?: Maybe<Scalars['String']['output']>;
  /** When it expires if still pending. */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** Reference of the executed action in the target system. */
  externalRef?: Maybe<Scalars['String']['output']>;
  /** The action as approved (equals `action` unless a reviewer edited it). */
  finalAction: Scalars['JSON']['output'];
  /** SHA-256 of the canonical JSON of `finalAction`: what approvals bind to. */
  finalActionHash: Scalars['String']['output'];
  /** Audit events of this request, in order. */
  history: Array<AuditEvent>;
  /** Request id (UUIDv7). */
  id: Scalars['ID']['output'];
  /** The rule that matched; null when the default applied. */
  matchedRule?: Maybe<Scalars['String']['output']>;
  /** Model name. */
  model?: Maybe<Scalars['String']['output']>;
  /**
   * Messages sent (or waiting) about it: channel, kind, recipient, status, attempts (admin,
   * auditor: recipients are people's addresses).
   */
  notifications: Array<Notification>;
  /** The policy version that routed it. */
  policyVersion: Scalars['Int']['output'];
  /** Prompt version. */
  promptVersion?: Maybe<Scalars['String']['output']>;
  /** Comment of the QA verdict. */
  qaComment?: Maybe<Scalars['String']['output']>;
  /** Reason code of the QA verdict (required for INCORRECT). */
  qaReasonCode?: Maybe<Scalars['String']['output']>;
  /** When the QA verdict was given. */
  qaReviewedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Who gave the QA verdict. */
  qaReviewedBy?: Maybe<Scalars['String']['output']>;
  /** Picked for QA sampling. */
  qaSampled: Scalars['Boolean']['output'];
  /** QA verdict, once given. */
  qaVerdict?: Maybe<SampleVerdict>;
  /** Rejection reason code. */
  reasonCode?: Maybe<Scalars['String']['output']>;
  /** The AI's reasoning. */
  recommendation?: Maybe<Scalars['String']['output']>;
  /** Risk flags. */
  riskFlags: Array<Scalars['String']['output']>;
  /** AUTO, HUMAN or REJECT (after safety overrides). */
  route: Route;
  /** Citations. */
  sources: Array<Source>;
  /** Current status. */
  status: RequestStatus;
  /** Approval steps, in order. */
  steps: Array<ApprovalStep>;
  /** When it was submitted. */
  submittedAt: Scalars['DateTime']['output'];
  /** Who submitted it. */
  submittedBy: Scalars['String']['output'];
  /** Title for reviewers. */
  title: Scalars['String']['output'];
  /** Optimistic-concurrency version; pass it as `expectedVersion` to `decide`. */
  version: Scalars['Int']['output'];
  /** Workflow key. */
  workflowKey: Scalars['String']['output'];
};

/** A page of requests. */
export type ApprovalRequestConnection = {
  __typename?: 'ApprovalRequestConnection';
  /** Edges. */
  edges: Array<ApprovalRequestEdge>;
  /** Paging. */
  pageInfo: PageInfo;
  /**
   * Matching requests across all pages. Counted only when selected: leave it out of queries
   * that page through large results and do not show it.
   */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a request connection. */
export type ApprovalRequestEdge = {
  __typename?: 'ApprovalRequestEdge';
  /** Cursor. */
  cursor: Scalars['String']['output'];
  /** The request. */
  node: ApprovalRequest;
};

export type ApprovalStep = {
  __typename?: 'ApprovalStep';
  /** Approvals so far. */
  approvals: Scalars['Int']['output'];
  /** When it is due. */
  dueAt?: Maybe<Scalars['DateTime']['output']>;
  /** Role it escalated to, once overdue. */
  escalatedTo?: Maybe<Scalars['String']['output']>;
  /** Position, from 0. */
  index: Scalars['Int']['output'];
  /** When it opened. */
  openedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Distinct approvals needed. */
  quorum: Scalars['Int']['output'];
  /** Role whose holders may approve. */
  role: Scalars['String']['output'];
  /** WAITING, OPEN, APPROVED, REJECTED or SKIPPED. */
  status: StepStatus;
};

export type AuditEvent = {
  __typename?: 'AuditEvent';
  /** Principal id, or `system`. */
  actor: Scalars['String']['output'];
  /** When. */
  at: Scalars['DateTime']['output'];
  /**
   * The correlation handle its submitting agent gave the request this event is about (null
   * for events of no request, or a request submitted without one).
   */
  correlation?: Maybe<Scalars['JSON']['output']>;
  /**
   * What changed. A policy document in it (`policy`) is shown to admins and auditors only;
   * others see the rest (`policyHash` included).
   */
  data: Scalars['JSON']['output'];
  /** SHA-256 of prevHash ‖ canonical event (hex). */
  hash: Scalars['String']['output'];
  /** Event id. */
  id: Scalars['ID']['output'];
  /** Hash of the previous event (hex). */
  prevHash: Scalars['String']['output'];
  /** Request id. */
  requestId?: Maybe<Scalars['ID']['output']>;
  /** Per tenant, gap-free, from 1. */
  seq: Scalars['Int']['output'];
  /** Event type, e.g. REQUEST_SUBMITTED. */
  type: Scalars['String']['output'];
  /** Workflow key. */
  workflowKey?: Maybe<Scalars['String']['output']>;
};

/** A page of audit events. */
export type AuditEventConnection = {
  __typename?: 'AuditEventConnection';
  /** Edges. */
  edges: Array<AuditEventEdge>;
  /** Paging. */
  pageInfo: PageInfo;
};

/** An edge of an audit connection. */
export type AuditEventEdge = {
  __typename?: 'AuditEventEdge';
  /** Cursor. */
  cursor: Scalars['String']['output'];
  /** The event. */
  node: AuditEvent;
};

/** Filter of `auditLog`. */
export type AuditFilter = {
  /** Only events after this seq. */
  afterSeq?: InputMaybe<Scalars['Int']['input']>;
  /** Only this request. */
  requestId?: InputMaybe<Scalars['ID']['input']>;
  /** Only these types. */
  types?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Only this workflow. */
  workflowKey?: InputMaybe<Scalars['String']['input']>;
};

/** Result of `verifyAuditChain`. */
export type AuditVerification = {
  __typename?: 'AuditVerification';
  /** Events checked. */
  checked: Scalars['Int']['output'];
  /** First seq whose stored hash does not match, or whose predecessor is missing. */
  firstBrokenSeq?: Maybe<Scalars['Int']['output']>;
  /** Hash of the last verified event. */
  headHash?: Maybe<Scalars['String']['output']>;
  /** True when every event verified. */
  ok: Scalars['Boolean']['output'];
};

/** How routing would change under a candidate policy. */
export type BacktestReport = {
  __typename?: 'BacktestReport';
  /** Requests whose route would change. */
  changed: Scalars['Int']['output'];
  /** The changes, oldest first (at most `maxChanges`). */
  changes: Array<RouteChange>;
  /** True when `changes` was cut at `maxChanges`. */
  changesTruncated: Scalars['Boolean']['output'];
  /** Requests replayed. */
  total: Scalars['Int']['output'];
  /** Would route AUTO. */
  wouldAuto: Scalars['Int']['output'];
  /** Would route HUMAN. */
  wouldHuman: Scalars['Int']['output'];
  /** Would route REJECT. */
  wouldReject: Scalars['Int']['output'];
};

/** What the requests cost (AI plus reviewer time). */
export type CostSummary = {
  __typename?: 'CostSummary';
  /** Sum of costUsd. */
  aiCostUsd: Scalars['Decimal']['output'];
  /** totalCostUsd / submitted (to 4 decimals); null without requests. */
  costPerRequestUsd?: Maybe<Scalars['Decimal']['output']>;
  /** Human decisions × reviewerMinutesPerDecision / 60 × hourlyRateUsd, per workflow (to the cent). */
  reviewCostUsd: Scalars['Decimal']['output'];
  /** aiCostUsd + reviewCostUsd. */
  totalCostUsd: Scalars['Decimal']['output'];
};

/** Input of `createWebhookSubscription`. */
export type CreateWebhookSubscriptionInput = {
  /** What it is for (up to 500 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /**
   * Event types to receive, at least one of: request.submitted, request.approved,
   * request.rejected, request.expired, request.cancelled, request.escalated, request.executed,
   * request.execution_failed, request.rolled_back, sample.reviewed, workflow.mode_changed,
   * guardrail.tripped, policy.activated.
   */
  eventTypes: Array<Scalars['String']['input']>;
  /**
   * http(s) URL without credentials; its host must be in COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS when
   * that is set. Redirects are never followed.
   */
  url: Scalars['String']['input'];
  /** Only events of these workflows; empty or absent means every workflow of the tenant. */
  workflowKeys?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** Input of `createWorkflow`. */
export type CreateWorkflowInput = {
  /** Description. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** `[a-z0-9][a-z0-9_-]{1,62}`, unique in the tenant. */
  key: Scalars['String']['input'];
  /** Display name. */
  name: Scalars['String']['input'];
  /** Policy document; becomes version 1, ACTIVE. */
  policy: Scalars['JSON']['input'];
  /** ROI assumptions (defaults in docs/analytics.md). */
  roi?: InputMaybe<RoiSettingsInput>;
};

/** Seconds from submission to the final human decision (linear-interpolated percentiles). */
export type CycleTime = {
  __typename?: 'CycleTime';
  /** Human-routed requests decided by people. */
  count: Scalars['Int']['output'];
  meanSeconds?: Maybe<Scalars['Float']['output']>;
  p50Seconds?: Maybe<Scalars['Float']['output']>;
  p90Seconds?: Maybe<Scalars['Float']['output']>;
  p99Seconds?: Maybe<Scalars['Float']['output']>;
};

/** Input of `decide`. */
export type DecideInput = {
  /** Comment. */
  comment?: InputMaybe<Scalars['String']['input']>;
  /** APPROVE or REJECT. */
  decision: DecisionKind;
  /** For APPROVE: the action as the reviewer edited it; stored beside the original with an RFC 6902 JSON Patch. */
  editedAction?: InputMaybe<Scalars['JSON']['input']>;
  /** Expected ApprovalRequest.version; a stale value gives CONFLICT. */
  expectedVersion?: InputMaybe<Scalars['Int']['input']>;
  /** Required for REJECT. */
  reasonCode?: InputMaybe<Scalars['String']['input']>;
  /** Request id. */
  requestId: Scalars['ID']['input'];
};

/** One item of `decideMany`: the request, or the error. */
export type DecideResult = {
  __typename?: 'DecideResult';
  /** Why the item failed; null on success. */
  error?: Maybe<UserError>;
  /** The request after the decision; null on error. */
  request?: Maybe<ApprovalRequest>;
  /** The item's request id, as given. */
  requestId: Scalars['ID']['output'];
};

export type Decision = {
  __typename?: 'Decision';
  /** SHA-256 of the action as this person approved it. */
  actionHash?: Maybe<Scalars['String']['output']>;
  /** Who decided. */
  actor: Scalars['String']['output'];
  /** When. */
  at: Scalars['DateTime']['output'];
  /** Comment. */
  comment?: Maybe<Scalars['String']['output']>;
  /** APPROVE or REJECT. */
  decision: DecisionKind;
  /** Whether this decision edited the action. */
  edited: Scalars['Boolean']['output'];
  /** Reason code. */
  reasonCode?: Maybe<Scalars['String']['output']>;
  /** Step index decided. */
  step?: Maybe<Scalars['Int']['output']>;
};

/** A reviewer's decision. */
export type DecisionKind =
  | 'APPROVE'
  | 'REJECT';

/** Status of a webhook delivery. */
export type DeliveryStatus =
  | 'DELIVERED'
  | 'FAILED'
  | 'PENDING';

export type EventDelivery = {
  __typename?: 'EventDelivery';
  /** Attempts started so far. */
  attempts: Scalars['Int']['output'];
  /** `seq` of the audit event it reports. */
  auditSeq: Scalars['Int']['output'];
  /** When it was written (the event's time). */
  createdAt: Scalars['DateTime']['output'];
  /** When a receiver acknowledged it. */
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  /** e.g. `request.rejected`, or `ping`. */
  eventType: Scalars['String']['output'];
  /** Why the last attempt got no answer (`timeout`, `connect`, `redirect_not_followed`, …). */
  lastError?: Maybe<Scalars['String']['output']>;
  /** HTTP status of the last attempt, when one came back. */
  lastStatusCode?: Maybe<Scalars['Int']['output']>;
  /** Not attempted again before this time (while PENDING). */
  nextAttemptAt: Scalars['DateTime']['output'];
  /** The body, exactly as sent. */
  payload: Scalars['JSON']['output'];
  /** The request it concerns, if any. */
  requestId?: Maybe<Scalars['ID']['output']>;
  /** PENDING, DELIVERED or FAILED. */
  status: DeliveryStatus;
  /** The `webhook-id` header; receivers deduplicate by it. */
  webhookId: Scalars['String']['output'];
};

/**
 * Outbound delivery of approved actions, signed per the Standard Webhooks spec (webhook-id,
 * webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 over id.timestamp.body>);
 * retried with backoff, the same webhook-id on every attempt.
 */
export type ExecutionWebhookInput = {
  /** Attempts per delivery, 1-20. */
  maxAttempts?: InputMaybe<Scalars['Int']['input']>;
  /** `whsec_` + base64 of 24-64 random bytes. Stored to sign with; never returned. */
  signingSecret: Scalars['String']['input'];
  /**
   * http(s) URL without credentials, at most 2048 characters; its host must be in
   * COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS when that is set.
   */
  url: Scalars['String']['input'];
};

/** Bucket size of the series (UTC; weeks start on Monday). */
export type Granularity =
  | 'DAY'
  | 'MONTH'
  | 'WEEK';

/** The caller. */
export type Me = {
  __typename?: 'Me';
  /** Roles. */
  roles: Array<Scalars['String']['output']>;
  /** Principal id. */
  subject: Scalars['String']['output'];
  /** Tenant. */
  tenant: Scalars['String']['output'];
};

/** The merged mutation root. */
export type MutationRoot = {
  __typename?: 'MutationRoot';
  /** Activates a PROPOSED version; refused (FORBIDDEN) when the caller proposed it. */
  activatePolicy: PolicyVersion;
  /** Cancels a PENDING request (its submitter or an admin, reason required). */
  cancelRequest: ApprovalRequest;
  /** Creates an API key bound to the caller's tenant (admin). */
  createApiKey: ApiKeyCreated;
  /** Subscribes a URL to events of the tenant (admin); the secret is returned this once. */
  createWebhookSubscription: WebhookSubscriptionCreated;
  /** Creates a workflow whose policy becomes version 1, ACTIVE (admin). */
  createWorkflow: Workflow;
  /** Deactivates an entry (admin, audited). */
  deactivateReviewer: Reviewer;
  /** Approves (optionally with an edited action) or rejects the open step of a request. */
  decide: ApprovalRequest;
  /** Many decisions in one call (approval fatigue): each item succeeds or fails on its own, in order. */
  decideMany: Array<DecideResult>;
  /** Declines a PROPOSED version (admin, reason required). */
  declinePolicy: PolicyVersion;
  /** Deletes a subscription and its delivery records (admin). */
  deleteWebhookSubscription: Scalars['Boolean']['output'];
  /** Proposes a new policy version (admin); compiled and validated like createWorkflow, it routes nothing until activated. */
  proposePolicy: PolicyVersion;
  /**
   * Reports how an APPROVED action went (its submitting agent or an admin): EXECUTED with
   * `externalRef`, or EXECUTION_FAILED with `error`. Refused (CONFLICT) for a workflow whose
   * webhook delivers its actions.
   */
  reportExecution: ApprovalRequest;
  /**
   * Records a QA verdict on a sampled request (holders of its QA role, not the submitter,
   * once). INCORRECT needs a `reasonCode` and counts as an error for the guardrails.
   */
  reviewSample: ApprovalRequest;
  /** Revokes an API key (admin). */
  revokeApiKey: Scalars['Boolean']['output'];
  /**
   * Rolls an EXECUTED action back (admin, reason required): ROLLED_BACK, audited as
   * ACTION_ROLLED_BACK; with a webhook, an `action.rolled_back` delivery goes out.
   */
  rollbackAction: ApprovalRequest;
  /** Re-activates a version that was ACTIVE before (emergency path, one admin). */
  rollbackPolicy: PolicyVersion;
  /**
   * Replaces a subscription's signing secret (admin); the new one is returned this once and
   * signs every attempt from now on.
   */
  rotateWebhookSecret: WebhookSubscriptionCreated;
  /**
   * Where approved actions of this workflow are delivered (admin); null stops webhook
   * delivery (agents then report execution). Audited as EXECUTION_WEBHOOK_SET, never with the
   * secret.
   */
  setExecutionWebhook: Workflow;
  /**
   * Replaces a workflow's notification channels (admin, audited); an empty list turns
   * notifications off.
   */
  setNotificationChannels: Workflow;
  /**
   * Kill switch (admin, reason required): PAUSED refuses new actions, MANUAL_ONLY sends every
   * action to people, ACTIVE restores policy routing. Audited as WORKFLOW_MODE_CHANGED.
   */
  setWorkflowMode: Workflow;
  /** Submits a proposed action (agent). Idempotent per tenant by `idempotencyKey`. */
  submitAction: SubmitActionPayload;
  /** Sends a `ping` delivery to an ACTIVE subscription (admin); returns it (PENDING). */
  testWebhookSubscription: EventDelivery;
  /** Changes a subscription (admin). */
  updateWebhookSubscription: WebhookSubscription;
  /** Creates or replaces the entry for `input.subject` (admin, audited). */
  upsertReviewer: Reviewer;
};


/** The merged mutation root. */
export type MutationRootActivatePolicyArgs = {
  version: Scalars['Int']['input'];
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootCancelRequestArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootCreateApiKeyArgs = {
  label?: InputMaybe<Scalars['String']['input']>;
  principal: Scalars['String']['input'];
  roles: Array<Scalars['String']['input']>;
};


/** The merged mutation root. */
export type MutationRootCreateWebhookSubscriptionArgs = {
  input: CreateWebhookSubscriptionInput;
};


/** The merged mutation root. */
export type MutationRootCreateWorkflowArgs = {
  input: CreateWorkflowInput;
};


/** The merged mutation root. */
export type MutationRootDeactivateReviewerArgs = {
  subject: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootDecideArgs = {
  input: DecideInput;
};


/** The merged mutation root. */
export type MutationRootDecideManyArgs = {
  inputs: Array<DecideInput>;
};


/** The merged mutation root. */
export type MutationRootDeclinePolicyArgs = {
  reason: Scalars['String']['input'];
  version: Scalars['Int']['input'];
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootDeleteWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


/** The merged mutation root. */
export type MutationRootProposePolicyArgs = {
  note?: InputMaybe<Scalars['String']['input']>;
  policy: Scalars['JSON']['input'];
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootReportExecutionArgs = {
  input: ReportExecutionInput;
};


/** The merged mutation root. */
export type MutationRootReviewSampleArgs = {
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  reasonCode?: InputMaybe<Scalars['String']['input']>;
  verdict: SampleVerdict;
};


/** The merged mutation root. */
export type MutationRootRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


/** The merged mutation root. */
export type MutationRootRollbackActionArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootRollbackPolicyArgs = {
  reason: Scalars['String']['input'];
  toVersion: Scalars['Int']['input'];
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootRotateWebhookSecretArgs = {
  id: Scalars['ID']['input'];
};


/** The merged mutation root. */
export type MutationRootSetExecutionWebhookArgs = {
  input?: InputMaybe<ExecutionWebhookInput>;
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootSetNotificationChannelsArgs = {
  channels: Array<NotificationChannelInput>;
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootSetWorkflowModeArgs = {
  mode: WorkflowMode;
  reason: Scalars['String']['input'];
  workflowKey: Scalars['String']['input'];
};


/** The merged mutation root. */
export type MutationRootSubmitActionArgs = {
  input: SubmitActionInput;
};


/** The merged mutation root. */
export type MutationRootTestWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


/** The merged mutation root. */
export type MutationRootUpdateWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
  input: UpdateWebhookSubscriptionInput;
};


/** The merged mutation root. */
export type MutationRootUpsertReviewerArgs = {
  input: ReviewerInput;
};

export type Notification = {
  __typename?: 'Notification';
  /** Attempts made. */
  attempts: Scalars['Int']['output'];
  /** SLACK or EMAIL. */
  channel: NotificationChannelKind;
  /** When it is (or was) due. */
  dueAt: Scalars['DateTime']['output'];
  /** What it says. */
  kind: NotificationKind;
  /** Why the last attempt failed, or why it was skipped. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** The address or Slack channel. */
  recipient: Scalars['String']['output'];
  /** The directory entry it was for. */
  reviewer?: Maybe<Scalars['String']['output']>;
  /** When it was sent. */
  sentAt?: Maybe<Scalars['DateTime']['output']>;
  /** PENDING, SENT, FAILED or SKIPPED. */
  status: NotificationStatus;
  /** The step it is about. */
  step?: Maybe<Scalars['Int']['output']>;
};

/** One channel of a workflow, as configured. */
export type NotificationChannel = {
  __typename?: 'NotificationChannel';
  /** EMAIL: the extra addresses. */
  emails: Array<Scalars['String']['output']>;
  /** SLACK or EMAIL. */
  kind: NotificationChannelKind;
  /** How long before a step's due time a reminder goes out (ISO 8601). */
  remindBefore?: Maybe<Scalars['String']['output']>;
  /** SLACK: the channel id. */
  slackChannel?: Maybe<Scalars['String']['output']>;
};

/** One channel of a workflow. */
export type NotificationChannelInput = {
  /** EMAIL: addresses told besides the eligible reviewers of the directory. */
  emails?: InputMaybe<Array<Scalars['String']['input']>>;
  /** SLACK or EMAIL. */
  kind: NotificationChannelKind;
  /** A reminder this long before a step's due time (ISO 8601, e.g. "PT1H"). */
  remindBefore?: InputMaybe<Scalars['String']['input']>;
  /** SLACK: the channel id (`C…`). */
  slackChannel?: InputMaybe<Scalars['String']['input']>;
};

/** A channel notifications go through. */
export type NotificationChannelKind =
  /** Email. */
  | 'EMAIL'
  /** A Slack channel. */
  | 'SLACK';

/** What a notification says. */
export type NotificationKind =
  /** A step opened: an approval is waiting. */
  | 'APPROVAL_WAITING'
  /** The step went to the escalation role. */
  | 'ESCALATION'
  /** The request expired undecided. */
  | 'EXPIRED'
  /** A Slack message about it was brought up to date. */
  | 'MESSAGE_UPDATE'
  /** The step is due soon. */
  | 'REMINDER';

/** Where a notification is. */
export type NotificationStatus =
  /** Refused for good, or out of attempts. */
  | 'FAILED'
  /** Waiting to be sent, retried, or for its time (a reminder). */
  | 'PENDING'
  /** Accepted by the mail server or Slack. */
  | 'SENT'
  /** Not sent: it no longer applied (the step was decided first). */
  | 'SKIPPED';

/** Relay page info. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Cursor of the last edge. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** More after `endCursor`. */
  hasNextPage: Scalars['Boolean']['output'];
};

/** Status of a policy version. */
export type PolicyStatus =
  | 'ACTIVE'
  | 'DECLINED'
  | 'PROPOSED'
  | 'SUPERSEDED';

export type PolicyVersion = {
  __typename?: 'PolicyVersion';
  /** When activated. */
  activatedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Who activated it. */
  activatedBy?: Maybe<Scalars['String']['output']>;
  /** When proposed. */
  createdAt: Scalars['DateTime']['output'];
  /**
   * The policy document (admin and auditor only, FORBIDDEN otherwise: its rules say how an
   * action gets auto-approved).
   */
  document: Scalars['JSON']['output'];
  /** Note given when proposed. */
  note?: Maybe<Scalars['String']['output']>;
  /** Who proposed it. */
  proposedBy: Scalars['String']['output'];
  /** PROPOSED, ACTIVE, SUPERSEDED or DECLINED. */
  status: PolicyStatus;
  /** Why it was declined or rolled back to. */
  statusReason?: Maybe<Scalars['String']['output']>;
  /** Version number, from 1. */
  version: Scalars['Int']['output'];
};

/** The merged query root. */
export type QueryRoot = {
  __typename?: 'QueryRoot';
  /** Monitoring and ROI figures, exactly as docs/analytics.md defines them (auditor, admin). */
  analytics: AnalyticsReport;
  /** The tenant's API keys, newest first, revoked ones included (admin). Secrets are never shown. */
  apiKeys: Array<ApiKey>;
  /** Pending requests whose open step the caller may decide now (role held, not yet acted, not the submitter), oldest due first. */
  approvalQueue: ApprovalRequestConnection;
  /** One request; null when it does not exist in the caller's tenant or the caller may not see it. */
  approvalRequest?: Maybe<ApprovalRequest>;
  /** Requests the caller may see, newest first. */
  approvalRequests: ApprovalRequestConnection;
  /** The tenant's audit events in `seq` order (auditor, admin). */
  auditLog: AuditEventConnection;
  /**
   * Waits for a decision: answers as soon as the request is no longer PENDING (approved,
   * rejected, expired, cancelled…), or after `timeoutSeconds` (1–60) with the request as it
   * stands — check `status`, and call again to keep waiting. For its submitter and anyone
   * who may read it; woken by the audit tail, on any replica.
   */
  awaitDecision: ApprovalRequest;
  /** Replays the stored requests submitted in [from, to) through a candidate policy: how routing would change. Stores nothing (admin, auditor). */
  backtestPolicy: BacktestReport;
  /** The authenticated caller. */
  me: Me;
  /**
   * Reason codes given before in the tenant (rejections and INCORRECT QA verdicts), the most
   * used first: what a reviewer picks from when rejecting. Any signed-in caller.
   */
  reasonCodes: Array<ReasonCodeUse>;
  /** The reviewer directory (admin, auditor). */
  reviewers: Array<Reviewer>;
  /** Auto-approved requests picked by sampling that still await a QA verdict. */
  sampleQueue: ApprovalRequestConnection;
  /** Routes each given action through a policy without storing anything: a dry run (admin, auditor). */
  simulatePolicy: Array<RouteDecision>;
  /** Recomputes the tenant's hash chain (auditor, admin). */
  verifyAuditChain: AuditVerification;
  /** The event types a subscription may name. */
  webhookEventTypes: Array<Scalars['String']['output']>;
  /** The tenant's event-webhook subscriptions, oldest first (admin). */
  webhookSubscriptions: Array<WebhookSubscription>;
  /** One workflow by key; null when the tenant has none. */
  workflow?: Maybe<Workflow>;
  /** Every workflow of the caller's tenant. */
  workflows: Array<Workflow>;
};


/** The merged query root. */
export type QueryRootAnalyticsArgs = {
  filter?: InputMaybe<AnalyticsFilter>;
};


/** The merged query root. */
export type QueryRootApprovalQueueArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  workflowKey?: InputMaybe<Scalars['String']['input']>;
};


/** The merged query root. */
export type QueryRootApprovalRequestArgs = {
  id: Scalars['ID']['input'];
};


/** The merged query root. */
export type QueryRootApprovalRequestsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<RequestFilter>;
  first?: Scalars['Int']['input'];
};


/** The merged query root. */
export type QueryRootAuditLogArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AuditFilter>;
  first?: Scalars['Int']['input'];
};


/** The merged query root. */
export type QueryRootAwaitDecisionArgs = {
  id: Scalars['ID']['input'];
  timeoutSeconds?: Scalars['Int']['input'];
};


/** The merged query root. */
export type QueryRootBacktestPolicyArgs = {
  from?: InputMaybe<Scalars['DateTime']['input']>;
  maxChanges?: Scalars['Int']['input'];
  policy: Scalars['JSON']['input'];
  to?: InputMaybe<Scalars['DateTime']['input']>;
  workflowKey: Scalars['String']['input'];
};


/** The merged query root. */
export type QueryRootReasonCodesArgs = {
  first?: Scalars['Int']['input'];
  workflowKey?: InputMaybe<Scalars['String']['input']>;
};


/** The merged query root. */
export type QueryRootSampleQueueArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  workflowKey?: InputMaybe<Scalars['String']['input']>;
};


/** The merged query root. */
export type QueryRootSimulatePolicyArgs = {
  actions: Array<SubmitActionInput>;
  policy?: InputMaybe<Scalars['JSON']['input']>;
  workflowKey: Scalars['String']['input'];
};


/** The merged query root. */
export type QueryRootWorkflowArgs = {
  key: Scalars['String']['input'];
};

/**
 * A citation the AI used.
 * A reason code and how many times it was given.
 */
export type ReasonCodeUse = {
  __typename?: 'ReasonCodeUse';
  /** The code, as reviewers typed it. */
  code: Scalars['String']['output'];
  /** Rejections and QA verdicts that gave it. */
  count: Scalars['Int']['output'];
};

/** A rejection reason and its share of all rejected requests. */
export type ReasonCount = {
  __typename?: 'ReasonCount';
  count: Scalars['Int']['output'];
  reasonCode: Scalars['String']['output'];
  share: Scalars['Float']['output'];
};

/** An agent's report on an approved action it executed. */
export type ReportExecutionInput = {
  /** Why it failed, with `success: false` (up to 4000 characters). */
  error?: InputMaybe<Scalars['String']['input']>;
  /** The action's id in the target system (up to 500 characters). */
  externalRef?: InputMaybe<Scalars['String']['input']>;
  /** The APPROVED request. */
  requestId: Scalars['ID']['input'];
  /** Whether the action ran. */
  success: Scalars['Boolean']['input'];
};

/** Filter of `approvalRequests`. */
export type RequestFilter = {
  /** Only this route. */
  route?: InputMaybe<Route>;
  /** Only these statuses. */
  status?: InputMaybe<Array<RequestStatus>>;
  /** Submitted at or after. */
  submittedFrom?: InputMaybe<Scalars['DateTime']['input']>;
  /** Submitted before. */
  submittedTo?: InputMaybe<Scalars['DateTime']['input']>;
  /** Only PENDING requests submitted longer ago than this (e.g. "PT4H"): what has waited too long. */
  waitingLongerThan?: InputMaybe<Scalars['Duration']['input']>;
  /** Only this workflow. */
  workflowKey?: InputMaybe<Scalars['String']['input']>;
};

/** Status of an approval request. */
export type RequestStatus =
  | 'APPROVED'
  | 'CANCELLED'
  | 'EXECUTED'
  | 'EXECUTION_FAILED'
  | 'EXPIRED'
  | 'PENDING'
  | 'REJECTED'
  | 'ROLLED_BACK';

export type Reviewer = {
  __typename?: 'Reviewer';
  /** Inactive people receive nothing and decide nothing through a channel. */
  active: Scalars['Boolean']['output'];
  /** Email address. */
  email?: Maybe<Scalars['String']['output']>;
  /** Display name. */
  name: Scalars['String']['output'];
  /** Roles held when deciding through a channel. */
  roles: Array<Scalars['String']['output']>;
  /** Slack user id. */
  slackUserId?: Maybe<Scalars['String']['output']>;
  /** The principal id decisions from Slack or email are made as. */
  subject: Scalars['String']['output'];
  /** Last change. */
  updatedAt: Scalars['DateTime']['output'];
};

/** A directory entry to create or replace. */
export type ReviewerInput = {
  /** Default true. */
  active?: Scalars['Boolean']['input'];
  /** Email address (email notifications and links). */
  email?: InputMaybe<Scalars['String']['input']>;
  /** Display name. */
  name: Scalars['String']['input'];
  /** Roles held when deciding through a channel. */
  roles: Array<Scalars['String']['input']>;
  /** Slack user id (`U…`). */
  slackUserId?: InputMaybe<Scalars['String']['input']>;
  /** The person's principal id (the `sub` of their tokens). */
  subject: Scalars['String']['input'];
};

/** ROI assumptions of a workflow. */
export type RoiSettings = {
  __typename?: 'RoiSettings';
  /** Hourly rate of the people involved. */
  hourlyRateUsd: Scalars['Decimal']['output'];
  /** Minutes saved when a person approves the AI draft. */
  minutesSavedPerAssisted: Scalars['Float']['output'];
  /** Manual minutes an auto-approved action saves. */
  minutesSavedPerAuto: Scalars['Float']['output'];
  /** Minutes a person spends per decision. */
  reviewerMinutesPerDecision: Scalars['Float']['output'];
};

/** ROI assumptions. */
export type RoiSettingsInput = {
  /** Hourly rate (default "60.00"). */
  hourlyRateUsd?: InputMaybe<Scalars['Decimal']['input']>;
  /** Minutes saved when a person approves the AI draft (default 5). */
  minutesSavedPerAssisted?: InputMaybe<Scalars['Float']['input']>;
  /** Manual minutes an auto-approved action saves (default 10). */
  minutesSavedPerAuto?: InputMaybe<Scalars['Float']['input']>;
  /** Minutes a person spends per decision (default 2). */
  reviewerMinutesPerDecision?: InputMaybe<Scalars['Float']['input']>;
};

/** What the automation saved. */
export type RoiSummary = {
  __typename?: 'RoiSummary';
  /** (autoApproved × minutesSavedPerAuto + humanApproved × minutesSavedPerAssisted) / 60. */
  hoursSaved: Scalars['Float']['output'];
  /** valueSavedUsd − totalCostUsd. */
  netValueUsd: Scalars['Decimal']['output'];
  /** netValueUsd / totalCostUsd; null when nothing was spent. */
  roi?: Maybe<Scalars['Float']['output']>;
  /** hoursSaved × hourlyRateUsd, per workflow (to the cent). */
  valueSavedUsd: Scalars['Decimal']['output'];
};

/** The route a policy chose. */
export type Route =
  | 'AUTO'
  | 'HUMAN'
  | 'REJECT';

/** A request whose route would change. */
export type RouteChange = {
  __typename?: 'RouteChange';
  /** Rule of the candidate that matched. */
  matchedRule?: Maybe<Scalars['String']['output']>;
  /** Request id. */
  requestId: Scalars['ID']['output'];
  /** Route it got. */
  was: Route;
  /** Route the candidate policy would give. */
  wouldBe: Route;
};

/** Where one action would be routed. */
export type RouteDecision = {
  __typename?: 'RouteDecision';
  /** Exceptions the action would carry. */
  exceptions: Array<Scalars['String']['output']>;
  /** The rule that matched; null for the default. */
  matchedRule?: Maybe<Scalars['String']['output']>;
  /** Reason code for REJECT. */
  reasonCode?: Maybe<Scalars['String']['output']>;
  /** The action's risk flags. */
  riskFlags: Array<Scalars['String']['output']>;
  /** AUTO, HUMAN or REJECT (after the exception override). */
  route: Route;
  /** Roles of the approval steps, in order. */
  steps: Array<Scalars['String']['output']>;
};

/** A QA verdict on a sampled request. */
export type SampleVerdict =
  | 'CORRECT'
  | 'INCORRECT';

/** The counts of one bucket. */
export type SeriesPoint = {
  __typename?: 'SeriesPoint';
  aiCostUsd: Scalars['Decimal']['output'];
  autoApproved: Scalars['Int']['output'];
  /** First instant of the bucket (UTC). */
  bucketStart: Scalars['DateTime']['output'];
  /** executionFailed + rolledBack + sampledIncorrect. */
  errors: Scalars['Int']['output'];
  humanApproved: Scalars['Int']['output'];
  p50CycleSeconds?: Maybe<Scalars['Float']['output']>;
  rejected: Scalars['Int']['output'];
  submitted: Scalars['Int']['output'];
};

/** A citation the AI used. */
export type Source = {
  __typename?: 'Source';
  /** Quoted excerpt. */
  excerpt?: Maybe<Scalars['String']['output']>;
  /** Title. */
  title: Scalars['String']['output'];
  /** Link. */
  url?: Maybe<Scalars['String']['output']>;
};

export type SourceInput = {
  /** Quoted excerpt. */
  excerpt?: InputMaybe<Scalars['String']['input']>;
  /** Title. */
  title: Scalars['String']['input'];
  /** Link. */
  url?: InputMaybe<Scalars['String']['input']>;
};

/** Status of an approval step. */
export type StepStatus =
  | 'APPROVED'
  | 'OPEN'
  | 'REJECTED'
  | 'SKIPPED'
  | 'WAITING';

/** Input of `submitAction`. */
export type SubmitActionInput = {
  /** The proposed action / AI draft, as the execution layer will receive it (a JSON object). */
  action: Scalars['JSON']['input'];
  /** e.g. "refund.issue", "email.send". */
  actionType: Scalars['String']['input'];
  /** Money at stake, if any. */
  amount?: InputMaybe<Scalars['Decimal']['input']>;
  /** 0..1. */
  confidence?: InputMaybe<Scalars['Float']['input']>;
  /** e.g. customer history, visible to policy rules (a JSON object). */
  context?: InputMaybe<Scalars['JSON']['input']>;
  /**
   * Your own handle for this action (a JSON object of at most 8 KiB, stored as given): a run
   * id, a thread id, the key of a saved run state. Returned as `ApprovalRequest.correlation`
   * and in every event about the request, so the answer finds its way back to the right run.
   * Part of the idempotency fingerprint.
   */
  correlation?: InputMaybe<Scalars['JSON']['input']>;
  /** What producing this recommendation cost. */
  costUsd?: InputMaybe<Scalars['Decimal']['input']>;
  /** ISO 4217. */
  currency?: InputMaybe<Scalars['String']['input']>;
  /** Same key, same tenant → the same request back, nothing new stored. */
  idempotencyKey: Scalars['String']['input'];
  /** Model name. */
  model?: InputMaybe<Scalars['String']['input']>;
  /** Prompt version. */
  promptVersion?: InputMaybe<Scalars['String']['input']>;
  /** The AI's reasoning or summary for the reviewer. */
  recommendation?: InputMaybe<Scalars['String']['input']>;
  /** Risk flags, visible to policy rules. */
  riskFlags?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Citations: what data the AI used. */
  sources?: InputMaybe<Array<SourceInput>>;
  /** Title for reviewers. */
  title: Scalars['String']['input'];
  /** Workflow key. */
  workflowKey: Scalars['String']['input'];
};

/** What `submitAction` returns. */
export type SubmitActionPayload = {
  __typename?: 'SubmitActionPayload';
  /** False when the idempotency key matched an existing request. */
  created: Scalars['Boolean']['output'];
  /** The request. */
  request: ApprovalRequest;
  /** The route the policy chose. */
  route: Route;
};

export type SubscriptionRoot = {
  __typename?: 'SubscriptionRoot';
  /** Every audit event the caller may see, in audit order. With afterSeq, missed events are replayed first, then live ones follow, with no gap and no duplicate. */
  approvalEvents: AuditEvent;
};


export type SubscriptionRootApprovalEventsArgs = {
  afterSeq?: InputMaybe<Scalars['Int']['input']>;
  workflowKey?: InputMaybe<Scalars['String']['input']>;
};

/** Requests by route and by current status. */
export type Totals = {
  __typename?: 'Totals';
  /** Routed AUTO (approved at submission). */
  autoApproved: Scalars['Int']['output'];
  /** Cancelled. */
  cancelled: Scalars['Int']['output'];
  /** Last execution report was a success (rolled-back ones included). */
  executed: Scalars['Int']['output'];
  /** Last execution report was a failure. */
  executionFailed: Scalars['Int']['output'];
  /** Expired before a decision. */
  expired: Scalars['Int']['output'];
  /** Routed HUMAN and approved by people (later execution outcomes still count). */
  humanApproved: Scalars['Int']['output'];
  /** Still pending. */
  pending: Scalars['Int']['output'];
  /** Ended REJECTED: by a person, or routed REJECT. */
  rejected: Scalars['Int']['output'];
  /** Rolled back after execution. */
  rolledBack: Scalars['Int']['output'];
  /** Auto-approved requests picked for QA. */
  sampled: Scalars['Int']['output'];
  /** Sampled requests judged INCORRECT. */
  sampledIncorrect: Scalars['Int']['output'];
  /** Requests submitted in range (REJECT-routed included). */
  submitted: Scalars['Int']['output'];
};

/** Input of `updateWebhookSubscription`: what is given changes, the rest stays. */
export type UpdateWebhookSubscriptionInput = {
  /** New description. */
  description?: InputMaybe<Scalars['String']['input']>;
  /**
   * false disables it; true enables it again (also after the server disabled it), and the
   * deliveries that waited leave.
   */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** New event types (replaces the list). */
  eventTypes?: InputMaybe<Array<Scalars['String']['input']>>;
  /** New URL. */
  url?: InputMaybe<Scalars['String']['input']>;
  /** New workflows (replaces the list; empty means all). */
  workflowKeys?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** Why one item of a batch failed. */
export type UserError = {
  __typename?: 'UserError';
  /** The error code, as `extensions.code` would carry it. */
  code: Scalars['String']['output'];
  /** What went wrong. */
  message: Scalars['String']['output'];
  /** Field path, for BAD_USER_INPUT. */
  path?: Maybe<Array<Scalars['String']['output']>>;
};

export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  /** Attempts started so far. */
  attempts: Scalars['Int']['output'];
  /** When it was queued. */
  createdAt: Scalars['DateTime']['output'];
  /** When a receiver acknowledged it. */
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  /** `action.approved` or `action.rolled_back`. */
  eventType: Scalars['String']['output'];
  /** Why the last attempt got no answer (`timeout`, `connect`, …). */
  lastError?: Maybe<Scalars['String']['output']>;
  /** HTTP status of the last attempt, when one came back. */
  lastStatusCode?: Maybe<Scalars['Int']['output']>;
  /** Attempts allowed. */
  maxAttempts: Scalars['Int']['output'];
  /** Not attempted again before this time (while PENDING). */
  nextAttemptAt: Scalars['DateTime']['output'];
  /** PENDING, DELIVERED or FAILED. */
  status: DeliveryStatus;
  /** The `webhook-id` header; receivers deduplicate by it. */
  webhookId: Scalars['String']['output'];
};

export type WebhookSubscription = {
  __typename?: 'WebhookSubscription';
  /** When it was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Admin who created it. */
  createdBy: Scalars['String']['output'];
  /** Its deliveries, newest event first (1-200, default 20), optionally of one status. */
  deliveries: Array<EventDelivery>;
  /** What it is for. */
  description?: Maybe<Scalars['String']['output']>;
  /** Why it is disabled. */
  disabledReason?: Maybe<Scalars['String']['output']>;
  /** Event types it receives (see the README's list). */
  eventTypes: Array<Scalars['String']['output']>;
  /** When its current run of failed attempts began; null after a success. */
  failingSince?: Maybe<Scalars['DateTime']['output']>;
  /** Id. */
  id: Scalars['ID']['output'];
  /** ACTIVE or DISABLED. */
  status: WebhookSubscriptionStatus;
  /** Last change. */
  updatedAt: Scalars['DateTime']['output'];
  /** Where deliveries go. */
  url: Scalars['String']['output'];
  /** Workflows whose events it receives; empty means every workflow of the tenant. */
  workflowKeys: Array<Scalars['String']['output']>;
};


export type WebhookSubscriptionDeliveriesArgs = {
  first?: Scalars['Int']['input'];
  status?: InputMaybe<DeliveryStatus>;
};

/** A subscription and its signing secret, which is shown only here. */
export type WebhookSubscriptionCreated = {
  __typename?: 'WebhookSubscriptionCreated';
  /** `whsec_…` (Standard Webhooks format): store it now, it is not shown again. */
  secret: Scalars['String']['output'];
  /** The subscription. */
  subscription: WebhookSubscription;
};

/** Whether a subscription receives deliveries. */
export type WebhookSubscriptionStatus =
  /** Deliveries leave as events happen. */
  | 'ACTIVE'
  /**
   * Turned off by an admin or by the server after failing too long; deliveries wait for it
   * to be enabled again.
   */
  | 'DISABLED';

export type Workflow = {
  __typename?: 'Workflow';
  /** The policy version in force. */
  activePolicy: PolicyVersion;
  /** Creation time. */
  createdAt: Scalars['DateTime']['output'];
  /** Description. */
  description?: Maybe<Scalars['String']['output']>;
  /** Delivery attempts per action, when a webhook is set. */
  executionWebhookMaxAttempts?: Maybe<Scalars['Int']['output']>;
  /** Where approved actions are delivered, if anywhere (the signing secret is never shown). */
  executionWebhookUrl?: Maybe<Scalars['String']['output']>;
  /** Key, unique in the tenant. */
  key: Scalars['String']['output'];
  /** ACTIVE, MANUAL_ONLY or PAUSED. */
  mode: WorkflowMode;
  /** Why the mode was last changed. */
  modeReason?: Maybe<Scalars['String']['output']>;
  /** Display name. */
  name: Scalars['String']['output'];
  /** Where reviewers are told about its approvals (empty: nowhere). */
  notificationChannels: Array<NotificationChannel>;
  /** Every policy version, oldest first. */
  policies: Array<PolicyVersion>;
  /** ROI assumptions. */
  roi: RoiSettings;
};

/** The figures of one workflow. */
export type WorkflowMetrics = {
  __typename?: 'WorkflowMetrics';
  autoApprovalRate?: Maybe<Scalars['Float']['output']>;
  cost: CostSummary;
  cycleTime: CycleTime;
  errorRate?: Maybe<Scalars['Float']['output']>;
  rejectionRate?: Maybe<Scalars['Float']['output']>;
  roi: RoiSummary;
  totals: Totals;
  workflowKey: Scalars['String']['output'];
};

/** Operating mode of a workflow. */
export type WorkflowMode =
  | 'ACTIVE'
  | 'MANUAL_ONLY'
  | 'PAUSED';

/** A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations. */
export type __Schema = {
  __typename?: '__Schema';
  description?: Maybe<Scalars['String']['output']>;
  /** A list of all types supported by this server. */
  types: Array<__Type>;
  /** The type that query operations will be rooted at. */
  queryType: __Type;
  /** If this server supports mutation, the type that mutation operations will be rooted at. */
  mutationType?: Maybe<__Type>;
  /** If this server support subscription, the type that subscription operations will be rooted at. */
  subscriptionType?: Maybe<__Type>;
  /** A list of all directives supported by this server. */
  directives: Array<__Directive>;
};


/** A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations. */
export type __SchemaDirectivesArgs = {
  includeDeprecated?: Scalars['Boolean']['input'];
};

/**
 * The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum.
 *
 * Depending on the kind of a type, certain fields describe information about that type. Scalar types provide no information beyond a name, description and optional `specifiedByURL`, while Enum types provide their values. Object and Interface types provide the fields they describe. Abstract types, Union and Interface, provide the Object types possible at runtime. List and NonNull types compose other types.
 */
export type __Type = {
  __typename?: '__Type';
  kind: __TypeKind;
  name?: Maybe<Scalars['String']['output']>;
  description?: Maybe<Scalars['String']['output']>;
  specifiedByURL?: Maybe<Scalars['String']['output']>;
  fields?: Maybe<Array<__Field>>;
  interfaces?: Maybe<Array<__Type>>;
  possibleTypes?: Maybe<Array<__Type>>;
  enumValues?: Maybe<Array<__EnumValue>>;
  inputFields?: Maybe<Array<__InputValue>>;
  ofType?: Maybe<__Type>;
  isOneOf?: Maybe<Scalars['Boolean']['output']>;
};


/**
 * The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum.
 *
 * Depending on the kind of a type, certain fields describe information about that type. Scalar types provide no information beyond a name, description and optional `specifiedByURL`, while Enum types provide their values. Object and Interface types provide the fields they describe. Abstract types, Union and Interface, provide the Object types possible at runtime. List and NonNull types compose other types.
 */
export type __TypeFieldsArgs = {
  includeDeprecated?: InputMaybe<Scalars['Boolean']['input']>;
};


/**
 * The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum.
 *
 * Depending on the kind of a type, certain fields describe information about that type. Scalar types provide no information beyond a name, description and optional `specifiedByURL`, while Enum types provide their values. Object and Interface types provide the fields they describe. Abstract types, Union and Interface, provide the Object types possible at runtime. List and NonNull types compose other types.
 */
export type __TypeEnumValuesArgs = {
  includeDeprecated?: InputMaybe<Scalars['Boolean']['input']>;
};


/**
 * The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum.
 *
 * Depending on the kind of a type, certain fields describe information about that type. Scalar types provide no information beyond a name, description and optional `specifiedByURL`, while Enum types provide their values. Object and Interface types provide the fields they describe. Abstract types, Union and Interface, provide the Object types possible at runtime. List and NonNull types compose other types.
 */
export type __TypeInputFieldsArgs = {
  includeDeprecated?: InputMaybe<Scalars['Boolean']['input']>;
};

/** An enum describing what kind of type a given `__Type` is. */
export type __TypeKind =
  /** Indicates this type is a scalar. */
  | 'SCALAR'
  /** Indicates this type is an object. `fields` and `interfaces` are valid fields. */
  | 'OBJECT'
  /** Indicates this type is an interface. `fields`, `interfaces`, and `possibleTypes` are valid fields. */
  | 'INTERFACE'
  /** Indicates this type is a union. `possibleTypes` is a valid field. */
  | 'UNION'
  /** Indicates this type is an enum. `enumValues` is a valid field. */
  | 'ENUM'
  /** Indicates this type is an input object. `inputFields` is a valid field. */
  | 'INPUT_OBJECT'
  /** Indicates this type is a list. `ofType` is a valid field. */
  | 'LIST'
  /** Indicates this type is a non-null. `ofType` is a valid field. */
  | 'NON_NULL';

/** Object and Interface types are described by a list of Fields, each of which has a name, potentially a list of arguments, and a return type. */
export type __Field = {
  __typename?: '__Field';
  name: Scalars['String']['output'];
  description?: Maybe<Scalars['String']['output']>;
  args: Array<__InputValue>;
  type: __Type;
  isDeprecated: Scalars['Boolean']['output'];
  deprecationReason?: Maybe<Scalars['String']['output']>;
};


/** Object and Interface types are described by a list of Fields, each of which has a name, potentially a list of arguments, and a return type. */
export type __FieldArgsArgs = {
  includeDeprecated?: InputMaybe<Scalars['Boolean']['input']>;
};

/** Arguments provided to Fields or Directives and the input fields of an InputObject are represented as Input Values which describe their type and optionally a default value. */
export type __InputValue = {
  __typename?: '__InputValue';
  name: Scalars['String']['output'];
  description?: Maybe<Scalars['String']['output']>;
  type: __Type;
  /** A GraphQL-formatted string representing the default value for this input value. */
  defaultValue?: Maybe<Scalars['String']['output']>;
  isDeprecated: Scalars['Boolean']['output'];
  deprecationReason?: Maybe<Scalars['String']['output']>;
};

/** One possible value for a given Enum. Enum values are unique values, not a placeholder for a string or numeric value. However an Enum value is returned in a JSON response as a string. */
export type __EnumValue = {
  __typename?: '__EnumValue';
  name: Scalars['String']['output'];
  description?: Maybe<Scalars['String']['output']>;
  isDeprecated: Scalars['Boolean']['output'];
  deprecationReason?: Maybe<Scalars['String']['output']>;
};

/**
 * A Directive provides a way to describe alternate runtime execution and type validation behavior in a GraphQL document.
 *
 * In some cases, you need to provide options to alter GraphQL's execution behavior in ways field arguments will not suffice, such as conditionally including or skipping a field. Directives provide this by describing additional information to the executor.
 */
export type __Directive = {
  __typename?: '__Directive';
  name: Scalars['String']['output'];
  description?: Maybe<Scalars['String']['output']>;
  isRepeatable: Scalars['Boolean']['output'];
  locations: Array<__DirectiveLocation>;
  args: Array<__InputValue>;
  isDeprecated: Scalars['Boolean']['output'];
  deprecationReason?: Maybe<Scalars['String']['output']>;
};


/**
 * A Directive provides a way to describe alternate runtime execution and type validation behavior in a GraphQL document.
 *
 * In some cases, you need to provide options to alter GraphQL's execution behavior in ways field arguments will not suffice, such as conditionally including or skipping a field. Directives provide this by describing additional information to the executor.
 */
export type __DirectiveArgsArgs = {
  includeDeprecated?: InputMaybe<Scalars['Boolean']['input']>;
};

/** A Directive can be adjacent to many parts of the GraphQL language, a __DirectiveLocation describes one such possible adjacencies. */
export type __DirectiveLocation =
  /** Location adjacent to a query operation. */
  | 'QUERY'
  /** Location adjacent to a mutation operation. */
  | 'MUTATION'
  /** Location adjacent to a subscription operation. */
  | 'SUBSCRIPTION'
  /** Location adjacent to a field. */
  | 'FIELD'
  /** Location adjacent to a fragment definition. */
  | 'FRAGMENT_DEFINITION'
  /** Location adjacent to a fragment spread. */
  | 'FRAGMENT_SPREAD'
  /** Location adjacent to an inline fragment. */
  | 'INLINE_FRAGMENT'
  /** Location adjacent to a variable definition. */
  | 'VARIABLE_DEFINITION'
  /** Location adjacent to a schema definition. */
  | 'SCHEMA'
  /** Location adjacent to a scalar definition. */
  | 'SCALAR'
  /** Location adjacent to an object type definition. */
  | 'OBJECT'
  /** Location adjacent to a field definition. */
  | 'FIELD_DEFINITION'
  /** Location adjacent to an argument definition. */
  | 'ARGUMENT_DEFINITION'
  /** Location adjacent to an interface definition. */
  | 'INTERFACE'
  /** Location adjacent to a union definition. */
  | 'UNION'
  /** Location adjacent to an enum definition. */
  | 'ENUM'
  /** Location adjacent to an enum value definition. */
  | 'ENUM_VALUE'
  /** Location adjacent to an input object type definition. */
  | 'INPUT_OBJECT'
  /** Location adjacent to an input object field definition. */
  | 'INPUT_FIELD_DEFINITION'
  /** Location adjacent to a directive definition. */
  | 'DIRECTIVE_DEFINITION';

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { __typename?: 'QueryRoot', me: { __typename?: 'Me', subject: string, tenant: string, roles: Array<string> } };

export type AdminSetWorkflowModeMutationVariables = Exact<{
  key: Scalars['String']['input'];
  mode: WorkflowMode;
  reason: Scalars['String']['input'];
}>;


export type AdminSetWorkflowModeMutation = { __typename?: 'MutationRoot', setWorkflowMode: { __typename?: 'Workflow', key: string, mode: WorkflowMode, modeReason?: string | null } };

export type AdminActivatePolicyMutationVariables = Exact<{
  key: Scalars['String']['input'];
  version: Scalars['Int']['input'];
}>;


export type AdminActivatePolicyMutation = { __typename?: 'MutationRoot', activatePolicy: { __typename?: 'PolicyVersion', version: number, status: PolicyStatus } };

export type AdminDeclinePolicyMutationVariables = Exact<{
  key: Scalars['String']['input'];
  version: Scalars['Int']['input'];
  reason: Scalars['String']['input'];
}>;


export type AdminDeclinePolicyMutation = { __typename?: 'MutationRoot', declinePolicy: { __typename?: 'PolicyVersion', version: number, status: PolicyStatus } };

export type AdminRollbackPolicyMutationVariables = Exact<{
  key: Scalars['String']['input'];
  toVersion: Scalars['Int']['input'];
  reason: Scalars['String']['input'];
}>;


export type AdminRollbackPolicyMutation = { __typename?: 'MutationRoot', rollbackPolicy: { __typename?: 'PolicyVersion', version: number, status: PolicyStatus } };

export type AdminProposePolicyMutationVariables = Exact<{
  key: Scalars['String']['input'];
  policy: Scalars['JSON']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
}>;


export type AdminProposePolicyMutation = { __typename?: 'MutationRoot', proposePolicy: { __typename?: 'PolicyVersion', version: number, status: PolicyStatus } };

export type AdminBacktestPolicyQueryVariables = Exact<{
  key: Scalars['String']['input'];
  policy: Scalars['JSON']['input'];
  from?: InputMaybe<Scalars['DateTime']['input']>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
  maxChanges: Scalars['Int']['input'];
}>;


export type AdminBacktestPolicyQuery = { __typename?: 'QueryRoot', backtestPolicy: { __typename?: 'BacktestReport', total: number, wouldAuto: number, wouldHuman: number, wouldReject: number, changed: number, changesTruncated: boolean, changes: Array<{ __typename?: 'RouteChange', requestId: string, was: Route, wouldBe: Route, matchedRule?: string | null }> } };

export type AdminSimulatePolicyQueryVariables = Exact<{
  key: Scalars['String']['input'];
  policy?: InputMaybe<Scalars['JSON']['input']>;
  actions: Array<SubmitActionInput> | SubmitActionInput;
}>;


export type AdminSimulatePolicyQuery = { __typename?: 'QueryRoot', simulatePolicy: Array<{ __typename?: 'RouteDecision', route: Route, matchedRule?: string | null, steps: Array<string>, exceptions: Array<string>, riskFlags: Array<string>, reasonCode?: string | null }> };

export type DashboardWorkflowsQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardWorkflowsQuery = { __typename?: 'QueryRoot', workflows: Array<{ __typename?: 'Workflow', key: string, name: string }> };

export type DashTotalsFragment = { __typename?: 'Totals', submitted: number, autoApproved: number, humanApproved: number, rejected: number, pending: number, expired: number, cancelled: number, executed: number, executionFailed: number, rolledBack: number, sampled: number, sampledIncorrect: number };

export type DashCycleFragment = { __typename?: 'CycleTime', count: number, p50Seconds?: number | null, p90Seconds?: number | null, p99Seconds?: number | null, meanSeconds?: number | null };

export type DashCostFragment = { __typename?: 'CostSummary', aiCostUsd: string, reviewCostUsd: string, totalCostUsd: string, costPerRequestUsd?: string | null };

export type DashRoiFragment = { __typename?: 'RoiSummary', hoursSaved: number, valueSavedUsd: string, netValueUsd: string, roi?: number | null };

export type DashboardAnalyticsQueryVariables = Exact<{
  filter?: InputMaybe<AnalyticsFilter>;
}>;


export type DashboardAnalyticsQuery = { __typename?: 'QueryRoot', analytics: { __typename?: 'AnalyticsReport', autoApprovalRate?: number | null, humanApprovalRate?: number | null, rejectionRate?: number | null, editRate?: number | null, errorRate?: number | null, slaBreachRate?: number | null, totals: { __typename?: 'Totals', submitted: number, autoApproved: number, humanApproved: number, rejected: number, pending: number, expired: number, cancelled: number, executed: number, executionFailed: number, rolledBack: number, sampled: number, sampledIncorrect: number }, cycleTime: { __typename?: 'CycleTime', count: number, p50Seconds?: number | null, p90Seconds?: number | null, p99Seconds?: number | null, meanSeconds?: number | null }, rejectionReasons: Array<{ __typename?: 'ReasonCount', reasonCode: string, count: number, share: number }>, cost: { __typename?: 'CostSummary', aiCostUsd: string, reviewCostUsd: string, totalCostUsd: string, costPerRequestUsd?: string | null }, roi: { __typename?: 'RoiSummary', hoursSaved: number, valueSavedUsd: string, netValueUsd: string, roi?: number | null }, byWorkflow: Array<{ __typename?: 'WorkflowMetrics', workflowKey: string, autoApprovalRate?: number | null, rejectionRate?: number | null, errorRate?: number | null, totals: { __typename?: 'Totals', submitted: number, autoApproved: number, humanApproved: number, rejected: number, pending: number, expired: number, cancelled: number, executed: number, executionFailed: number, rolledBack: number, sampled: number, sampledIncorrect: number }, cycleTime: { __typename?: 'CycleTime', count: number, p50Seconds?: number | null, p90Seconds?: number | null, p99Seconds?: number | null, meanSeconds?: number | null }, cost: { __typename?: 'CostSummary', aiCostUsd: string, reviewCostUsd: string, totalCostUsd: string, costPerRequestUsd?: string | null }, roi: { __typename?: 'RoiSummary', hoursSaved: number, valueSavedUsd: string, netValueUsd: string, roi?: number | null } }>, series: Array<{ __typename?: 'SeriesPoint', bucketStart: string, submitted: number, autoApproved: number, humanApproved: number, rejected: number, errors: number, p50CycleSeconds?: number | null, aiCostUsd: string }> } };

export type QueryPageTypeRefFragment = { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null };

export type QueryPageRootFragment = { __typename?: '__Type', name?: string | null, fields?: Array<{ __typename?: '__Field', name: string, description?: string | null, args: Array<{ __typename?: '__InputValue', name: string, description?: string | null, defaultValue?: string | null, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }>, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }> | null };

export type QueryPageSchemaQueryVariables = Exact<{ [key: string]: never; }>;


export type QueryPageSchemaQuery = { __typename?: 'QueryRoot', __schema: { __typename?: '__Schema', queryType: { __typename?: '__Type', name?: string | null, fields?: Array<{ __typename?: '__Field', name: string, description?: string | null, args: Array<{ __typename?: '__InputValue', name: string, description?: string | null, defaultValue?: string | null, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }>, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }> | null }, mutationType?: { __typename?: '__Type', name?: string | null, fields?: Array<{ __typename?: '__Field', name: string, description?: string | null, args: Array<{ __typename?: '__InputValue', name: string, description?: string | null, defaultValue?: string | null, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }>, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }> | null } | null, subscriptionType?: { __typename?: '__Type', name?: string | null, fields?: Array<{ __typename?: '__Field', name: string, description?: string | null, args: Array<{ __typename?: '__InputValue', name: string, description?: string | null, defaultValue?: string | null, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }>, type: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null, ofType?: { __typename?: '__Type', kind: __TypeKind, name?: string | null } | null } | null } | null } | null } }> | null } | null } };

export type ReviewerDecideManyMutationVariables = Exact<{
  inputs: Array<DecideInput> | DecideInput;
}>;


export type ReviewerDecideManyMutation = { __typename?: 'MutationRoot', decideMany: Array<{ __typename?: 'DecideResult', requestId: string, request?: { __typename?: 'ApprovalRequest', id: string, status: RequestStatus, version: number } | null, error?: { __typename?: 'UserError', code: string, message: string } | null }> };

export type ReviewerDecideMutationVariables = Exact<{
  input: DecideInput;
}>;


export type ReviewerDecideMutation = { __typename?: 'MutationRoot', decide: { __typename?: 'ApprovalRequest', id: string, workflowKey: string, policyVersion: number, matchedRule?: string | null, route: Route, status: RequestStatus, version: number, actionType: string, title: string, action: unknown, finalAction: unknown, finalActionHash: string, editPatch?: unknown | null, recommendation?: string | null, confidence?: number | null, amount?: string | null, currency?: string | null, riskFlags: Array<string>, exceptions: Array<string>, duplicateOf?: string | null, context?: unknown | null, model?: string | null, promptVersion?: string | null, costUsd?: string | null, qaSampled: boolean, qaVerdict?: SampleVerdict | null, qaReasonCode?: string | null, qaComment?: string | null, qaReviewedBy?: string | null, qaReviewedAt?: string | null, reasonCode?: string | null, currentStep?: number | null, submittedBy: string, submittedAt: string, dueAt?: string | null, expiresAt?: string | null, decidedAt?: string | null, executedAt?: string | null, externalRef?: string | null, executionError?: string | null, sources: Array<{ __typename?: 'Source', title: string, url?: string | null, excerpt?: string | null }>, steps: Array<{ __typename?: 'ApprovalStep', index: number, role: string, quorum: number, approvals: number, status: StepStatus, openedAt?: string | null, dueAt?: string | null, escalatedTo?: string | null }>, decisions: Array<{ __typename?: 'Decision', step?: number | null, actor: string, decision: DecisionKind, reasonCode?: string | null, comment?: string | null, edited: boolean, at: string }>, history: Array<{ __typename?: 'AuditEvent', seq: number, type: string, at: string, actor: string, data: unknown }> } };

export type ReviewerReasonCodesQueryVariables = Exact<{
  workflowKey?: InputMaybe<Scalars['String']['input']>;
}>;


export type ReviewerReasonCodesQuery = { __typename?: 'QueryRoot', reasonCodes: Array<{ __typename?: 'ReasonCodeUse', code: string, count: number }> };

export type AdminApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminApiKeysQuery = { __typename?: 'QueryRoot', apiKeys: Array<{ __typename?: 'ApiKey', id: string, prefix: string, principal: string, roles: Array<string>, label?: string | null, createdBy: string, createdAt: string, revokedAt?: string | null, revokedBy?: string | null }> };

export type AdminCreateApiKeyMutationVariables = Exact<{
  principal: Scalars['String']['input'];
  roles: Array<Scalars['String']['input']> | Scalars['String']['input'];
  label?: InputMaybe<Scalars['String']['input']>;
}>;


export type AdminCreateApiKeyMutation = { __typename?: 'MutationRoot', createApiKey: { __typename?: 'ApiKeyCreated', id: string, key: string, principal: string, roles: Array<string> } };

export type AdminRevokeApiKeyMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type AdminRevokeApiKeyMutation = { __typename?: 'MutationRoot', revokeApiKey: boolean };

export type AdminAuditLogQueryVariables = Exact<{
  filter?: InputMaybe<AuditFilter>;
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type AdminAuditLogQuery = { __typename?: 'QueryRoot', auditLog: { __typename?: 'AuditEventConnection', edges: Array<{ __typename?: 'AuditEventEdge', cursor: string, node: { __typename?: 'AuditEvent', seq: number, id: string, type: string, at: string, actor: string, workflowKey?: string | null, requestId?: string | null, data: unknown, prevHash: string, hash: string } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type AdminVerifyAuditChainQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminVerifyAuditChainQuery = { __typename?: 'QueryRoot', verifyAuditChain: { __typename?: 'AuditVerification', ok: boolean, checked: number, firstBrokenSeq?: number | null, headHash?: string | null } };

export type AdminAuditWorkflowKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminAuditWorkflowKeysQuery = { __typename?: 'QueryRoot', workflows: Array<{ __typename?: 'Workflow', key: string, name: string }> };

export type ReviewerSampleQueueQueryVariables = Exact<{
  workflowKey?: InputMaybe<Scalars['String']['input']>;
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ReviewerSampleQueueQuery = { __typename?: 'QueryRoot', sampleQueue: { __typename?: 'ApprovalRequestConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'ApprovalRequestEdge', node: { __typename?: 'ApprovalRequest', id: string, title: string, workflowKey: string, actionType: string, matchedRule?: string | null, amount?: string | null, currency?: string | null, confidence?: number | null, riskFlags: Array<string>, exceptions: Array<string>, duplicateOf?: string | null, recommendation?: string | null, finalAction: unknown, model?: string | null, promptVersion?: string | null, submittedBy: string, submittedAt: string, decidedAt?: string | null } }> } };

export type ReviewerQaWorkflowsQueryVariables = Exact<{ [key: string]: never; }>;


export type ReviewerQaWorkflowsQuery = { __typename?: 'QueryRoot', workflows: Array<{ __typename?: 'Workflow', key: string, name: string }> };

export type ReviewerReviewSampleMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  verdict: SampleVerdict;
  reasonCode?: InputMaybe<Scalars['String']['input']>;
  comment?: InputMaybe<Scalars['String']['input']>;
}>;


export type ReviewerReviewSampleMutation = { __typename?: 'MutationRoot', reviewSample: { __typename?: 'ApprovalRequest', id: string, qaVerdict?: SampleVerdict | null, qaReasonCode?: string | null, qaReviewedBy?: string | null, qaReviewedAt?: string | null } };

export type ReviewerQueueQueryVariables = Exact<{
  workflowKey?: InputMaybe<Scalars['String']['input']>;
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ReviewerQueueQuery = { __typename?: 'QueryRoot', approvalQueue: { __typename?: 'ApprovalRequestConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'ApprovalRequestEdge', node: { __typename?: 'ApprovalRequest', id: string, version: number, title: string, workflowKey: string, actionType: string, amount?: string | null, currency?: string | null, confidence?: number | null, riskFlags: Array<string>, exceptions: Array<string>, duplicateOf?: string | null, dueAt?: string | null, submittedAt: string, currentStep?: number | null, steps: Array<{ __typename?: 'ApprovalStep', index: number, role: string, quorum: number, approvals: number, status: StepStatus }> } }> } };

export type ReviewerWorkflowsQueryVariables = Exact<{ [key: string]: never; }>;


export type ReviewerWorkflowsQuery = { __typename?: 'QueryRoot', workflows: Array<{ __typename?: 'Workflow', key: string, name: string }> };

export type ReviewerQueueEventsSubscriptionVariables = Exact<{
  workflowKey?: InputMaybe<Scalars['String']['input']>;
  afterSeq?: InputMaybe<Scalars['Int']['input']>;
}>;


export type ReviewerQueueEventsSubscription = { __typename?: 'SubscriptionRoot', approvalEvents: { __typename?: 'AuditEvent', seq: number, type: string, actor: string, workflowKey?: string | null, requestId?: string | null, data: unknown } };

export type ReviewerRequestDetailFragment = { __typename?: 'ApprovalRequest', id: string, workflowKey: string, policyVersion: number, matchedRule?: string | null, route: Route, status: RequestStatus, version: number, actionType: string, title: string, action: unknown, finalAction: unknown, finalActionHash: string, editPatch?: unknown | null, recommendation?: string | null, confidence?: number | null, amount?: string | null, currency?: string | null, riskFlags: Array<string>, exceptions: Array<string>, duplicateOf?: string | null, context?: unknown | null, model?: string | null, promptVersion?: string | null, costUsd?: string | null, qaSampled: boolean, qaVerdict?: SampleVerdict | null, qaReasonCode?: string | null, qaComment?: string | null, qaReviewedBy?: string | null, qaReviewedAt?: string | null, reasonCode?: string | null, currentStep?: number | null, submittedBy: string, submittedAt: string, dueAt?: string | null, expiresAt?: string | null, decidedAt?: string | null, executedAt?: string | null, externalRef?: string | null, executionError?: string | null, sources: Array<{ __typename?: 'Source', title: string, url?: string | null, excerpt?: string | null }>, steps: Array<{ __typename?: 'ApprovalStep', index: number, role: string, quorum: number, approvals: number, status: StepStatus, openedAt?: string | null, dueAt?: string | null, escalatedTo?: string | null }>, decisions: Array<{ __typename?: 'Decision', step?: number | null, actor: string, decision: DecisionKind, reasonCode?: string | null, comment?: string | null, edited: boolean, at: string }>, history: Array<{ __typename?: 'AuditEvent', seq: number, type: string, at: string, actor: string, data: unknown }> };

export type ReviewerRequestQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ReviewerRequestQuery = { __typename?: 'QueryRoot', approvalRequest?: { __typename?: 'ApprovalRequest', id: string, workflowKey: string, policyVersion: number, matchedRule?: string | null, route: Route, status: RequestStatus, version: number, actionType: string, title: string, action: unknown, finalAction: unknown, finalActionHash: string, editPatch?: unknown | null, recommendation?: string | null, confidence?: number | null, amount?: string | null, currency?: string | null, riskFlags: Array<string>, exceptions: Array<string>, duplicateOf?: string | null, context?: unknown | null, model?: string | null, promptVersion?: string | null, costUsd?: string | null, qaSampled: boolean, qaVerdict?: SampleVerdict | null, qaReasonCode?: string | null, qaComment?: string | null, qaReviewedBy?: string | null, qaReviewedAt?: string | null, reasonCode?: string | null, currentStep?: number | null, submittedBy: string, submittedAt: string, dueAt?: string | null, expiresAt?: string | null, decidedAt?: string | null, executedAt?: string | null, externalRef?: string | null, executionError?: string | null, sources: Array<{ __typename?: 'Source', title: string, url?: string | null, excerpt?: string | null }>, steps: Array<{ __typename?: 'ApprovalStep', index: number, role: string, quorum: number, approvals: number, status: StepStatus, openedAt?: string | null, dueAt?: string | null, escalatedTo?: string | null }>, decisions: Array<{ __typename?: 'Decision', step?: number | null, actor: string, decision: DecisionKind, reasonCode?: string | null, comment?: string | null, edited: boolean, at: string }>, history: Array<{ __typename?: 'AuditEvent', seq: number, type: string, at: string, actor: string, data: unknown }> } | null };

export type ReviewerQueueIdsQueryVariables = Exact<{ [key: string]: never; }>;


export type ReviewerQueueIdsQuery = { __typename?: 'QueryRoot', approvalQueue: { __typename?: 'ApprovalRequestConnection', totalCount: number, edges: Array<{ __typename?: 'ApprovalRequestEdge', node: { __typename?: 'ApprovalRequest', id: string } }> } };

export type AdminWorkflowQueryVariables = Exact<{
  key: Scalars['String']['input'];
}>;


export type AdminWorkflowQuery = { __typename?: 'QueryRoot', workflow?: { __typename?: 'Workflow', key: string, name: string, description?: string | null, mode: WorkflowMode, modeReason?: string | null, executionWebhookUrl?: string | null, executionWebhookMaxAttempts?: number | null, createdAt: string, activePolicy: { __typename?: 'PolicyVersion', version: number, status: PolicyStatus, note?: string | null, proposedBy: string, activatedBy?: string | null, createdAt: string, activatedAt?: string | null, statusReason?: string | null }, policies: Array<{ __typename?: 'PolicyVersion', version: number, status: PolicyStatus, note?: string | null, proposedBy: string, activatedBy?: string | null, createdAt: string, activatedAt?: string | null, statusReason?: string | null }> } | null };

export type AdminWorkflowPolicyDocumentsQueryVariables = Exact<{
  key: Scalars['String']['input'];
}>;


export type AdminWorkflowPolicyDocumentsQuery = { __typename?: 'QueryRoot', workflow?: { __typename?: 'Workflow', key: string, policies: Array<{ __typename?: 'PolicyVersion', version: number, document: unknown }> } | null };

export type AdminWorkflowSampleRequestQueryVariables = Exact<{
  key: Scalars['String']['input'];
}>;


export type AdminWorkflowSampleRequestQuery = { __typename?: 'QueryRoot', approvalRequests: { __typename?: 'ApprovalRequestConnection', edges: Array<{ __typename?: 'ApprovalRequestEdge', node: { __typename?: 'ApprovalRequest', id: string, actionType: string, title: string, action: unknown, recommendation?: string | null, confidence?: number | null, amount?: string | null, currency?: string | null, riskFlags: Array<string>, context?: unknown | null, model?: string | null, promptVersion?: string | null, costUsd?: string | null } }> } };

export type AdminWorkflowsQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminWorkflowsQuery = { __typename?: 'QueryRoot', workflows: Array<{ __typename?: 'Workflow', key: string, name: string, description?: string | null, mode: WorkflowMode, modeReason?: string | null, executionWebhookUrl?: string | null, executionWebhookMaxAttempts?: number | null, createdAt: string, activePolicy: { __typename?: 'PolicyVersion', version: number, activatedAt?: string | null }, policies: Array<{ __typename?: 'PolicyVersion', version: number, status: PolicyStatus }> }> };

export const DashTotalsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashTotals"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Totals"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"submitted"}},{"kind":"Field","name":{"kind":"Name","value":"autoApproved"}},{"kind":"Field","name":{"kind":"Name","value":"humanApproved"}},{"kind":"Field","name":{"kind":"Name","value":"rejected"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"expired"}},{"kind":"Field","name":{"kind":"Name","value":"cancelled"}},{"kind":"Field","name":{"kind":"Name","value":"executed"}},{"kind":"Field","name":{"kind":"Name","value":"executionFailed"}},{"kind":"Field","name":{"kind":"Name","value":"rolledBack"}},{"kind":"Field","name":{"kind":"Name","value":"sampled"}},{"kind":"Field","name":{"kind":"Name","value":"sampledIncorrect"}}]}}]} as unknown as DocumentNode<DashTotalsFragment, unknown>;
export const DashCycleFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashCycle"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CycleTime"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"p50Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"p90Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"p99Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"meanSeconds"}}]}}]} as unknown as DocumentNode<DashCycleFragment, unknown>;
export const DashCostFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashCost"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CostSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"aiCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"reviewCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"totalCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"costPerRequestUsd"}}]}}]} as unknown as DocumentNode<DashCostFragment, unknown>;
export const DashRoiFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashRoi"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RoiSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hoursSaved"}},{"kind":"Field","name":{"kind":"Name","value":"valueSavedUsd"}},{"kind":"Field","name":{"kind":"Name","value":"netValueUsd"}},{"kind":"Field","name":{"kind":"Name","value":"roi"}}]}}]} as unknown as DocumentNode<DashRoiFragment, unknown>;
export const QueryPageTypeRefFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"QueryPageTypeRef"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"__Type"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<QueryPageTypeRefFragment, unknown>;
export const QueryPageRootFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"QueryPageRoot"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"__Type"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"fields"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"args"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"defaultValue"}},{"kind":"Field","name":{"kind":"Name","value":"type"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageTypeRef"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"type"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageTypeRef"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"QueryPageTypeRef"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"__Type"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<QueryPageRootFragment, unknown>;
export const ReviewerRequestDetailFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ReviewerRequestDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApprovalRequest"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"policyVersion"}},{"kind":"Field","name":{"kind":"Name","value":"matchedRule"}},{"kind":"Field","name":{"kind":"Name","value":"route"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"actionType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"finalAction"}},{"kind":"Field","name":{"kind":"Name","value":"finalActionHash"}},{"kind":"Field","name":{"kind":"Name","value":"editPatch"}},{"kind":"Field","name":{"kind":"Name","value":"recommendation"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"exceptions"}},{"kind":"Field","name":{"kind":"Name","value":"duplicateOf"}},{"kind":"Field","name":{"kind":"Name","value":"sources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"excerpt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"context"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"promptVersion"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"qaSampled"}},{"kind":"Field","name":{"kind":"Name","value":"qaVerdict"}},{"kind":"Field","name":{"kind":"Name","value":"qaReasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"qaComment"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedBy"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedAt"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"quorum"}},{"kind":"Field","name":{"kind":"Name","value":"approvals"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"openedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"escalatedTo"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currentStep"}},{"kind":"Field","name":{"kind":"Name","value":"decisions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"decision"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}},{"kind":"Field","name":{"kind":"Name","value":"edited"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}},{"kind":"Field","name":{"kind":"Name","value":"history"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}},{"kind":"Field","name":{"kind":"Name","value":"submittedBy"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"decidedAt"}},{"kind":"Field","name":{"kind":"Name","value":"executedAt"}},{"kind":"Field","name":{"kind":"Name","value":"externalRef"}},{"kind":"Field","name":{"kind":"Name","value":"executionError"}}]}}]} as unknown as DocumentNode<ReviewerRequestDetailFragment, unknown>;
export const MeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"tenant"}},{"kind":"Field","name":{"kind":"Name","value":"roles"}}]}}]}}]} as unknown as DocumentNode<MeQuery, MeQueryVariables>;
export const AdminSetWorkflowModeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminSetWorkflowMode"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"mode"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"WorkflowMode"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"reason"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setWorkflowMode"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"mode"},"value":{"kind":"Variable","name":{"kind":"Name","value":"mode"}}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"Variable","name":{"kind":"Name","value":"reason"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"mode"}},{"kind":"Field","name":{"kind":"Name","value":"modeReason"}}]}}]}}]} as unknown as DocumentNode<AdminSetWorkflowModeMutation, AdminSetWorkflowModeMutationVariables>;
export const AdminActivatePolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminActivatePolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"version"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activatePolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"version"},"value":{"kind":"Variable","name":{"kind":"Name","value":"version"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<AdminActivatePolicyMutation, AdminActivatePolicyMutationVariables>;
export const AdminDeclinePolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminDeclinePolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"version"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"reason"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"declinePolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"version"},"value":{"kind":"Variable","name":{"kind":"Name","value":"version"}}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"Variable","name":{"kind":"Name","value":"reason"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<AdminDeclinePolicyMutation, AdminDeclinePolicyMutationVariables>;
export const AdminRollbackPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminRollbackPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"toVersion"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"reason"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rollbackPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"toVersion"},"value":{"kind":"Variable","name":{"kind":"Name","value":"toVersion"}}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"Variable","name":{"kind":"Name","value":"reason"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<AdminRollbackPolicyMutation, AdminRollbackPolicyMutationVariables>;
export const AdminProposePolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminProposePolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"policy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"JSON"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"note"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"proposePolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"policy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"policy"}}},{"kind":"Argument","name":{"kind":"Name","value":"note"},"value":{"kind":"Variable","name":{"kind":"Name","value":"note"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<AdminProposePolicyMutation, AdminProposePolicyMutationVariables>;
export const AdminBacktestPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminBacktestPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"policy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"JSON"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"maxChanges"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"backtestPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"policy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"policy"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"maxChanges"},"value":{"kind":"Variable","name":{"kind":"Name","value":"maxChanges"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"wouldAuto"}},{"kind":"Field","name":{"kind":"Name","value":"wouldHuman"}},{"kind":"Field","name":{"kind":"Name","value":"wouldReject"}},{"kind":"Field","name":{"kind":"Name","value":"changed"}},{"kind":"Field","name":{"kind":"Name","value":"changesTruncated"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"was"}},{"kind":"Field","name":{"kind":"Name","value":"wouldBe"}},{"kind":"Field","name":{"kind":"Name","value":"matchedRule"}}]}}]}}]}}]} as unknown as DocumentNode<AdminBacktestPolicyQuery, AdminBacktestPolicyQueryVariables>;
export const AdminSimulatePolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminSimulatePolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"policy"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"JSON"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"actions"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SubmitActionInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"simulatePolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}},{"kind":"Argument","name":{"kind":"Name","value":"policy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"policy"}}},{"kind":"Argument","name":{"kind":"Name","value":"actions"},"value":{"kind":"Variable","name":{"kind":"Name","value":"actions"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"route"}},{"kind":"Field","name":{"kind":"Name","value":"matchedRule"}},{"kind":"Field","name":{"kind":"Name","value":"steps"}},{"kind":"Field","name":{"kind":"Name","value":"exceptions"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}}]}}]}}]} as unknown as DocumentNode<AdminSimulatePolicyQuery, AdminSimulatePolicyQueryVariables>;
export const DashboardWorkflowsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardWorkflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<DashboardWorkflowsQuery, DashboardWorkflowsQueryVariables>;
export const DashboardAnalyticsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DashboardAnalytics"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AnalyticsFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"analytics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashTotals"}}]}},{"kind":"Field","name":{"kind":"Name","value":"autoApprovalRate"}},{"kind":"Field","name":{"kind":"Name","value":"humanApprovalRate"}},{"kind":"Field","name":{"kind":"Name","value":"rejectionRate"}},{"kind":"Field","name":{"kind":"Name","value":"editRate"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}},{"kind":"Field","name":{"kind":"Name","value":"slaBreachRate"}},{"kind":"Field","name":{"kind":"Name","value":"cycleTime"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashCycle"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rejectionReasons"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"share"}}]}},{"kind":"Field","name":{"kind":"Name","value":"cost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashCost"}}]}},{"kind":"Field","name":{"kind":"Name","value":"roi"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashRoi"}}]}},{"kind":"Field","name":{"kind":"Name","value":"byWorkflow"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"totals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashTotals"}}]}},{"kind":"Field","name":{"kind":"Name","value":"autoApprovalRate"}},{"kind":"Field","name":{"kind":"Name","value":"rejectionRate"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}},{"kind":"Field","name":{"kind":"Name","value":"cycleTime"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashCycle"}}]}},{"kind":"Field","name":{"kind":"Name","value":"cost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashCost"}}]}},{"kind":"Field","name":{"kind":"Name","value":"roi"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DashRoi"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"series"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"bucketStart"}},{"kind":"Field","name":{"kind":"Name","value":"submitted"}},{"kind":"Field","name":{"kind":"Name","value":"autoApproved"}},{"kind":"Field","name":{"kind":"Name","value":"humanApproved"}},{"kind":"Field","name":{"kind":"Name","value":"rejected"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"p50CycleSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"aiCostUsd"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashTotals"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Totals"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"submitted"}},{"kind":"Field","name":{"kind":"Name","value":"autoApproved"}},{"kind":"Field","name":{"kind":"Name","value":"humanApproved"}},{"kind":"Field","name":{"kind":"Name","value":"rejected"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"expired"}},{"kind":"Field","name":{"kind":"Name","value":"cancelled"}},{"kind":"Field","name":{"kind":"Name","value":"executed"}},{"kind":"Field","name":{"kind":"Name","value":"executionFailed"}},{"kind":"Field","name":{"kind":"Name","value":"rolledBack"}},{"kind":"Field","name":{"kind":"Name","value":"sampled"}},{"kind":"Field","name":{"kind":"Name","value":"sampledIncorrect"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashCycle"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CycleTime"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"p50Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"p90Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"p99Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"meanSeconds"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashCost"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CostSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"aiCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"reviewCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"totalCostUsd"}},{"kind":"Field","name":{"kind":"Name","value":"costPerRequestUsd"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DashRoi"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RoiSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hoursSaved"}},{"kind":"Field","name":{"kind":"Name","value":"valueSavedUsd"}},{"kind":"Field","name":{"kind":"Name","value":"netValueUsd"}},{"kind":"Field","name":{"kind":"Name","value":"roi"}}]}}]} as unknown as DocumentNode<DashboardAnalyticsQuery, DashboardAnalyticsQueryVariables>;
export const QueryPageSchemaDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"QueryPageSchema"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__schema"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"queryType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageRoot"}}]}},{"kind":"Field","name":{"kind":"Name","value":"mutationType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageRoot"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subscriptionType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageRoot"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"QueryPageTypeRef"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"__Type"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"ofType"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"QueryPageRoot"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"__Type"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"fields"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"args"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"defaultValue"}},{"kind":"Field","name":{"kind":"Name","value":"type"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageTypeRef"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"type"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"QueryPageTypeRef"}}]}}]}}]}}]} as unknown as DocumentNode<QueryPageSchemaQuery, QueryPageSchemaQueryVariables>;
export const ReviewerDecideManyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ReviewerDecideMany"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DecideInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"decideMany"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"inputs"},"value":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"request"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ReviewerDecideManyMutation, ReviewerDecideManyMutationVariables>;
export const ReviewerDecideDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ReviewerDecide"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DecideInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"decide"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ReviewerRequestDetail"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ReviewerRequestDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApprovalRequest"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"policyVersion"}},{"kind":"Field","name":{"kind":"Name","value":"matchedRule"}},{"kind":"Field","name":{"kind":"Name","value":"route"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"actionType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"finalAction"}},{"kind":"Field","name":{"kind":"Name","value":"finalActionHash"}},{"kind":"Field","name":{"kind":"Name","value":"editPatch"}},{"kind":"Field","name":{"kind":"Name","value":"recommendation"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"exceptions"}},{"kind":"Field","name":{"kind":"Name","value":"duplicateOf"}},{"kind":"Field","name":{"kind":"Name","value":"sources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"excerpt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"context"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"promptVersion"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"qaSampled"}},{"kind":"Field","name":{"kind":"Name","value":"qaVerdict"}},{"kind":"Field","name":{"kind":"Name","value":"qaReasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"qaComment"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedBy"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedAt"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"quorum"}},{"kind":"Field","name":{"kind":"Name","value":"approvals"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"openedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"escalatedTo"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currentStep"}},{"kind":"Field","name":{"kind":"Name","value":"decisions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"decision"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}},{"kind":"Field","name":{"kind":"Name","value":"edited"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}},{"kind":"Field","name":{"kind":"Name","value":"history"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}},{"kind":"Field","name":{"kind":"Name","value":"submittedBy"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"decidedAt"}},{"kind":"Field","name":{"kind":"Name","value":"executedAt"}},{"kind":"Field","name":{"kind":"Name","value":"externalRef"}},{"kind":"Field","name":{"kind":"Name","value":"executionError"}}]}}]} as unknown as DocumentNode<ReviewerDecideMutation, ReviewerDecideMutationVariables>;
export const ReviewerReasonCodesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerReasonCodes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reasonCodes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]} as unknown as DocumentNode<ReviewerReasonCodesQuery, ReviewerReasonCodesQueryVariables>;
export const AdminApiKeysDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminApiKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"apiKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"principal"}},{"kind":"Field","name":{"kind":"Name","value":"roles"}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedBy"}}]}}]}}]} as unknown as DocumentNode<AdminApiKeysQuery, AdminApiKeysQueryVariables>;
export const AdminCreateApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminCreateApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"principal"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"roles"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"label"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"principal"},"value":{"kind":"Variable","name":{"kind":"Name","value":"principal"}}},{"kind":"Argument","name":{"kind":"Name","value":"roles"},"value":{"kind":"Variable","name":{"kind":"Name","value":"roles"}}},{"kind":"Argument","name":{"kind":"Name","value":"label"},"value":{"kind":"Variable","name":{"kind":"Name","value":"label"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"principal"}},{"kind":"Field","name":{"kind":"Name","value":"roles"}}]}}]}}]} as unknown as DocumentNode<AdminCreateApiKeyMutation, AdminCreateApiKeyMutationVariables>;
export const AdminRevokeApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminRevokeApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<AdminRevokeApiKeyMutation, AdminRevokeApiKeyMutationVariables>;
export const AdminAuditLogDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminAuditLog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditLog"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"data"}},{"kind":"Field","name":{"kind":"Name","value":"prevHash"}},{"kind":"Field","name":{"kind":"Name","value":"hash"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<AdminAuditLogQuery, AdminAuditLogQueryVariables>;
export const AdminVerifyAuditChainDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminVerifyAuditChain"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"verifyAuditChain"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ok"}},{"kind":"Field","name":{"kind":"Name","value":"checked"}},{"kind":"Field","name":{"kind":"Name","value":"firstBrokenSeq"}},{"kind":"Field","name":{"kind":"Name","value":"headHash"}}]}}]}}]} as unknown as DocumentNode<AdminVerifyAuditChainQuery, AdminVerifyAuditChainQueryVariables>;
export const AdminAuditWorkflowKeysDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminAuditWorkflowKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<AdminAuditWorkflowKeysQuery, AdminAuditWorkflowKeysQueryVariables>;
export const ReviewerSampleQueueDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerSampleQueue"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sampleQueue"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"actionType"}},{"kind":"Field","name":{"kind":"Name","value":"matchedRule"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"exceptions"}},{"kind":"Field","name":{"kind":"Name","value":"duplicateOf"}},{"kind":"Field","name":{"kind":"Name","value":"recommendation"}},{"kind":"Field","name":{"kind":"Name","value":"finalAction"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"promptVersion"}},{"kind":"Field","name":{"kind":"Name","value":"submittedBy"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"decidedAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ReviewerSampleQueueQuery, ReviewerSampleQueueQueryVariables>;
export const ReviewerQaWorkflowsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerQaWorkflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<ReviewerQaWorkflowsQuery, ReviewerQaWorkflowsQueryVariables>;
export const ReviewerReviewSampleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ReviewerReviewSample"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"verdict"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SampleVerdict"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"reasonCode"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"comment"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reviewSample"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"verdict"},"value":{"kind":"Variable","name":{"kind":"Name","value":"verdict"}}},{"kind":"Argument","name":{"kind":"Name","value":"reasonCode"},"value":{"kind":"Variable","name":{"kind":"Name","value":"reasonCode"}}},{"kind":"Argument","name":{"kind":"Name","value":"comment"},"value":{"kind":"Variable","name":{"kind":"Name","value":"comment"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"qaVerdict"}},{"kind":"Field","name":{"kind":"Name","value":"qaReasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedBy"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedAt"}}]}}]}}]} as unknown as DocumentNode<ReviewerReviewSampleMutation, ReviewerReviewSampleMutationVariables>;
export const ReviewerQueueDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerQueue"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approvalQueue"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"actionType"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"exceptions"}},{"kind":"Field","name":{"kind":"Name","value":"duplicateOf"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"currentStep"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"quorum"}},{"kind":"Field","name":{"kind":"Name","value":"approvals"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ReviewerQueueQuery, ReviewerQueueQueryVariables>;
export const ReviewerWorkflowsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerWorkflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<ReviewerWorkflowsQuery, ReviewerWorkflowsQueryVariables>;
export const ReviewerQueueEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ReviewerQueueEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSeq"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approvalEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workflowKey"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSeq"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSeq"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}}]}}]} as unknown as DocumentNode<ReviewerQueueEventsSubscription, ReviewerQueueEventsSubscriptionVariables>;
export const ReviewerRequestDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerRequest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approvalRequest"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ReviewerRequestDetail"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ReviewerRequestDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApprovalRequest"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"workflowKey"}},{"kind":"Field","name":{"kind":"Name","value":"policyVersion"}},{"kind":"Field","name":{"kind":"Name","value":"matchedRule"}},{"kind":"Field","name":{"kind":"Name","value":"route"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"actionType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"finalAction"}},{"kind":"Field","name":{"kind":"Name","value":"finalActionHash"}},{"kind":"Field","name":{"kind":"Name","value":"editPatch"}},{"kind":"Field","name":{"kind":"Name","value":"recommendation"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"exceptions"}},{"kind":"Field","name":{"kind":"Name","value":"duplicateOf"}},{"kind":"Field","name":{"kind":"Name","value":"sources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"excerpt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"context"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"promptVersion"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}},{"kind":"Field","name":{"kind":"Name","value":"qaSampled"}},{"kind":"Field","name":{"kind":"Name","value":"qaVerdict"}},{"kind":"Field","name":{"kind":"Name","value":"qaReasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"qaComment"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedBy"}},{"kind":"Field","name":{"kind":"Name","value":"qaReviewedAt"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"quorum"}},{"kind":"Field","name":{"kind":"Name","value":"approvals"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"openedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"escalatedTo"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currentStep"}},{"kind":"Field","name":{"kind":"Name","value":"decisions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"decision"}},{"kind":"Field","name":{"kind":"Name","value":"reasonCode"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}},{"kind":"Field","name":{"kind":"Name","value":"edited"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}},{"kind":"Field","name":{"kind":"Name","value":"history"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}},{"kind":"Field","name":{"kind":"Name","value":"submittedBy"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"decidedAt"}},{"kind":"Field","name":{"kind":"Name","value":"executedAt"}},{"kind":"Field","name":{"kind":"Name","value":"externalRef"}},{"kind":"Field","name":{"kind":"Name","value":"executionError"}}]}}]} as unknown as DocumentNode<ReviewerRequestQuery, ReviewerRequestQueryVariables>;
export const ReviewerQueueIdsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReviewerQueueIds"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approvalQueue"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"200"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ReviewerQueueIdsQuery, ReviewerQueueIdsQueryVariables>;
export const AdminWorkflowDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminWorkflow"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"key"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"mode"}},{"kind":"Field","name":{"kind":"Name","value":"modeReason"}},{"kind":"Field","name":{"kind":"Name","value":"executionWebhookUrl"}},{"kind":"Field","name":{"kind":"Name","value":"executionWebhookMaxAttempts"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"activePolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"note"}},{"kind":"Field","name":{"kind":"Name","value":"proposedBy"}},{"kind":"Field","name":{"kind":"Name","value":"activatedBy"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"activatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"statusReason"}}]}},{"kind":"Field","name":{"kind":"Name","value":"policies"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"note"}},{"kind":"Field","name":{"kind":"Name","value":"proposedBy"}},{"kind":"Field","name":{"kind":"Name","value":"activatedBy"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"activatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"statusReason"}}]}}]}}]}}]} as unknown as DocumentNode<AdminWorkflowQuery, AdminWorkflowQueryVariables>;
export const AdminWorkflowPolicyDocumentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminWorkflowPolicyDocuments"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"key"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"policies"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"document"}}]}}]}}]}}]} as unknown as DocumentNode<AdminWorkflowPolicyDocumentsQuery, AdminWorkflowPolicyDocumentsQueryVariables>;
export const AdminWorkflowSampleRequestDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminWorkflowSampleRequest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approvalRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"workflowKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"actionType"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"recommendation"}},{"kind":"Field","name":{"kind":"Name","value":"confidence"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"riskFlags"}},{"kind":"Field","name":{"kind":"Name","value":"context"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"promptVersion"}},{"kind":"Field","name":{"kind":"Name","value":"costUsd"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AdminWorkflowSampleRequestQuery, AdminWorkflowSampleRequestQueryVariables>;
export const AdminWorkflowsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminWorkflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"mode"}},{"kind":"Field","name":{"kind":"Name","value":"modeReason"}},{"kind":"Field","name":{"kind":"Name","value":"activePolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"activatedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"policies"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"executionWebhookUrl"}},{"kind":"Field","name":{"kind":"Name","value":"executionWebhookMaxAttempts"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<AdminWorkflowsQuery, AdminWorkflowsQueryVariables>;