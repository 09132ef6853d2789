#!/usr/bin/env node
// Entry point: normalise Terraform-style single-dash flags, then hand over to oclif.
import { execute } from '@oclif/core';
import { normaliseArgv } from '../dist/cli/argv.js';

process.argv = [...process.argv.slice(0, 2), ...normaliseArgv(process.argv.slice(2))];
await execute({ dir: import.meta.url });
