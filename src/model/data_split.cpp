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
              shape[0], "x", shape[1], "x", shape[2],
              "; use --resize S for images of different sizes");
  }
  if (s.size() == 0 && from >= 0) {
    s.height = shape[0];
    s.width = shape[1];
    s.channels = shape[2];
  }
}

// Reads this process's part of the chosen images (shard_layout over their
// seeded order) and only that part; `t` runs from the listing on.
ImageSet load_shard(const SplitListing& split, const SplitSelection& chosen, const ShardSpec& shard,
                    const Config& c, const Context& ctx, const char* what, const Timer& t) {
  const ShardLayout layout =
      shard_layout(chosen.size(), shard, static_cast<std::size_t>(c.shard_block));
  std::vector<std::size_t> mine(layout.local_count());
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = chosen.indices[layout.global_index(i)];
  ImageSet s = load_split_images(split, mine, load_options(c));
  s.source = chosen.source;
  std::string part;
  if (shard.size > 1) {  // size 1 stays whole
    s.shard = layout;
    part = str_cat(" (process ", shard.rank, " of ", shard.size, ": ", s.size(), " of ",
                   chosen.size(), ", blocks of ", layout.block, " dealt round-robin)");
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

ShardLayout shard_layout(std::size_t n, const ShardSpec& shard, std::size_t block) {
  SMT_CHECK(block > 0 && block % kShardBlockImages == 0, param("shard-block"), " ", block,
            " must be a positive multiple of ", kShardBlockImages);
  return ShardLayout::of(n, shard.rank, shard.size, block);
}

ImageSet take_shard(const ImageSet& whole, const ShardSpec& shard, std::size_t block) {
  const ShardLayout layout = shard_layout(whole.size(), shard, block);
  if (layout.whole()) return whole;
  SMT_CHECK(whole.shard.whole(), "take_shard: '", whole.source, "' is already a shard");
  ImageSet s = whole.empty_like();
  const std::size_t n = layout.local_count(), bytes = whole.image_size();
  s.labels.resize(n);
  s.pixels.resize(n * bytes);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t g = layout.global_index(i);
    s.labels[i] = whole.labels[g];
    std::copy(whole.image(g), whole.image(g) + bytes,
              s.pixels.begin() + static_cast<std::ptrdiff_t>(i * bytes));
  }
  s.shard = layout;
  return s;
}

const char* evaluated_on(const Config& c) {
  return c.validation > 0 ? "validation (held-out training images)" : "test";
}

}  // namespace smt
