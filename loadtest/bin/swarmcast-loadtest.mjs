#!/usr/bin/env node
// In this repository the CLI is TypeScript run through tsx, so nothing needs building, and its
// child processes start from the same sources. The published package has no sources: it runs the
// build (dist/, `npm run build`), whose children are built too.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const sources = new URL('../src/cli.ts', import.meta.url);
if (existsSync(sources)) {
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  // Registered after tsx, so it runs first: tsx then resolves the sources the condition selects.
  register('./source-condition.mjs', import.meta.url);
  await import(sources.href);
} else {
  await import('../dist/cli.js');
}
