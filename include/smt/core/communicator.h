// The processes of a distributed run (the MPI mode) as the stages see them:
// a rank, a size, and the few collective operations the fit and the k-NN
// need. The library depends only on this interface; the MPI implementation
// lives in smt/mpi/ and is built when CMake finds MPI. A null communicator in
// the Context (the default) is one process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "smt/core/shard_layout.h"

namespace smt {

// Seconds spent in and bytes sent by collective operations (this process).
struct CommStats {
  double seconds = 0;
  std::uint64_t bytes = 0;
  std::uint64_t calls = 0;
};

namespace detail {
template <typename T>
std::string rows_to_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
template <typename T>
std::vector<T> assemble_rows(const ShardLayout& layout, const std::vector<std::string>& parts,
                             std::size_t row, const char* what) {
  std::vector<T> all(layout.total * row);
  layout.assemble(parts, row * sizeof(T), what, all.data());
  return all;
}
}  // namespace detail

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // The processes on this process's machine (this one included): the cores a
  // stage done by one process alone may borrow while the others wait.
  virtual int node_processes() const { return 1; }
  // The CPUs those processes may run on together (core/cpu_affinity.h);
  // empty where unknown.
  virtual std::vector<int> node_cpus() const { return {}; }

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

// Every process's bytes (process r sends sizes[r]; `mine` is this one's),
// broadcast process by process in pieces of at most `piece` bytes through one
// reused buffer and handed to sink(r, offset, data, n) as they come: the
// only fresh memory a large exchange touches is where the sink puts it
// (first-touch page faults, not the wire, are what such an exchange costs on
// one machine). Throws when a process's part has another size.
using PieceSink = std::function<void(int r, std::size_t offset, const char* data, std::size_t n)>;
void allgather_pieces(const Communicator& comm, const char* mine, std::size_t mine_bytes,
                      const std::vector<std::size_t>& sizes, const PieceSink& sink,
                      const char* what, std::size_t piece = std::size_t{32} << 20);

// A sharded array's rows (`row` values of T each, this process's in its local
// order of `layout`) from every process, in the global order: on every
// process (allgather_rows) or on process 0 (gather_rows; empty elsewhere).
// Throws naming `what` when a process sent another row count.
template <typename T>
std::vector<T> allgather_rows(const Communicator& comm, const ShardLayout& layout,
                              const std::vector<T>& mine, std::size_t row, const char* what) {
  const std::size_t row_bytes = row * sizeof(T);
  std::vector<std::size_t> sizes(static_cast<std::size_t>(layout.processes));
  for (int r = 0; r < layout.processes; ++r)
    sizes[static_cast<std::size_t>(r)] = layout.count(r) * row_bytes;
  std::vector<T> all(layout.total * row);
  allgather_pieces(
      comm, reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(T), sizes,
      [&](int r, std::size_t offset, const char* data, std::size_t n) {
        layout.place(r, offset, data, n, row_bytes, all.data());
      },
      what);
  return all;
}
template <typename T>
std::vector<T> gather_rows(const Communicator& comm, const ShardLayout& layout,
                           const std::vector<T>& mine, std::size_t row, const char* what) {
  const std::vector<std::string> parts = comm.gather(detail::rows_to_bytes(mine), 0);
  if (!comm.is_root()) return {};
  return detail::assemble_rows<T>(layout, parts, row, what);
}

}  // namespace smt
