import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exitOf, forkChild, killAllChildren, track, TSX_EXEC_ARGV } from '@swarmcast/process';

const dir = mkdtempSync(join(tmpdir(), 'process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function forkEcho(file: string, source: string, execArgv: readonly string[]): ChildProcess {
  const entry = join(dir, file);
  writeFileSync(entry, source);
  return forkChild(entry, { execArgv, label: file });
}

test('forkChild runs a JavaScript entry with no flags and a TypeScript one with TSX_EXEC_ARGV, each over IPC', async () => {
  const children = [
    forkEcho('echo.mjs', "process.once('message', (message) => process.send(message, () => process.disconnect()));\n", []),
    forkEcho('echo.ts', "process.once('message', (message: unknown) => process.send!(message, () => process.disconnect()));\n", TSX_EXEC_ARGV),
  ];
  for (const child of children) child.send({ hello: 1 });
  const replies = await Promise.all(children.map(async (child) => (await once(child, 'message'))[0]));
  assert.deepEqual(replies, [{ hello: 1 }, { hello: 1 }]);
  assert.deepEqual(await Promise.all(children.map(exitOf)), [0, 0]);
});

test('killAllChildren ends every remembered child, and only those', async () => {
  const remembered = [track(spawn('sleep', ['30'])), track(spawn('sleep', ['30']))];
  const other = spawn('sleep', ['30']);
  killAllChildren();
  assert.deepEqual(await Promise.all(remembered.map(exitOf)), ['SIGKILL', 'SIGKILL']);
  assert.equal(other.exitCode ?? other.signalCode, null);
  other.kill('SIGTERM');
  assert.equal(await exitOf(other), 'SIGTERM');
});
