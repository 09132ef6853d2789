/**
 * Loading dockerode without its rarely used heavy parts. dockerode requires its BuildKit
 * session module (gRPC + protobufjs) and docker-modem requires ssh2 at load time; together
 * they cost ~0.3 s of every run, although kolla uses neither (it builds with the classic
 * builder and reaches remote engines through its own SSH transport). Both modules are
 * replaced in the require cache by stubs that load the real module on first call.
 *
 * After `npm run build`, dockerode comes from dist/bundle/dockerode.cjs instead: the same
 * modules, with the same two left out, in one script loaded through the code cache
 * (scripts/bundle.mjs), which takes a fifth of the time.
 */
import { createRequire } from 'node:module';
import Module from 'node:module';
import type Dockerode from 'dockerode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadCached } from '../lazy/code-cache.js';

const require = createRequire(import.meta.url);

type ModuleCtor = new (id: string) => NodeJS.Module;

function lazyStub(path: string): void {
  if (require.cache[path]) return;
  const Ctor = Module as unknown as ModuleCtor;
  const stub = new Ctor(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = function lazy(this: unknown, ...args: unknown[]): unknown {
    delete require.cache[path];
    const real = require(path) as (...a: unknown[]) => unknown;
    return real.apply(this, args);
  };
  require.cache[path] = stub;
}

let loaded: typeof Dockerode | undefined;

export function loadDockerode(): typeof Dockerode {
  if (loaded) return loaded;
  const bundled = path.join(packageRoot, 'dist', 'bundle', 'dockerode.cjs');
  if (existsSync(bundled)) {
    loaded = loadCached(bundled) as typeof Dockerode;
    return loaded;
  }
  try {
    const dockerodeMain = require.resolve('dockerode');
    lazyStub(createRequire(dockerodeMain).resolve('./session.js'));
    const modemMain = createRequire(dockerodeMain).resolve('docker-modem');
    lazyStub(createRequire(modemMain).resolve('./ssh.js'));
  } catch {
    // Layout changed: load everything eagerly, which is only slower.
  }
  loaded = require('dockerode') as typeof Dockerode;
  return loaded;
}
