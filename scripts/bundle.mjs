#!/usr/bin/env node
// Bundles tsc's output (dist/) and @oclif/core into one CommonJS file, dist/bundle/kolla.cjs,
// which bin/run.js loads. Node 20 resolves, reads and compiles every ES module apart: the
// ~140 modules of kolla and the ~120 of @oclif/core and its dependencies cost a no-op plan
// about 0.3 s before any work is done; one bundled script costs about 0.1 s. oclif finds the
// commands in the bundle's COMMANDS export (package.json: oclif.commands, strategy
// "explicit"). The other dependencies stay in node_modules and are loaded when first needed.
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { asciiEscaped } from './ascii-escape.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

function commandFiles(dir, prefix = []) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(...commandFiles(path.join(dir, e.name), [...prefix, e.name]));
    else if (e.name.endsWith('.js'))
      out.push({ id: [...prefix, e.name.slice(0, -3)].join(':'), file: path.join(dir, e.name) });
  }
  return out;
}

rmSync(path.join(dist, 'bundle'), { recursive: true, force: true });
const commands = commandFiles(path.join(dist, 'commands'));

// A hash of everything tsc wrote: caches that hold kolla's own data structures (the parse
// cache, src/config/parse-cache.ts) are only read back by the build that wrote them.
const buildHash = createHash('sha256');
for (const f of readdirSync(dist, { recursive: true }).map(String).sort()) {
  if (f.endsWith('.js')) buildHash.update(f).update(readFileSync(path.join(dist, f)));
}
const buildId = buildHash.digest('hex').slice(0, 16);
const entry = path.join(dist, 'bundle-entry.js');
writeFileSync(
  entry,
  [
    `export { execute } from '@oclif/core';`,
    `export { normaliseArgv } from './cli/argv.js';`,
    `export { phase } from './timing.js';`,
    ...commands.map((c, i) => `import C${i} from './${path.relative(dist, c.file)}';`),
    `export const COMMANDS = {`,
    ...commands.map((c, i) => `  '${c.id}': C${i},`),
    `};`,
  ].join('\n') + '\n',
);

const external = [
  ...Object.keys(pkg.dependencies).filter((d) => d !== '@oclif/core'),
  // optional or lazily required by @oclif/core, never on kolla's paths
  'typescript',
  'ts-node',
];
try {
  await build({
    entryPoints: [entry],
    outfile: path.join(dist, 'bundle', 'kolla.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external,
    // The modules that find files next to themselves use import.meta.url: in the bundle
    // it is the bundle's own URL (src/package-root.ts walks up from it).
    define: { 'import.meta.url': '__kolla_bundle_url', __KOLLA_BUILD_ID__: JSON.stringify(buildId) },
    banner: { js: `const __kolla_bundle_url = require('node:url').pathToFileURL(__filename).href;` },
    logLevel: 'warning',
  });
} finally {
  rmSync(entry, { force: true });
}
console.log(`dist/bundle/kolla.cjs: ${commands.length} commands`);

// dockerode and its dependencies (~55 modules, 60 ms to load) as a second bundle, loaded by
// src/transport/dockerode-loader.ts when a command first talks to Docker. Two modules kolla
// never uses are left out and required from node_modules only if something calls them:
// dockerode's BuildKit session (gRPC, protobufjs) and docker-modem's SSH support (ssh2).
const lazyModules = { 'dockerode/lib': './session', 'docker-modem/lib': './ssh' };
const lazyStubs = {
  name: 'lazy-stubs',
  setup(b) {
    // dockerode's BuildKit progress decoder (protobufjs, half of the bundle's text), required
    // inside followProgress only: from node_modules when called.
    b.onResolve({ filter: /^\.\/buildkit$/ }, (args) =>
      args.resolveDir.endsWith(path.join('node_modules', 'dockerode', 'lib'))
        ? { path: 'dockerode/lib/buildkit.js', external: true }
        : undefined,
    );
    b.onResolve({ filter: /^\.\/(session|ssh)$/ }, (args) => {
      const dir = Object.keys(lazyModules).find((d) =>
        args.resolveDir.endsWith(path.join('node_modules', d)),
      );
      if (!dir || lazyModules[dir] !== args.path) return undefined;
      return { path: `${dir}/${args.path.slice(2)}.js`, namespace: 'lazy-stub' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-stub' }, (args) => ({
      contents: `module.exports = function () { return require(${JSON.stringify(args.path)}).apply(this, arguments); };`,
      loader: 'js',
    }));
  },
};
await build({
  stdin: { contents: `module.exports = require('dockerode');`, resolveDir: root, loader: 'js' },
  outfile: path.join(dist, 'bundle', 'dockerode.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['dockerode/lib/session.js', 'docker-modem/lib/ssh.js', 'ssh2', 'cpu-features'],
  plugins: [lazyStubs],
  logLevel: 'warning',
});
console.log('dist/bundle/dockerode.cjs');

// yaml, nunjucks, diff and tar-fs (~200 modules, 50–100 ms each to require from
// node_modules) as a third bundle, loaded through the code cache by src/lazy/modules.ts
// when a run first needs one of them; each package is evaluated when it is first asked for.
await build({
  stdin: {
    contents: [
      `exports.yaml = () => require('yaml');`,
      `exports.nunjucks = () => require('nunjucks');`,
      `exports.diff = () => require('diff');`,
      `exports.tarFs = () => require('tar-fs');`,
    ].join('\n'),
    resolveDir: root,
    loader: 'js',
  },
  outfile: path.join(dist, 'bundle', 'libs.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // nunjucks' file watching (never used: kolla renders once)
  external: ['chokidar', 'fsevents'],
  logLevel: 'warning',
});
console.log('dist/bundle/libs.cjs');

// Every bundle all ASCII: src/lazy/code-cache.ts then reads it as Latin-1 (3 ms for 1.5 MB)
// instead of decoding UTF-8 (~16 ms), and V8 keeps it as a one-byte string. esbuild escapes
// strings itself but not regular expression literals or the comments it keeps. A \uXXXX
// escape of a character means the same there, in strings and in identifiers, except right
// after a backslash (`\é` would become a backslash and "u00e9"), for an astral character
// (half a surrogate pair is no identifier escape) and in a template literal (a tagged
// template reads its raw text). A file with any of those is left as it is: UTF-8, correct,
// ~16 ms slower to load, and the build says so.
for (const name of ['kolla.cjs', 'dockerode.cjs', 'libs.cjs']) {
  const file = path.join(dist, 'bundle', name);
  const text = readFileSync(file, 'utf8');
  const r = asciiEscaped(text);
  if (r.unsafe !== undefined) {
    const line = text.slice(0, r.unsafe).split('\n').length;
    console.warn(
      `dist/bundle/${name}: left as UTF-8 (line ${line} has a character that no \\u escape can stand for there)`,
    );
  } else if (r.text !== text) writeFileSync(file, r.text);
}
