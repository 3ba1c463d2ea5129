// Analytics in a real browser: a real nginx writes its access log, an admin adds it as a
// source on the page, reads it and sees today's routes; an older log imported with the
// CLI shows when the period is moved back; with and without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaretaker, startNginx, freePort, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let browser;
let nginx;
let nginxPort;
let logDir;
let oldLog;

const day = (offset) => {
  const at = new Date(Date.now() + offset * 86400000);
  return at.toISOString().slice(0, 10);
};
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const logTime = (offset, hour) => {
  const at = new Date(Date.now() + offset * 86400000);
  const dd = String(at.getUTCDate()).padStart(2, '0');
  return `${dd}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:${String(hour).padStart(2, '0')}:00:00 +0000`;
};

before(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'caretaker-e2e-logs-'));
  chmodSync(logDir, 0o755);
  const site = join(logDir, 'site');
  mkdirSync(join(site, 'sample'), { recursive: true });
  writeFileSync(join(site, 'index.html'), 'home');
  writeFileSync(join(site, 'sample', '1'), 'one');
  writeFileSync(join(site, 'sample', '2'), 'two');
  nginxPort = await freePort();
  nginx = await startNginx(`
  server {
    listen 127.0.0.1:${nginxPort};
    root ${site};
    access_log ${join(logDir, 'access.log')} combined;
  }`, nginxPort);
  // Forty days ago the app had an older API, imported from an archived log.
  oldLog = join(logDir, 'archive.log');
  writeFileSync(oldLog, [1, 2, 3].map((hour) =>
    `192.0.2.${hour} - - [${logTime(-40, hour)}] "GET /v1/forecast/${hour} HTTP/1.1" 200 10 "-" "Mozilla/5.0"\n`).join(''));
  caretaker = await startCaretaker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await nginx?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

async function hydrated(page, javaScriptEnabled) {
  if (javaScriptEnabled) {
    await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
  }
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: add nginx's log, read it, and move the period`, async () => {
    const name = javaScriptEnabled ? 'web-js' : 'web-nojs';
    const context = await browser.newContext({ javaScriptEnabled });
    try {
      const page = await logIn(context, caretaker);
      await page.getByRole('link', { name: 'Analytics' }).click();
      await page.waitForURL(`${caretaker.url}/analytics`);
      await hydrated(page, javaScriptEnabled);

      // Bad input: a relative path is refused with what is accepted.
      await page.getByText('Add a log source').click();
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Log file').fill('access.log');
      await page.getByRole('button', { name: 'Add the source' }).click();
      await page.getByText('is not an absolute path').waitFor();
      await hydrated(page, javaScriptEnabled);
      if (!(await page.getByLabel('Name').isVisible())) await page.getByText('Add a log source').click();
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Log file').fill(join(logDir, 'access.log'));
      await page.getByRole('button', { name: 'Add the source' }).click();
      await page.locator(`li[data-source="${name}"]`).waitFor();
      await hydrated(page, javaScriptEnabled);

      // Visitors use the app through nginx.
      for (const path of ['/', '/', '/sample/1', '/sample/2', '/missing']) {
        const response = await fetch(`http://127.0.0.1:${nginxPort}${path}`);
        await response.text();
      }
      await page.getByRole('button', { name: `Read ${name} now` }).click();
      if (javaScriptEnabled) {
        await page.getByText(/lines read from/).first().waitFor();
      } else {
        // Without JavaScript the form posts and the server sends the browser back.
        await page.waitForURL((url) => url.pathname === '/analytics');
      }
      await hydrated(page, javaScriptEnabled);
      const table = page.locator('table.routes');
      await table.locator('tr[data-route="/sample/:id"]').waitFor();
      assert.ok(await table.locator('tr[data-route="/"]').count() === 1);
      assert.ok(await table.locator('tr[data-route="/missing"]').count() === 1);
      assert.ok(await table.locator('tr[data-route="/v1/forecast/:id"]').count() === 0);
      await page.screenshot({ path: join(resultsDir, `analytics-today-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });

      // The archived log, imported from a terminal, shows once the period is moved back.
      caretaker.cli(['logs', 'import', '--format', 'combined', '--source', `archive-${name}`, oldLog]);
      await page.reload();
      await hydrated(page, javaScriptEnabled);
      await page.getByLabel('From', { exact: true }).fill(day(-45));
      await page.getByLabel('To', { exact: true }).fill(day(-35));
      await page.getByLabel('Source', { exact: true }).selectOption({ label: `archive-${name}` });
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL((url) => url.searchParams.get('from') === day(-45));
      await hydrated(page, javaScriptEnabled);
      await table.locator('tr[data-route="/v1/forecast/:id"]').waitFor();
      assert.equal(await table.locator('tr[data-route="/sample/:id"]').count(), 0);
      assert.match(await page.locator('[data-period]').innerText(), new RegExp(`${day(-45)} to ${day(-35)}`));
      assert.equal(await page.locator('[data-requests]').getAttribute('data-requests'), '3');
      const chart = page.locator('figure.chart svg title').first();
      assert.match(await chart.textContent(), /Requests per day/);
      await page.screenshot({ path: join(resultsDir, `analytics-archive-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });
}
