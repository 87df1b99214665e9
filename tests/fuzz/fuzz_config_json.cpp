// libFuzzer harness for smt::fuzz::config_json (fuzz_targets.h); built with SMT_FUZZ.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  smt::fuzz::config_json(data, size);
  return 0;
}
