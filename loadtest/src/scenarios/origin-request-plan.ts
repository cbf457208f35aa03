// Which URL a simulated viewer asks the origin for next, the way an HLS player does: a live viewer
// reloads its media playlist every target duration and fetches the newest segment; a VOD viewer
// reads its playlist once, then one segment per target duration. Viewers spread over the
// renditions by the ABR mix.
import { fetchText, parseMediaPlaylist, type MediaPlaylist } from '../hls-playlists.ts';
import { parseMasterPlaylist, type Variant } from '../master-playlist.ts';

export interface Rendition {
  variant: Variant;
  /** Live: re-read every target duration by {@link followLiveEdge}, so viewers ask for the newest segment. */
  playlist: MediaPlaylist;
}

/** `name → weight`; absent → the renditions alike. */
export type AbrMix = Map<string, number>;

export async function readRenditions(masterUrl: string, signal: AbortSignal): Promise<Rendition[]> {
  const variants = parseMasterPlaylist(await fetchText(masterUrl, signal), masterUrl);
  return Promise.all(variants.map(async (variant) => ({
    variant,
    playlist: parseMediaPlaylist(await fetchText(variant.url, signal), variant.url),
  })));
}

/** Keeps each rendition's playlist current until `signal` aborts (one small request per rendition per target duration). */
export async function followLiveEdge(renditions: Rendition[], signal: AbortSignal): Promise<void> {
  const periodMs = Math.min(...renditions.map((r) => r.playlist.targetDuration)) * 1000;
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, periodMs));
    await Promise.all(renditions.map(async (rendition) => {
      const text = await fetchText(rendition.variant.url, signal).catch(() => undefined);
      if (text !== undefined) rendition.playlist = parseMediaPlaylist(text, rendition.variant.url);
    }));
  }
}

/** The rendition of each of `viewers` viewers: by cumulative share, so the mix holds at any count. */
export function assignRenditions(renditions: Rendition[], mix: AbrMix | undefined, viewers: number): Rendition[] {
  const weights = renditions.map((r) => (mix ? mix.get(r.variant.name) ?? 0 : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const assigned: Rendition[] = [];
  for (let viewer = 0; viewer < viewers; viewer++) {
    // The viewer's position within the audience, in (0, 1]: it watches the rendition whose share covers it.
    const position = (viewer + 0.5) / viewers;
    let cumulative = 0;
    const index = weights.findIndex((weight) => (cumulative += weight / total) >= position);
    assigned.push(renditions[index === -1 ? renditions.length - 1 : index]!);
  }
  return assigned;
}

/** Requests per second one viewer makes: playlist + segment per target duration live, a segment VOD. */
export function viewerRequestRate(rendition: Rendition, live: boolean): number {
  return (live ? 2 : 1) / rendition.playlist.targetDuration;
}

export class ViewerRequests {
  private requestsMade = 0;

  constructor(
    private readonly rendition: Rendition,
    private readonly live: boolean,
    /** Where this viewer starts in a VOD, so that viewers do not all read segment 0. */
    private readonly vodOffset: number,
  ) {}

  nextUrl(): string {
    const made = this.requestsMade++;
    const { playlist, variant } = this.rendition;
    if (made === 0 || (this.live && made % 2 === 0)) return variant.url;
    const segments = playlist.segments;
    const index = this.live ? segments.length - 1 : (this.vodOffset + made - 1) % segments.length;
    return segments[index]!.url;
  }
}
