/**
 * A directed acyclic graph of addresses: edges point from a node to what it depends on.
 * Cycle detection returns the cycle's path; `walk` visits nodes with bounded concurrency,
 * each only after all its dependencies succeeded, and stops scheduling on the first failure.
 */

export class Dag {
  private readonly deps = new Map<string, Set<string>>();

  add(node: string): void {
    if (!this.deps.has(node)) this.deps.set(node, new Set());
  }

  /** `from` depends on `to`. */
  connect(from: string, to: string): void {
    this.add(from);
    this.add(to);
    this.deps.get(from)!.add(to);
  }

  nodes(): string[] {
    return [...this.deps.keys()];
  }

  dependenciesOf(node: string): string[] {
    return [...(this.deps.get(node) ?? [])];
  }

  dependentsOf(node: string): string[] {
    return this.nodes().filter((n) => this.deps.get(n)!.has(node));
  }

  edges(): [string, string][] {
    const out: [string, string][] = [];
    for (const [n, ds] of this.deps) for (const d of ds) out.push([n, d]);
    return out;
  }

  /** Every cycle found, each as a path that starts and ends with the same node. */
  cycles(): string[][] {
    const state = new Map<string, 'busy' | 'done'>();
    const stack: string[] = [];
    const found: string[][] = [];
    const visit = (n: string): void => {
      const s = state.get(n);
      if (s === 'done') return;
      if (s === 'busy') {
        found.push([...stack.slice(stack.indexOf(n)), n]);
        return;
      }
      state.set(n, 'busy');
      stack.push(n);
      for (const d of [...this.deps.get(n)!].sort()) visit(d);
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of [...this.deps.keys()].sort()) visit(n);
    return found;
  }

  /** Dependencies first; ties broken by name so the order is stable. Assumes no cycle. */
  topoOrder(): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      for (const d of [...this.deps.get(n)!].sort()) visit(d);
      out.push(n);
    };
    for (const n of [...this.deps.keys()].sort()) visit(n);
    return out;
  }

  /** The graph with every edge reversed (for destroying: dependents first). */
  reversed(): Dag {
    const r = new Dag();
    for (const n of this.nodes()) r.add(n);
    for (const [a, b] of this.edges()) r.connect(b, a);
    return r;
  }

  /**
   * Visit every node after its dependencies, at most `parallelism` at a time. After the
   * first failure nothing new starts; running visits finish. Resolves with the outcome
   * of every node: 'ok', 'failed' or 'skipped'.
   */
  async walk(
    parallelism: number,
    visit: (node: string) => Promise<void>,
    shouldStop: () => boolean = () => false,
  ): Promise<{ results: Map<string, 'ok' | 'failed' | 'skipped'>; errors: Map<string, unknown> }> {
    const results = new Map<string, 'ok' | 'failed' | 'skipped'>();
    const errors = new Map<string, unknown>();
    const remaining = new Map<string, number>();
    const dependents = new Map<string, string[]>();
    for (const [n, ds] of this.deps) {
      remaining.set(n, ds.size);
      for (const d of ds) dependents.set(d, [...(dependents.get(d) ?? []), n]);
    }
    const ready = [...remaining]
      .filter(([, c]) => c === 0)
      .map(([n]) => n)
      .sort();
    let running = 0;
    let failed = false;
    return new Promise((resolve) => {
      const pump = (): void => {
        if (shouldStop()) failed = true;
        while (!failed && running < parallelism && ready.length) {
          const n = ready.shift()!;
          running++;
          visit(n).then(
            () => {
              results.set(n, 'ok');
              for (const m of dependents.get(n) ?? []) {
                const c = remaining.get(m)! - 1;
                remaining.set(m, c);
                if (c === 0) ready.push(m);
              }
              running--;
              pump();
            },
            (e: unknown) => {
              results.set(n, 'failed');
              errors.set(n, e);
              failed = true;
              running--;
              pump();
            },
          );
        }
        if (running === 0 && (failed || ready.length === 0)) {
          for (const n of this.deps.keys()) if (!results.has(n)) results.set(n, 'skipped');
          resolve({ results, errors });
        }
      };
      pump();
    });
  }
}
