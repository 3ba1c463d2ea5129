// Deploy, promote and roll back by clicking, with images pulled from a real registry
// (Debian's docker-registry on 127.0.0.1) by the real Docker engine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startCaretaker, startRegistry, pushWebImage, launchBrowser, logIn, docker, dockerRaw, freePort, resultsDir,
} from './support.mjs';

let caretaker;
let registry;
let browser;
const name = `e2e-web-${process.pid}`;

before(async () => {
  registry = await startRegistry();
  caretaker = await startCaretaker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await registry?.stop();
  for (const container of [name, `${name}-test`, `${name}-previous`]) {
    await docker('DELETE', `/containers/${container}?force=true`);
  }
  // The images the deploys pulled, once no container uses them.
  if (registry) {
    const images = await docker('GET', '/images/json');
    for (const image of images.json ?? []) {
      if ((image.RepoTags ?? []).some((tag) => tag.startsWith(`${registry.address}/caretaker-e2e/web:`))) {
        await dockerRaw('DELETE', `/images/${image.Id}?force=true`);
      }
    }
  }
});

async function served(port) {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/version`)).text();
    } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return null;
}

test('with JavaScript: create a service, deploy, promote, deploy again, promote, roll back', async () => {
  const repository = `${registry.address}/caretaker-e2e/web`;
  await pushWebImage(repository, '1', 'one');
  await pushWebImage(repository, '2', 'two');
  const port = await freePort();
  const context = await browser.newContext();
  try {
    const page = await logIn(context, caretaker);
    await page.goto(`${caretaker.url}/containers/services/new`);
    await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Image', { exact: true }).fill(`${repository}:1`);
    await page.getByLabel('Command', { exact: true }).fill('/bin/busybox\nhttpd\n-f\n-p\n8080\n-h\n/www');
    await page.getByLabel('Ports', { exact: true }).fill(`127.0.0.1:${port}:8080`);
    await page.getByLabel('HTTP check', { exact: true }).fill('/health');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.waitForURL(/\/containers\/services\/\d+$/);
    await page.getByRole('heading', { name: 'Deploys' }).waitFor();

    const slot = (which) => page.locator(`[data-slot="${which}"]`);
    const deploy = async (tag) => {
      await page.getByLabel('Tag').fill(tag);
      await page.getByRole('button', { name: 'Deploy to the test slot' }).click();
      await slot('test').filter({ hasText: new RegExp(`^${tag} \\(sha256:`) }).waitFor({ timeout: 90000 });
      // The page reads the service again when the task ends; click once it has settled.
      await page.waitForLoadState('networkidle');
    };
    await deploy('1');
    await page.getByRole('button', { name: 'Promote to production' }).click();
    await slot('production').filter({ hasText: /^1 \(sha256:/ }).waitFor({ timeout: 60000 });
    assert.equal(await served(port), 'one');

    await deploy('2');
    assert.equal(await served(port), 'one', 'production is untouched while 2 is tested');
    await page.getByRole('button', { name: 'Promote to production' }).click();
    await slot('production').filter({ hasText: /^2 \(sha256:/ }).waitFor({ timeout: 60000 });
    assert.equal(await served(port), 'two');
    await slot('previous').filter({ hasText: /^1 \(sha256:/ }).waitFor();
    await page.screenshot({ path: join(resultsDir, 'deploy.png'), fullPage: true });

    await page.getByText('Roll back…').click();
    await page.getByRole('button', { name: 'Yes, roll back' }).click();
    await slot('production').filter({ hasText: /^1 \(sha256:/ }).waitFor({ timeout: 60000 });
    assert.equal(await served(port), 'one');
    assert.equal(await page.locator('tr[data-status="rolled back"]').count(), 1);
  } catch (error) {
    const pages = context.pages();
    if (pages.length) await pages[0].screenshot({ path: join(resultsDir, 'deploy-failure.png'), fullPage: true });
    throw error;
  } finally {
    await context.close();
  }
});
