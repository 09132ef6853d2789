/**
 * The layers of src/ (docs/ARCHITECTURE.md): a folder imports only from its own layer or a
 * lower one, and nothing imports in a cycle. `npm run lint` runs this
 * (`depcruise src --config .dependency-cruiser.cjs`); test/unit/lint/layers.test.ts checks
 * that an upward import or a cycle makes it fail.
 */
const LAYERS = [
  ['diags', 'addrs', 'lazy', 'package-root\\.ts', 'version\\.ts', 'timing\\.ts'],
  ['config', 'render', 'graph', 'transport', 'secrets'],
  ['expand', 'states'],
  ['providers', 'build'],
  ['plans'],
  ['kinds'],
  ['engine'],
  ['cli'],
  ['commands'],
];

const dir = (names) => `^src/(${names.join('|')})(/|$)`;

const forbidden = LAYERS.slice(0, -1).map((names, i) => ({
  name: `layer-${i}-up`,
  comment: `src/{${names.join(',')}} (layer ${i}) must not import a higher layer`,
  severity: 'error',
  from: { path: dir(names) },
  to: { path: dir(LAYERS.slice(i + 1).flat()) },
}));

forbidden.push({
  name: 'no-cycles',
  comment: 'No import cycles, type-only imports included.',
  severity: 'error',
  from: { path: '^src/' },
  to: { circular: true },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)' },
  },
};
