/**
 * Swarmcast origin vs nginx on the same media folder, same loopback, same load (autocannon).
 * Both servers get one core's worth of process (Node is one event loop; nginx one worker) and
 * neither logs requests; the load generator runs in this process on the other core.
 * Run: npm run bench -w origin   (needs Debian's nginx: apt-get install -y nginx)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, TSX_EXEC_ARGV } from '@swarmcast/testkit';
import autocannon, { type Result } from 'autocannon';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MEDIA_DIR = join(packageDir, 'media');
const STREAM = 'sample';
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_S = 2;
const CONNECTIONS = 32;

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before serving ${url}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  throw new Error(`${url} did not answer within 10 s`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

async function startOrigin(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...TSX_EXEC_ARGV, 'src/main.ts'], {
    cwd: packageDir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', MEDIA_DIR, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitUntilServing(`http://127.0.0.1:${port}/health`, child);
  return child;
}

async function startNginx(port: number, prefix: string): Promise<ChildProcess> {
  const config = `
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; application/json json; }
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location /vod/ {
      alias ${MEDIA_DIR}/;
      add_header Access-Control-Allow-Origin *;
    }
  }
}
`;
  await writeFile(join(prefix, 'nginx.conf'), config);
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitUntilServing(`http://127.0.0.1:${port}/vod/${STREAM}/master.m3u8`, child);
  return child;
}

/** Linux clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far by a process and its children (nginx's worker is the master's child).
 * On this 2-core machine the load generator saturates one core, so req/s alone also measures
 * autocannon; CPU per request measures the server.
 */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const children = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8')).trim();
    for (const child of children ? children.split(' ') : []) seconds += await cpuSeconds(Number(child));
  }
  return seconds;
}

async function load(port: number, paths: string[], seconds: number): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: paths.map((path) => ({ method: 'GET', path })),
  });
}

interface Row {
  workload: string;
  server: string;
  result: Result;
  cpuSeconds: number;
}

async function measure(workload: string, server: string, target: { port: number; pid: number }, paths: string[]): Promise<Row> {
  await load(target.port, paths, WARMUP_S);
  const cpuBefore = await cpuSeconds(target.pid);
  const result = await load(target.port, paths, DURATION_S);
  const cpu = (await cpuSeconds(target.pid)) - cpuBefore;
  if (result.errors || result.non2xx) throw new Error(`${server} ${workload}: ${result.errors} errors, ${result.non2xx} non-2xx responses`);
  return { workload, server, result, cpuSeconds: cpu };
}

function printTable(rows: Row[]): void {
  const header = ['workload', 'server', 'req/s', 'MB/s', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/req'];
  const lines = rows.map(({ workload, server, result, cpuSeconds: cpu }) => [
    workload,
    server,
    result.requests.average.toFixed(0),
    (result.throughput.average / 1e6).toFixed(1),
    result.latency.p50.toFixed(1),
    result.latency.p99.toFixed(1),
    `${((100 * cpu) / result.duration).toFixed(0)}%`,
    ((1e6 * cpu) / result.requests.total).toFixed(0),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  for (const line of [header, ...lines]) console.log(line.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
}

async function main(): Promise<void> {
  const segmentPaths: string[] = [];
  const playlistPaths: string[] = [];
  for (const rendition of ['240p', '360p', '720p']) {
    playlistPaths.push(`/vod/${STREAM}/${rendition}/index.m3u8`);
    for (const name of (await readdir(join(MEDIA_DIR, STREAM, rendition))).filter((file) => file.endsWith('.ts')).sort()) {
      segmentPaths.push(`/vod/${STREAM}/${rendition}/${name}`);
    }
  }
  const livePlaylistPaths = playlistPaths.map((path) => path.replace('/vod/', '/live/'));

  const prefix = await mkdtemp(join(tmpdir(), 'swarmcast-nginx-'));
  const [originPort, nginxPort] = [await freePort(), await freePort()];
  const origin = await startOrigin(originPort);
  const nginx = await startNginx(nginxPort, prefix);
  console.log(`${DURATION_S} s per run after a ${WARMUP_S} s warm-up, ${CONNECTIONS} connections, loopback only; segments = all ${segmentPaths.length} VOD .ts files in turn`);
  const ours = { port: originPort, pid: origin.pid! };
  const theirs = { port: nginxPort, pid: nginx.pid! };
  try {
    const rows: Row[] = [];
    for (const [workload, paths] of [
      ['segments', segmentPaths],
      ['playlists', playlistPaths],
    ] as const) {
      rows.push(await measure(workload, 'swarmcast', ours, [...paths]));
      rows.push(await measure(workload, 'nginx', theirs, [...paths]));
    }
    rows.push(await measure('live playlists', 'swarmcast', ours, livePlaylistPaths));
    printTable(rows);

    for (const workload of ['segments', 'playlists']) {
      const ours = rows.find((row) => row.workload === workload && row.server === 'swarmcast')!;
      const theirs = rows.find((row) => row.workload === workload && row.server === 'nginx')!;
      console.log(`${workload}: swarmcast/nginx req/s = ${(ours.result.requests.average / theirs.result.requests.average).toFixed(2)}, CPU per request ${(ours.cpuSeconds / ours.result.requests.total / (theirs.cpuSeconds / theirs.result.requests.total)).toFixed(1)}× nginx's`);
    }
  } finally {
    await Promise.all([stop(origin), stop(nginx)]);
    await rm(prefix, { recursive: true, force: true });
  }
}

await main();
