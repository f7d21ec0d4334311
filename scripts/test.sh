#!/usr/bin/env bash
# The whole test suite, as a newcomer and CI run it (after `npm ci`): system packages, format and lint, typecheck,
# the import-direction check, the extension build, then unit, integration and end-to-end tests in
# one node --test run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system-deps.sh
# Formatting and lint (biome.json): fails on a file not formatted or on a lint error, changes nothing.
npx biome ci .
npx tsc --noEmit -p .
npx tsc --noEmit -p bench
# The layers import downward only, and the agent has no import cycles (fails with the imports to fix).
npx tsx scripts/check-imports.ts
if [ -f scripts/build-extension.ts ]; then npm run --silent build; fi

shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/integration/**/*.test.ts test/e2e/**/*.test.ts)
# One process per file, two at a time: integration files each start their own redis-server and workers.
exec node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
