// SmtStatistics::reduce_to_root: the V and L sums of a distributed fit.
#include <algorithm>
#include <cstring>

#include "smt/core/communicator.h"
#include "smt/core/error.h"
#include "smt/stages/statistics.h"

namespace smt {

namespace {

// Rows of the upper triangle at a time: the packed buffer stays near 32 MB
// whatever K, so the reduction never needs a second K x K matrix.
constexpr std::size_t kPackValues = std::size_t{1} << 22;

// Reduces the upper triangle of the k x k row-major matrix m, row block by
// row block.
void reduce_upper(std::vector<double>& m, std::size_t k, const Communicator& comm, int root) {
  std::vector<double> packed;
  std::size_t r0 = 0;
  while (r0 < k) {
    std::size_t r1 = r0, values = 0;
    while (r1 < k && (values == 0 || values + (k - r1) <= kPackValues)) values += k - r1++;
    packed.resize(values);
    double* p = packed.data();
    for (std::size_t r = r0; r < r1; ++r) p = std::copy(&m[r * k + r], &m[r * k + k], p);
    comm.reduce_sum(packed.data(), values, root);
    if (comm.rank() == root) {
      const double* q = packed.data();
      for (std::size_t r = r0; r < r1; ++r) {
        std::copy(q, q + (k - r), &m[r * k + r]);
        q += k - r;
      }
    }
    r0 = r1;
  }
}

}  // namespace

void SmtStatistics::reduce_to_root(const Communicator& comm, int root) {
  // Every process must hold statistics of the same shape: compare first, so
  // that a mismatch is an error rather than a hang or garbage.
  std::string shape(4 * sizeof(std::int64_t), '\0');
  const std::int64_t mine[4] = {k_, diagonal_v_ ? 1 : 0, static_cast<std::int64_t>(v_.size()),
                                static_cast<std::int64_t>(l_.size())};
  std::memcpy(shape.data(), mine, sizeof(mine));
  const std::vector<std::string> shapes = comm.allgather(shape);
  for (std::size_t r = 0; r < shapes.size(); ++r)
    SMT_CHECK(shapes[r] == shape, "process ", r, " holds statistics of another shape than ",
              process_name(comm));
  const std::size_t k = static_cast<std::size_t>(k_);
  if (diagonal_v_) {
    comm.reduce_sum(v_.data(), v_.size(), root);
  } else {
    reduce_upper(v_, k, comm, root);
  }
  reduce_upper(l_, k, comm, root);
  // Counts: exact in doubles far beyond any image count (2^53).
  double counts[3] = {static_cast<double>(patches_), static_cast<double>(images_),
                      static_cast<double>(columns_)};
  comm.reduce_sum(counts, 3, root);
  if (comm.rank() != root) {
    release();
    patches_ = images_ = columns_ = 0;
    return;
  }
  patches_ = static_cast<std::int64_t>(counts[0]);
  images_ = static_cast<std::int64_t>(counts[1]);
  columns_ = static_cast<std::int64_t>(counts[2]);
}

}  // namespace smt
