// The containers page in a real browser, on the real Docker engine: find a container,
// stop and start it, read its details with secrets masked, follow its log, remove it after
// confirming; with and without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCaretaker, launchBrowser, logIn, docker, removeContainer, resultsDir, TEST_IMAGE } from './support.mjs';

let caretaker;
let browser;

before(async () => {
  caretaker = await startCaretaker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
});

/** A container that writes a numbered line every 200 ms and has a secret in its env. */
async function chattyContainer(prefix) {
  const name = `ct-e2e-${prefix}-${process.pid}-${Date.now()}`;
  const created = await docker('POST', `/containers/create?name=${name}`, {
    Image: TEST_IMAGE,
    Cmd: ['/bin/busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
    Env: ['API_TOKEN=do-not-show-me', 'MODE=demo'],
    Labels: { 'caretaker.test': '1' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal((await docker('POST', `/containers/${name}/start`)).status, 204);
  return name;
}

async function state(name) {
  const inspect = await docker('GET', `/containers/${name}/json`);
  return inspect.status === 404 ? 'gone' : inspect.json.State.Status;
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: find, stop, start, inspect, follow and remove a container`, async () => {
    const name = await chattyContainer(javaScriptEnabled ? 'js' : 'nojs');
    const context = await browser.newContext({ javaScriptEnabled });
    try {
      const page = await logIn(context, caretaker);
      await page.getByRole('link', { name: 'Containers' }).click();
      await page.waitForURL(`${caretaker.url}/containers`);
      if (javaScriptEnabled) {
        await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
      }
      await page.getByLabel('Search', { exact: true }).fill(name);
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL((url) => url.searchParams.get('q') === name);
      const row = page.locator(`tr[data-container="${name}"]`);
      // The list is a snapshot the server refreshes every 5 s; a page with JavaScript
      // follows it, one without is reloaded, as its reader would.
      for (let attempt = 0; !javaScriptEnabled && attempt < 20 && (await row.count()) === 0; attempt++) {
        await new Promise((r) => setTimeout(r, 500));
        await page.reload();
      }
      await row.waitFor();
      assert.equal(await page.locator('tr[data-container]').count(), 1, 'the search leaves one row');

      await page.getByRole('button', { name: `Stop ${name}` }).click();
      await page.locator(`tr[data-container="${name}"][data-state="exited"]`).waitFor({ timeout: 30000 });
      assert.equal(await state(name), 'exited');
      await page.getByRole('button', { name: `Start ${name}` }).click();
      await page.locator(`tr[data-container="${name}"][data-state="running"]`).waitFor({ timeout: 30000 });
      assert.equal(await state(name), 'running');
      await page.screenshot({ path: join(resultsDir, `containers-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });

      await row.getByRole('link', { name }).click();
      await page.getByRole('heading', { name: 'Configuration' }).waitFor();
      assert.equal(await page.getByText('do-not-show-me').count(), 0, 'the token is masked');
      await page.locator('tr[data-env="API_TOKEN"]').getByText('looks like a secret').waitFor();
      await page.locator('tr[data-env="MODE"]').getByText('demo').waitFor();
      await page.locator('pre.log').getByText('tick 1', { exact: true }).first().waitFor();
      if (javaScriptEnabled) {
        await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
        const before = Number(await page.locator('pre.log').getAttribute('data-lines'));
        await page.getByRole('button', { name: 'Follow new lines' }).click();
        await page.waitForFunction(
          (count) => Number(document.querySelector('pre.log')?.getAttribute('data-lines')) >= count + 5,
          before, { timeout: 15000 });
        await page.getByRole('button', { name: 'Stop following' }).click();
      } else {
        // Without JavaScript the log is read again with a search.
        await page.getByLabel('Containing').fill('tick 2');
        await page.getByRole('button', { name: 'Show' }).click();
        await page.waitForURL((url) => url.searchParams.get('search') === 'tick 2');
        const lines = await page.locator('pre.log span').allInnerTexts();
        assert.ok(lines.length > 0 && lines.every((line) => line.includes('tick 2')), lines.join('|'));
      }

      await page.getByText(`Remove…`).click();
      await page.getByRole('button', { name: `Yes, remove ${name}` }).click();
      for (let attempt = 0; attempt < 100 && (await state(name)) !== 'gone'; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await state(name), 'gone');
    } finally {
      await context.close();
      await removeContainer(name);
    }
  });
}
