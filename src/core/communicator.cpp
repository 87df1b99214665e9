#include "smt/core/communicator.h"

#include <algorithm>
#include <cstdlib>

#include "smt/core/error.h"

namespace smt {

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void broadcast(std::string&, int root) const override { check_root(root); }
  std::vector<std::string> allgather(const std::string& bytes) const override { return {bytes}; }
  std::vector<std::string> gather(const std::string& bytes, int root) const override {
    check_root(root);
    return {bytes};
  }
  void reduce_sum(double*, std::size_t, int root) const override { check_root(root); }
  double max(double value) const override { return value; }
  void barrier() const override {}
  [[noreturn]] void abort(int code) const override { std::exit(code); }
  CommStats stats() const override { return {}; }

 private:
  static void check_root(int root) {
    SMT_CHECK(root == 0, "root process ", root, " does not exist in a run of one process");
  }
};

}  // namespace

std::shared_ptr<const Communicator> single_process_communicator() {
  return std::make_shared<const SingleProcess>();
}

int launcher_process_count() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"}) {
    const char* s = std::getenv(v);
    if (s && *s) return std::max(1, std::atoi(s));
  }
  // PMIx launchers that announce only the rank.
  const char* r = std::getenv("PMIX_RANK");
  return r && *r ? 1 : 0;
}

std::string process_name(const Communicator& comm) {
  return str_cat("process ", comm.rank(), " of ", comm.size());
}

void allgather_pieces(const Communicator& comm, const char* mine, std::size_t mine_bytes,
                      const std::vector<std::size_t>& sizes, const PieceSink& sink,
                      const char* what, std::size_t piece) {
  SMT_CHECK(sizes.size() == static_cast<std::size_t>(comm.size()), "sizes of ", sizes.size(),
            " processes' ", what, " for ", comm.size(), " processes");
  SMT_CHECK(piece > 0, "allgather_pieces: pieces of 0 bytes");
  SMT_CHECK(mine_bytes == sizes[static_cast<std::size_t>(comm.rank())], process_name(comm),
            " holds ", mine_bytes, " bytes of the ", what, ", expected ",
            sizes[static_cast<std::size_t>(comm.rank())]);
  std::string buffer;
  buffer.reserve(std::min(piece, *std::max_element(sizes.begin(), sizes.end())));
  for (int r = 0; r < comm.size(); ++r) {
    const std::size_t n = sizes[static_cast<std::size_t>(r)];
    for (std::size_t at = 0; at < n; at += piece) {
      const std::size_t len = std::min(piece, n - at);
      if (r == comm.rank()) {
        sink(r, at, mine + at, len);
        buffer.assign(mine + at, len);
      }
      comm.broadcast(buffer, r);
      if (r == comm.rank()) continue;
      SMT_CHECK(buffer.size() == len, "process ", r, " sent ", buffer.size(), " bytes of the ",
                what, " at ", at, ", expected ", len);
      sink(r, at, buffer.data(), len);
    }
  }
}

}  // namespace smt
