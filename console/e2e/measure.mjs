// How fast the console becomes usable, measured in headless Chromium against a running server
// (for the figures in docs/benchmarks.md). Start `countersign serve --demo`, then:
//   COUNTERSIGN_URL=http://127.0.0.1:8080 TOKEN=<the demo token from the log> node e2e/measure.mjs
// For each screen, RUNS cold loads (a new browser context: empty cache) and RUNS warm ones (same
// context, cached assets), each timed from navigation start until the screen shows its data:
// the queue's count, the dashboard's total. Prints the median and the worst, and the bytes
// transferred on a cold load.

import { chromium } from 'playwright-core';

const BASE = process.env.COUNTERSIGN_URL ?? 'http://127.0.0.1:8080';
const TOKEN = process.env.TOKEN;
if (!TOKEN) throw new Error('TOKEN is not set (the demo token from `serve --demo`)');
const RUNS = Number(process.env.RUNS ?? 10);

const screens = [
  { name: 'queue', path: '/', ready: '[data-testid=queue-count]' },
  { name: 'dashboard', path: '/dashboard', ready: '[data-testid=total-submitted]' },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

async function load(page, screen) {
  const started = Date.now();
  await page.goto(BASE + screen.path);
  await page.locator(screen.ready).first().waitFor();
  return Date.now() - started;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const screen of screens) {
  const cold = [];
  const warm = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript((t) => sessionStorage.setItem('countersign.token', t), TOKEN);
    const page = await context.newPage();
    let transferred = 0;
    page.on('response', async (res) => {
      const length = Number(res.headers()['content-length'] ?? 0);
      transferred += length;
    });
    cold.push(await load(page, screen));
    if (i === 0) bytes = transferred;
    warm.push(await load(page, screen));
    await context.close();
  }
  console.log(
    `${screen.name}: cold median ${median(cold)} ms (worst ${Math.max(...cold)}), warm median ${median(warm)} ms (worst ${Math.max(...warm)}), ${bytes} bytes on a cold load, ${RUNS} runs`,
  );
}
await browser.close();
