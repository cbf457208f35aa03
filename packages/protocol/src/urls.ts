/** `ws://host:port/path?token=…` → `http://host:port/<path>`: the tracker's HTTP side, same host. */
export function trackerHttpUrl(tracker: string, path: string, keep: readonly string[] = []): string {
  const url = new URL(tracker);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = path;
  const kept = new URLSearchParams();
  for (const name of keep) {
    const value = url.searchParams.get(name);
    if (value !== null) kept.set(name, value);
  }
  url.search = kept.toString();
  url.hash = '';
  return url.href;
}
