#!/usr/bin/env bash
# venv.sh creates .venv at the repo root (if missing) and installs the pinned
# packages in scripts/requirements-test.txt. pip runs again only when that file
# changes: .venv/.requirements.sha256 records the hash of the last good install.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
reqs="$root/scripts/requirements-test.txt"
stamp="$venv/.requirements.sha256"
python=${PYTHON:-python3}

die() { echo "venv.sh: error: $*" >&2; exit 1; }

[ -f "$reqs" ] || die "missing $reqs"
want=$(sha256sum "$reqs" | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv"
  echo "venv.sh: creating $venv" >&2
  "$python" -m venv "$venv" || die "'$python -m venv $venv' failed"
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

rm -f "$stamp"
echo "venv.sh: installing $reqs" >&2
"$venv/bin/python" -m pip install --quiet --require-virtualenv -r "$reqs" \
  || die "pip install -r $reqs failed (see pip output above)"
[ -x "$venv/bin/moto_server" ] || die "$venv/bin/moto_server missing after install"
echo "$want" >"$stamp"
