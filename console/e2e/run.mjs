// End-to-end tests of the console in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core) against a real Countersign server on a fresh database.
//
// Started by the Rust test `console_e2e` (tests/tests/console.rs), which starts the server and
// mints the tokens; by hand:
//   COUNTERSIGN_URL=http://127.0.0.1:8080 E2E_TOKENS='{"admin":…,"admin2":…,"agent":…,"reviewer":…,"reviewer2":…}' node e2e/run.mjs
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default ./test-results).
// Each scenario gets its own browser context (fresh sessionStorage) and its own workflow.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const BASE = process.env.COUNTERSIGN_URL;
if (!BASE) throw new Error('COUNTERSIGN_URL is not set');
const TOKENS = JSON.parse(process.env.E2E_TOKENS ?? '{}');
for (const name of ['admin', 'admin2', 'agent', 'reviewer', 'reviewer2']) {
  if (!TOKENS[name]) throw new Error(`E2E_TOKENS has no ${name} token`);
}
const SHOTS = process.env.SCREENSHOT_DIR ?? new URL('../test-results/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ORIGIN = new URL(BASE).origin;
const WS_ORIGIN = ORIGIN.replace(/^http/, 'ws');

// ---------------------------------------------------------------------------------------------
// The API, as an agent or an admin would call it.

async function gql(token, query, variables = {}) {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

async function data(token, query, variables) {
  const body = await gql(token, query, variables);
  assert.ok(!body.errors, `unexpected errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const POLICY = {
  rules: [{ name: 'tiny', when: 'amount < 5.0', route: 'AUTO' }],
  default: { route: 'HUMAN', steps: [{ role: 'support_agent', sla: 'PT4H' }] },
};

async function createWorkflow(key) {
  await data(
    TOKENS.admin,
    'mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { key } }',
    { input: { key, name: `Refunds (${key})`, policy: POLICY } },
  );
}

let submitted = 0;
async function submit(workflowKey, amount = '120.00', extra = {}) {
  submitted += 1;
  const key = `${workflowKey}-${submitted}`;
  const body = await gql(
    TOKENS.agent,
    'mutation($input: SubmitActionInput!) { submitAction(input: $input) { request { id version title } } }',
    {
      input: {
        workflowKey,
        idempotencyKey: key,
        actionType: 'refund.issue',
        title: `Refund order ${key}`,
        action: { order: key, amount, note: 'Sorry for the trouble' },
        recommendation: 'Eligible under policy 4.2: delivered late, first claim.',
        confidence: 0.82,
        amount,
        currency: 'USD',
        riskFlags: ['new_customer'],
        sources: [{ title: 'Order history', url: 'https://crm.example/orders/1', excerpt: 'Delivered 9 days late' }],
        model: 'gpt-test',
        promptVersion: 'refunds-v3',
        costUsd: '0.0125',
        ...extra,
      },
    },
  );
  return body;
}

async function submitOk(workflowKey, amount) {
  const body = await submit(workflowKey, amount);
  assert.ok(!body.errors, JSON.stringify(body.errors));
  return body.data.submitAction.request;
}

async function requestState(id) {
  const d = await data(
    TOKENS.admin,
    'query($id: ID!) { approvalRequest(id: $id) { status editPatch finalAction reasonCode decisions { comment reasonCode } } }',
    { id },
  );
  return d.approvalRequest;
}

// ---------------------------------------------------------------------------------------------
// The browser.

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

/** A fresh context; every request it makes is checked to stay on the server. */
async function open({ token, width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const foreign = [];
  context.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (!url.startsWith(ORIGIN) && !url.startsWith(WS_ORIGIN)) foreign.push(url);
  });
  context.on('websocket', () => {});
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  if (token) {
    await page.addInitScript((t) => sessionStorage.setItem('countersign.token', t), token);
  }
  return {
    page,
    async close() {
      await context.close();
      assert.deepEqual(foreign, [], 'the page made requests to other hosts');
      assert.deepEqual(consoleErrors, [], 'the page threw');
    },
  };
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

/** No serious or critical axe-core violation on the page as it is now. */
async function accessible(page, what) {
  // Evaluated by the browser's debugging protocol: the page's own policy refuses inline scripts.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${what}: accessibility violations`);
}

async function queueRow(page, id) {
  return page.locator(`[data-testid=queue-row][data-id="${id}"]`);
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

const scenarios = [];
const scenario = (name, run) => scenarios.push({ name, run });

scenario('a reviewer signs in by pasting a token and sees who they are', async () => {
  const { page, close } = await open();
  await page.goto(BASE + '/');
  await page.getByLabel('JWT or API key').fill('not a token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').first().waitFor();
  await page.getByLabel('JWT or API key').fill(TOKENS.reviewer);
  await shot(page, 'signin-1280');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').getByText('rita').waitFor();
  const stored = await page.evaluate(() => sessionStorage.getItem('countersign.token'));
  assert.equal(stored, TOKENS.reviewer);
  assert.ok(!page.url().includes(TOKENS.reviewer), 'the token is never in a URL');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('JWT or API key').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('countersign.token')), null);
  await close();
});

scenario('a revoked API key sends the user back to sign-in with the reason', async () => {
  const created = await data(
    TOKENS.admin,
    'mutation { createApiKey(principal: "kim", roles: ["support_agent"], label: "e2e") { id key } }',
  );
  const { page, close } = await open({ token: created.createApiKey.key });
  await page.goto(BASE + '/');
  await page.getByTestId('who').getByText('kim').waitFor();
  await data(TOKENS.admin, 'mutation($id: ID!) { revokeApiKey(id: $id) }', { id: created.createApiKey.id });
  await page.reload();
  await page.getByTestId('signed-out-reason').waitFor();
  await page.getByLabel('JWT or API key').waitFor();
  await close();
});

scenario('a submission made through the API appears live in the queue', async () => {
  await createWorkflow('live');
  const first = await submitOk('live');
  const { page, close } = await open({ token: TOKENS.reviewer });
  await page.goto(BASE + '/');
  await (await queueRow(page, first.id)).waitFor();
  const count = Number((await page.getByTestId('queue-count').innerText()).replace(/\D/g, ''));
  const second = await submitOk('live');
  await (await queueRow(page, second.id)).waitFor(); // no reload
  await page.getByTestId('new-badge').waitFor();
  const after = Number((await page.getByTestId('queue-count').innerText()).replace(/\D/g, ''));
  assert.equal(after, count + 1);
  await shot(page, 'queue-1280');
  await accessible(page, 'queue');
  // Decided elsewhere: it disappears.
  await data(TOKENS.reviewer2, 'mutation($input: DecideInput!) { decide(input: $input) { status } }', {
    input: { requestId: first.id, decision: 'APPROVE', expectedVersion: first.version },
  });
  await (await queueRow(page, first.id)).waitFor({ state: 'detached' });
  await close();
});

scenario('edit and approve shows the diff and stores the expected editPatch', async () => {
  await createWorkflow('edit');
  const req = await submitOk('edit', '150.00');
  const { page, close } = await open({ token: TOKENS.reviewer });
  await page.goto(`${BASE}/requests/${req.id}`);
  await page.getByTestId('request-status').getByText('PENDING').waitFor();
  await shot(page, 'request-1280');
  await accessible(page, 'request');
  await page.getByRole('button', { name: 'Edit and approve' }).click();
  const editor = page.getByLabel('Edited action (JSON)');
  await page.waitForFunction(() => document.querySelector('textarea.code')?.value.trim().startsWith('{'));
  const draft = JSON.parse(await editor.inputValue());
  await editor.fill(JSON.stringify({ ...draft, amount: '120.00', note: 'Partial refund: shipping excluded' }, null, 2));
  const diff = page.getByTestId('edit-diff');
  await diff.getByText('"amount": "120.00"').waitFor();
  await diff.getByText('"amount": "150.00"').waitFor();
  await shot(page, 'edit-diff-1280');
  await page.getByRole('button', { name: 'Confirm approval' }).click();
  await page.getByTestId('request-status').getByText('APPROVED').waitFor();
  const state = await requestState(req.id);
  assert.equal(state.status, 'APPROVED');
  const patch = [...state.editPatch].sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(patch, [
    { op: 'replace', path: '/amount', value: '120.00' },
    { op: 'replace', path: '/note', value: 'Partial refund: shipping excluded' },
  ]);
  await close();
});

scenario('reject needs a reason code', async () => {
  await createWorkflow('reject');
  const req = await submitOk('reject');
  const { page, close } = await open({ token: TOKENS.reviewer });
  await page.goto(`${BASE}/requests/${req.id}`);
  await page.getByTestId('request-status').getByText('PENDING').waitFor();
  await page.getByRole('button', { name: 'Reject', exact: true }).click();
  await page.getByLabel('Comment').fill('Not eligible');
  await page.getByRole('button', { name: 'Confirm rejection' }).click();
  await page.getByRole('alert').first().waitFor();
  assert.equal((await requestState(req.id)).status, 'PENDING', 'nothing was sent');
  await page.getByLabel('Reason code').fill('not_eligible');
  await shot(page, 'reject-1280');
  await page.getByRole('button', { name: 'Confirm rejection' }).click();
  await page.getByTestId('request-status').getByText('REJECTED').waitFor();
  const state = await requestState(req.id);
  assert.equal(state.reasonCode, 'not_eligible');
  assert.equal(state.decisions[0].comment, 'Not eligible');
  await close();
});

scenario('three items approved in one batch, each with its result', async () => {
  await createWorkflow('batch');
  const items = [await submitOk('batch'), await submitOk('batch'), await submitOk('batch')];
  const { page, close } = await open({ token: TOKENS.reviewer });
  await page.goto(BASE + '/');
  for (const item of items) {
    await (await queueRow(page, item.id)).waitFor();
    await page.getByLabel(`Select ${item.title}`).check();
  }
  await page.getByRole('button', { name: 'Approve selected' }).click();
  for (const item of items) {
    await page.locator(`[data-testid=batch-result][data-id="${item.id}"][data-ok="true"]`).waitFor();
  }
  for (const item of items) assert.equal((await requestState(item.id)).status, 'APPROVED');
  await close();
});

scenario('the keyboard moves, selects and opens', async () => {
  await createWorkflow('keys');
  const item = await submitOk('keys');
  const { page, close } = await open({ token: TOKENS.reviewer });
  await page.goto(BASE + '/');
  await (await queueRow(page, item.id)).waitFor();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  assert.equal(await page.locator('[data-testid=queue-row] input[type=checkbox]:checked').count(), 1, 'x selects the row under the cursor');
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  assert.equal(await page.locator('[data-testid=queue-row] input[type=checkbox]:checked').count(), 2, 'j moves, x selects');
  await page.keyboard.press('?');
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await close();
});

scenario('an admin pauses a workflow and a submission is refused', async () => {
  await createWorkflow('pause');
  const { page, close } = await open({ token: TOKENS.admin });
  await page.goto(`${BASE}/workflows/pause`);
  await page.getByTestId('workflow-mode').getByText('ACTIVE').waitFor();
  await shot(page, 'workflow-1280');
  await accessible(page, 'workflow');
  await page.getByLabel('Mode', { exact: true }).selectOption('PAUSED');
  await page.getByLabel('Reason', { exact: true }).fill('Incident 42: refunds paused');
  await page.getByRole('button', { name: 'Change mode' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('workflow-mode').getByText('PAUSED').waitFor();
  const refused = await submit('pause');
  assert.equal(refused.errors?.[0]?.extensions?.code, 'WORKFLOW_PAUSED', JSON.stringify(refused));
  await close();
});

scenario('the dashboard shows the totals the API returns', async () => {
  const api = await data(TOKENS.admin, '{ analytics { totals { submitted } } }');
  const { page, close } = await open({ token: TOKENS.admin });
  await page.goto(BASE + '/dashboard');
  const expected = api.analytics.totals.submitted.toLocaleString('en-US');
  await page.getByTestId('total-submitted').getByText(expected).waitFor();
  await shot(page, 'dashboard-1280');
  await accessible(page, 'dashboard');
  await close();
});

scenario('the main screens work at phone width', async () => {
  await createWorkflow('phone');
  const item = await submitOk('phone');
  const { page, close } = await open({ token: TOKENS.reviewer, width: 390, height: 844 });
  await page.goto(BASE + '/');
  await (await queueRow(page, item.id)).waitFor();
  await shot(page, 'queue-390');
  await accessible(page, 'queue at phone width');
  await page.goto(`${BASE}/requests/${item.id}`);
  await page.getByTestId('request-status').getByText('PENDING').waitFor();
  await shot(page, 'request-390');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByTestId('request-status').getByText('APPROVED').waitFor();
  const noOverflow = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  assert.ok(noOverflow, 'nothing is wider than the phone screen');
  await close();
  const admin = await open({ token: TOKENS.admin, width: 390, height: 844 });
  await admin.page.goto(BASE + '/dashboard');
  await admin.page.getByTestId('total-submitted').waitFor();
  await shot(admin.page, 'dashboard-390');
  await admin.close();
});

scenario('the query page runs a query with the signed-in credential', async () => {
  const { page, close } = await open({ token: TOKENS.admin });
  await page.goto(BASE + '/graphiql');
  await page.waitForURL(`${BASE}/query`);
  await page.getByRole('button', { name: /^Run/ }).waitFor();
  await shot(page, 'query-1280');
  await close();
});

// ---------------------------------------------------------------------------------------------

let failed = 0;
for (const s of scenarios) {
  const started = Date.now();
  try {
    await s.run();
    console.log(`ok   ${s.name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${s.name}\n${e?.stack ?? e}`);
  }
}
await browser.close();
console.log(`${scenarios.length - failed} passed, ${failed} failed; screenshots in ${SHOTS}`);
process.exit(failed ? 1 : 0);
