#!/usr/bin/env bash
# Runs benches/peers.rs one scenario per process: fastrace's collector and
# `tracing`'s registry keep memory the allocator does not give back, and one
# process for every scenario outgrew this machine's 24 GB. The verdict on
# lost spans is each process's own; the tables come from
# `python3 benches/report.py` afterwards, as for a single run.
#
#   bash benches/peers.sh [criterion options, e.g. --measurement-time 5]
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/toolchain.sh
cargo bench --features test-util,tracing --bench peers --no-run 2>/dev/null
status=0
for scenario in \
  'sampled sync, one int attribute' "sampled sync, one int attribute, caller's tracestate" \
  'sampled sync, four attributes' \
  'sampled async, one poll' 'sampled async, ten polls' 'error path' 'nesting depth 3' \
  'threads sharing one provider' 'tracing #\[instrument\], one int attribute' \
  'tracing DEBUG span, filtered out' 'compiled out' 'child of an unsampled parent'; do
  cargo bench --features test-util,tracing --bench peers -- "^$scenario/" "$@" || status=1
done
cargo bench --bench no_provider -- "$@" || status=1
exit $status
