// Readers for the binary versions of CIFAR-10 and CIFAR-100
// (https://www.cs.toronto.edu/~kriz/cifar.html).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/io/split_listing.h"

namespace smt {

// Every CIFAR image: 32x32 RGB stored as three planes (all R, then all G,
// then all B), each row-major: 3072 bytes.
inline constexpr int kCifarSide = 32;
inline constexpr std::size_t kCifarPixelBytes = 3 * 32 * 32;
// CIFAR-10 record: 1 label byte + pixels; CIFAR-100: coarse + fine label byte + pixels.
inline constexpr std::size_t kCifar10RecordBytes = 1 + kCifarPixelBytes;
inline constexpr std::size_t kCifar100RecordBytes = 2 + kCifarPixelBytes;

// Reads CIFAR-10 batch files and concatenates their records in the given
// order. Pixels are converted from planes to channel-last. num_classes = 10;
// class_names stay empty. Throws smt::Error naming the file when one is
// missing, empty, not a whole number of 3073-byte records, or has a label
// >= 10.
ImageSet read_cifar10_batches(const std::vector<std::string>& paths);

// Reads one CIFAR-100 file (train.bin or test.bin). Labels are the fine ones
// (100 classes), or with coarse = true the superclasses (20). Throws like
// read_cifar10_batches (record size 3074); both labels are validated
// (coarse < 20, fine < 100) whichever is used.
ImageSet read_cifar100_file(const std::string& path, bool coarse);

// The records at `indices` (ascending; into the files' records in order)
// of the same files: the images the functions above give at those
// positions, read at their records (seeking past the others). Every file's
// size is checked as above; label bytes only of the records read.
ImageSet read_cifar10_batches(const std::vector<std::string>& paths,
                              const std::vector<std::size_t>& indices);
ImageSet read_cifar100_file(const std::string& path, bool coarse,
                            const std::vector<std::size_t>& indices);

// One CIFAR-10 batch or CIFAR-100 file held in memory (`size` bytes at
// `data`), checked and converted like the files above; `name` stands for the
// file in messages and becomes the set's source.
ImageSet read_cifar10_bytes(const std::uint8_t* data, std::size_t size, const std::string& name);
ImageSet read_cifar100_bytes(const std::uint8_t* data, std::size_t size, const std::string& name,
                             bool coarse);

// The directory holding the CIFAR-10 batches: `dir` itself, or its
// cifar-10-batches-bin/ subdirectory (the layout of the official archive);
// "" when neither holds any data_batch_N.bin or test_batch.bin. Never throws.
std::string find_cifar10_dir(const std::string& dir);
// Likewise for CIFAR-100: `dir` or `dir`/cifar-100-binary holding train.bin
// or test.bin.
std::string find_cifar100_dir(const std::string& dir);

// Loads the CIFAR-10 training split (data_batch_1.bin .. data_batch_5.bin, in
// that order) or the test split (test_batch.bin) from `dir` or its
// cifar-10-batches-bin/ subdirectory. Missing batch files are all named in the
// error. Class names come from batches.meta.txt when present (10 non-empty
// lines, trailing blank lines ignored).
ImageSet load_cifar10(const std::string& dir, bool train);

// Loads CIFAR-100 train.bin or test.bin from `dir` or its cifar-100-binary/
// subdirectory, with fine (default) or coarse labels. Class names come from
// fine_label_names.txt / coarse_label_names.txt when present.
ImageSet load_cifar100(const std::string& dir, bool train, bool coarse = false);

// The splits load_cifar10 and load_cifar100 read, listed without their
// pixels (split_listing.h): the files, the label of every record (read at
// the records' positions; every label byte is checked as above) and the
// class names.
SplitListing list_cifar10(const std::string& dir, bool train);
SplitListing list_cifar100(const std::string& dir, bool train, bool coarse);

// Class names from a text file with one name per line: surrounding
// whitespace and blank lines are ignored. Throws naming the file unless it
// holds exactly `expected` names (expected = 0: any number).
std::vector<std::string> read_class_names(const std::string& path, std::size_t expected);

}  // namespace smt
