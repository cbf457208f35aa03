// The tracker's process entry: what an operator sees when it cannot start, and a clean stop.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runEntry } from '@swarmcast/testkit';

const MAIN = fileURLToPath(import.meta.resolve('@swarmcast/tracker/main'));

function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return runEntry(MAIN, { env: { REDIS_URL: '', LOG_LEVEL: 'warn', ...env }, listening: 'tracker listening on' });
}

describe('tracker main', () => {
  test('exits 1 naming the variable on a bad configuration', async () => {
    const { code, output } = await runMain({ PORT: 'eighty' });
    assert.equal(code, 1);
    assert.match(output, /configuration error: PORT="eighty" is invalid/);
  });

  test('says where it listens and stops on SIGTERM', async () => {
    const { code, output } = await runMain({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    assert.equal(code, 0);
    assert.match(output, /tracker listening on ws:\/\/127\.0\.0\.1:\d+ \(memory store\)/);
  });
});
