// m3u8-parser ships no types; this declares the part the tests read.
declare module 'm3u8-parser' {
  export interface ParsedSegment {
    uri: string;
    duration: number;
    timeline: number;
    discontinuity?: boolean;
    dateTimeString?: string;
    programDateTime?: number;
  }
  export interface ParsedVariant {
    uri: string;
    attributes: { BANDWIDTH?: number; RESOLUTION?: { width: number; height: number }; CODECS?: string };
  }
  export interface ParsedManifest {
    targetDuration?: number;
    mediaSequence?: number;
    discontinuitySequence?: number;
    endList?: boolean;
    playlistType?: string;
    segments: ParsedSegment[];
    playlists?: ParsedVariant[];
  }
  export class Parser {
    manifest: ParsedManifest;
    push(chunk: string): void;
    end(): void;
  }
}
