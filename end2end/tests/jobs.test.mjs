// Jobs in a real browser: create an HTTP job against a local app, check its next runs,
// run it now and see the run in its history; with and without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { startCaretaker, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let browser;
let app;
const hits = [];

before(async () => {
  // The team's app: records every call to /update-forecast.
  app = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      hits.push({ method: request.method, url: request.url, body });
      response.end('forecast updated');
    });
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

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: create a job, run it now, see its history`, async () => {
    const name = javaScriptEnabled ? 'forecast-js' : 'forecast-nojs';
    const url = `http://127.0.0.1:${app.address().port}/update-forecast?from=${name}`;
    const context = await browser.newContext({ javaScriptEnabled });
    try {
      const page = await logIn(context, caretaker);
      await page.getByRole('link', { name: 'Jobs' }).click();
      await page.waitForURL(`${caretaker.url}/jobs`);
      if (javaScriptEnabled) {
        await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
      }
      await page.getByRole('link', { name: 'New job' }).click();
      await page.waitForURL(`${caretaker.url}/jobs/new`);
      if (javaScriptEnabled) {
        await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
        // The next runs follow the expression as it is typed; a bad one says why.
        await page.getByLabel('Cron expression').fill('61 * * * *');
        await page.locator('[data-preview]').filter({ hasText: 'minute 61 is out of range' }).waitFor();
        await page.getByLabel('Cron expression').fill('15 * * * *');
        await page.locator('[data-preview]').filter({ hasText: 'Next runs' }).waitFor();
      }
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('URL').fill(url);
      await page.getByRole('button', { name: 'Create job' }).click();
      await page.waitForURL((address) => /\/jobs\/\d+$/.test(address.pathname));
      await page.getByRole('heading', { name }).waitFor();
      assert.equal(await page.locator('ol.upcoming li').count(), 5, 'the next five runs are listed');

      await page.getByRole('button', { name: `Run ${name} now` }).click();
      const row = page.locator('tr[data-status="succeeded"]');
      for (let i = 0; i < 40 && (await row.count()) === 0; i++) {
        // Without JavaScript the reader reloads; with it, the page refreshes itself.
        if (!javaScriptEnabled) await page.reload();
        await page.waitForTimeout(500);
      }
      await row.first().waitFor({ timeout: 15000 });
      assert.match(await row.first().innerText(), /HTTP 200/);
      assert.equal(hits.filter((hit) => hit.url.endsWith(name)).length, 1);
      assert.equal(await page.locator('figure.chart svg[role="img"]').count(), 1);
      await page.screenshot({ path: join(resultsDir, `job-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });
}
