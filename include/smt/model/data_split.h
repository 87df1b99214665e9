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

// Loads from a dataset directory (io/dataset.h) what split_train_eval needs,
// decoding only the chosen subsets where it can. need_eval false: the test
// split is not loaded (eval stays empty unless validation holds images out).
TrainEvalSets load_train_eval(const std::string& dir, const Config& config, const Context& ctx,
                              bool need_eval = true);

// The test split alone (with test-limit's subset), e.g. for embedding it.
ImageSet load_test_split(const std::string& dir, const Config& config, const Context& ctx);

// The distributed mode's share of one process (rank) among `size`.
struct ShardSpec {
  int rank = 0;
  int size = 1;
};

// Images per shard block: shards hold whole blocks of the seeded order, so
// that the whitening moments' fixed 32-image blocks (stages/whitener.h) are
// never split between processes and sum to the single-process bits.
inline constexpr std::size_t kShardBlockImages = 32;

// The images [first, second) of n that `rank` of `size` processes owns:
// contiguous whole blocks of kShardBlockImages (only the last may be
// partial), the blocks split as evenly as possible, earlier ranks taking the
// extra ones. Ranks past the block count own nothing.
std::pair<std::size_t, std::size_t> shard_range(std::size_t n, const ShardSpec& shard);

// "validation (held-out training images)" or "test", for reports.
const char* evaluated_on(const Config& config);

}  // namespace smt
