/** The demo page: a live and a VOD player with stats, a P2P/HTTP chart and an embed snippet. */
import type { SwarmcastStats } from '../src/stats.ts';
import type * as SDK from '../src/index.ts';

declare const Swarmcast: typeof SDK;

const params = new URLSearchParams(location.search);
const tracker = params.get('tracker') ?? `ws://${location.hostname || 'localhost'}:8000`;
const liveSrc = new URL(params.get('src') ?? '/live/sample/master.m3u8', location.href).href;
const vodSrc = new URL(params.get('vod') ?? '/vod/sample/master.m3u8', location.href).href;
const p2p = params.get('p2p') !== 'false';

const FIELDS: Array<[keyof SwarmcastStats | 'p2pShare', string, (stats: SwarmcastStats) => string]> = [
  ['offloadPercent', 'offload', (s) => `${s.offloadPercent.toFixed(1)} %`],
  ['peers', 'peers', (s) => String(s.peers)],
  ['p2pBytes', 'from peers', (s) => bytes(s.p2pBytes)],
  ['httpBytes', 'from origin', (s) => bytes(s.httpBytes)],
  ['uploadedBytes', 'uploaded', (s) => bytes(s.uploadedBytes)],
  ['liveLatency', 'latency', (s) => (s.liveLatency === null ? '—' : `${s.liveLatency.toFixed(1)} s`)],
  ['stalls', 'stalls', (s) => `${s.stalls} (${(s.stalledMs / 1000).toFixed(1)} s)`],
  ['fallbackReason', 'mode', (s) => (s.fallbackReason ? `${s.mode}: ${s.fallbackReason}` : s.mode)],
];

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function mount(name: 'live' | 'vod', src: string): void {
  const video = document.getElementById(`${name}-video`) as HTMLVideoElement;
  const list = document.getElementById(`${name}-stats`)!;
  const canvas = document.getElementById(`${name}-chart`) as HTMLCanvasElement;
  const cells = new Map<string, HTMLElement>();
  for (const [key, label] of FIELDS) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.dataset.stat = key;
    list.append(dt, dd);
    cells.set(key, dd);
  }
  const history: Array<{ p2p: number; http: number }> = [];
  let last = { p2p: 0, http: 0 };
  const player = Swarmcast.createPlayer(video, { src, trackers: tracker ? [tracker] : [], p2p });
  player.on('stats', (stats) => {
    for (const [key, , format] of FIELDS) cells.get(key)!.textContent = format(stats);
    history.push({ p2p: stats.p2pBytes - last.p2p, http: stats.httpBytes - last.http });
    last = { p2p: stats.p2pBytes, http: stats.httpBytes };
    if (history.length > 60) history.shift();
    draw(canvas, history);
  });
  player.on('error', (error) => console.warn(`[swarmcast ${name}]`, error.message));
  (window as unknown as Record<string, unknown>)[`${name}Player`] = player;
}

function draw(canvas: HTMLCanvasElement, history: Array<{ p2p: number; http: number }>): void {
  const context = canvas.getContext('2d')!;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const max = Math.max(1, ...history.map((h) => h.p2p + h.http));
  const barWidth = width / 60;
  history.forEach((h, i) => {
    const x = i * barWidth;
    const p2pHeight = (h.p2p / max) * height;
    const httpHeight = (h.http / max) * height;
    context.fillStyle = '#2f9e44';
    context.fillRect(x, height - p2pHeight, barWidth - 1, p2pHeight);
    context.fillStyle = '#e8590c';
    context.fillRect(x, height - p2pHeight - httpHeight, barWidth - 1, httpHeight);
  });
}

document.getElementById('embed-snippet')!.textContent = `<script src="${new URL('/sdk/swarmcast.min.js', location.href).href}"></script>
<swarmcast-player src="${liveSrc}" tracker="${tracker}" controls muted autoplay></swarmcast-player>

<!-- or, with the API: -->
<video id="video" controls muted playsinline></video>
<script>
  const player = Swarmcast.createPlayer(document.getElementById('video'), {
    src: '${liveSrc}',
    trackers: ['${tracker}'],
  });
  player.on('stats', (s) => console.log(s.offloadPercent + '% from peers'));
</script>`;

mount('live', liveSrc);
mount('vod', vodSrc);
