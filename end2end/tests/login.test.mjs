// The front door in a real browser: the first-run link, adding a GitHub rule on the Users
// page, logging in through GitHub (played by fake-github), the refusal page, and logout.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCaretaker, startFakeGithub, launchBrowser, logIn, resultsDir } from './support.mjs';

let github;
let caretaker;
let browser;

before(async () => {
  github = await startFakeGithub([
    { id: 583231, login: 'octocat', name: 'The Octocat', orgs: [], teams: [] },
    { id: 99, login: 'mallory', name: null, orgs: [], teams: [] },
  ], 583231);
  caretaker = await startCaretaker({
    CARETAKER_GITHUB_CLIENT_ID: 'Iv1.e2e',
    CARETAKER_GITHUB_CLIENT_SECRET: 'e2e-secret',
    CARETAKER_GITHUB_OAUTH_URL: github.url,
    CARETAKER_GITHUB_API_URL: github.url,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await github?.stop();
});

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: an anonymous visitor is sent to the login page`, async () => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(caretaker.url + '/users');
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.getByRole('button', { name: 'Log in with GitHub' }).waitFor();
    await context.close();
  });

  test(`${mode}: the admin allows a GitHub user, who logs in through GitHub and out again`, async () => {
    const admin = await browser.newContext({ javaScriptEnabled });
    const page = await logIn(admin, caretaker);
    await page.goto(caretaker.url + '/users');
    const value = javaScriptEnabled ? '583231' : 'octocat';
    if (await page.locator(`tr[data-rule="${value}"]`).count() === 0) {
      await page.getByLabel('Kind', { exact: true }).selectOption('user');
      await page.getByLabel('Who', { exact: true }).fill(value);
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByRole('button', { name: 'Add rule' }).click();
      await page.locator(`tr[data-rule="${value}"]`).waitFor();
    }
    // A bad value is refused with a sentence that says what is accepted.
    await page.getByLabel('Who', { exact: true }).fill('not a name!');
    await page.getByRole('button', { name: 'Add rule' }).click();
    // Without JavaScript the form posts, the server redirects back, and the page shows
    // the same sentence.
    await page.getByText('is not a GitHub user').waitFor();
    await page.screenshot({ path: join(resultsDir, `users-${javaScriptEnabled ? 'js' : 'nojs'}.png`), fullPage: true });
    await admin.close();

    const visitor = await browser.newContext({ javaScriptEnabled });
    const own = await visitor.newPage();
    await own.goto(caretaker.url + '/login');
    await own.getByRole('button', { name: 'Log in with GitHub' }).click();
    await own.waitForURL((url) => url.pathname === '/');
    await own.locator('[data-user="octocat"]').waitFor();
    assert.match(await own.locator('[data-user="octocat"]').innerText(), /octocat · viewer/);
    // A viewer has no Users page in the navigation, and the server refuses it anyway.
    assert.equal(await own.getByRole('link', { name: 'Users' }).count(), 0);
    const response = await own.goto(caretaker.url + '/users');
    assert.equal(response.status(), 403);
    await own.goto(caretaker.url + '/');
    await own.getByRole('button', { name: 'Log out' }).click();
    await own.waitForURL((url) => url.pathname === '/login');
    await own.goto(caretaker.url + '/');
    assert.equal(new URL(own.url()).pathname, '/login', 'logged out for real');
    await visitor.close();
  });
}

test('someone not on the allow-list sees a clear refusal', async () => {
  const response = await fetch(`${github.url}/_fake/sign-in-as/99`, { method: 'POST' });
  assert.ok(response.ok, String(response.status));
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(caretaker.url + '/login');
  await page.getByRole('button', { name: 'Log in with GitHub' }).click();
  await page.getByText("not on caretaker's allow-list").waitFor();
  await page.screenshot({ path: join(resultsDir, 'login-refused.png'), fullPage: true });
  await context.close();
  await fetch(`${github.url}/_fake/sign-in-as/583231`, { method: 'POST' });
});
