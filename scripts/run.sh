#!/usr/bin/env bash
# `make run`: the scheduler process beside the web server; stopping one (Ctrl-C) stops both.
set -euo pipefail
$FLASK scheduler &
scheduler_pid=$!
trap 'kill $scheduler_pid 2>/dev/null || true; wait $scheduler_pid 2>/dev/null || true' EXIT INT TERM
echo "Scheduler started (pid $scheduler_pid). Web server on http://$HOST:$PORT"
$FLASK run --host "$HOST" --port "$PORT" --no-reload
