// The models page in a real browser against the fake Ollama (end2end/fake-ollama, which
// follows Ollama v0.33's documented API): add a server, pull a model and watch its
// progress bar reach 100 %, test a prompt, delete after confirming; with and without
// JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCaretaker, startFakeOllama, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let ollama;
let browser;

before(async () => {
  // About 60 ticks of 60 ms per model: the bar is seen moving for several seconds.
  ollama = await startFakeOllama(['--installed', 'phi3:mini', '--pull-tick-ms', '60', '--pull-bytes-per-tick', '1048576']);
  caretaker = await startCaretaker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await ollama?.stop();
});

async function addServer(page, name) {
  const adder = page.locator('details.add-host');
  if ((await adder.getAttribute('open')) === null) await adder.locator('summary').click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Address').fill(ollama.url);
  await page.getByRole('button', { name: 'Add server' }).click();
  await page.locator(`tr[data-server="${name}"][data-server-state="reachable"]`).waitFor({ timeout: 15000 });
}

test('with JavaScript: add a server, pull with a live progress bar, test a prompt, delete', async () => {
  const context = await browser.newContext();
  try {
    const page = await logIn(context, caretaker);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.waitForURL(`${caretaker.url}/models`);
    await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
    await page.getByText('No Ollama server yet').waitFor();
    await addServer(page, 'lab');

    // Bad input is refused with a sentence and nothing starts.
    await page.getByLabel('Model', { exact: true }).fill('llama 3!');
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'is not a model name' }).waitFor();

    await page.getByLabel('Model', { exact: true }).fill('tinyllama');
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    const task = page.locator('.task-card[data-task-target="lab/tinyllama:latest"] .task');
    await task.waitFor({ timeout: 10000 });
    // Follow the bar the browser shows (live over the task stream, no reload).
    const seen = new Set();
    for (let i = 0; i < 600; i++) {
      const value = await task.locator('progress').first().getAttribute('value').catch(() => null);
      if (value !== null) seen.add(Number(value));
      if ((await task.getAttribute('data-status')) !== 'running') break;
      await page.waitForTimeout(50);
    }
    assert.equal(await task.getAttribute('data-status'), 'succeeded');
    assert.equal(await task.locator('progress').first().getAttribute('value'), '100');
    const partial = [...seen].filter((v) => v > 0 && v < 100);
    assert.ok(partial.length >= 2, `the bar moved through partial values: ${[...seen]}`);
    assert.ok((await task.locator('.task-parts li').count()) >= 2, 'one line per layer');
    await page.screenshot({ path: join(resultsDir, 'models-pulled.png'), fullPage: true });

    // When the pull ends the list reads the server again: the model is there.
    const row = page.locator('tr[data-model="tinyllama:latest"]');
    await row.waitFor({ timeout: 10000 });
    assert.match(await row.innerText(), /MiB/);

    // Its page: details and a streamed test prompt with its measures.
    await row.getByRole('link', { name: 'tinyllama:latest' }).click();
    await page.getByRole('heading', { name: 'tinyllama:latest' }).waitFor();
    await page.locator('summary', { hasText: 'Modelfile' }).click();
    await page.getByRole('textbox', { name: 'Prompt' }).fill('What is caretaker?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-output]').filter({ hasText: 'What is caretaker?' }).waitFor({ timeout: 15000 });
    const measure = page.locator('.task[data-status="succeeded"] .task-message');
    await measure.filter({ hasText: 'tokens/s' }).waitFor({ timeout: 15000 });
    assert.match(await measure.innerText(), /First token after \d+ ms · [\d.]+ tokens\/s/);
    await page.screenshot({ path: join(resultsDir, 'models-prompt.png'), fullPage: true });

    // Delete asks first.
    await page.getByRole('link', { name: '← Models' }).click();
    await page.waitForURL(`${caretaker.url}/models`);
    const again = page.locator('tr[data-model="tinyllama:latest"]');
    await again.getByText('Delete…').click();
    await again.getByRole('button', { name: 'Yes, delete' }).click();
    await again.waitFor({ state: 'detached', timeout: 10000 });
    const state = await ollama.control('state');
    assert.deepEqual(state.installed, ['phi3:mini']);
  } finally {
    await context.close();
  }
});

test('without JavaScript: pull, the page reloads itself until the bar reaches 100 %', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await logIn(context, caretaker);
    await page.goto(`${caretaker.url}/models`);
    if ((await page.locator('tr[data-server="lab"]').count()) === 0) await addServer(page, 'lab');
    await page.getByLabel('Model', { exact: true }).fill('llama3.2:1b');
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    // The browser posted the form and was sent back to the page, which lists the pull.
    await page.locator('.task-card[data-task-target="lab/llama3.2:1b"]').waitFor();
    const task = page.locator('.task-card[data-task-target="lab/llama3.2:1b"] .task');
    // The page reloads itself every 3 s while the task runs (<noscript> refresh).
    await page.locator('.task-card[data-task-target="lab/llama3.2:1b"] .task[data-status="succeeded"]').waitFor({ timeout: 60000 });
    assert.equal(await task.locator('progress').first().getAttribute('value'), '100');
    await page.locator('tr[data-model="llama3.2:1b"]').waitFor();
  } finally {
    await context.close();
  }
});
