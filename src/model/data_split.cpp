#include "smt/model/data_split.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "smt/core/communicator.h"
#include "smt/core/error.h"
#include "smt/io/dataset.h"
#include "smt/io/split_selection.h"

namespace smt {

namespace {

LoadOptions load_options(const Config& c) {
  LoadOptions o;
  o.resize = c.resize;
  return o;
}

// Reads this process's part of the chosen images (shard_range over their
// seeded order) and only that part; `t` runs from the listing on.
// The processes' shards must hold images of one shape; an empty shard of an
// image folder (nothing decoded) takes the others'. Collective.
void agree_on_shape(ImageSet& s, const Communicator& comm, const char* what) {
  const int mine[3] = {s.height, s.width, s.channels};
  std::string bytes(sizeof(mine), '\0');
  std::memcpy(bytes.data(), mine, sizeof(mine));
  const std::vector<std::string> all = comm.allgather(s.size() > 0 ? bytes : std::string());
  int shape[3] = {0, 0, 0};
  int from = -1;
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (all[r].size() != sizeof(shape)) continue;  // an empty shard
    int theirs[3];
    std::memcpy(theirs, all[r].data(), sizeof(theirs));
    if (from < 0) {
      std::memcpy(shape, theirs, sizeof(shape));
      from = static_cast<int>(r);
      continue;
    }
    SMT_CHECK(std::equal(shape, shape + 3, theirs), "the ", what, " images of process ", r, " are ",
              theirs[0], "x", theirs[1], "x", theirs[2], " but those of process ", from, " are ",
              shape[0], "x", shape[1], "x", shape[2], "; use --resize S for images of different sizes");
  }
  if (s.size() == 0 && from >= 0) {
    s.height = shape[0];
    s.width = shape[1];
    s.channels = shape[2];
  }
}

ImageSet load_shard(const SplitListing& split, const SplitSelection& chosen, const ShardSpec& shard,
                    const Config& c, const Context& ctx, const char* what, const Timer& t) {
  const auto [first, last] = shard_range(chosen.size(), shard);
  const auto begin = chosen.indices.begin();
  const std::vector<std::size_t> mine(begin + static_cast<std::ptrdiff_t>(first),
                                      begin + static_cast<std::ptrdiff_t>(last));
  ImageSet s = load_split_images(split, mine, load_options(c));
  s.source = chosen.source;
  std::string part;
  if (shard.size > 1) {  // size 1 stays whole: offset = total = 0
    s.offset = first;
    s.total = chosen.size();
    part = str_cat(" (process ", shard.rank, " of ", shard.size, ": images ", first, "..", last,
                   " of ", chosen.size(), ")");
  }
  if (ctx.distributed()) agree_on_shape(s, *ctx.comm, what);
  ctx.log(str_cat("loaded ", s.size(), " ", what, " images (", s.height, "x", s.width, "x",
                  s.channels, ")", part, " from ", s.source, " in ", t.seconds(), "s"));
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
                              bool need_eval, const ShardSpec& shard) {
  // The choices of split_train_eval, in its order, on the labels alone.
  const Timer t;
  const SplitListing train_split = list_split(dir, true, load_options(c));
  SplitSelection fit = select_all(train_split);
  SplitSelection held;
  if (c.validation > 0) {
    SMT_CHECK(static_cast<std::size_t>(c.validation) < fit.size(), param("validation"), " ",
              c.validation, " must be smaller than the ", fit.size(), " training images");
    held = hold_out_selection(fit, train_split, static_cast<std::size_t>(c.validation), c.seed);
    limit_selection(held, train_split, c.test_limit, c.seed);
  }
  limit_selection(fit, train_split, c.train_limit, c.seed);

  TrainEvalSets sets;
  sets.train = load_shard(train_split, fit, shard, c, ctx, "training", t);
  if (c.validation > 0) {
    sets.eval = load_shard(train_split, held, shard, c, ctx, "held-out training", Timer{});
    sets.validation = true;
    ctx.log(str_cat("validation: evaluating on ", held.size(), " held-out training images"));
  } else if (need_eval) {
    sets.eval = load_test_split(dir, c, ctx, shard);
  }
  return sets;
}

ImageSet load_test_split(const std::string& dir, const Config& c, const Context& ctx,
                         const ShardSpec& shard) {
  const Timer t;
  const SplitListing split = list_split(dir, false, load_options(c));
  SplitSelection chosen = select_all(split);
  limit_selection(chosen, split, c.test_limit, c.seed);
  return load_shard(split, chosen, shard, c, ctx, "test", t);
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
