#!/usr/bin/env bash
# `make run`: the scheduler process beside the web server; stopping one (Ctrl-C) stops both.
# HOST and PORT say where the web server listens; unless BASE_URL is set, links in emails and feeds follow them.
set -euo pipefail
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-5000}"
FLASK="${FLASK:-flask --app coordinator}"
$FLASK scheduler &
scheduler_pid=$!
trap 'kill $scheduler_pid 2>/dev/null || true; wait $scheduler_pid 2>/dev/null || true' EXIT INT TERM
echo "Scheduler started (pid $scheduler_pid). Web server on http://$HOST:$PORT"
if [ -n "${BASE_URL:-}" ]; then echo "Links in emails and feeds start with $BASE_URL (BASE_URL)"; fi
$FLASK run --host "$HOST" --port "$PORT" --no-reload
