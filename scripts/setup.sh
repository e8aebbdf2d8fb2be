#!/usr/bin/env bash
# Installs the Debian packages that building and testing presence needs:
# cmake, g++, make, libcaf-dev (CAF 0.17.6), catch2 and libfmt-dev, plus
# clang-14 and libfuzzer-14-dev for the fuzz target (scripts/fuzz.sh), and
# libssl-dev (CAF's OpenSSL module's headers, for the cluster) and openssl
# (the tests make their TLS certificates with it).
# Idempotent: does nothing when everything is installed already.
set -euo pipefail

packages=(cmake g++ make libcaf-dev catch2 libfmt-dev clang-14 libfuzzer-14-dev
          libssl-dev openssl)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup.sh: missing packages (${missing[*]}) and no apt-get: install them by hand" >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi

echo "setup.sh: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup.sh: done"
