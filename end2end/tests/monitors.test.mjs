// Monitors in a real browser: create an HTTP monitor of a local app, watch it go down
// and up again as the app breaks and recovers, then read the public status page as a
// visitor; with and without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { startCaretaker, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let browser;
let app;
let failing = false;

before(async () => {
  // The team's app: healthy until `failing` is set.
  app = http.createServer((request, response) => {
    response.statusCode = failing ? 503 : 200;
    response.end(failing ? 'down for repairs' : 'all good');
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  caretaker = await startCaretaker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await new Promise((resolve) => app?.close(resolve));
});

async function hydrated(page, javaScriptEnabled) {
  if (javaScriptEnabled) {
    await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
  }
}

/// Clicks "Check now" and waits until the page shows `state`.
async function checkUntil(page, javaScriptEnabled, state) {
  await page.getByRole('button', { name: 'Check now' }).click();
  const badge = page.locator(`p > span[data-state="${state}"]`);
  for (let i = 0; i < 30 && (await badge.count()) === 0; i++) {
    if (!javaScriptEnabled) await page.reload();
    await page.waitForTimeout(300);
  }
  await badge.waitFor({ timeout: 10000 });
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: a monitor goes down and up, and the status page shows it`, async () => {
    failing = false;
    const name = javaScriptEnabled ? 'shop-js' : 'shop-nojs';
    const publicName = javaScriptEnabled ? 'Shop JS' : 'Shop NoJS';
    const target = `http://127.0.0.1:${app.address().port}/health?secret=${name}-token`;
    const context = await browser.newContext({ javaScriptEnabled });
    try {
      const page = await logIn(context, caretaker);
      await page.getByRole('link', { name: 'Monitors' }).click();
      await page.waitForURL(`${caretaker.url}/monitors`);
      await hydrated(page, javaScriptEnabled);
      await page.getByRole('link', { name: 'New monitor' }).click();
      await page.waitForURL(`${caretaker.url}/monitors/new`);
      await hydrated(page, javaScriptEnabled);

      // Bad input first: a file URL is refused with a sentence, and nothing is lost.
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Target').fill('file:///etc/passwd');
      await page.getByRole('button', { name: 'Create monitor' }).click();
      await page.getByText('http and https URLs only').waitFor();
      await hydrated(page, javaScriptEnabled);

      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Target').fill(target);
      await page.getByLabel('Down after').fill('1');
      await page.getByLabel('Up again after').fill('1');
      await page.getByLabel('Show on the public status page').check();
      await page.getByLabel('Public name').fill(publicName);
      await page.getByRole('button', { name: 'Create monitor' }).click();
      await page.waitForURL((address) => /\/monitors\/\d+$/.test(address.pathname));
      await page.getByRole('heading', { name }).waitFor();
      await hydrated(page, javaScriptEnabled);

      await checkUntil(page, javaScriptEnabled, 'up');
      failing = true;
      await checkUntil(page, javaScriptEnabled, 'down');
      await page.getByText('still down').waitFor();
      assert.match(await page.locator('[data-last-message]').innerText(), /503/);
      await page.screenshot({ path: join(resultsDir, `monitor-down-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });
      failing = false;
      await checkUntil(page, javaScriptEnabled, 'up');
      assert.equal(await page.locator('figure.chart svg[role="img"]').count(), 2, 'response time and uptime charts');

      // A visitor reads the status page: the public name and state, nothing internal.
      const visitor = await browser.newContext({ javaScriptEnabled });
      try {
        const status = await visitor.newPage();
        await status.goto(`${caretaker.url}/status`);
        const row = status.locator(`li[data-service="${publicName}"]`);
        await row.waitFor();
        assert.equal(await row.getAttribute('data-state'), 'up');
        const html = await status.content();
        assert.ok(!html.includes(name), 'the monitor name stays internal');
        assert.ok(!html.includes('127.0.0.1'), 'the target stays internal');
        assert.ok(!html.includes('token'), 'the target stays internal');
        assert.equal(await status.getByRole('link', { name: 'Monitors' }).count(), 0, 'no navigation for visitors');
        await status.screenshot({ path: join(resultsDir, `status-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });
      } finally {
        await visitor.close();
      }
    } finally {
      await context.close();
    }
  });
}
