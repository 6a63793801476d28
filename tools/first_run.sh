#!/bin/bash
# A first run as a new user makes it: a clean clone with a fresh home folder (no pip or model caches),
# `make setup`, then the app (what `make run` starts). Prints the install time, and the time from
# the end of the install to the first page served, to the first cited answer (from the first index
# version served, the quick one on the guard encoder) and to the complete index, with the load average.
# Usage: tools/first_run.sh [REPOSITORY] [BRANCH] [PORT]   (run from anywhere; works in a temp folder)
set -eu
repo=${1:-$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)}
branch=${2:-main}
port=${3:-7871}
work=$(mktemp -d)
git clone -q -b "$branch" "$repo" "$work/clone"
cd "$work/clone"
export HOME="$work/home"
mkdir -p "$HOME"
t0=$(date +%s.%N)
make setup > "$work/setup.log" 2>&1
t1=$(date +%s.%N)
HF_HUB_OFFLINE=1 .venv/bin/python app.py --port "$port" > "$work/app.log" 2>&1 &
app=$!
trap 'kill $app' EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ]; do sleep 0.2; done
t2=$(date +%s.%N)
.venv/bin/python - "$port" <<'PY'
import sys, time
from gradio_client import Client
client = Client(f"http://127.0.0.1:{sys.argv[1]}/", verbose=False)
while True:  # every 3 s: under the app's limit of 30 questions a minute
    try:
        if client.predict("Wat werkte goed bij bewonersinitiatieven?", api_name="/ask")["citations"]:
            break
    except Exception:
        pass
    time.sleep(3)
PY
t3=$(date +%s.%N)
# the complete index (the main encoder's, with its sentence vectors) follows the version answered from
until grep -q "index up to date" "$work/app.log"; do sleep 1; done
t4=$(date +%s.%N)
printf 'install %.0f s; after it: first page %.1f s, first cited answer %.0f s, full index %.0f s; load average %s (logs in %s)\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t3 - $t1" | bc)" "$(echo "$t4 - $t1" | bc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$work"
