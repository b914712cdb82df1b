// The rules of the house (DESIGN.md §13) that a machine can check: arrows point one way, surfaces →
// domain → repositories → db/shared. `npm run check:deps` runs them on src/ and fails on any error.

if (!process.env.DEPCRUISE_CLASSIC_TYPESCRIPT) {
  // Without it dependency-cruiser cannot read .ts files here and would report no violation at all.
  throw new Error(
    'Run dependency-cruiser through `npm run check:deps` (or `npm run deps:graph`): it needs the ' +
      'TypeScript hook in .dependency-cruiser-typescript.mjs to read this project.',
  );
}

// Folders that hold rules, not pages. They may exist or not; the rules hold for them either way.
const DOMAIN = '^src/(business-id|auth|partners|audit|mail|accounts|certificates)/';
// Entry folders: pages (routes, forms, views and sessions of one kind of visitor each), /pki, and the
// scheduled sweeps (jobs/), which call the domain as a page does.
const SURFACES = '^src/(internet-banking|interactions|demo|landing|pki|jobs)/';
// What everything builds on; these may only use each other.
const FOUNDATIONS = '^src/(shared|db|config)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'Two folders under src/ depend on each other, directly or through other folders. Arrows point ' +
        'one way: move what both need to the lower folder (a domain service, a repository, shared/).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-imports-of-the-root',
      comment:
        'A module in a folder imports a module at the root of src/ (app.ts, server.ts, cli.ts, ...). ' +
        'The root wires the folders together; a folder that reaches back into it closes a cycle that ' +
        'no-folder-cycles cannot see, since to it src/ is one folder holding all the others.',
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'domain-without-http',
      comment:
        'A domain folder imports Fastify or a Fastify plugin. Domain logic is plain functions over a ' +
        'Kysely handle; routes, request and reply live in a surface.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '(^|/)node_modules/(fastify|@fastify/[^/]+)/' },
    },
    {
      name: 'domain-without-views',
      comment:
        'A domain folder imports the view engine (eta) or the view helpers (src/shared/views.ts). ' +
        'Pages are rendered by surfaces.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: ['(^|/)node_modules/eta/', '^src/shared/views\\.ts$'] },
    },
    {
      name: 'domain-without-surfaces',
      comment:
        'A domain folder imports an entry folder (internet-banking, interactions, demo, landing, pki, jobs). Those ' +
        'call the domain, never the other way round.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: SURFACES },
    },
    {
      name: 'oidc-without-surfaces',
      comment:
        'The protocol engine (src/oidc/) imports a surface. It calls the domain; the journey, ' +
        'internet banking and the demo sit on top of it.',
      severity: 'error',
      from: { path: '^src/oidc/' },
      to: { path: '^src/(interactions|internet-banking|demo)/' },
    },
    {
      name: 'resource-api-without-oidc',
      comment:
        'The resource API imports oidc-provider or src/oidc/. It verifies tokens on its own (JWT, ' +
        'DPoP, mTLS binding) so it can run, and be tested, without the authorization server.',
      severity: 'error',
      from: { path: '^src/resource-api/' },
      to: { path: ['(^|/)node_modules/(@types/)?oidc-provider/', '^src/oidc/'] },
    },
    {
      name: 'seed-only-for-seeding',
      comment:
        'Production code imports the seed data (src/db/seed/). Only the seeding code itself and ' +
        'server.ts (which seeds the embedded demo on first start) may; anything else finds what it ' +
        'needs through configuration or a repository.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/db/seed/', '^src/server\\.ts$'] },
      to: { path: '^src/db/seed/' },
    },
    {
      name: 'foundations-without-capabilities',
      comment:
        'src/shared/ or src/db/ imports a capability folder (or a root module such as app.ts). They ' +
        'are what every capability builds on, so they may use only each other and src/config/.',
      severity: 'error',
      from: { path: '^src/(shared|db)/' },
      to: { path: '^src/', pathNot: FOUNDATIONS },
    },
    {
      name: 'no-orphans',
      comment:
        'A module in src/ that nothing imports and that imports nothing: dead code, or an entry ' +
        'point this configuration does not know about yet.',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: '\\.d\\.ts$' },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to no file or installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        'Production code imports a devDependency. The image installs with --omit=dev, so this would ' +
        'fail at run time there; move the package to dependencies or the import out of src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only'],
        pathNot: '(^|/)node_modules/@types/',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` counts: a domain folder that names Fastify's types is coupled to Fastify.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
