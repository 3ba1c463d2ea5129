// caretaker under a sub-path behind Debian's nginx (http://127.0.0.1:PORT/caretaker/),
// with the proxy stripping the prefix as README's example does: log in, hydrate, follow
// the navigation, call server functions, watch a task stream and log out, with and
// without JavaScript. Every request the browser makes must stay under /caretaker/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCaretaker, startNginx, freePort, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let nginx;
let browser;
let base;

before(async () => {
  const proxyPort = await freePort();
  base = `http://127.0.0.1:${proxyPort}/caretaker`;
  caretaker = await startCaretaker({
    CARETAKER_PUBLIC_URL: base,
    CARETAKER_TRUSTED_PROXIES: '127.0.0.1',
  });
  const upstream = new URL(caretaker.url);
  nginx = await startNginx(`
  server {
    listen 127.0.0.1:${proxyPort};
    location /caretaker/ {
      proxy_pass http://127.0.0.1:${upstream.port}/;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
    }
  }`, proxyPort);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await nginx?.stop();
  await caretaker?.stop();
});

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: caretaker works under /caretaker/ behind nginx`, async () => {
    const context = await browser.newContext({ javaScriptEnabled });
    const outside = [];
    context.on('request', (request) => {
      if (!request.url().startsWith(`${base}/`)) outside.push(request.url());
    });
    const failed = [];
    context.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });

    const link = caretaker.loginLink();
    assert.ok(link.startsWith(`${base}/auth/link/`), link);
    const page = await logIn(context, caretaker, '/caretaker/');
    if (javaScriptEnabled) {
      await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
      // A task's progress streams from /caretaker/api/tasks/…/events.
      await page.getByRole('button', { name: 'Measure disk use' }).click();
      await page.getByText('Measured at').waitFor({ timeout: 60000 });
    }

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL(`${base}/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();

    await page.getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(`${base}/users`);
    const value = javaScriptEnabled ? 'subpath-js' : 'subpath-nojs';
    await page.getByLabel('Kind', { exact: true }).selectOption('user');
    await page.getByLabel('Who', { exact: true }).fill(value);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.locator(`tr[data-rule="${value}"]`).waitFor();
    await page.screenshot({ path: join(resultsDir, `subpath-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.goto(`${base}/`);
    assert.equal(page.url(), `${base}/login`, 'logged out for real');

    assert.deepEqual(outside, [], 'every request stays under the sub-path');
    assert.deepEqual(failed, [], 'no request failed');
    await context.close();
  });
}
