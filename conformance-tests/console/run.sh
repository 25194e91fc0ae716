#!/usr/bin/env bash
# The console at /_nimbus/ui in a real browser: builds a small cloud with boto3, loads
# the Resources, Alarms and a Dashboard page in headless Chromium (Debian's package,
# installed if missing), checks the rendered DOM and keeps screenshots in
# conformance-tests/.work/console/.
#   NIMBUS_ENDPOINT=http://127.0.0.1:PORT conformance-tests/console/run.sh
# With CONSOLE_CLOUD=cloud.json it renders a cloud built elsewhere instead (the Terraform
# config `console` does), its screenshots in .work/CONSOLE_NAME (default console).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$here/../.work/${CONSOLE_NAME:-console}"
rm -rf "$work"
mkdir -p "$work"
: "${NIMBUS_ENDPOINT:?set NIMBUS_ENDPOINT to a running nimbus}"
python="${PYTHON:-$here/../.venv/bin/python}"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium"
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }) >/dev/null 2>&1 || true
    browser="$(command -v chromium || true)"
fi
[ -n "$browser" ] || { echo "chromium is needed for the console check (or set SKIP_CONSOLE=1)"; exit 1; }
"$browser" --version

if [ -n "${CONSOLE_CLOUD:-}" ]; then
    cp "$CONSOLE_CLOUD" "$work/cloud.json"
else
    "$python" "$here/build_cloud.py" > "$work/cloud.json"
fi
field() { "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/cloud.json" "$1"; }
region="$(field region)"
dashboard="$(field dashboard)"
base="$NIMBUS_ENDPOINT/_nimbus/ui/?account=000000000000&region=$region"

chrome() {
    "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
        --user-data-dir="$work/profile" --window-size=1400,1000 --virtual-time-budget=5000 "$@" 2>>"$work/chromium.log"
}
pages=(network "#/network" alarms "#/alarms" dashboard "#/dashboards/$dashboard")
args=()
for ((i = 0; i < ${#pages[@]}; i += 2)); do
    name="${pages[i]}"
    url="$base${pages[i + 1]}"
    chrome --dump-dom "$url" > "$work/$name.html"
    chrome --screenshot="$work/$name.png" "$url" >/dev/null
    [ -s "$work/$name.png" ] || { echo "no screenshot of $name"; exit 1; }
    args+=("$name=$work/$name.html")
done
"$python" "$here/check_dom.py" "$work/cloud.json" "${args[@]}"
echo "screenshots: $work/*.png"
