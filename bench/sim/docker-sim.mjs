#!/usr/bin/env node
// A small Docker Engine API simulator for the scale benchmark (bench/scale.mjs): one process
// serving N Unix sockets, one per simulated host, each with its own in-memory engine
// (containers, volumes, images, exec instances, events). A benchmark tool only: tests use
// the real engine.
//
//   node bench/sim/docker-sim.mjs ROOT N
//
// Socket i (1..N) is ROOT/<i>/docker.sock. Environment:
//   SIM_LATENCY_MS  added to every answer (default 2)
//   SIM_HEALTHY_MS  a started container with a healthcheck turns healthy after this (default 300)
//   SIM_DEBUG=1     log every request and every unknown route to stderr
// Routes kolla, the floor and community.docker use are answered; anything else gets a 404
// with a JSON message (and a line on stderr, always, so gaps are visible).
// `POST /_sim/reset` empties the host's containers, volumes and exec instances.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

const [root, nText] = process.argv.slice(2);
const N = Number(nText);
if (!root || !(N > 0)) {
  console.error('usage: docker-sim.mjs ROOT N');
  process.exit(2);
}
const LATENCY_MS = Number(process.env.SIM_LATENCY_MS ?? 2);
const HEALTHY_MS = Number(process.env.SIM_HEALTHY_MS ?? 300);
const DEBUG = process.env.SIM_DEBUG === '1';
const API = '1.43';
const ZERO_TIME = '0001-01-01T00:00:00Z';
const IMAGES = ['kolla-test/busybox:1', 'busybox:latest'];

const IMAGE_ENV = ['PATH=/usr/local/bin:/usr/bin:/bin'];
const mergeEnv = (base, own) => {
  const names = new Set(own.map((e) => e.split('=')[0]));
  return [...base.filter((e) => !names.has(e.split('=')[0])), ...own];
};
const hexId = () => randomBytes(32).toString('hex');
const now = () => new Date().toISOString();

/**
 * The image IDs the local engine has for IMAGES (as if every host had pulled the same image
 * from a registry): kolla compares a host's image ID with the local one and would otherwise
 * send the image. Random IDs for those the local engine lacks.
 */
async function localImageIds() {
  const ids = new Map();
  await Promise.all(
    IMAGES.map(
      (ref) =>
        new Promise((resolve) => {
          const req = http.get(
            { socketPath: '/var/run/docker.sock', path: `/images/${encodeURIComponent(ref)}/json` },
            (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => {
                if (res.statusCode === 200) ids.set(ref, JSON.parse(body).Id);
                resolve();
              });
            },
          );
          req.on('error', () => resolve());
        }),
    ),
  );
  return ids;
}
const LOCAL_IDS = await localImageIds();

function newHost(i) {
  const images = new Map();
  for (const ref of IMAGES) {
    const Id = LOCAL_IDS.get(ref) ?? `sha256:${hexId()}`;
    images.set(ref, { Id, RepoTags: [ref], RepoDigests: [], Created: now(), Size: 4_000_000 });
  }
  return { i, containers: new Map(), volumes: new Map(), images, execs: new Map(), listeners: new Set() };
}

/** Docker's filters: `{"label":["k=v"]}` or `{"label":{"k=v":true}}`. */
function parseFilters(q) {
  const raw = q.get('filters');
  if (!raw) return {};
  const f = JSON.parse(raw);
  const out = {};
  for (const [k, v] of Object.entries(f)) out[k] = Array.isArray(v) ? v : Object.keys(v);
  return out;
}

function labelsMatch(labels, wanted = []) {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels ?? {}, w);
    return (labels ?? {})[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

function findImage(h, ref) {
  if (h.images.has(ref)) return h.images.get(ref);
  if (!ref.includes(':') && h.images.has(`${ref}:latest`)) return h.images.get(`${ref}:latest`);
  for (const img of h.images.values()) if (img.Id === ref || img.Id === `sha256:${ref}`) return img;
  return undefined;
}

function findContainer(h, ref) {
  ref = decodeURIComponent(ref);
  if (h.containers.has(ref)) return h.containers.get(ref);
  for (const c of h.containers.values()) if (c.Name === `/${ref}` || c.Name === ref) return c;
  if (ref.length >= 4) for (const c of h.containers.values()) if (c.Id.startsWith(ref)) return c;
  return undefined;
}

function emit(h, c, action, extra = {}) {
  const ev = {
    Type: 'container',
    status: action,
    id: c.Id,
    from: c.Config.Image,
    Action: action,
    Actor: {
      ID: c.Id,
      Attributes: { ...c.Config.Labels, name: c.Name.slice(1), image: c.Config.Image, ...extra },
    },
    scope: 'local',
    time: Math.floor(Date.now() / 1000),
    timeNano: Date.now() * 1e6,
  };
  for (const l of h.listeners) l(ev);
}

function start(h, c) {
  if (c.State.Running) return;
  Object.assign(c.State, { Status: 'running', Running: true, Pid: 1000 + h.containers.size, ExitCode: 0 });
  c.State.StartedAt = now();
  emit(h, c, 'start');
  const hc = c.Config.Healthcheck;
  if (hc && Array.isArray(hc.Test) && hc.Test[0] !== 'NONE') {
    c.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const startedAt = c.State.StartedAt;
    clearTimeout(c.healthTimer);
    c.healthTimer = setTimeout(() => {
      if (!c.State.Running || c.State.StartedAt !== startedAt) return;
      c.State.Health.Status = 'healthy';
      c.State.Health.Log.push({ Start: now(), End: now(), ExitCode: 0, Output: '' });
      emit(h, c, 'health_status: healthy');
    }, HEALTHY_MS);
  }
}

function stop(h, c, action = 'die') {
  if (!c.State.Running) return;
  clearTimeout(c.healthTimer);
  Object.assign(c.State, { Status: 'exited', Running: false, Pid: 0, ExitCode: action === 'kill' ? 137 : 0 });
  c.State.FinishedAt = now();
  if (c.State.Health) c.State.Health.Status = 'unhealthy';
  emit(h, c, action === 'kill' ? 'kill' : 'stop');
  emit(h, c, 'die', { exitCode: String(c.State.ExitCode) });
}

function listItem(c) {
  return {
    Id: c.Id,
    Names: [c.Name],
    Image: c.Config.Image,
    ImageID: c.Image,
    Command: [...(c.Config.Entrypoint ?? []), ...(c.Config.Cmd ?? [])].join(' '),
    Created: Math.floor(Date.parse(c.Created) / 1000),
    State: c.State.Status,
    Status: c.State.Running ? 'Up' : c.State.Status === 'created' ? 'Created' : 'Exited (0)',
    Ports: [],
    Labels: c.Config.Labels ?? {},
    HostConfig: { NetworkMode: c.HostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

function inspectOut(c) {
  const { healthTimer: _t, ...rest } = c;
  return rest;
}

function createContainer(h, name, body) {
  const img = findImage(h, body.Image);
  if (!img) return [404, { message: `No such image: ${body.Image}` }];
  if (name && findContainer(h, name))
    return [409, { message: `Conflict. The container name "/${name}" is already in use` }];
  const Id = hexId();
  const c = {
    Id,
    Created: now(),
    Path: (body.Entrypoint ?? body.Cmd ?? ['sh'])[0],
    Args: (body.Cmd ?? []).slice(body.Entrypoint ? 0 : 1),
    State: {
      Status: 'created',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 0,
      Error: '',
      StartedAt: ZERO_TIME,
      FinishedAt: ZERO_TIME,
    },
    Image: img.Id,
    Name: `/${name || Id.slice(0, 12)}`,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: 'linux',
    Config: {
      Hostname: Id.slice(0, 12),
      // As Docker does: the image's environment, then the container's (a name set in both
      // takes the container's value).
      Env: mergeEnv(IMAGE_ENV, body.Env ?? []),
      Cmd: body.Cmd ?? null,
      Entrypoint: body.Entrypoint ?? null,
      Image: body.Image,
      Labels: body.Labels ?? {},
      User: body.User ?? '',
      WorkingDir: body.WorkingDir ?? '',
      Healthcheck: body.Healthcheck,
      StopTimeout: body.StopTimeout,
      Tty: body.Tty ?? false,
      OpenStdin: body.OpenStdin ?? false,
      ExposedPorts: body.ExposedPorts ?? null,
      Volumes: body.Volumes ?? null,
    },
    HostConfig: {
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      Memory: 0,
      CpuShares: 0,
      NetworkMode: 'default',
      Binds: null,
      ...(body.HostConfig ?? {}),
    },
    Mounts: [],
    NetworkSettings: { Networks: {}, Ports: {} },
  };
  if (!c.Config.Healthcheck) delete c.Config.Healthcheck;
  h.containers.set(Id, c);
  emit(h, c, 'create');
  return [201, { Id, Warnings: [] }];
}

function volumeOut(v) {
  return v;
}

async function readBody(req) {
  let text = '';
  req.setEncoding('utf8');
  for await (const d of req) text += d;
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** The routes: [method, regexp, handler(h, match, query, body, req, res) -> [status, json] | 'raw']. */
const routes = [
  ['GET', /^\/_ping$/, () => [200, 'OK']],
  ['HEAD', /^\/_ping$/, () => [200, '']],
  [
    'GET',
    /^\/version$/,
    () => [
      200,
      {
        Version: '24.0.7-sim',
        ApiVersion: API,
        MinAPIVersion: '1.12',
        Os: 'linux',
        Arch: 'amd64',
        KernelVersion: '6.1.0',
        GoVersion: 'go1.20',
        GitCommit: 'sim',
        Components: [{ Name: 'Engine', Version: '24.0.7-sim' }],
      },
    ],
  ],
  [
    'GET',
    /^\/info$/,
    (h) => [
      200,
      {
        ID: `SIM${h.i}`,
        Name: `sim${h.i}`,
        Containers: h.containers.size,
        ContainersRunning: [...h.containers.values()].filter((c) => c.State.Running).length,
        Images: h.images.size,
        ServerVersion: '24.0.7-sim',
        OperatingSystem: 'Docker Engine API simulator',
        OSType: 'linux',
        Architecture: 'x86_64',
        NCPU: 2,
        MemTotal: 8 * 2 ** 30,
        DockerRootDir: path.join(root, String(h.i)),
        Driver: 'overlay2',
        CgroupDriver: 'systemd',
        CgroupVersion: '2',
        SecurityOptions: [],
        Runtimes: { runc: { path: 'runc' } },
        DefaultRuntime: 'runc',
        Swarm: { LocalNodeState: 'inactive' },
      },
    ],
  ],
  [
    'GET',
    /^\/containers\/json$/,
    (h, _m, q) => {
      const f = parseFilters(q);
      const all = q.get('all') === '1' || q.get('all') === 'true';
      const out = [];
      for (const c of h.containers.values()) {
        if (!all && !c.State.Running) continue;
        if (!labelsMatch(c.Config.Labels, f.label)) continue;
        if (f.name && !f.name.some((n) => new RegExp(n).test(c.Name.slice(1)))) continue;
        if (f.status && !f.status.includes(c.State.Status)) continue;
        if (f.id && !f.id.some((id) => c.Id.startsWith(id))) continue;
        out.push(listItem(c));
      }
      return [200, out];
    },
  ],
  ['POST', /^\/containers\/create$/, (h, _m, q, body) => createContainer(h, q.get('name'), body)],
  ['GET', /^\/containers\/([^/]+)\/json$/, (h, m) => withC(h, m, (c) => [200, inspectOut(c)])],
  [
    'POST',
    /^\/containers\/([^/]+)\/start$/,
    (h, m) =>
      withC(h, m, (c) => {
        if (c.State.Running) return [304, ''];
        start(h, c);
        return [204, ''];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/stop$/,
    (h, m) =>
      withC(h, m, (c) => {
        if (!c.State.Running) return [304, ''];
        stop(h, c);
        return [204, ''];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/kill$/,
    (h, m) =>
      withC(h, m, (c) => {
        if (!c.State.Running) return [409, { message: `Container ${c.Id} is not running` }];
        stop(h, c, 'kill');
        return [204, ''];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/restart$/,
    (h, m) =>
      withC(h, m, (c) => {
        stop(h, c);
        start(h, c);
        emit(h, c, 'restart');
        return [204, ''];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/rename$/,
    (h, m, q) =>
      withC(h, m, (c) => {
        const name = q.get('name');
        if (findContainer(h, name)) return [409, { message: `name ${name} is already in use` }];
        c.Name = `/${name}`;
        emit(h, c, 'rename');
        return [204, ''];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/update$/,
    (h, m, _q, body) =>
      withC(h, m, (c) => {
        Object.assign(c.HostConfig, body);
        return [200, { Warnings: [] }];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/wait$/,
    (h, m) =>
      withC(h, m, async (c) => {
        while (c.State.Running) await sleep(50);
        return [200, { StatusCode: c.State.ExitCode, Error: null }];
      }),
  ],
  ['POST', /^\/containers\/([^/]+)\/(?:pause|unpause)$/, (h, m) => withC(h, m, () => [204, ''])],
  ['GET', /^\/containers\/([^/]+)\/logs$/, (h, m) => withC(h, m, () => [200, Buffer.alloc(0)])],
  ['GET', /^\/containers\/([^/]+)\/top$/, (h, m) => withC(h, m, () => [200, { Titles: [], Processes: [] }])],
  [
    'DELETE',
    /^\/containers\/([^/]+)$/,
    (h, m, q) =>
      withC(h, m, (c) => {
        const force = q.get('force') === '1' || q.get('force') === 'true';
        if (c.State.Running && !force)
          return [
            409,
            { message: `You cannot remove a running container ${c.Id}. Stop the container first` },
          ];
        stop(h, c, 'kill');
        h.containers.delete(c.Id);
        emit(h, c, 'destroy');
        return [204, ''];
      }),
  ],
  [
    'POST',
    /^\/containers\/([^/]+)\/exec$/,
    (h, m, _q, body) =>
      withC(h, m, (c) => {
        if (!c.State.Running) return [409, { message: `Container ${c.Id} is not running` }];
        const Id = hexId();
        h.execs.set(Id, { ID: Id, ContainerID: c.Id, Running: false, ExitCode: null, ProcessConfig: body });
        return [201, { Id }];
      }),
  ],
  [
    'POST',
    /^\/exec\/([^/]+)\/start$/,
    (h, m) => {
      const e = h.execs.get(m[1]);
      if (!e) return [404, { message: `No such exec instance: ${m[1]}` }];
      e.ExitCode = 0;
      return [200, Buffer.alloc(0), 'application/vnd.docker.raw-stream'];
    },
  ],
  ['POST', /^\/exec\/([^/]+)\/resize$/, () => [200, '']],
  [
    'GET',
    /^\/exec\/([^/]+)\/json$/,
    (h, m) => {
      const e = h.execs.get(m[1]);
      return e ? [200, e] : [404, { message: `No such exec instance: ${m[1]}` }];
    },
  ],
  [
    'GET',
    /^\/volumes$/,
    (h, _m, q) => {
      const f = parseFilters(q);
      const vols = [...h.volumes.values()].filter(
        (v) => labelsMatch(v.Labels, f.label) && (!f.name || f.name.some((n) => v.Name.includes(n))),
      );
      return [200, { Volumes: vols.map(volumeOut), Warnings: [] }];
    },
  ],
  [
    'POST',
    /^\/volumes\/create$/,
    (h, _m, _q, body) => {
      const name = body.Name || hexId();
      if (!h.volumes.has(name))
        h.volumes.set(name, {
          Name: name,
          Driver: body.Driver || 'local',
          Mountpoint: `/var/lib/docker/volumes/${name}/_data`,
          Labels: body.Labels ?? {},
          Options: body.DriverOpts ?? {},
          Scope: 'local',
          CreatedAt: now(),
        });
      return [201, volumeOut(h.volumes.get(name))];
    },
  ],
  [
    'GET',
    /^\/volumes\/([^/]+)$/,
    (h, m) => {
      const v = h.volumes.get(decodeURIComponent(m[1]));
      return v ? [200, volumeOut(v)] : [404, { message: `get ${m[1]}: no such volume` }];
    },
  ],
  [
    'DELETE',
    /^\/volumes\/([^/]+)$/,
    (h, m) => {
      const name = decodeURIComponent(m[1]);
      if (!h.volumes.has(name)) return [404, { message: `get ${name}: no such volume` }];
      h.volumes.delete(name);
      return [204, ''];
    },
  ],
  [
    'GET',
    /^\/images\/json$/,
    (h) => [
      200,
      [...new Set(h.images.values())].map((i) => ({
        Id: i.Id,
        RepoTags: i.RepoTags,
        RepoDigests: [],
        Created: 0,
        Size: i.Size,
        Labels: {},
        Containers: -1,
      })),
    ],
  ],
  [
    'GET',
    /^\/images\/(.+)\/json$/,
    (h, m) => {
      const ref = decodeURIComponent(m[1]);
      const img = findImage(h, ref);
      if (!img) return [404, { message: `No such image: ${ref}` }];
      return [
        200,
        {
          ...img,
          Architecture: 'amd64',
          Os: 'linux',
          Config: { Env: IMAGE_ENV, Cmd: ['sh'], Labels: {} },
          RootFS: { Type: 'layers', Layers: [] },
        },
      ];
    },
  ],
  [
    'POST',
    /^\/images\/(.+)\/tag$/,
    (h, m, q) => {
      const img = findImage(h, decodeURIComponent(m[1]));
      if (!img) return [404, { message: `No such image: ${m[1]}` }];
      const ref = `${q.get('repo')}:${q.get('tag') || 'latest'}`;
      if (!img.RepoTags.includes(ref)) img.RepoTags.push(ref);
      h.images.set(ref, img);
      return [201, ''];
    },
  ],
  [
    'POST',
    /^\/images\/create$/,
    (h, _m, q) => {
      const ref = `${q.get('fromImage')}:${q.get('tag') || 'latest'}`;
      if (!findImage(h, ref))
        return [404, { message: `pull access denied for ${q.get('fromImage')} (simulator)` }];
      return [200, `{"status":"Status: Image is up to date for ${ref}"}\n`];
    },
  ],
  ['GET', /^\/networks$/, () => [200, [{ Name: 'host', Id: 'host', Driver: 'host', Scope: 'local' }]]],
  [
    'GET',
    /^\/networks\/([^/]+)$/,
    (_h, m) =>
      m[1] === 'host' || m[1] === 'bridge'
        ? [200, { Name: m[1], Id: m[1], Driver: m[1], Scope: 'local', Containers: {} }]
        : [404, { message: `network ${m[1]} not found` }],
  ],
  ['GET', /^\/events$/, 'events'],
  [
    'POST',
    /^\/_sim\/reset$/,
    (h) => {
      for (const c of h.containers.values()) clearTimeout(c.healthTimer);
      h.containers.clear();
      h.volumes.clear();
      h.execs.clear();
      return [204, ''];
    },
  ],
];

function withC(h, m, fn) {
  const c = findContainer(h, m[1]);
  if (!c) return [404, { message: `No such container: ${decodeURIComponent(m[1])}` }];
  return fn(c);
}

function events(h, q, req, res) {
  const f = parseFilters(q);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API });
  res.flushHeaders();
  const l = (ev) => {
    if (f.type && !f.type.includes(ev.Type)) return;
    if (f.event && !f.event.some((e) => ev.Action === e || ev.Action.startsWith(`${e}:`))) return;
    if (f.label && !labelsMatch(ev.Actor.Attributes, f.label)) return;
    if (f.container && !f.container.some((c) => ev.id.startsWith(c) || ev.Actor.Attributes.name === c))
      return;
    res.write(`${JSON.stringify(ev)}\n`);
  };
  h.listeners.add(l);
  // Not req's 'close': a request emits it as soon as its (empty) body has been read.
  res.on('close', () => h.listeners.delete(l));
}

function serve(h) {
  return async (req, res) => {
    const url = new URL(req.url, 'http://sim');
    const p = url.pathname.replace(/^\/v\d+\.\d+/, '');
    if (DEBUG) console.error(`sim${h.i}: ${req.method} ${req.url}`);
    const body = req.method === 'POST' ? await readBody(req) : (req.resume(), {});
    for (const [method, re, handler] of routes) {
      if (method !== req.method) continue;
      const m = re.exec(p);
      if (!m) continue;
      if (handler === 'events') return events(h, url.searchParams, req, res);
      if (LATENCY_MS > 0) await sleep(LATENCY_MS);
      const [status, out, type] = await handler(h, m, url.searchParams, body, req, res);
      const isBuf = Buffer.isBuffer(out);
      const text = isBuf ? out : typeof out === 'string' ? out : JSON.stringify(out);
      res.writeHead(status, {
        'Content-Type': type ?? (typeof out === 'string' || isBuf ? 'text/plain' : 'application/json'),
        'Api-Version': API,
        'Content-Length': Buffer.byteLength(text),
      });
      return res.end(req.method === 'HEAD' ? undefined : text);
    }
    console.error(`sim${h.i}: unknown route ${req.method} ${req.url}`);
    const text = JSON.stringify({ message: `simulator: no route for ${req.method} ${p}` });
    res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
}

const servers = [];
for (let i = 1; i <= N; i++) {
  const dir = path.join(root, String(i));
  mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'docker.sock');
  rmSync(sock, { force: true });
  const h = newHost(i);
  const s = http.createServer(serve(h));
  s.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => s.once('error', reject).listen(sock, resolve));
  servers.push(s);
}
console.error(
  `docker-sim: ${N} hosts under ${root} (latency ${LATENCY_MS} ms, healthy after ${HEALTHY_MS} ms)`,
);
const shutdown = () => {
  for (const s of servers) s.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
