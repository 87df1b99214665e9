// How the distributed mode deals a set of images to its processes: blocks of
// `block` consecutive images of the seeded order go round-robin, block b to
// process b % processes. Each process thus holds images from all over the
// order: image folders list class by class, and contiguous shards would give
// each process other classes, whose codes differ in density and so in cost.
// Whole blocks keep the whitening moments' fixed 32-image blocks on one
// process (stages/whitener.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace smt {

struct ShardLayout {
  std::size_t total = 0;  // images of the whole set
  std::size_t block = 32;
  int rank = 0;  // the process whose images "local" indices refer to
  int processes = 1;

  // The layout of `total` images over `processes` (rank in 0..processes-1).
  static ShardLayout of(std::size_t total, int rank, int processes, std::size_t block = 32);

  bool whole() const { return processes == 1; }
  std::size_t num_blocks() const { return (total + block - 1) / block; }
  // The images process r holds (the last block may be partial).
  std::size_t count(int r) const;
  std::size_t local_count() const { return count(rank); }
  // The global index of process r's local image `local` (rank's when r is omitted).
  std::size_t global_index(int r, std::size_t local) const {
    const std::size_t p = static_cast<std::size_t>(processes), b = local / block;
    return (b * p + static_cast<std::size_t>(r)) * block + local % block;
  }
  std::size_t global_index(std::size_t local) const { return global_index(rank, local); }
  // The process that holds global image g, and g's index there.
  int owner(std::size_t g) const {
    return static_cast<int>((g / block) % static_cast<std::size_t>(processes));
  }
  std::size_t local_index(std::size_t g) const {
    return (g / block) / static_cast<std::size_t>(processes) * block + g % block;
  }
  // The same layout over `views` augmented images per image, each image's
  // views consecutive (stages/augmented_views.h).
  ShardLayout augmented(std::size_t views) const {
    return ShardLayout{total * views, block * views, rank, processes};
  }

  // Copies bytes [offset, offset + n) of process r's rows (row_bytes bytes
  // each, its local order) to their places in out (total x row_bytes bytes).
  void place(int r, std::size_t offset, const char* data, std::size_t n, std::size_t row_bytes,
             void* out) const;
  // Every process's rows in the global order, written to out (total x
  // row_bytes bytes): parts[r] holds process r's count(r) rows of row_bytes
  // bytes each, in its local order. Throws naming `what` when a part has
  // another size.
  void assemble(const std::vector<std::string>& parts, std::size_t row_bytes, const char* what,
                void* out) const;
};

}  // namespace smt
