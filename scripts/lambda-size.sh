#!/usr/bin/env bash
# lambda-size.sh prints the size of the function's artefact: bin/lambda/bootstrap
# (from make build) and that file zipped with deflate level 9, as the CDK packs
# the asset for upload. The README's "Deployment" section quotes both.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/bin/lambda/bootstrap"
[ -x "$bin" ] || { echo "lambda-size.sh: error: no $bin; run make build" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$(dirname "$bin")" && zip -q -X -9 "$tmp/lambda.zip" bootstrap)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
b=$(stat -c %s "$bin")
z=$(stat -c %s "$tmp/lambda.zip")
echo "bootstrap: $b bytes ($(mib "$b"))"
echo "zip:       $z bytes ($(mib "$z"))"
