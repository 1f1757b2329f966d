#!/usr/bin/env bash
# with-moto.sh CMD... runs CMD against a throwaway moto server on 127.0.0.1.
#
# It ensures .venv (scripts/venv.sh), starts moto_server on a free port, waits
# until it answers, runs CMD with the AWS environment pointed at it, and always
# stops the server afterwards. CMD's exit status is the script's exit status.
# CREDAUDIT_MOTO_PORT forces the port (otherwise a free one is picked).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "with-moto.sh: error: $*" >&2; exit 1; }

"$root/scripts/venv.sh" || die "could not prepare $root/.venv"

py="$root/.venv/bin/python"
port=${CREDAUDIT_MOTO_PORT:-$("$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')}
url="http://127.0.0.1:$port"

log=$(mktemp "${TMPDIR:-/tmp}/moto.XXXXXX.log")
moto_pid=""

stop_moto() {
  if [ -n "$moto_pid" ] && kill -0 "$moto_pid" 2>/dev/null; then
    kill "$moto_pid" 2>/dev/null || true
    for _ in $(seq 20); do
      kill -0 "$moto_pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -9 "$moto_pid" 2>/dev/null || true
  fi
  if [ -n "$moto_pid" ]; then
    wait "$moto_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap stop_moto EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail_with_log() {
  echo "with-moto.sh: error: $*" >&2
  echo "---- moto_server log ($log) ----" >&2
  cat "$log" >&2 || true
  echo "---- end of moto_server log ----" >&2
  exit 1
}

"$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!

ready=""
for _ in $(seq 60); do
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    wait "$moto_pid" && rc=0 || rc=$?
    moto_pid=""
    fail_with_log "moto_server exited (status $rc) before answering on $url"
  fi
  if "$py" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url/moto-api/" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.5
done
[ -n "$ready" ] || fail_with_log "moto_server did not answer on $url/moto-api/ within 30s"
echo "with-moto.sh: moto_server ready on $url (pid $moto_pid)" >&2

unset AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_ENDPOINT_URL="$url"
export CREDAUDIT_MOTO_URL="$url"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
export NO_PROXY="127.0.0.1${NO_PROXY:+,$NO_PROXY}"
export no_proxy="127.0.0.1${no_proxy:+,$no_proxy}"

status=0
"$@" || status=$?
exit "$status"
