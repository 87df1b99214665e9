#include "smt/model/data_split.h"

#include "smt/core/error.h"
#include "smt/io/dataset.h"

namespace smt {

namespace {

ImageSet load(const std::string& dir, bool train, std::int64_t limit, const Context& ctx) {
  Timer t;
  // The subset is chosen while loading, so an image folder decodes only it.
  ImageSet s = load_split(dir, train, LoadOptions{.limit = limit, .limit_seed = ctx.seed});
  ctx.log(str_cat("loaded ", s.size(), train ? " training" : " test", " images (", s.height, "x",
                  s.width, "x", s.channels, ") from ", s.source, " in ", t.seconds(), "s"));
  return s;
}

}  // namespace

TrainEvalSets split_train_eval(ImageSet all_train, ImageSet test, const Config& c) {
  TrainEvalSets out;
  out.train = std::move(all_train);
  if (c.validation > 0) {
    SMT_CHECK(static_cast<std::size_t>(c.validation) < out.train.size(), param("validation"), " ",
              c.validation, " must be smaller than the ", out.train.size(), " training images");
    out.eval = hold_out(out.train, static_cast<std::size_t>(c.validation), c.seed);
    apply_limit(out.eval, c.test_limit, c.seed);
    out.validation = true;
  } else {
    out.eval = std::move(test);
  }
  apply_limit(out.train, c.train_limit, c.seed);
  return out;
}

TrainEvalSets load_train_eval(const std::string& dir, const Config& c, const Context& ctx,
                              bool need_eval) {
  // validation draws its held-out images from the whole training split
  // first, so then the training subset can only be cut afterwards (by
  // split_train_eval); otherwise it is cut while loading.
  ImageSet train = load(dir, true, c.validation > 0 ? 0 : c.train_limit, ctx);
  ImageSet test;
  if (c.validation == 0 && need_eval) test = load(dir, false, c.test_limit, ctx);
  TrainEvalSets sets = split_train_eval(std::move(train), std::move(test), c);
  if (sets.validation)
    ctx.log(str_cat("validation: evaluating on ", sets.eval.size(), " held-out training images"));
  return sets;
}

ImageSet load_test_split(const std::string& dir, const Config& c, const Context& ctx) {
  return load(dir, false, c.test_limit, ctx);
}

std::pair<std::size_t, std::size_t> shard_range(std::size_t n, const ShardSpec& shard) {
  SMT_CHECK(shard.size >= 1 && shard.rank >= 0 && shard.rank < shard.size, "process ", shard.rank,
            " of ", shard.size, " is not a valid shard");
  const std::size_t blocks = (n + kShardBlockImages - 1) / kShardBlockImages;
  const std::size_t p = static_cast<std::size_t>(shard.size), r = static_cast<std::size_t>(shard.rank);
  const std::size_t base = blocks / p, extra = blocks % p;
  const std::size_t b0 = r * base + std::min(r, extra);
  const std::size_t b1 = b0 + base + (r < extra ? 1 : 0);
  return {std::min(n, b0 * kShardBlockImages), std::min(n, b1 * kShardBlockImages)};
}

const char* evaluated_on(const Config& c) {
  return c.validation > 0 ? "validation (held-out training images)" : "test";
}

}  // namespace smt
