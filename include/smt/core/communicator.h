// The processes of a distributed run (the MPI mode) as the stages see them:
// a rank, a size, and the few collective operations the fit and the k-NN
// need. The library depends only on this interface; the MPI implementation
// lives in smt/mpi/ and is built when CMake finds MPI. A null communicator in
// the Context (the default) is one process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace smt {

// Seconds spent in and bytes sent by collective operations (this process).
struct CommStats {
  double seconds = 0;
  std::uint64_t bytes = 0;
  std::uint64_t calls = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // The processes on this process's machine (this one included): the cores a
  // stage done by one process alone may borrow while the others wait.
  virtual int node_processes() const { return 1; }

  // Every process receives root's bytes (others' `bytes` are replaced).
  virtual void broadcast(std::string& bytes, int root) const = 0;
  // Every process receives every process's bytes, in rank order.
  virtual std::vector<std::string> allgather(const std::string& bytes) const = 0;
  // Root receives every process's bytes in rank order; the others an empty list.
  virtual std::vector<std::string> gather(const std::string& bytes, int root) const = 0;
  // Elementwise sum of every process's data into root's (others' data is
  // scratch afterwards). The additions follow a fixed binary tree over the
  // ranks, not the MPI library's choice, so the bits depend only on size().
  virtual void reduce_sum(double* data, std::size_t n, int root) const = 0;
  // The largest of every process's value, on every process.
  virtual double max(double value) const = 0;
  virtual void barrier() const = 0;

  // Ends every process of the run at once with `code` (after this process
  // reported its error): a collective that another process waits in would
  // otherwise never return.
  [[noreturn]] virtual void abort(int code) const = 0;

  virtual CommStats stats() const = 0;
};

// The communication since construction (nothing for a null communicator),
// for per-stage reports.
class CommMeter {
 public:
  explicit CommMeter(std::shared_ptr<const Communicator> comm)
      : comm_(std::move(comm)), start_(comm_ ? comm_->stats() : CommStats{}) {}
  CommStats elapsed() const {
    if (!comm_) return {};
    const CommStats now = comm_->stats();
    return {now.seconds - start_.seconds, now.bytes - start_.bytes, now.calls - start_.calls};
  }

 private:
  std::shared_ptr<const Communicator> comm_;
  CommStats start_;
};

// A communicator of one process (every operation is a copy or nothing): what
// tests use to run the distributed code paths without MPI.
std::shared_ptr<const Communicator> single_process_communicator();

// The process count an MPI launcher (mpirun, mpiexec, srun) announced to this
// process in its environment; 0 when none started it. Builds without MPI use
// it to refuse to run as one of several processes.
int launcher_process_count();

// "process R of N" for messages.
std::string process_name(const Communicator& comm);

}  // namespace smt
