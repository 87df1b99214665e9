#!/usr/bin/env bash
# Prints (as the only line on stdout) a directory holding CIFAR-10 in a layout
# `smt --data` reads: an image folder (train/<class>/*.jpg, test/<class>/*.jpg)
# or the official binary batches (cifar-10-batches-bin). Messages go to stderr.
#
#   SMT_DATA_DIR set:   $SMT_DATA_DIR/cifar10-jpeg/cifar10-jpeg.tar.gz is unpacked once into
#                       ${SMT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smt}/cifar10-jpeg
#                       (later calls return at once); else $SMT_DATA_DIR/cifar-10-batches-bin
#                       (or $SMT_DATA_DIR itself) holding the official binary batches is used.
#   Otherwise:          the official binary batches in $SMT_CIFAR10_DIR (or its
#                       cifar-10-batches-bin/ subdirectory).
set -euo pipefail

readonly CLASSES=(airplane automobile bird cat deer dog frog horse ship truck)
readonly TRAIN_IMAGES=50000 TEST_IMAGES=10000
readonly BATCHES=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin
                  data_batch_5.bin test_batch.bin)
readonly BATCH_BYTES=30730000  # 10,000 records of 1 label byte + 3072 pixel bytes
readonly HOWTO="download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, unpack it \
(tar -xzf cifar-10-binary.tar.gz) and set SMT_CIFAR10_DIR to the directory holding cifar-10-batches-bin/"

say() { echo "get-cifar10.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
print_dir() { (cd "$1" && pwd -P); }

# True when dir $1 holds all six official batch files, each of the official size.
has_batches() {
  local name size
  [[ -d $1 ]] || return 1
  for name in "${BATCHES[@]}"; do
    [[ -f $1/$name ]] || return 1
    size=$(stat -c %s -- "$1/$name")
    if [[ $size != "$BATCH_BYTES" ]]; then
      say "$1/$name is $size bytes, expected $BATCH_BYTES (10,000 records of 3073 bytes)"
      return 1
    fi
  done
}

# The batch directory in $1 or $1/cifar-10-batches-bin; empty when neither is complete.
find_batches() {
  local d
  for d in "$1/cifar-10-batches-bin" "$1"; do
    if has_batches "$d"; then
      echo "$d"
      return
    fi
  done
}

# Checks that image folder $1 has the ten classes with 50,000 / 10,000 images.
check_folder() {
  local split want class n
  for split in train test; do
    want=$([[ $split == train ]] && echo "$TRAIN_IMAGES" || echo "$TEST_IMAGES")
    for class in "${CLASSES[@]}"; do
      [[ -d $1/$split/$class ]] || die "the archive has no $split/$class/ folder; $2"
    done
    n=$(find "$1/$split" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | wc -l)
    [[ $n == "$want" ]] || die "the archive holds $n $split images, expected $want; $2"
  done
}

# Unpacks tarball $1 into the cache once; prints the cache directory.
unpack_jpeg() {
  local tarball=$1 cache dir
  cache=${SMT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smt}
  dir=$cache/cifar10-jpeg
  # The marker is written last, inside the staging directory: its presence
  # means the rename of a complete tree happened.
  if [[ -f $dir/.complete ]]; then
    print_dir "$dir"
    return
  fi
  command -v tar >/dev/null 2>&1 || die "tar is needed to unpack $tarball"
  mkdir -p "$cache"
  # The staging dir sits next to the target so the final mv is an atomic rename.
  tmp=$(mktemp -d "$cache/.cifar10-jpeg.tmp.XXXXXX")  # global: the EXIT trap removes it
  trap 'rm -rf "$tmp"' EXIT
  say "unpacking $tarball into $dir (once)"
  mkdir "$tmp/tree"
  tar --no-same-owner -xzf "$tarball" -C "$tmp/tree" || die "cannot unpack $tarball (corrupt archive?)"
  check_folder "$tmp/tree" "replace $tarball with an intact copy"
  date -u +%FT%TZ >"$tmp/tree/.complete"
  # A leftover partial directory is moved aside so the rename can take its place.
  [[ -e $dir ]] && mv -- "$dir" "$tmp/stale"
  if ! mv -T -- "$tmp/tree" "$dir" 2>/dev/null; then
    # Another run may have installed it concurrently; fine if it is complete.
    [[ -f $dir/.complete ]] || die "cannot move the unpacked images into $dir"
  fi
  say "CIFAR-10 (JPEG image folder) ready in $dir"
  print_dir "$dir"
}

if [[ -n ${SMT_DATA_DIR:-} ]]; then
  tarball=$SMT_DATA_DIR/cifar10-jpeg/cifar10-jpeg.tar.gz
  if [[ -f $tarball ]]; then
    unpack_jpeg "$tarball"
    exit 0
  fi
  dir=$(find_batches "$SMT_DATA_DIR")
  [[ -n $dir ]] && { print_dir "$dir"; exit 0; }
  die "SMT_DATA_DIR=$SMT_DATA_DIR holds neither cifar10-jpeg/cifar10-jpeg.tar.gz nor the" \
      "official binary batches (${BATCHES[*]}) in cifar-10-batches-bin/; put them there, or" \
      "unset SMT_DATA_DIR and $HOWTO"
fi

if [[ -n ${SMT_CIFAR10_DIR:-} ]]; then
  dir=$(find_batches "$SMT_CIFAR10_DIR")
  [[ -n $dir ]] && { print_dir "$dir"; exit 0; }
  die "SMT_CIFAR10_DIR=$SMT_CIFAR10_DIR holds no complete set of CIFAR-10 binary batches" \
      "(${BATCHES[*]}), there or in cifar-10-batches-bin/; $HOWTO"
fi

die "CIFAR-10 not found: neither SMT_DATA_DIR nor SMT_CIFAR10_DIR is set. To use the official" \
    "binary version, $HOWTO"
