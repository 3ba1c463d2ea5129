// caretaker's container image, built from the release build by scripts/build-image.sh
// without any registry: it starts, Docker's healthcheck (`caretaker healthcheck`) reports it
// healthy, its pages and assets answer, it snapshots its own database by default; and on a
// data volume holding a database at an older schema it applies the missing migrations and
// keeps the data, also across a restart with a rebuilt, newer-tagged image.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync, chownSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { root } from './support.mjs';

const bin = process.env.E2E_CARETAKER_BIN ?? join(root, 'target', 'release', 'caretaker');
const repository = `caretaker-e2e-image-${process.pid}`;
const containers = [];
const volumes = [];
// Generous: the machine is shared and slow; Docker's healthcheck runs every 10 s.
const DEADLINE_MS = 240_000;

function run(program, args, options = {}) {
  return execFileSync(program, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options }).trim();
}

function buildImage(tag) {
  run(join(root, 'scripts', 'build-image.sh'), ['--tag', `${repository}:${tag}`, '--binary', bin,
    '--site', join(dirname(dirname(bin)), 'site')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return run('docker', ['image', 'inspect', '-f', '{{.Id}}', `${repository}:${tag}`]);
}

function startContainer(tag, volume) {
  const name = `${repository}-${containers.length}`;
  const mount = volume ? ['-v', `${volume}:/data`] : [];
  run('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::3000', ...mount, `${repository}:${tag}`]);
  containers.push(name);
  return name;
}

async function waitUntil(what, check) {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const answer = await check();
    if (answer) return answer;
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Waits until Docker's own healthcheck calls the container healthy; its URL. */
async function waitHealthy(name) {
  await waitUntil(`${name} healthy`, () => {
    const status = run('docker', ['inspect', '-f', '{{.State.Status}} {{.State.Health.Status}}', name]);
    if (status.startsWith('exited') || status.startsWith('dead')) {
      throw new Error(`${name} stopped: ${status}\n${run('docker', ['logs', name], { stdio: ['ignore', 'pipe', 'pipe'] })}`);
    }
    return status === 'running healthy';
  });
  const log = JSON.parse(run('docker', ['inspect', '-f', '{{json .State.Health.Log}}', name]));
  assert.match(log.at(-1).Output, /healthy: http:\/\/127\.0\.0\.1:3000\/healthz answered 200/);
  const address = run('docker', ['port', name, '3000/tcp']).split('\n')[0];
  return `http://${address}`;
}

async function assertPagesAnswer(url) {
  const login = await fetch(`${url}/login`);
  assert.equal(login.status, 200);
  assert.match(await login.text(), /caretaker/);
  // The site's assets are in the image.
  const css = await fetch(`${url}/pkg/caretaker.css`);
  assert.equal(css.status, 200);
  assert.ok((await css.text()).length > 1000);
}

function stop(name) {
  run('docker', ['stop', '-t', '30', name]);
}

function sql(database, query) {
  return run('sqlite3', [database, query]);
}

function migrations() {
  const dir = join(root, 'migrations');
  return readdirSync(dir).filter((name) => name.endsWith('.sql')).sort()
    .map((name) => {
      const [version, ...rest] = name.replace(/\.sql$/, '').split('_');
      return { name, version, description: rest.join(' '), text: readFileSync(join(dir, name)) };
    });
}

function chownTree(path, uid, gid) {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
  }
}

before(() => {
  assert.ok(existsSync(bin), `no release binary at ${bin}: build it first (scripts/test does)`);
  buildImage('1');
});

after(() => {
  for (const name of containers) {
    try { run('docker', ['rm', '-f', '-v', name], { stdio: 'ignore' }); } catch { /* gone */ }
  }
  for (const volume of volumes) {
    try { run('docker', ['volume', 'rm', '-f', volume], { stdio: 'ignore' }); } catch { /* gone */ }
  }
  for (const tag of ['1', '2']) {
    try { run('docker', ['image', 'rm', '-f', `${repository}:${tag}`], { stdio: 'ignore' }); } catch { /* gone */ }
  }
});

test('the image runs as a non-root user, turns healthy, serves its pages and snapshots its database', async () => {
  const config = JSON.parse(run('docker', ['image', 'inspect', '-f', '{{json .Config}}', `${repository}:1`]));
  assert.equal(config.User, '10001:10001');
  assert.ok('/data' in config.Volumes, JSON.stringify(config.Volumes));
  assert.deepEqual(config.Healthcheck.Test.slice(0, 3), ['CMD', '/usr/local/bin/caretaker', 'healthcheck']);
  // Nothing but what was copied in: no shell in the image.
  const layers = JSON.parse(run('docker', ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', `${repository}:1`]));
  assert.ok(layers.length <= 3, `layers: ${layers.length}`);

  const name = startContainer('1');
  const url = await waitHealthy(name);
  await assertPagesAnswer(url);
  // The daily snapshot of caretaker's own database is taken at the first start.
  const data = run('docker', ['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/data"}}{{.Source}}{{end}}{{end}}', name]);
  const snapshots = await waitUntil('a database snapshot', () => {
    const dir = join(data, 'snapshots');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^caretaker-\d{8}-\d{6}\.db$/.test(f)) : [];
    return files.length ? files : null;
  });
  assert.equal(sql(join(data, 'snapshots', snapshots[0]), 'SELECT count(*) > 0 FROM _sqlx_migrations'), '1');
  stop(name);
});

test('a newer image migrates an older database in place and keeps its data, also after a rebuild', async () => {
  const all = migrations();
  assert.ok(all.length >= 3, 'needs some migrations to hold back');
  const older = all.slice(0, -2);
  const held = all.slice(-2);

  // A data volume with the database as an older caretaker left it: the first migrations
  // applied and recorded as sqlx records them, and a row of data.
  const volume = `${repository}-data`;
  run('docker', ['volume', 'create', volume]);
  volumes.push(volume);
  const mountpoint = run('docker', ['volume', 'inspect', '-f', '{{.Mountpoint}}', volume]);
  const database = join(mountpoint, 'caretaker.db');
  let script = older.map((m) => m.text.toString('utf8')).join('\n;\n');
  script += `
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
  installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
  checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
`;
  for (const m of older) {
    const checksum = createHash('sha384').update(m.text).digest('hex');
    script += `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (${m.version}, '${m.description}', 1, X'${checksum}', 1);\n`;
  }
  script += "INSERT INTO access_rules (kind, value, role, created_at) VALUES ('org', 'kept-across-upgrades', 'viewer', 1700000000000);\n";
  run('sqlite3', [database], { input: script });
  chownTree(mountpoint, 10001, 10001);
  assert.equal(sql(database, 'SELECT count(*) FROM _sqlx_migrations'), String(older.length));

  const first = startContainer('1', volume);
  await assertPagesAnswer(await waitHealthy(first));
  stop(first);
  const applied = sql(database, 'SELECT version FROM _sqlx_migrations WHERE success = 1 ORDER BY version').split('\n');
  assert.deepEqual(applied, all.map((m) => m.version));
  // The held-back migrations really ran: their tables exist now.
  for (const m of held) {
    for (const [, table] of m.text.toString('utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)) {
      assert.equal(sql(database, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '${table}'`), '1', `${m.name}: ${table}`);
    }
  }
  assert.equal(sql(database, "SELECT role FROM access_rules WHERE value = 'kept-across-upgrades'"), 'viewer');

  // A rebuilt image under a newer tag, on the same volume.
  const oldId = run('docker', ['image', 'inspect', '-f', '{{.Id}}', `${repository}:1`]);
  const newId = buildImage('2');
  assert.notEqual(newId, oldId);
  const second = startContainer('2', volume);
  await assertPagesAnswer(await waitHealthy(second));
  stop(second);
  assert.equal(sql(database, "SELECT role FROM access_rules WHERE value = 'kept-across-upgrades'"), 'viewer');
  assert.equal(sql(database, 'SELECT count(*) FROM _sqlx_migrations'), String(all.length));
});
