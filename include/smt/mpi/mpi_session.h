// The MPI mode: MPI's lifetime in a process and its world communicator as a
// smt::Communicator. Built (library smt_mpi) only when CMake finds MPI;
// smt/mpi/mpi_available.h says at run time whether this build has it.
#pragma once

#include <memory>

#include "smt/core/communicator.h"

namespace smt {

// True when an MPI launcher (mpirun, mpiexec, srun) started this process:
// only then is MPI initialised, so a plain `smt run` never pays for it.
bool launched_by_mpi();

// MPI_Init_thread (funneled: only the main thread calls MPI) on
// construction, MPI_Finalize on destruction. One per process.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // MPI_COMM_WORLD.
  std::shared_ptr<const Communicator> world() const { return world_; }

 private:
  std::shared_ptr<const Communicator> world_;
};

}  // namespace smt
