// Shapes the workflow page's parts share (what its queries select).

import type { PolicyStatus, WorkflowMode } from '../../lib/policy';

export interface PolicyVersionInfo {
  version: number;
  status: PolicyStatus;
  note?: string | null;
  proposedBy: string;
  activatedBy?: string | null;
  createdAt: string;
  activatedAt?: string | null;
  statusReason?: string | null;
}

export interface WorkflowInfo {
  key: string;
  name: string;
  mode: WorkflowMode;
  modeReason?: string | null;
  activePolicy: PolicyVersionInfo;
  policies: PolicyVersionInfo[];
}

/** Policy documents by version; null when the caller may not read them (or they are loading). */
export type Documents = Map<number, unknown> | null;
