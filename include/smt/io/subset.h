// Seeded, class-balanced subsets of a labelled set (--train-limit,
// --test-limit, --validation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace smt {

// Marks a seeded choice of `limit` of the images with these labels (mask[i]
// = 1: chosen), balanced over the classes: every class gets the same number
// of images, or all of its images when it has fewer, and the slots that do not
// divide evenly go to classes drawn with the seed. The choice depends only on
// the labels, `limit` and `seed` (core/rng.h: named stream, explicit bounded
// draw), so it is the same on every platform, and it can be made before any
// image is decoded. `num_classes` may be 0 (taken from the labels); `source`
// names the set in the error for a negative label. limit >= labels.size()
// chooses all.
std::vector<char> balanced_choice(const std::vector<int>& labels, int num_classes,
                                  std::size_t limit, std::uint64_t seed, const std::string& source);

// What a subset adds to its set's `source`: " (N images drawn with seed S)".
std::string subset_note(std::size_t n, std::uint64_t seed);
// What a validation hold-out adds to its set's `source`:
// " (N images held out with seed S)".
std::string hold_out_note(std::size_t n, std::uint64_t seed);

}  // namespace smt
