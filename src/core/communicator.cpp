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

}  // namespace smt
