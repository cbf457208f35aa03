#!/usr/bin/env bash
# Regenerates origin/media/sample: a 30 s synthetic clip as HLS (H.264 + AAC LC, MPEG-TS),
# three renditions, 2 s segments. The output is committed; nothing runs ffmpeg at serve or test
# time. Needs Debian's ffmpeg (apt-get install -y ffmpeg) and fonts-dejavu-core for drawtext.
set -euo pipefail
cd "$(dirname "$0")"

out=sample
duration=30
fps=25
segment=2
gop=$((fps * segment)) # one keyframe per segment so every cut lands exactly on 2 s
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf

rm -rf "$out"
mkdir -p "$out"

# A running clock (clip time, to the frame) and the rendition name are burnt in, so a viewer
# can see the live edge advance, the loop wrap and which rendition is playing.
clock="drawtext=fontfile=${font}:text='%{pts\:hms}':fontsize=64:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h-th-40"
label() { echo "drawtext=fontfile=${font}:text='$1':fontsize=h/12:fontcolor=yellow:box=1:boxcolor=black@0.6:x=20:y=20"; }

ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=${fps}:duration=${duration}" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${duration}" \
  -filter_complex "[0:v]${clock},split=3[a][b][c];\
[a]scale=426:240,$(label 240p)[v240];\
[b]scale=640:360,$(label 360p)[v360];\
[c]$(label 720p)[v720];\
[1:a]asplit=3[a240][a360][a720]" \
  -map '[v240]' -map '[a240]' -map '[v360]' -map '[a360]' -map '[v720]' -map '[a720]' \
  -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p -flags +global_header \
  -g "$gop" -keyint_min "$gop" -sc_threshold 0 \
  -b:v:0 140k -maxrate:v:0 160k -bufsize:v:0 280k \
  -b:v:1 260k -maxrate:v:1 300k -bufsize:v:1 520k \
  -b:v:2 560k -maxrate:v:2 640k -bufsize:v:2 1120k \
  -c:a aac -profile:a aac_low -b:a 48k -ac 2 -ar 48000 \
  -f hls -hls_time "$segment" -hls_playlist_type vod -hls_segment_type mpegts \
  -hls_flags independent_segments \
  -hls_segment_filename "${out}/%v/seg_%03d.ts" \
  -master_pl_name master.m3u8 \
  -var_stream_map "v:0,a:0,name:240p v:1,a:1,name:360p v:2,a:2,name:720p" \
  "${out}/%v/index.m3u8"

du -sh "$out"
