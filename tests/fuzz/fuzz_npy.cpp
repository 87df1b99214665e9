// libFuzzer harness for smt::fuzz::npy (fuzz_targets.h); built with SMT_FUZZ.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  smt::fuzz::npy(data, size);
  return 0;
}
