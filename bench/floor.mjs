#!/usr/bin/env node
// The floor: one Node process making the Docker API calls a deployment tool cannot avoid,
// with nothing else (plain node:http, no Docker client library), timed as a whole process by
// bench/tools/floor.mjs.
//
//   node bench/floor.mjs OP SPEC.json
//
//   noop          per host: one label-filtered container list, then an inspect of every
//                 container (16 at a time per host)
//   cold          create + start every container, PARALLELISM at a time over all hosts, each
//                 slot held until its container is healthy (kolla's health gate)
//   cold-ungated  create + start, PARALLELISM at a time, no waiting for health
//   change        noop, then replace container 0 (remove, create, start, wait until healthy)
//
// SPEC (written by bench/tools/floor.mjs): { hosts: [{ addr, socket, local }], containers:
// [{ name, host (index), value }], image, label: [key, value], parallelism, interval_s, key,
// knownHosts }.
// Remote hosts are reached as kolla does: one SSH connection each, every HTTP request on its
// own channel forwarded to the host's Docker socket.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';

const [op, specFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const [labelKey, labelValue] = spec.label;
const HEALTH_TIMEOUT_MS = 120_000;

/** An http.Agent whose connections are SSH channels to a Unix socket on the host. */
class ChannelAgent extends http.Agent {
  constructor(conn, socketPath) {
    super({ keepAlive: false, maxSockets: 32 });
    this.conn = conn;
    this.socketPath = socketPath;
  }
  createConnection(_opts, cb) {
    this.conn.openssh_forwardOutStreamLocal(this.socketPath, (err, ch) => {
      if (err) return cb(err);
      // node:http calls a few net.Socket methods that a channel lacks
      for (const m of ['setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref']) ch[m] ??= () => ch;
      cb(null, ch);
    });
  }
}

async function connect(h) {
  if (h.local) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    return { base: { socketPath: h.socket, agent }, events: { socketPath: h.socket, agent: false } };
  }
  const ssh2 = await import('ssh2');
  const { Client } = ssh2.default ?? ssh2;
  const known = readFileSync(spec.knownHosts, 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[0] === h.addr)
    .map((l) => l.split(' ')[2]);
  const conn = new Client();
  await new Promise((resolve, reject) => {
    conn.on('ready', resolve).on('error', reject);
    conn.connect({
      host: h.addr,
      username: 'root',
      privateKey: readFileSync(spec.key),
      hostVerifier: (key) => known.includes(key.toString('base64')),
    });
  });
  h.conn = conn;
  return {
    base: { agent: new ChannelAgent(conn, h.socket) },
    events: { agent: new ChannelAgent(conn, h.socket) },
  };
}

function request(h, method, path, body, opts = h.api.base) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { ...opts, method, path, headers: data ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          if (res.statusCode >= 300)
            reject(new Error(`${h.addr}: ${method} ${path}: ${res.statusCode} ${text.trim()}`));
          else resolve(text ? JSON.parse(text) : null);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Run `fn` over `items`, `width` at a time. */
async function pool(items, width, fn) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      while (queue.length) await fn(queue.shift());
    }),
  );
}

/** Resolves waiters on each host's `health_status: healthy` events (one stream per host). */
function watchHealth(h) {
  h.waiters = new Map();
  return new Promise((resolve, reject) => {
    const filters = encodeURIComponent(
      JSON.stringify({ type: ['container'], event: ['health_status'], label: [`${labelKey}=${labelValue}`] }),
    );
    const req = http.request(
      { ...h.api.events, method: 'GET', path: `/events?filters=${filters}` },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          buf += d;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
            const name = ev.Actor?.Attributes?.name;
            if (ev.status === 'health_status: healthy' && h.waiters.has(name)) h.waiters.get(name)();
          }
        });
        resolve(req);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function healthy(h, name) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`${name}: not healthy in ${HEALTH_TIMEOUT_MS} ms`)),
      HEALTH_TIMEOUT_MS,
    );
    h.waiters.set(name, () => {
      clearTimeout(t);
      h.waiters.delete(name);
      resolve();
    });
  });
}

async function create(c, gated) {
  const h = spec.hosts[c.host];
  const body = {
    Image: spec.image,
    Cmd: ['sleep', '2147483647'],
    Env: [`VALUE=${c.value}`],
    Labels: { [labelKey]: labelValue },
    StopTimeout: 1,
    Healthcheck: { Test: ['CMD', 'true'], Interval: spec.interval_s * 1e9 },
    HostConfig: { Init: true, NetworkMode: 'host' },
  };
  const { Id } = await request(h, 'POST', `/containers/create?name=${encodeURIComponent(c.name)}`, body);
  const ok = gated ? healthy(h, c.name) : null;
  await request(h, 'POST', `/containers/${Id}/start`);
  if (ok) await ok;
}

async function refresh() {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${labelKey}=${labelValue}`] }));
  let n = 0;
  await Promise.all(
    spec.hosts.map(async (h) => {
      const list = await request(h, 'GET', `/containers/json?all=1&filters=${filters}`);
      n += list.length;
      await pool(list, 16, (c) => request(h, 'GET', `/containers/${c.Id}/json`));
    }),
  );
  return n;
}

const streams = [];
await Promise.all(spec.hosts.map(async (h) => (h.api = await connect(h))));
const gated = op === 'cold' || op === 'change';
if (gated) for (const h of spec.hosts) streams.push(await watchHealth(h));

if (op === 'noop') console.log(await refresh());
else if (op === 'cold' || op === 'cold-ungated')
  await pool(spec.containers, spec.parallelism, (c) => create(c, gated));
else if (op === 'change') {
  await refresh();
  const c = spec.containers[0];
  await request(spec.hosts[c.host], 'DELETE', `/containers/${encodeURIComponent(c.name)}?force=1`);
  await create(c, true);
} else throw new Error(`unknown operation ${op}`);

for (const s of streams) s.destroy();
for (const h of spec.hosts) h.conn?.end();
process.exit(0); // keep-alive sockets: done is done
