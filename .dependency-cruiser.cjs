/**
 * The layer rules of docs/architecture.md, checked by `npm test` (npm run deps). Type-only
 * imports count: a layer that may not use another may not know its types either.
 */
const layer = (name, folder, allowed) => ({
  name,
  severity: 'error',
  comment: `src/${folder}/ may import only ${allowed.length === 0 ? 'itself' : allowed.join(', ')}`,
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: [`^src/${folder}/`, ...allowed.map((other) => `^src/${other}/`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles', from: {}, to: { circular: true } },
    layer('domain-is-pure', 'domain', []),
    layer('analysis-uses-domain', 'analysis', ['domain']),
    layer('config-uses-domain', 'config', ['domain']),
    layer('wire-uses-domain', 'wire', ['domain']),
    layer('redis-boundary', 'redis', ['domain']),
    layer('storage-boundary', 'storage', ['domain']),
    layer('engine-orchestrates', 'engine', ['domain', 'analysis', 'redis']),
    layer('services-never-use-engine', 'service', ['domain', 'analysis', 'config', 'redis', 'storage']),
    layer('runner', 'runner', ['domain', 'analysis', 'engine', 'storage']),
    layer('scheduler', 'scheduler', ['domain', 'storage']),
    // Prometheus behind domain/telemetry.ts; the store's counts come in as a function from app.ts.
    layer('metrics-uses-domain', 'metrics', ['domain']),
    // Webhooks: the events are the domain's; where they may go is the Redis targets' network policy.
    layer('notify', 'notify', ['domain', 'redis']),
    layer('http-through-services', 'http', ['domain', 'service', 'wire']),
    {
      name: 'cli-never-uses-storage',
      severity: 'error',
      comment: 'the CLI reaches storage only through app.ts and the services',
      from: { path: '^src/cli/' },
      to: { path: '^src/(storage|runner|scheduler|http)/' },
    },
    {
      name: 'only-app-composes',
      severity: 'error',
      comment: 'app.ts wires everything; nothing but the CLI and main may import it',
      from: { path: '^src/', pathNot: '^src/(cli/|main\\.ts$)' },
      to: { path: '^src/app\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
