import { describe, expect, it } from 'vitest';
import { redactDiagnostics, redactEvents } from '../../src/engine/redact.js';
import { SecretMasker } from '../../src/states/secret-mask.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { makePlan } from '../../src/engine/planner.js';
import { renderPlan } from '../../src/cli/render-plan.js';
import { plain } from '../../src/cli/colour.js';
import type { ConfigInstance } from '../../src/expand/instances.js';

const m = new SecretMasker({ db_password: 'S3cr3t-Value-xyz' });

describe('secrets never reach output', () => {
  it('in diagnostics', () => {
    const [d] = redactDiagnostics(
      [{ severity: 'error', summary: 'bad S3cr3t-Value-xyz', detail: 'x=S3cr3t-Value-xyz' }],
      m,
    );
    expect(JSON.stringify(d)).not.toContain('S3cr3t-Value-xyz');
    expect(d!.summary).toBe('bad (sensitive)');
  });

  it('in progress events (e.g. a failing container log tail)', () => {
    const seen: EngineEvent[] = [];
    redactEvents(
      (e) => seen.push(e),
      m,
    )({ type: 'change-failed', address: 'a', error: 'log: password=S3cr3t-Value-xyz' });
    expect(JSON.stringify(seen)).not.toContain('S3cr3t-Value-xyz');
  });

  it('in a config file diff of the plan, text and --json', () => {
    const inst: ConfigInstance = {
      address: 'service.db.config["my.cnf"]["h"]',
      kind: 'config',
      host: 'h',
      dependsOn: [],
      service: 'db',
      container: 'db',
      name: 'my.cnf',
      path: '/etc/kolla/db/my.cnf',
      content: '[client]\npassword = S3cr3t-Value-xyz\n',
      mode: '0600',
      sensitive: false,
    };
    const plan = makePlan({
      project: 'p',
      kollaVersion: '0',
      instances: [inst],
      prior: {
        version: 1,
        serial: 0,
        lineage: '',
        kolla_version: '0',
        project: 'p',
        resources: [],
        outputs: {},
      },
      world: new Map(),
      masker: m,
      options: { destroy: false, targets: [], replace: [], includeVolumes: false, refreshed: true },
      outputs: { pw: { value: 'S3cr3t-Value-xyz', sensitive: false } },
      variables: [],
    });
    const text = renderPlan(plan, plain);
    expect(text).toContain('password = (sensitive)');
    expect(text).not.toContain('S3cr3t-Value-xyz');
    expect(JSON.stringify(plan)).not.toContain('S3cr3t-Value-xyz');
  });
});
