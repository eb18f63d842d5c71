#!/usr/bin/env bash
# Verify the README's two commands from a fresh clone, as a new user would:
#   1. clone the repository into an empty folder;
#   2. `make test` there (sets everything up, runs every test);
#   3. `make run` under Xvfb, stopped once the window shows; a screenshot must not be blank.
# Usage: scripts/verify_fresh_clone.sh [WORKDIR]     (prints what it saw; exit 0 when all held)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/ot-fresh-XXXXXX)}"
rm -rf "$work" && mkdir -p "$work"
echo "== clone into $work"
git clone -q "$repo" "$work/ollama-trainer"
cd "$work/ollama-trainer"

echo "== make test"
start=$(date +%s)
make test > "$work/make-test.log" 2>&1 || { tail -50 "$work/make-test.log"; echo "make test FAILED"; exit 1; }
echo "make test passed in $(( $(date +%s) - start )) s; last lines:"
tail -3 "$work/make-test.log"

echo "== make run under Xvfb"
export OLLAMA_TRAINER_HOME="$work/home"
xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
  make run > "'"$work"'/make-run.log" 2>&1 &
  for i in $(seq 1 60); do
    sleep 1
    if command -v xwininfo >/dev/null && xwininfo -root -tree 2>/dev/null | grep -q "Ollama Trainer"; then break; fi
  done
  sleep 5
  import -window root "'"$work"'/make-run.png"
  kill %1; wait || true'
sd=$(convert "$work/make-run.png" -colorspace Gray -format "%[fx:standard_deviation]" info:)
echo "screenshot: $work/make-run.png (pixel standard deviation $sd; 0 is blank)"
awk -v sd="$sd" 'BEGIN { exit !(sd > 0.02) }' || { echo "the window looks blank"; exit 1; }
echo "fresh clone verified"
