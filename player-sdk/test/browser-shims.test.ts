/**
 * The browser bundles' stand-ins for Node-side modules (scripts/browser-shims), built as the
 * bundles build them (the build's own aliases) and held to what they replace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { build } from 'esbuild';
import { P2PML_FROM_SOURCES } from '../scripts/build.ts';

test("the bundles' SHA-1 (p2p-media-loader-core's) gives noble's digest for the UTF-8 of any string", async () => {
  const built = await build({
    stdin: { contents: "export { sha1 } from '@noble/hashes/legacy.js';", resolveDir: import.meta.dirname },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    alias: P2PML_FROM_SOURCES,
    write: false,
    metafile: true,
  });
  const inputs = Object.keys(built.metafile.inputs);
  assert.ok(!inputs.some((input) => input.includes('@noble')), `noble reached the build: ${inputs.join(', ')}`);
  const bundled: { sha1(bytes: Uint8Array): Uint8Array } = await import(`data:text/javascript,${encodeURIComponent(built.outputFiles[0]!.text)}`);
  const texts = [
    '',
    'abc',
    'swarmcast peer_id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'v2-http://127.0.0.1:8080/live/master.m3u8-main-1',
    'v2-https://cdn.example/événement/日本語/🎥.m3u8-secondary-0',
    'x'.repeat(55),
    'y'.repeat(56),
    'z'.repeat(64),
    'w'.repeat(1000),
    'lone surrogate \ud800 here',
  ];
  for (const text of texts) {
    const bytes = new TextEncoder().encode(text);
    assert.deepEqual(bundled.sha1(bytes), nobleSha1(bytes), `digest of ${JSON.stringify(text.slice(0, 40))}`);
  }
});
