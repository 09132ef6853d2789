#!/usr/bin/env node
// Entry point: load the bundled CLI (dist/bundle/kolla.cjs, made by `npm run build`: one
// script instead of ~260 modules, compiled through a code cache), normalise Terraform-style
// single-dash flags, then hand over to oclif.
import { fileURLToPath } from 'node:url';
import { loadCached } from '../dist/lazy/code-cache.js';

const kolla = loadCached(fileURLToPath(new URL('../dist/bundle/kolla.cjs', import.meta.url)));
kolla.phase('bundle loaded');
process.argv = [...process.argv.slice(0, 2), ...kolla.normaliseArgv(process.argv.slice(2))];
await kolla.execute({ dir: import.meta.url });
