// Backups in a real browser, with the real restic: add a repository, create a plan, back
// up now, browse the snapshot and restore a file into a new directory; with and without
// JavaScript. A bad plan says what is wrong and keeps nothing half-made.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaretaker, launchBrowser, logIn, resultsDir } from './support.mjs';

let caretaker;
let browser;
let place;

before(async () => {
  place = mkdtempSync(join(tmpdir(), 'caretaker-e2e-backups-'));
  caretaker = await startCaretaker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  rmSync(place, { recursive: true, force: true });
});

async function hydrated(page, javaScriptEnabled) {
  if (javaScriptEnabled) {
    await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 20000 });
  }
}

/** Waits for `locator` to appear; without JavaScript the page is reloaded meanwhile. */
async function eventually(page, locator, javaScriptEnabled, rounds = 60) {
  for (let i = 0; i < rounds && (await locator.count()) === 0; i++) {
    if (!javaScriptEnabled) await page.reload();
    await page.waitForTimeout(500);
  }
  await locator.first().waitFor({ timeout: 15000 });
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`${mode}: add a repository, create a plan, back up, browse and restore`, async () => {
    const suffix = javaScriptEnabled ? 'js' : 'nojs';
    const source = join(place, `data-${suffix}`);
    mkdirSync(join(source, 'docs'), { recursive: true });
    writeFileSync(join(source, 'docs', 'report 2026.txt'), `quarterly numbers ${suffix}\n`);
    writeFileSync(join(source, 'notes.md'), '# notes\n');
    const repository = join(place, `repo-${suffix}`);
    const context = await browser.newContext({ javaScriptEnabled });
    try {
      const page = await logIn(context, caretaker);
      await page.getByRole('link', { name: 'Backups' }).click();
      await page.waitForURL(`${caretaker.url}/backups`);
      await hydrated(page, javaScriptEnabled);

      // A repository, initialised from the page.
      // The form is open while there is no repository; else it is behind its summary.
      const adding = page.locator('details.add-host');
      if ((await adding.getAttribute('open')) === null) await adding.locator('summary').click();
      await page.getByLabel('Name').fill(`local-${suffix}`);
      await page.getByLabel('Location').fill(repository);
      await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
      await page.getByLabel('Initialise a new repository here (restic init)').check();
      await page.getByRole('button', { name: 'Add repository' }).click();
      await page.locator(`tr[data-repository="local-${suffix}"][data-repository-state="reachable"]`).waitFor({ timeout: 20000 });

      // A plan with a bad source first: the form says what is wrong.
      await page.getByRole('link', { name: 'New plan' }).click();
      await page.waitForURL(`${caretaker.url}/backups/plans/new`);
      await hydrated(page, javaScriptEnabled);
      await page.getByLabel('Name').fill(`docs-${suffix}`);
      await page.getByLabel('Sources').fill('docs/relative');
      await page.getByLabel(`local-${suffix} (on-site)`).check();
      await page.getByRole('button', { name: 'Create plan' }).click();
      await page.getByRole('alert').filter({ hasText: 'Sources: “docs/relative” is not a source caretaker knows' }).waitFor();

      await page.getByLabel('Name').fill(`docs-${suffix}`);
      await page.getByLabel('Sources').fill(source);
      await page.getByLabel(`local-${suffix} (on-site)`).check();
      await page.getByRole('button', { name: 'Create plan' }).click();
      await page.waitForURL((address) => /\/backups\/plans\/\d+$/.test(address.pathname));
      await page.getByRole('heading', { name: `Backup plan docs-${suffix}` }).waitFor();
      await hydrated(page, javaScriptEnabled);
      await page.getByText('No runs yet').waitFor();

      // Back up now: a task with a progress bar, then a row in the history.
      await page.getByRole('button', { name: 'Back up now' }).click();
      await eventually(page, page.locator('tr[data-run-status="succeeded"][data-work="backup"]'), javaScriptEnabled);
      const row = page.locator('tr[data-run-status="succeeded"][data-work="backup"]').first();
      assert.match(await row.innerText(), /2 \/ 0/, 'two new files, none changed');
      await page.getByText('last good').first().waitFor();

      // Browse the snapshot down to the file, and restore it into a new directory. The
      // task may still be applying retention: wait for it to end and for the snapshot.
      await eventually(page, page.locator('section.task[data-status="succeeded"]'), javaScriptEnabled);
      if (javaScriptEnabled) await page.reload();
      await eventually(page, page.locator('table.snapshots tbody tr a'), javaScriptEnabled);
      await hydrated(page, javaScriptEnabled);
      await page.locator('table.snapshots tbody tr a').first().click();
      await page.waitForURL((address) => address.searchParams.has('snapshot'));
      await hydrated(page, javaScriptEnabled);
      await page.getByRole('link', { name: 'docs/' }).click();
      await page.waitForURL((address) => address.searchParams.get('dir')?.endsWith('/docs'));
      await page.locator('li[data-entry$="report 2026.txt"]').waitFor();
      await page.screenshot({ path: join(resultsDir, `backup-plan-${suffix}.png`), fullPage: true });
      const target = join(place, `restored-${suffix}`);
      await page.getByLabel('Paths').fill(join(source, 'docs', 'report 2026.txt'));
      await page.getByLabel('Directory').fill(target);
      await page.getByRole('button', { name: 'Restore', exact: true }).click();
      // Not confirmed: nothing happens, and the page says why.
      await page.getByRole('alert').filter({ hasText: 'Confirm: tick the box' }).waitFor();
      if (!javaScriptEnabled) {
        // Without JavaScript the answer is a new page; the form is filled again.
        await page.goBack();
        await page.getByLabel('Paths').fill(join(source, 'docs', 'report 2026.txt'));
        await page.getByLabel('Directory').fill(target);
      }
      await page.getByLabel('I mean it: files at the target are replaced').check();
      await page.getByRole('button', { name: 'Restore', exact: true }).click();
      const restored = join(target, source, 'docs', 'report 2026.txt');
      let content = '';
      for (let i = 0; i < 60 && !content; i++) {
        try { content = readFileSync(restored, 'utf8'); } catch { await page.waitForTimeout(250); }
      }
      assert.equal(content, `quarterly numbers ${suffix}\n`);

      // The overview shows the plan at a glance.
      await page.goto(`${caretaker.url}/backups`);
      const plan = page.locator(`tr[data-plan="docs-${suffix}"]`);
      await plan.waitFor();
      assert.match(await plan.innerText(), /not met/, 'one on-site copy is not 3-2-1');
      assert.equal(await plan.locator('[data-copy-state="fresh"]').count(), 1);
    } finally {
      await context.close();
    }
  });
}
