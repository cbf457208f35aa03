// A lockfile for a folder that installs only the packed tarball, cut from the repository's own
// lockfile: `npm ci --offline` then takes every package from npm's cache by its integrity, as the
// checkout's own `npm ci` stored it. (`npm install --offline` would also need each package's
// registry metadata in the cache, which `npm ci` never fetches: on a fresh machine it fails.)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** Where node resolves `name` from the package at `path` (`''` is the root), in the lock's layout. */
function resolveFrom(packages: Lockfile['packages'], path: string, name: string): string | undefined {
  let base = path;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const nested = base.lastIndexOf('/node_modules/');
    base = nested < 0 ? '' : base.slice(0, nested);
  }
}

/**
 * The package.json and package-lock.json of a folder whose one dependency is `tarball`, the packed
 * workspace at `workspace` (its path in the repository's lockfile): the workspace's runtime
 * dependencies and theirs, as the repository's lockfile resolved them.
 */
export function lockForTarball(rootLockPath: string, workspace: string, tarball: string): { manifest: object; lock: object } {
  const { packages } = JSON.parse(readFileSync(rootLockPath, 'utf8')) as Lockfile;
  const own = packages[workspace];
  if (!own?.version) throw new Error(`${workspace} is not a package of ${rootLockPath}`);
  const name = Object.keys(packages).find((path) => packages[path]!.link && packages[path]!.resolved === workspace)!.replace(/^node_modules\//, '');
  const spec = `file:../${basename(tarball)}`;

  // Every package the workspace needs at run time, by its path in the repository's layout.
  const needed = new Set<string>();
  const visit = (from: string, entry: LockEntry) => {
    const names = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dependency of Object.keys(names)) {
      const path = resolveFrom(packages, from, dependency);
      if (path === undefined) {
        if (entry.dependencies?.[dependency]) throw new Error(`${from || 'the root'}: ${dependency} is not in the lockfile`);
        continue; // an optional or peer dependency the repository does not install either
      }
      if (needed.has(path)) continue;
      needed.add(path);
      visit(path, packages[path]!);
    }
  };
  visit(workspace, { dependencies: own.dependencies ?? {}, optionalDependencies: own.optionalDependencies ?? {} });

  const installedAt = `node_modules/${name}`;
  const lockPackages: Record<string, LockEntry> = {
    '': { name: 'empty', version: '1.0.0', dependencies: { [name]: spec } },
    [installedAt]: {
      ...own,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      devDependencies: undefined,
    },
  };
  for (const path of [...needed].sort()) {
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[path]!;
    // The workspace's own nested copies move under the installed package.
    lockPackages[path.startsWith(`${workspace}/`) ? `${installedAt}/${path.slice(workspace.length + 1)}` : path] = entry;
  }
  return {
    manifest: { name: 'empty', version: '1.0.0', private: true, dependencies: { [name]: spec } },
    lock: { name: 'empty', version: '1.0.0', lockfileVersion: 3, requires: true, packages: lockPackages },
  };
}
