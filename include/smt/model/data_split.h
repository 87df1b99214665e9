// Which images a run fits on and which it evaluates on: the training split
// and the test split, or with validation N a seeded, class-balanced choice of
// N training images held out of the fit and evaluated on instead (settings
// are chosen that way, never on the test split). train-limit and test-limit
// then cut seeded class-balanced subsets.
#pragma once

#include <string>
#include <utility>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/image_set.h"

namespace smt {

struct TrainEvalSets {
  ImageSet train;  // the images to fit on (and the k-NN's references)
  ImageSet eval;   // the test split or the held-out validation images
  bool validation = false;
};

// Splits a loaded training split (all of it) by config.validation,
// config.train_limit and config.test_limit (the latter on the held-out
// images); `test` is used as the evaluation set when validation is 0.
TrainEvalSets split_train_eval(ImageSet all_train, ImageSet test, const Config& config);

// The distributed mode's share of one process (rank) among `size`.
struct ShardSpec {
  int rank = 0;
  int size = 1;
};

// Loads from a dataset directory (io/dataset.h) the sets split_train_eval
// would make of the whole splits, reading only the images chosen. Every
// choice (train-limit, validation, test-limit; seeded) is made on the labels
// of the whole splits before any pixel is read, so all processes make the
// same one; then each of the final sets is dealt by shard_layout into the
// processes' parts and only this process's part is read: an undecodable file
// in another process's part does not matter here. A shard's `shard` member
// says which images of the final set it holds; with shard.size == 1 the sets
// are whole and exactly what split_train_eval(load_split(train),
// load_split(test, test-limit)) gives. A shard may be empty (more processes
// than 32-image blocks): an image folder's is then 0x0x0 unless another
// process's shape is known, and the processes' image shapes must agree (use
// --resize otherwise). need_eval false: the test split is not loaded (eval
// stays empty unless validation holds images out). config.resize goes to the
// image-folder reader.
TrainEvalSets load_train_eval(const std::string& dir, const Config& config, const Context& ctx,
                              bool need_eval = true, const ShardSpec& shard = {});

// The test split alone (with test-limit's subset), e.g. for embedding it;
// sharded as load_train_eval's sets.
ImageSet load_test_split(const std::string& dir, const Config& config, const Context& ctx,
                         const ShardSpec& shard = {});

// Shard blocks are whole multiples of this many images, so that the
// whitening moments' fixed 32-image blocks (stages/whitener.h) are never
// split between processes and sum to the single-process bits.
inline constexpr std::size_t kShardBlockImages = 32;

// How n images are dealt to the processes (core/shard_layout.h): blocks of
// `block` images (config.shard_block, a multiple of kShardBlockImages)
// round-robin, shard.rank's view.
ShardLayout shard_layout(std::size_t n, const ShardSpec& shard, std::size_t block);

// The part of an in-memory set that process shard.rank holds (its `shard`
// member set; a copy of the whole set when shard.size == 1): for library
// users who hold the data in memory on every process, and for tests.
ImageSet take_shard(const ImageSet& whole, const ShardSpec& shard, std::size_t block);

// "validation (held-out training images)" or "test", for reports.
const char* evaluated_on(const Config& config);

}  // namespace smt
