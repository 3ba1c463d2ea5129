// caretaker opened through a SOCKS5 proxy, as the team reaches it in a private network
// (ssh's DynamicForward): Debian's dante-server on loopback plays the tunnel's near end,
// Chromium is started with --proxy-server=socks5://… and every request goes through it.
// The pages, a form post and the hydrated page's client-side actions work unchanged, and
// dante's log shows the connections. Saves the screenshots the docs show.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { startCaretaker, launchBrowser, logIn, freePort, root } from './support.mjs';

const screenshots = join(root, 'docs', 'screenshots');
let dante;
let caretaker;
let browser;

/** Starts danted on a free loopback port with a generated config; logs every connection. */
async function startDante() {
  const danted = process.env.DANTED ?? '/usr/sbin/danted';
  if (!existsSync(danted)) {
    throw new Error(`${danted} is missing: install Debian's dante-server (scripts/test does).`);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-dante-'));
  const log = join(dir, 'danted.log');
  writeFileSync(join(dir, 'danted.conf'), `logoutput: ${log}
internal: 127.0.0.1 port = ${port}
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.unprivileged: nobody
client pass {
  from: 127.0.0.0/8 to: 0.0.0.0/0
  log: connect disconnect error
}
socks pass {
  from: 127.0.0.0/8 to: 0.0.0.0/0
  log: connect disconnect error
}
`);
  const child = spawn(danted, ['-f', join(dir, 'danted.conf'), '-p', join(dir, 'danted.pid')],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`danted exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (attempt > 300) throw new Error('danted did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** dante's log lines of connections it made to caretaker's port. */
function proxiedConnections() {
  const port = new URL(caretaker.url).port;
  // A line like: pass(1): tcp/connect [: CLIENT PROXY -> PROXY-SIDE 127.0.0.1.PORT
  return dante.log().split('\n')
    .filter((line) => line.includes('tcp/connect [') && line.trimEnd().endsWith(`127.0.0.1.${port}`));
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  dante = await startDante();
  caretaker = await startCaretaker();
  // Chromium sends loopback addresses past any proxy unless told not to: <-loopback>
  // removes that implicit bypass, so 127.0.0.1 goes through dante like a private address.
  browser = await launchBrowser([`--proxy-server=socks5://127.0.0.1:${dante.port}`, '--proxy-bypass-list=<-loopback>']);
});

after(async () => {
  await browser?.close();
  await caretaker?.stop();
  await dante?.stop();
});

test('with JavaScript through SOCKS5: log in, click through, save the Connect form, copy a block', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const failures = [];
  context.on('page', (page) => page.on('pageerror', (error) => failures.push(error.message)));

  const login = await context.newPage();
  await login.goto(`${caretaker.url}/login`);
  await login.screenshot({ path: join(screenshots, 'login.png') });
  await login.close();

  const page = await logIn(context, caretaker);
  await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 30000 });
  assert.equal(await page.title(), 'Overview · caretaker');
  await page.screenshot({ path: join(screenshots, 'overview.png') });

  // Click through the navigation (client-side routing of the hydrated app).
  for (const [label, title] of [['Containers', 'Containers'], ['Jobs', 'Jobs'], ['Backups', 'Backups'], ['Connect', 'Connect']]) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    await page.waitForFunction((expected) => document.title.startsWith(expected), title, { timeout: 30000 });
    await page.getByRole('heading', { level: 1, name: title }).waitFor({ timeout: 30000 });
  }
  await page.locator('[data-connect-empty]').waitFor();

  // A refused form says what is wrong and keeps what was typed.
  await page.getByLabel('Bastion').fill('bastion.example.org');
  await page.getByLabel('ssh user').fill('alice');
  await page.getByLabel('Local SOCKS port').fill('80');
  await page.getByLabel("caretaker's private address").fill(caretaker.url);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: "The SOCKS port '80' is not accepted" }).waitFor({ timeout: 30000 });
  assert.equal(await page.getByLabel('ssh user').inputValue(), 'alice');

  await page.getByLabel('Local SOCKS port').fill('1080');
  await page.getByLabel('Jump host (optional)', { exact: true }).fill('gw.example.org');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor({ timeout: 30000 });
  const entry = await page.locator('#ssh-config').innerText();
  assert.match(entry, /^Host caretaker-socks$/m);
  assert.match(entry, /^ {4}HostName bastion\.example\.org$/m);
  assert.match(entry, /^ {4}User alice$/m);
  assert.match(entry, /^ {4}ProxyJump gw\.example\.org$/m);
  assert.match(entry, /^ {4}DynamicForward 127\.0\.0\.1:1080$/m);
  assert.match(entry, /^ {4}ServerAliveInterval 30$/m);
  assert.match(await page.locator('#chromium-command').innerText(), /--proxy-server="socks5:\/\/127\.0\.0\.1:1080"/);
  assert.match(await page.locator('[data-firefox]').innerText(), /Proxy DNS when using SOCKS v5/);

  // A client-side action of the hydrated page: Copy selects the block and reports it.
  await page.getByRole('button', { name: 'Copy the ssh config entry' }).click();
  const status = page.locator('#ssh-config + button + .copy-status');
  await status.filter({ hasText: /Copied|Selected/ }).waitFor({ timeout: 10000 });
  assert.match(await page.evaluate(() => String(window.getSelection())), /DynamicForward 127\.0\.0\.1:1080/);
  await page.screenshot({ path: join(screenshots, 'connect.png'), fullPage: true });

  // The PAC file, fetched by the page through the proxy.
  const pac = await page.evaluate(async () => (await fetch('/connect/proxy.pac')).text());
  assert.match(pac, /function FindProxyForURL/);
  assert.match(pac, /SOCKS5 127\.0\.0\.1:1080/);

  // The change is in the audit log.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit', exact: true }).click();
  await page.getByRole('cell', { name: 'connect', exact: true }).first().waitFor({ timeout: 30000 });

  assert.deepEqual(failures, []);
  await context.close();
  assert.ok(proxiedConnections().length >= 3,
    `dante's log shows too few connections to caretaker:\n${dante.log()}`);
});

test('without JavaScript through SOCKS5: the form posts and the page shows the result', async () => {
  const before = proxiedConnections().length;
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await logIn(context, caretaker);
  await page.goto(`${caretaker.url}/connect`);
  assert.equal(await page.locator('html[data-hydrated]').count(), 0);
  await page.getByLabel('Bastion').fill('bastion.example.org');
  await page.getByLabel('ssh user').fill('alice');
  await page.getByLabel("caretaker's private address").fill(caretaker.url);
  await page.getByLabel('Local SOCKS port').fill('1081');
  // The browser posts the form; the server sends it back to the page, now with the value.
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#ssh-config').filter({ hasText: 'DynamicForward 127.0.0.1:1081' }).waitFor({ timeout: 30000 });
  await context.close();
  assert.ok(proxiedConnections().length > before, "dante's log shows no new connection to caretaker");
});
