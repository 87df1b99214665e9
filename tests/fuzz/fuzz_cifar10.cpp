// libFuzzer harness for smt::fuzz::cifar10 (fuzz_targets.h); built with SMT_FUZZ.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  smt::fuzz::cifar10(data, size);
  return 0;
}
