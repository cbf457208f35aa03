#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so nothing needs building. The event scenario's viewers
// are child processes started with the same loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
