#!/usr/bin/env bash
# Installs everything the tests need (Debian packages when missing, npm packages) and runs every
# test. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1 || need+=(python3-sklearn)
/usr/bin/python3 -c 'import msgpack' >/dev/null 2>&1 || need+=(python3-msgpack)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# better-sqlite3 would try to download a prebuilt binary first (it hangs without internet):
# build it from source, with the Node headers this machine has.
npm_config_build_from_source=true npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm run lint
MALGRAM_TEST_CLI=dist node scripts/run-tests.mjs
