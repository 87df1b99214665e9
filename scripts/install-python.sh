#!/usr/bin/env bash
# Installs the Python package smt for Debian's /usr/bin/python3: installs the
# Debian packages it needs (scripts/install-deps.sh), builds the extension
# module in build/ and copies the package into that interpreter's
# site-packages (/usr/local/lib/python3.X/dist-packages; with --user, the
# user's site-packages), then checks `import smt` from another directory.
# Nothing is fetched from a Python package index.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=/usr/bin/python3
say() { echo "install-python.sh: $*" >&2; }

user=0
for arg in "$@"; do
  case $arg in
    --user) user=1 ;;
    *) say "unknown option $arg (use --user for the user's site-packages)"; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
if [[ $user == 1 ]]; then
  dest=$("$python" -m site --user-site)
else
  dest=$("$python" -c "import sysconfig; print(sysconfig.get_path('platlib'))")
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMT_BUILD_PYTHON=ON -DSMT_PYTHON_REQUIRED=ON \
  -DPython3_EXECUTABLE="$python" -DSMT_PYTHON_INSTALL_DIR="$dest" >/dev/null
cmake --build build --target smt_python

sudo=()
if ! mkdir -p "$dest" 2>/dev/null || [[ ! -w $dest ]]; then
  if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    say "cannot write $dest; run as root or with --user"
    exit 1
  fi
fi
"${sudo[@]}" cmake --install build --component python >/dev/null
version=$(cd / && "$python" -c "import smt; print(smt.__version__, 'from', smt.__file__)")
say "installed smt $version for $python"
