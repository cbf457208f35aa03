// Child process entry: bittorrent-tracker's WebSocket server, the reference the bench compares
// against, configured the way a WebTorrent signaling deployment runs it.
import { Server } from 'bittorrent-tracker';

const port = Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be a port number');

const server = new Server({ udp: false, http: false, ws: true, stats: false, trustProxy: false });
// Malformed or unroutable messages are warnings, not crashes; the bench sends none on purpose.
server.on('warning', () => {});
server.on('error', (error: Error) => {
  console.error(`reference tracker: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => console.log(`reference tracker listening on ws://${host}:${port}`));
