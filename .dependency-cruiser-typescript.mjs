// Loaded with `node --import` before dependency-cruiser (see the check:deps script).
//
// dependency-cruiser reads TypeScript through the classic compiler API (typescript < 7) or the
// native API of typescript >= 7.1. The project type-checks with typescript 7.0, which has
// neither, so dependency-cruiser would find no .ts file at all and pass vacuously. The
// devDependency `typescript-classic` (an npm alias of typescript 5.9) is the classic compiler; this
// hook lets dependency-cruiser, and only dependency-cruiser, resolve `typescript` to it. It stops
// the run when no classic compiler can be found rather than let the check pass on nothing.
import { createRequire, registerHooks } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(join(import.meta.dirname, 'package.json'));
const classic = (specifier) => specifier.replace(/^typescript/, 'typescript-classic');

let version;
try {
  version = require(classic('typescript/package.json')).version;
} catch {
  version = undefined;
}
if (!version || Number.parseInt(version, 10) >= 7) {
  console.error(
    `check:deps: dependency-cruiser needs the classic TypeScript compiler (< 7); ` +
      `found ${version ?? 'none'} as typescript-classic. Run npm install (package.json aliases it).`,
  );
  process.exit(2);
}

// .dependency-cruiser.mjs refuses to run without this hook, so a bare `depcruise src` cannot pass
// on nothing.
process.env.DEPCRUISE_CLASSIC_TYPESCRIPT = version;

const isTypeScript = (specifier) => specifier === 'typescript' || specifier.startsWith('typescript/');
const fromDependencyCruiser = (parentURL) =>
  parentURL?.includes('/node_modules/dependency-cruiser/') ?? false;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (isTypeScript(specifier) && fromDependencyCruiser(context.parentURL)) {
      return { url: pathToFileURL(require.resolve(classic(specifier))).href, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
