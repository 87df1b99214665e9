// Loading a dataset split from a directory, its format detected from the files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/io/split_listing.h"

namespace smt {

// Choices that only some formats have.
struct LoadOptions {
  bool cifar100_coarse = false;  // CIFAR-100: the 20 superclasses instead of the 100 classes
  // > 0: keep apply_limit(set, limit, limit_seed)'s subset, the same images in
  // the same order; it is chosen from the labels, so only those are read.
  std::int64_t limit = 0;
  std::uint64_t limit_seed = 0;
  // Image folders: > 0 scales every image's shorter side to this and crops
  // the centre square (image_resize.h), so images of different sizes form
  // one set. Other formats: an error naming the parameter resize.
  int resize = 0;
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

// The split load_split reads, listed from its labels and file names alone
// (split_listing.h), format detected and errors as load_split: CIFAR and
// MNIST read their label bytes, an image folder its directory entries; no
// pixel is read. options.limit does not apply (the listing is of all images).
SplitListing list_split(const std::string& dir, bool train, const LoadOptions& options);

// The images at `indices` (ascending, into the listed split's order) and
// only those: an image folder decodes only their files, CIFAR reads only
// their records, raw IDX seeks to them and gzip IDX inflates through the
// file keeping only them (the readers' headers say what is still checked of
// the rest). The set has the split's num_classes, class_names and source (the
// caller adds a subset's notes); options.limit does not apply. With no
// indices the set is empty: IDX and CIFAR still give the image shape, an
// image folder 0x0x0.
ImageSet load_split_images(const SplitListing& split, const std::vector<std::size_t>& indices,
                           const LoadOptions& options);
// The same after list_split(dir, train, options).
ImageSet load_split_images(const std::string& dir, bool train, const LoadOptions& options,
                           const std::vector<std::size_t>& indices);

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
