#!/usr/bin/env bash
# The README's main command: installs malgram and runs the main job end to end on the public
# MalbehavD-V1 data set: fetch, ingest, statistics, train, classify (with the starter rules),
# dump what the model learned, explain one verdict, and evaluate with 95% intervals into an HTML
# report (model vs rules vs both, early detection). Each step is one block.
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

step "1/9 install and build"
# build better-sqlite3 from source: its prebuilt download needs the internet
npm_config_build_from_source=true npm ci --no-audit --no-fund
npm run build
mkdir -p "$OUT"

step "2/9 data set MalbehavD-V1 (fetched, SHA-256 verified)"
if [ -z "${MALGRAM_DATASETS_DIR:-}" ] && [ -f ../shared/data/malbehavd-v1.csv ]; then
  export MALGRAM_DATASETS_DIR=../shared/data
fi
DATA="$(malgram datasets fetch malbehavd-v1)"
echo "data set: $DATA" >&2

step "3/9 ingest into $DB (a second run adds nothing: analyses are deduplicated)"
malgram ingest "$DATA" --format csv --db "$DB"

step "4/9 statistics ($OUT/stats.json, chart $OUT/stats.html)"
malgram stats --db "$DB" --json > "$OUT/stats.json"
malgram stats --db "$DB" --chart "$OUT/stats.html"

MODEL="$OUT/malbehavd.model"
step "5/9 train AROW on API 3-grams (log_tf/bin) into $MODEL"
rm -f "$MODEL" # train continues an existing model: start from scratch on every run
malgram train --db "$DB" --method AROW --ngram 3 --sample-weight log_tf --global-weight bin \
  --model "$MODEL" --quiet

step "6/9 classify a few samples (the first 3 and last 3 rows) with the starter rules"
{ head -n 4 "$DATA"; tail -n 3 "$DATA"; } > "$OUT/few.csv"
malgram classify --model "$MODEL" --data "$OUT/few.csv" --format csv --rules rules

step "7/9 the 10 n-grams with the largest weight for the malware label (weight<TAB>feature)"
malgram dump --model "$MODEL" --label 1 --top 10

step "8/9 why the last sample got its verdict: top n-grams and rule hits"
LAST_ID="$(tail -n 1 "$DATA" | cut -d, -f1)"
malgram explain --model "$MODEL" --data "$OUT/few.csv" --format csv --id "$LAST_ID" --top 5 --rules rules

step "9/9 evaluate: 50/50 split (duplicates grouped), 95% intervals, model vs rules vs both, early detection"
malgram eval --db "$DB" --method arow --ngram 3 --split 0.5 --seed 1 --target-fpr 0.01 \
  --rules rules --early 10,25,50,100,200,500,1000 --report "$OUT/report.html" --quiet
echo "report: $OUT/report.html" >&2
