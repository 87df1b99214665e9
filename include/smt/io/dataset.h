// Loading a dataset split from a directory, its format detected from the files.
#pragma once

#include <cstdint>
#include <string>

#include "smt/core/image_set.h"

namespace smt {

// Choices that only some formats have.
struct LoadOptions {
  bool cifar100_coarse = false;  // CIFAR-100: the 20 superclasses instead of the 100 classes
  // > 0: keep apply_limit(set, limit, limit_seed)'s subset, the same images in
  // the same order; an image folder then decodes only those files.
  std::int64_t limit = 0;
  std::uint64_t limit_seed = 0;
};

// Reads the training (train=true) or test split from `dir`. Formats, tried in
// this order:
//  - MNIST IDX files (raw or .gz), in `dir` or `dir`/mnist (idx_reader.h);
//  - CIFAR-10 binary batches, in `dir` or `dir`/cifar-10-batches-bin (cifar_reader.h);
//  - CIFAR-100 binary train.bin/test.bin, in `dir` or `dir`/cifar-100-binary;
//  - an image folder `dir`/train/<class>/*, `dir`/test/<class>/* (image_folder.h).
// Throws naming the directory and every format looked for when none matches.
ImageSet load_split(const std::string& dir, bool train, const LoadOptions& options);
ImageSet load_split(const std::string& dir, bool train);

// Keeps a seeded random subset of `limit` images (limit <= 0 or >= size()
// keeps all), balanced over the classes: every class gets the same number of
// images, or all of its images when it has fewer, and the slots that do not
// divide evenly go to classes drawn with the seed. The kept images stay in
// their original relative order. The choice depends only on the labels,
// `limit` and `seed` (core/rng.h: a named stream, explicit bounded draws), so it is
// the same on every platform.
void apply_limit(ImageSet& set, std::int64_t limit, std::uint64_t seed);

// Moves a seeded, class-balanced choice of n images out of `set` into the
// returned validation set (both keep their relative order): image folders
// list images class by class, so "the last n" would be the last classes.
ImageSet hold_out(ImageSet& set, std::size_t n, std::uint64_t seed);
// The images hold_out would move (mask[i] = 1), from the labels alone.
std::vector<char> hold_out_choice(const std::vector<int>& labels, int num_classes, std::size_t n,
                                  std::uint64_t seed, const std::string& source);

}  // namespace smt
