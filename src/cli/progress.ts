/**
 * Engine events as progress lines (`service.x.container.y["h"]: Creating...`), or as JSON
 * lines on stderr-free stdout in --json mode.
 */
import type { EngineEvent } from '../engine/events.js';
import type { Palette } from './colour.js';

const ING: Record<string, string> = {
  create: 'Creating...',
  replace: 'Replacing...',
  update: 'Modifying...',
  delete: 'Destroying...',
  restart: 'Restarting...',
  run: 'Running...',
};
const ED: Record<string, string> = {
  create: 'Creation complete',
  replace: 'Replacement complete',
  update: 'Modifications complete',
  delete: 'Destruction deferred until commit',
  restart: 'Restart complete',
  run: 'Run complete',
};

export function progressPrinter(
  p: Palette,
  json: boolean,
  write: (s: string) => void,
): (e: EngineEvent) => void {
  return (e) => {
    if (json) {
      write(JSON.stringify({ '@timestamp': new Date().toISOString(), ...e }) + '\n');
      return;
    }
    switch (e.type) {
      case 'refresh':
        write(
          p.dim(
            `Refreshing ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}: ${e.hosts.join(', ')}\n`,
          ),
        );
        break;
      case 'lock-wait':
        write(p.yellow(`Waiting for the state lock held by ${e.holder}...\n`));
        break;
      case 'message':
        write((e.level === 'warning' ? p.yellow('Warning: ') : '') + e.text + '\n');
        break;
      case 'change-start':
        write(`${p.bold(e.address)}: ${ING[e.action] ?? e.action}\n`);
        break;
      case 'change-progress':
        write(`${p.bold(e.address)}: ${e.text}\n`);
        break;
      case 'change-done':
        write(`${p.bold(e.address)}: ${ED[e.action] ?? 'Done'} after ${(e.elapsedMs / 1000).toFixed(1)}s\n`);
        break;
      case 'change-failed':
        write(p.red(`${p.bold(e.address)}: failed: ${e.error.split('\n')[0]}\n`));
        break;
      case 'rollback-start':
        write(p.yellow(p.bold(`Rolling back: ${e.reason.split('\n')[0]}\n`)));
        break;
      case 'rollback-step':
        write(p.yellow(`  rollback: ${e.text}\n`));
        break;
      case 'rollback-done':
        write(e.ok ? p.yellow('Rollback complete.\n') : p.red('Rollback incomplete (see above).\n'));
        break;
    }
  };
}
