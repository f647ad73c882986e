#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: installs what the tests need when it is missing,
# builds, runs `dotnet test` and ends with one line "N passed, N failed[, N skipped]" from the results.
# Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"

# --- test dependencies ------------------------------------------------------------------------------
# Commands the tests call, and the Debian package that provides each.
declare -A NEEDED=(
  [python3]=python3
  [tcpdump]=tcpdump
  [ip]=iproute2
  [setpriv]=util-linux
  [memcached]=memcached
  [memccp]=libmemcached-tools
)
missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
# pymemcache is a Python module, importable from the Debian python3 (/usr/bin/python3) only.
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import pymemcache' >/dev/null 2>&1 || missing+=(python3 python3-pymemcache)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET SDK (dotnet) is required; see global.json for the version" >&2
  exit 2
fi

# --- build and test ---------------------------------------------------------------------------------
results=TestResults
rm -rf "$results"
dotnet build EdgeOS.sln -c Release -nologo -v quiet
status=0
dotnet test EdgeOS.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=$?

# --- summary from the TRX results ---------------------------------------------------------------------
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)
for f in files:
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("total", 0)) - int(c.get("executed", 0))
if not files:
    print("test.sh: no test results were written", file=sys.stderr)
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
