/**
 * Bundles a service's entry (`tracker/src/main.ts`, `origin/src/main.ts`) into one ES module for
 * its image: the workspace packages it imports (`@swarmcast/*`, TypeScript sources that the
 * runtime image does not have) go into the bundle; npm dependencies and Node's modules stay
 * imports, installed in the runtime stage by `npm ci -w <service>`.
 *   tsx scripts/bundle-service.ts <entry> <outfile>
 */
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: tsx scripts/bundle-service.ts <entry.ts> <outfile.js>');
  process.exit(2);
}

const WORKSPACE_OR_RELATIVE = /^(\.|\/|@swarmcast\/)/;

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['swarmcast-source'],
  logLevel: 'warning',
  plugins: [
    {
      name: 'npm-dependencies-external',
      setup(bundle) {
        bundle.onResolve({ filter: /.*/ }, (args) =>
          args.kind === 'entry-point' || WORKSPACE_OR_RELATIVE.test(args.path) ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
