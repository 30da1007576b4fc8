#!/usr/bin/env bash
# check_latency.sh — run the latency benchmark: `xsdoctor check` against the emulator with 50 ms
# on every AWS call, beside the AWS CLI runbook (runbook.sh) against the same endpoint, in one run.
# See README.md. Knobs: N (timed checks, default 20), RUNS (runbook runs, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test ./bench -run '^$' -bench 'CheckVsRunbook' -benchtime "${N:-20}x" -count 1 \
	-runbook-runs "${RUNS:-3}" "$@"
