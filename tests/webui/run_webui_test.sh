#!/usr/bin/env bash
# Runs the web UI's browser test (webui_test.mjs) from ctest: checks that node and
# Debian's chromium are there (failing with the reason when they are not: a skipped browser
# test must not look like a passing one), installs playwright-core from the committed
# package-lock.json into the build tree (`npm ci`, only when the lock changed), then runs it.
#
#   run_webui_test.sh BIN_DIR WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin_dir="$1"
work_dir="$2"
chromium="${AGORA_CHROMIUM:-/usr/bin/chromium}"

if ! command -v node >/dev/null 2>&1; then
  echo "webui test: FAILED: 'node' is not installed (Debian package nodejs); the browser test cannot run" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "webui test: FAILED: node $(node --version) is too old; playwright-core (tests/webui/package-lock.json) needs node 20 or newer" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "webui test: FAILED: 'npm' is not installed (Debian package npm); cannot install playwright-core" >&2
  exit 1
fi
if [ ! -x "$chromium" ]; then
  echo "webui test: FAILED: no Chromium at $chromium (Debian package chromium; scripts/install-deps installs it)" >&2
  exit 1
fi

deps="$work_dir/node-deps"
mkdir -p "$deps"
if ! cmp -s "$here/package-lock.json" "$deps/package-lock.json" || [ ! -d "$deps/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$deps/"
  echo "webui test: npm ci (playwright-core, pinned by tests/webui/package-lock.json)"
  # playwright-core never downloads a browser; the variable makes sure of it.
  (cd "$deps" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || {
    echo "webui test: FAILED: 'npm ci' could not install playwright-core (is the npm registry reachable?)" >&2
    exit 1
  }
fi

exec node "$here/webui_test.mjs" --bin-dir="$bin_dir" --deps-dir="$deps" \
  --screenshots="$work_dir/webui-screenshots" --chromium="$chromium"
