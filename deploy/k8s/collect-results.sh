#!/usr/bin/env bash
# An event's shards, gathered from their pods' logs and merged into one report:
#   deploy/k8s/collect-results.sh [results-dir]        (default: loadtest-results)
# Waits until the Job has finished, writes each shard's result (the JSON its pod printed, gzipped
# in base64, between job.yaml's marker lines) to <dir>/shard-<index>.json, then runs
# `swarmcast-loadtest merge` with the ConfigMap's THRESHOLDS into <dir>/merged.json and
# <dir>/merged.html. Exits with merge's status (1: a threshold failed), or 1 without merging when a
# shard left no result (its pod's log says why). NAMESPACE and JOB say where the event ran;
# LOADTEST_CLI how to run the CLI (default: from this checkout; e.g. 'npx swarmcast-loadtest').
set -eo pipefail

namespace=${NAMESPACE:-swarmcast-loadtest}
job=${JOB:-loadtest-event}
dir=${1:-loadtest-results}
if [ -n "$LOADTEST_CLI" ]; then
  read -r -a loadtest <<< "$LOADTEST_CLI"
else
  loadtest=(node "$(dirname "$0")/../../loadtest/bin/swarmcast-loadtest.mjs")
fi
begin='=== swarmcast-loadtest result (gzip, base64) begin ==='
end='=== swarmcast-loadtest result end ==='

kubectl -n "$namespace" get job "$job" > /dev/null
echo "waiting for job/$job in $namespace to finish" >&2
until kubectl -n "$namespace" get job "$job" -o jsonpath='{.status.conditions[?(@.status=="True")].type}' | grep -Eqw 'Complete|Failed'; do
  sleep 10
done
shards=$(kubectl -n "$namespace" get job "$job" -o jsonpath='{.spec.completions}')
configmap=$(kubectl -n "$namespace" get job "$job" -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')

mkdir -p "$dir"
files=()
while read -r pod index; do
  file="$dir/shard-$index.json"
  encoded=$(kubectl -n "$namespace" logs "$pod" \
    | awk -v begin="$begin" -v end="$end" '$0 == end { inside = 0 } inside { print } $0 == begin { inside = 1 }')
  if [ -n "$encoded" ] && printf '%s\n' "$encoded" | base64 -d | gunzip -c > "$file"; then
    files+=("$file")
  else
    rm -f "$file"
    echo "shard $index/$shards left no result: kubectl -n $namespace logs $pod" >&2
  fi
done < <(kubectl -n "$namespace" get pods -l "job-name=$job" \
  -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.annotations.batch\.kubernetes\.io/job-completion-index}{"\n"}{end}' | sort -k2n)

if [ "${#files[@]}" -ne "$shards" ]; then
  echo "${#files[@]} of $shards shards have a result: not merging an event with shards missing" >&2
  exit 1
fi
read -r -a thresholds <<< "$(kubectl -n "$namespace" get configmap "$configmap" -o jsonpath='{.data.THRESHOLDS}')"
merge=(merge "${files[@]}" --out "$dir/merged.json" --report "$dir/merged.html")
if [ "${#thresholds[@]}" -gt 0 ]; then merge+=(--threshold "${thresholds[@]}"); fi
exec "${loadtest[@]}" "${merge[@]}"
