#include "smt/mpi/mpi_session.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "smt/core/cpu_affinity.h"
#include "smt/core/error.h"

namespace smt {

namespace {

// MPI counts are ints: messages go in pieces of at most this many bytes.
constexpr std::size_t kPieceBytes = std::size_t{1} << 28;

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  SMT_THROW("MPI ", what, " failed: ", std::string(text, static_cast<std::size_t>(len)));
}

// Completes a request without spinning: MPI's blocking calls busy-poll,
// which on a node running several processes takes a core from the one that
// is working (process 0 solving the eigenproblem while the others wait, say).
// The sleep grows to 1 ms, a small latency next to the transfers it waits for.
void wait_yielding(MPI_Request& request, const char* what) {
  int done = 0;
  long nanos = 1000;
  check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
  while (!done) {
    timespec ts{0, nanos};
    nanosleep(&ts, nullptr);
    nanos = std::min(nanos * 2, 1000000L);
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
  }
}

void bcast(void* data, int count, MPI_Datatype type, int root) {
  MPI_Request r;
  check_mpi(MPI_Ibcast(data, count, type, root, MPI_COMM_WORLD, &r), "MPI_Ibcast");
  wait_yielding(r, "MPI_Ibcast");
}

void send(const void* data, int count, MPI_Datatype type, int dst, int tag) {
  MPI_Request r;
  check_mpi(MPI_Isend(data, count, type, dst, tag, MPI_COMM_WORLD, &r), "MPI_Isend");
  wait_yielding(r, "MPI_Isend");
}

void recv(void* data, int count, MPI_Datatype type, int src, int tag) {
  MPI_Request r;
  check_mpi(MPI_Irecv(data, count, type, src, tag, MPI_COMM_WORLD, &r), "MPI_Irecv");
  wait_yielding(r, "MPI_Irecv");
}

class WorldCommunicator final : public Communicator {
 public:
  WorldCommunicator() {
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm node;
    check_mpi(
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
    check_mpi(MPI_Comm_size(node, &node_size_), "MPI_Comm_size");
    // The union of the node's processes' CPUs, as a bit mask.
    constexpr int kWords = 16;  // 1024 CPUs
    std::uint64_t mine[kWords] = {};
    for (int c : allowed_cpus())
      if (c < 64 * kWords) mine[c / 64] |= std::uint64_t{1} << (c % 64);
    std::uint64_t all[kWords] = {};
    check_mpi(MPI_Allreduce(mine, all, kWords, MPI_UINT64_T, MPI_BOR, node), "MPI_Allreduce");
    for (int c = 0; c < 64 * kWords; ++c)
      if (all[c / 64] >> (c % 64) & 1) node_cpus_.push_back(c);
    MPI_Comm_free(&node);
  }
  int node_processes() const override { return node_size_; }
  std::vector<int> node_cpus() const override { return node_cpus_; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void broadcast(std::string& bytes, int root) const override {
    const Clock c(*this);
    check_root(root);
    std::uint64_t n = bytes.size();
    bcast(&n, 1, MPI_UINT64_T, root);
    if (rank_ != root) bytes.resize(n);
    for (std::size_t at = 0; at < n; at += kPieceBytes) {
      const int piece = static_cast<int>(std::min<std::size_t>(kPieceBytes, n - at));
      bcast(bytes.data() + at, piece, MPI_BYTE, root);
    }
    if (rank_ == root) stats_.bytes += n * static_cast<std::uint64_t>(size_ - 1);
  }

  std::vector<std::string> allgather(const std::string& bytes) const override {
    std::vector<std::string> all(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      std::string& mine = all[static_cast<std::size_t>(r)];
      if (r == rank_) mine = bytes;
      broadcast(mine, r);
    }
    return all;
  }

  std::vector<std::string> gather(const std::string& bytes, int root) const override {
    const Clock c(*this);
    check_root(root);
    std::vector<std::string> all;
    if (rank_ != root) {
      std::uint64_t n = bytes.size();
      send(&n, 1, MPI_UINT64_T, root, kTagSize);
      for (std::size_t at = 0; at < n; at += kPieceBytes) {
        const int piece = static_cast<int>(std::min<std::size_t>(kPieceBytes, n - at));
        send(bytes.data() + at, piece, MPI_BYTE, root, kTagData);
      }
      stats_.bytes += n;
      return all;
    }
    all.resize(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      std::string& s = all[static_cast<std::size_t>(r)];
      if (r == root) {
        s = bytes;
        continue;
      }
      std::uint64_t n = 0;
      recv(&n, 1, MPI_UINT64_T, r, kTagSize);
      s.resize(n);
      for (std::size_t at = 0; at < n; at += kPieceBytes) {
        const int piece = static_cast<int>(std::min<std::size_t>(kPieceBytes, n - at));
        recv(s.data() + at, piece, MPI_BYTE, r, kTagData);
      }
    }
    return all;
  }

  void reduce_sum(double* data, std::size_t n, int root) const override {
    const Clock c(*this);
    check_root(root);
    // A binomial tree over ranks relative to root: at step s, a rank whose
    // relative index is a multiple of 2s adds its partner's (index + s)
    // partial sum to its own. The tree depends only on size(), so the sum's
    // bits do too.
    constexpr std::size_t kPiece = kPieceBytes / sizeof(double);
    const int me = (rank_ - root + size_) % size_;
    std::vector<double> buf;
    for (int s = 1; s < size_; s <<= 1) {
      if (me % (2 * s) == 0) {
        const int partner = me + s;
        if (partner >= size_) continue;
        const int src = (partner + root) % size_;
        buf.resize(std::min(kPiece, n));
        for (std::size_t at = 0; at < n; at += kPiece) {
          const std::size_t m = std::min(kPiece, n - at);
          recv(buf.data(), static_cast<int>(m), MPI_DOUBLE, src, kTagReduce);
          double* d = data + at;
          for (std::size_t i = 0; i < m; ++i) d[i] += buf[i];
        }
      } else {
        const int dst = (me - s + root) % size_;
        for (std::size_t at = 0; at < n; at += kPiece) {
          const std::size_t m = std::min(kPiece, n - at);
          send(data + at, static_cast<int>(m), MPI_DOUBLE, dst, kTagReduce);
        }
        stats_.bytes += n * sizeof(double);
        break;
      }
    }
  }

  double max(double value) const override {
    const Clock c(*this);
    double out = value;
    MPI_Request r;
    check_mpi(MPI_Iallreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD, &r),
              "MPI_Iallreduce");
    wait_yielding(r, "MPI_Iallreduce");
    stats_.bytes += sizeof(double);
    return out;
  }

  void barrier() const override {
    const Clock c(*this);
    MPI_Request r;
    check_mpi(MPI_Ibarrier(MPI_COMM_WORLD, &r), "MPI_Ibarrier");
    wait_yielding(r, "MPI_Ibarrier");
  }

  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

  CommStats stats() const override { return stats_; }

 private:
  static constexpr int kTagSize = 101, kTagData = 102, kTagReduce = 103;

  // Times one collective into stats_ (nested calls count once).
  class Clock {
   public:
    explicit Clock(const WorldCommunicator& c) : c_(c), outer_(c.depth_++ == 0) {
      if (outer_) {
        t0_ = std::chrono::steady_clock::now();
        ++c_.stats_.calls;
      }
    }
    ~Clock() {
      --c_.depth_;
      if (outer_)
        c_.stats_.seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    }

   private:
    const WorldCommunicator& c_;
    bool outer_;
    std::chrono::steady_clock::time_point t0_;
  };

  void check_root(int root) const {
    SMT_CHECK(root >= 0 && root < size_, "root process ", root, " does not exist in a run of ",
              size_, " processes");
  }

  int rank_ = 0, size_ = 1, node_size_ = 1;
  std::vector<int> node_cpus_;
  // Accounting only; the communicator is used from the main thread.
  mutable CommStats stats_;
  mutable int depth_ = 0;
};

}  // namespace

bool launched_by_mpi() {
  return launcher_process_count() > 0;
}

MpiSession::MpiSession(int& argc, char**& argv) {
  int provided = 0;
  check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as return codes (turned into smt::Error), not as MPI's
  // own abort, so that the failing rank's message is the one printed.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  world_ = std::make_shared<const WorldCommunicator>();
}

MpiSession::~MpiSession() {
  world_.reset();
  MPI_Finalize();
}

}  // namespace smt
