// Loading a dataset split from a directory, its format detected from the files.
#pragma once

#include <string>

#include "smt/image_set.h"

namespace smt {

// Reads the training (train=true) or test split from `dir`. Supported: MNIST
// IDX files (raw or .gz), in `dir` or in `dir`/mnist. Throws naming the
// directory and the formats looked for when none matches.
ImageSet load_split(const std::string& dir, bool train);

// Keeps the first `limit` images (0 keeps all).
void apply_limit(ImageSet& set, std::int64_t limit);

}  // namespace smt
