// The overview page in a real browser against the real binary and Docker engine: once
// hydrated (live updates, a task followed over SSE) and once with JavaScript off.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCaretaker, startContainer, removeContainer, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let browser;
const containers = [];

before(async () => {
  caretaker = await startCaretaker();
  browser = await launchBrowser();
  containers.push(await startContainer('first'));
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await Promise.all(containers.map(removeContainer));
});

test('with JavaScript: the page hydrates, shows containers and follows changes live', async () => {
  const context = await browser.newContext();
  const page = await logIn(context, caretaker);
  const failures = [];
  page.on('pageerror', (error) => failures.push(error.message));
  await page.goto(caretaker.url);
  await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
  assert.equal(await page.title(), 'Overview · caretaker');

  const row = page.locator(`tr[data-container="${containers[0]}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /caretaker-test\/busybox:1/);
  assert.match(await row.innerText(), /running/);

  // A container started after the page loaded appears without a reload.
  const second = await startContainer('live');
  containers.push(second);
  await page.locator(`tr[data-container="${second}"]`).waitFor({ timeout: 15000 });

  // Measuring disk use is a task: the progress shows and the result replaces it.
  await page.getByRole('button', { name: 'Measure disk use' }).click();
  await page.getByText('Measured at').waitFor({ timeout: 60000 });
  assert.match(await page.locator('table.disk').innerText(), /Total/);

  await page.screenshot({ path: join(resultsDir, 'overview-js.png'), fullPage: true });
  assert.deepEqual(failures, []);
  await context.close();
});

test('without JavaScript: the server-rendered page shows everything and its form works', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await logIn(context, caretaker);
  const row = page.locator(`tr[data-container="${containers[0]}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /running/);
  assert.equal(await page.locator('html[data-hydrated]').count(), 0);
  assert.match(await page.locator('[data-engine="up"]').innerText(), /running/i);

  // The form posts to the server function and comes back to the page.
  await page.getByRole('button', { name: 'Measure disk use' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByText('Measured at').waitFor({ timeout: 60000 });
  await page.screenshot({ path: join(resultsDir, 'overview-nojs.png'), fullPage: true });
  await context.close();
});

test('a phone-sized screen gets the same page without sideways scrolling of the frame', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await logIn(context, caretaker);
  await page.locator(`tr[data-container="${containers[0]}"]`).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(resultsDir, 'overview-phone.png'), fullPage: true });
  await context.close();
});
