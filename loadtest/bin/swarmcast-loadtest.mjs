#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so nothing needs building. The event scenario's viewers
// are child processes started with the same loader.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
// Registered after tsx, so it runs first: tsx then resolves the sources the condition selects.
register('./source-condition.mjs', import.meta.url);
await import('../src/cli.ts');
