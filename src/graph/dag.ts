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

  /**
   * The cycles of the graph, one per strongly connected component (so a cycle between two
   * services on many hosts is one cycle, not one per pair of hosts): the shortest path
   * from the component's least node back to itself, e.g. `[a, b, a]`. Stable order.
   */
  cycles(): string[][] {
    const found: string[][] = [];
    for (const scc of this.components()) {
      const start = scc[0]!;
      if (scc.length === 1 && !this.deps.get(start)!.has(start)) continue;
      found.push(this.shortestCycle(start, new Set(scc)));
    }
    return found;
  }

  /** Strongly connected components (Tarjan), each sorted, ordered by their least node. */
  private components(): string[][] {
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const out: string[][] = [];
    const visit = (n: string): void => {
      index.set(n, next);
      low.set(n, next);
      next++;
      stack.push(n);
      onStack.add(n);
      for (const d of [...this.deps.get(n)!].sort()) {
        if (!index.has(d)) {
          visit(d);
          low.set(n, Math.min(low.get(n)!, low.get(d)!));
        } else if (onStack.has(d)) {
          low.set(n, Math.min(low.get(n)!, index.get(d)!));
        }
      }
      if (low.get(n) === index.get(n)) {
        const scc: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          scc.push(m);
        } while (m !== n);
        out.push(scc.sort());
      }
    };
    for (const n of [...this.deps.keys()].sort()) if (!index.has(n)) visit(n);
    return out.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  }

  /** Breadth-first, within `within`, from `start` back to `start`. */
  private shortestCycle(start: string, within: Set<string>): string[] {
    const parent = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const n = queue[i]!;
      for (const d of [...this.deps.get(n)!].sort()) {
        if (!within.has(d)) continue;
        if (d === start) {
          const path = [n];
          for (let p = n; p !== start;) path.push((p = parent.get(p)!));
          return [...path.reverse(), start];
        }
        if (parent.has(d)) continue;
        parent.set(d, n);
        queue.push(d);
      }
    }
    return [start, start]; // not reached: `within` is a component containing a cycle
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
        while (!failed && running < Math.max(1, parallelism) && ready.length) {
          const n = ready.shift()!;
          running++;
          // A visit that throws instead of rejecting still counts as that node failing.
          let started: Promise<void>;
          try {
            started = visit(n);
          } catch (e) {
            started = Promise.reject(e);
          }
          started.then(
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
