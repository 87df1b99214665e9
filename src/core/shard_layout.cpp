#include "smt/core/shard_layout.h"

#include <algorithm>
#include <cstring>

#include "smt/core/error.h"

namespace smt {

ShardLayout ShardLayout::of(std::size_t total, int rank, int processes, std::size_t block) {
  SMT_CHECK(processes >= 1 && rank >= 0 && rank < processes, "process ", rank, " of ", processes,
            " is not a valid shard");
  SMT_CHECK(block >= 1, "a shard block of 0 images");
  return ShardLayout{total, block, rank, processes};
}

std::size_t ShardLayout::count(int r) const {
  const std::size_t blocks = num_blocks(), p = static_cast<std::size_t>(processes);
  const std::size_t rr = static_cast<std::size_t>(r);
  if (rr >= blocks) return 0;
  const std::size_t mine = (blocks - 1 - rr) / p + 1;
  std::size_t n = mine * block;
  if ((blocks - 1) % p == rr) n -= blocks * block - total;  // holds the partial last block
  return n;
}

void ShardLayout::assemble(const std::vector<std::string>& parts, std::size_t row_bytes,
                           const char* what, void* out) const {
  SMT_CHECK(parts.size() == static_cast<std::size_t>(processes), "expected ", processes,
            " parts of the ", what, ", got ", parts.size());
  for (int r = 0; r < processes; ++r)
    SMT_CHECK(parts[static_cast<std::size_t>(r)].size() == count(r) * row_bytes, "process ", r,
              " sent ", parts[static_cast<std::size_t>(r)].size(), " bytes of the ", what,
              ", expected ", count(r) * row_bytes, " (", count(r), " rows of ", row_bytes, ")");
  for (int r = 0; r < processes; ++r) {
    const std::string& part = parts[static_cast<std::size_t>(r)];
    place(r, 0, part.data(), part.size(), row_bytes, out);
  }
}

void ShardLayout::place(int r, std::size_t offset, const char* data, std::size_t n,
                        std::size_t row_bytes, void* out) const {
  SMT_CHECK(offset + n <= count(r) * row_bytes, "bytes ", offset, "..", offset + n, " of process ",
            r, "'s rows, which hold ", count(r) * row_bytes);
  char* to = static_cast<char*>(out);
  const std::size_t block_bytes = block * row_bytes, p = static_cast<std::size_t>(processes);
  while (n > 0) {
    const std::size_t b = offset / block_bytes, within = offset % block_bytes;
    const std::size_t len = std::min(n, block_bytes - within);
    std::memcpy(to + (b * p + static_cast<std::size_t>(r)) * block_bytes + within, data, len);
    data += len;
    offset += len;
    n -= len;
  }
}

}  // namespace smt
