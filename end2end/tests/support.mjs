// Helpers for the end-to-end tests: the real caretaker binary, the real Docker engine
// (its HTTP API on the Unix socket) and Debian's Chromium driven by playwright-core.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const resultsDir = join(root, 'end2end', 'test-results');
mkdirSync(resultsDir, { recursive: true });

// Built by the Rust tests (server/tests/common), which run first in scripts/test.
export const TEST_IMAGE = 'caretaker-test/busybox:1';

/** Calls the Docker Engine API on /var/run/docker.sock; resolves { status, json }. */
export function docker(method, path, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath: '/var/run/docker.sock', path: `/v1.41${path}`, method,
        headers: body ? { 'content-type': 'application/json' } : {} },
      (response) => {
        let text = '';
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => {
          let json = null;
          try { json = text ? JSON.parse(text) : null; } catch { json = text; }
          resolve({ status: response.statusCode, json });
        });
      });
    request.on('error', reject);
    if (body) request.write(JSON.stringify(body));
    request.end();
  });
}

/** Calls the Docker Engine API with a raw body (a tarball); resolves { status, text }. */
export function dockerRaw(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath: '/var/run/docker.sock', path: `/v1.41${path}`, method, headers },
      (response) => {
        let text = '';
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => resolve({ status: response.statusCode, text }));
      });
    request.on('error', reject);
    if (body) request.write(body);
    request.end();
  });
}

/**
 * Starts Debian's docker-registry on a free port of 127.0.0.1; resolves { address, stop }.
 */
export async function startRegistry() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-registry-'));
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${dir}/data
http:
  addr: 127.0.0.1:${port}
`);
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const address = `127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://${address}/v2/`)).ok) break;
    } catch { /* not yet */ }
    if (attempt > 100) throw new Error('docker-registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Builds repository:tag from busybox (httpd serving /www/version and /www/health), pushes
 * it to its registry and removes it from the engine, so a deploy pulls it for real.
 */
export async function pushWebImage(repository, tag, version) {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-image-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'www'));
    copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
    chmodSync(join(dir, 'bin', 'busybox'), 0o755);
    writeFileSync(join(dir, 'www', 'version'), version);
    writeFileSync(join(dir, 'www', 'health'), 'ok');
    writeFileSync(join(dir, 'build'), `${repository}:${tag} ${Date.now()}`);
    const tarball = execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    const query = `fromSrc=-&repo=${encodeURIComponent(repository)}&tag=${encodeURIComponent(tag)}`;
    const imported = await dockerRaw('POST', `/images/create?${query}`, tarball, { 'content-type': 'application/x-tar' });
    if (imported.status !== 200) throw new Error(`import: ${imported.text}`);
    const auth = Buffer.from('{}').toString('base64');
    const pushed = await dockerRaw('POST', `/images/${encodeURIComponent(repository)}/push?tag=${tag}`, null, { 'X-Registry-Auth': auth });
    if (pushed.status !== 200 || pushed.text.includes('"error"')) throw new Error(`push: ${pushed.text}`);
    await dockerRaw('DELETE', `/images/${encodeURIComponent(`${repository}:${tag}`)}?force=true`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates and starts a sleeping container of the test image; returns its name. */
export async function startContainer(prefix) {
  const image = await docker('GET', `/images/${encodeURIComponent(TEST_IMAGE)}/json`);
  if (image.status !== 200) {
    throw new Error(`${TEST_IMAGE} is missing: run the Rust tests first (scripts/test does).`);
  }
  const name = `ct-e2e-${prefix}-${process.pid}-${Date.now()}`;
  const created = await docker('POST', `/containers/create?name=${name}`, {
    Image: TEST_IMAGE, Cmd: ['/bin/busybox', 'sleep', '600'], Labels: { 'caretaker.test': '1' },
  });
  if (created.status !== 201) throw new Error(`creating ${name}: ${JSON.stringify(created.json)}`);
  const started = await docker('POST', `/containers/${name}/start`);
  if (started.status !== 204) throw new Error(`starting ${name}: ${JSON.stringify(started.json)}`);
  return name;
}

export async function removeContainer(name) {
  await docker('DELETE', `/containers/${name}?force=true`);
}

export async function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts fake-github (end2end/fake-github: GitHub's OAuth web flow and REST calls as
 * documented) with the given users; resolves { url, stop }.
 */
export async function startFakeGithub(users, signInAs) {
  const bin = process.env.E2E_FAKE_GITHUB_BIN ?? join(root, 'target', 'debug', 'fake-github');
  const dir = mkdtempSync(join(tmpdir(), 'fake-github-'));
  const usersFile = join(dir, 'users.json');
  writeFileSync(usersFile, JSON.stringify(users));
  const child = spawn(bin, ['--bind', '127.0.0.1:0', '--client-id', 'Iv1.e2e', '--client-secret', 'e2e-secret',
    '--callback', 'http://127.0.0.1/auth/github/callback', '--users', usersFile, '--sign-in-as', String(signInAs)],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`fake-github exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the fake Ollama (end2end/fake-ollama) with `args` (e.g. ['--installed', 'phi3:mini']);
 * `control(path, body)` drives its /_fake/ test hooks.
 */
export async function startFakeOllama(args = []) {
  const bin = process.env.E2E_FAKE_OLLAMA_BIN ?? join(root, 'target', 'debug', 'fake-ollama');
  const child = spawn(bin, ['--bind', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`fake-ollama exited with ${code}`)));
  });
  return {
    url,
    async control(path, body) {
      const response = await fetch(`${url}/_fake/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`fake-ollama ${path}: ${response.status}`);
      return response.json().catch(() => null);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Starts the release binary on a free port with its own data directory. */
export async function startCaretaker(extraEnv = {}) {
  const bin = process.env.E2E_CARETAKER_BIN ?? join(root, 'target', 'release', 'caretaker');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'caretaker-e2e-'));
  const child = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARETAKER_LOG_LEVEL: 'warn', ...extraEnv },
  });
  const url = `http://127.0.0.1:${port}`;
  // Wait on /healthz, never on a fixed sleep.
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`caretaker exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    /** Runs a caretaker command against this server's data directory; its stdout. */
    cli(args) {
      return execFileSync(bin, [...args, '--data-dir', dataDir],
        { encoding: 'utf8', env: { ...process.env, CARETAKER_LOG_LEVEL: 'warn', ...extraEnv } });
    },
    /** A one-time login link from the CLI, as a new user would get one. */
    loginLink() {
      return execFileSync(bin, ['admin', 'login-link', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir],
        { encoding: 'utf8', env: { ...process.env, CARETAKER_LOG_LEVEL: 'warn', ...extraEnv } }).trim();
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Logs a browser context in as the local admin through a one-time link. */
export async function logIn(context, caretaker, home = '/') {
  const page = await context.newPage();
  await page.goto(caretaker.loginLink());
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname === home);
  return page;
}

/**
 * Starts Debian's nginx in the foreground with the given `http { … }` body and its own
 * prefix directory; resolves { stop }.
 */
export async function startNginx(httpBlock, port) {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-nginx-'));
  chmodSync(dir, 0o755); // nginx's workers run as another user and write temp files here
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${httpBlock}
}
`);
  const child = spawn(process.env.NGINX ?? '/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (attempt > 100) throw new Error('nginx did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's headless Chromium; `extraArgs` add switches (a proxy, for example). */
export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}
