#!/usr/bin/env bash
# fuzz.sh runs every fuzz target under lambda/ in turn, each for FUZZTIME
# (default 30s). go test -fuzz fuzzes one target at a time: a pattern that
# matches several (FuzzParse also matches FuzzParsePlain) fuzzes none and
# fails, so each target is named exactly, found with go test -list.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${FUZZTIME:-30s}

targets=() # "package target"
names=()   # the targets of the package being listed
while read -r first second _; do
  case $first in
    Fuzz*) names+=("$first") ;;
    ok)
      for n in ${names[@]+"${names[@]}"}; do targets+=("$second $n"); done
      names=()
      ;;
  esac
done < <(go test -list '^Fuzz' ./lambda/...)

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: error: no fuzz targets found under lambda/" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "fuzz.sh: $name in $pkg for $fuzztime"
  go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg"
done
