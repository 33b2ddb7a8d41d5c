#!/usr/bin/env bash
# Install what the tests and the demo need on a fresh Debian machine, and nothing that is
# already there. Idempotent and quiet when there is nothing to do.
#
#   scripts/install-deps.sh             Debian packages (Ceph RGW, qpdf, poppler, fonts, Java,
#                                       Chromium) + npm ci
#   scripts/install-deps.sh --no-servers  without Ceph, Java and Chromium, which only the tests
#                                         need (the demo needs none of them); alias --no-ceph
#
# Debian packages need root (or sudo); npm ci runs when node_modules is missing or older than
# package-lock.json.
set -euo pipefail

with_ceph=1
for arg in "$@"; do
  case "$arg" in
    --no-ceph | --no-servers) with_ceph=0 ;;
    -h | --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install-deps: unknown option $arg (use --no-servers)" >&2
      exit 2
      ;;
  esac
done

cd "$(dirname "$0")/.."

# package -> a command it provides (empty: check the package database only)
declare -A wanted=(
  [qpdf]=qpdf
  [poppler-utils]=pdftotext
  [fonts-dejavu-core]=
)
if [ "$with_ceph" = 1 ]; then
  wanted[default-jre-headless]=java
  wanted[ceph-mon]=ceph-mon
  wanted[ceph-osd]=ceph-osd
  wanted[radosgw]=radosgw
  # The evidence room's browser tests drive Debian's Chromium (Playwright's download does not
  # reach every network).
  wanted[chromium]=chromium
fi

missing=()
for package in "${!wanted[@]}"; do
  command_name="${wanted[$package]}"
  if [ -n "$command_name" ] && command -v "$command_name" >/dev/null 2>&1; then continue; fi
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then continue; fi
  # Any Java 17+ will do for DynamoDB Local; do not install a second one.
  if [ "$package" = default-jre-headless ] && command -v java >/dev/null 2>&1; then continue; fi
  missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]} and no apt-get here: install them with your package manager" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "install-deps: missing ${missing[*]}: run this script as root" >&2
      exit 1
    fi
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "install-deps: npm ci" >&2
  # The committed lock file lists every platform's optional packages (biome, rollup, esbuild
  # builds), so `npm ci` accepts it as it is and never rewrites it: a clean clone stays clean.
  npm ci --no-audit --no-fund --loglevel=error
  # npm ci does not always touch the folder itself; mark it fresh so the next run stays quiet.
  touch node_modules
fi
