/**
 * Preloaded into a tracker process (NODE_OPTIONS="--expose-gc --import=<this file>") by tests that
 * measure memory: a full collection every second, so heap figures mean live objects, not garbage
 * V8 has not got round to collecting. Plain JavaScript: it loads before tsx does.
 */
const collect = globalThis.gc;
if (collect) setInterval(collect, 1000).unref();
