#!/usr/bin/env bash
# The README's main command: installs malgram and runs the main job end to end on the public
# MalbehavD-V1 data set. Each step is one block; later steps (train, evaluate, dump, report)
# are added below the last one.
#
# Environment:
#   MALGRAM_OUT            output folder (default ./out)
#   MALGRAM_DATASETS_DIR   a folder holding a copy of the data set (no download then). When unset
#                          and ../shared/data (beside the repository) holds a copy, that is used;
#                          otherwise the file is downloaded once into the user's cache.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${MALGRAM_OUT:-out}"
DB="$OUT/malgram.db"
step() { printf '\n==> %s\n' "$*" >&2; }
malgram() { node bin/malgram.js "$@"; }

step "1/4 install and build"
npm ci --no-audit --no-fund
npm run build
mkdir -p "$OUT"

step "2/4 data set MalbehavD-V1 (fetched, SHA-256 verified)"
if [ -z "${MALGRAM_DATASETS_DIR:-}" ] && [ -f ../shared/data/malbehavd-v1.csv ]; then
  export MALGRAM_DATASETS_DIR=../shared/data
fi
DATA="$(malgram datasets fetch malbehavd-v1)"
echo "data set: $DATA" >&2

step "3/4 ingest into $DB (a second run adds nothing: analyses are deduplicated)"
malgram ingest "$DATA" --format csv --db "$DB"

step "4/4 statistics ($OUT/stats.json, chart $OUT/stats.html)"
malgram stats --db "$DB" --json > "$OUT/stats.json"
malgram stats --db "$DB" --chart "$OUT/stats.html"
