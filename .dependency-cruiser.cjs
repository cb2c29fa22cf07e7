/** Parley's layering, enforced inside `npm test`. See docs/architecture.md. */
const project = '^(fix|gateway|agent|main|renderer|bench|build|test)/';
module.exports = {
  forbidden: [
    {
      name: 'fix-is-standalone',
      comment: 'fix/ is the FIX engine both sides share; it imports nothing else of the project.',
      severity: 'error',
      from: { path: '^fix/' },
      to: { path: project, pathNot: '^fix/' },
    },
    {
      name: 'gateway-not-client',
      comment: 'The gateway never depends on the desktop client.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^(main|renderer)/' },
    },
    {
      name: 'agent-standalone',
      comment: 'The posture agent depends only on fix/-free plain Node; gateway and main import it, not the reverse.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: '^(main|renderer|gateway|fix)/' },
    },
    {
      name: 'renderer-no-node',
      comment: 'The renderer has no Node: it speaks only the preload API.',
      severity: 'error',
      from: { path: '^renderer/', pathNot: '\\.(test|spec)\\.tsx?$|^renderer/vite\\.config\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-only-contract',
      comment: 'From the client core the renderer may import only the shared IPC contract (pure types + schemas).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: project, pathNot: '^renderer/|^main/ipc/contract\\.ts$' },
    },
    {
      name: 'electron-only-in-shell',
      comment: 'Only the thin Electron shell and the preload import electron.',
      severity: 'error',
      from: { pathNot: '^main/shell/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'main-not-gateway-internals',
      comment: 'The client talks to the gateway over FIX/HTTPS only (tests may start a real gateway).',
      severity: 'error',
      from: { path: '^main/', pathNot: '\\.test\\.ts$|^main/testing/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'no-circular',
      comment: 'No module cycle that runs: a cycle made only through type-only imports is erased at run time and allowed (fix/session/ modules name the coordinator type they serve).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules|^out/|^dist/|^\\.tools/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
