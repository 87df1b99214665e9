// Replays every kept fuzz input (tests/data/fuzz/<harness>/) through the same
// entry point as its libFuzzer harness (tests/fuzz/fuzz_targets.h): each must
// be accepted or rejected with smt::Error, and under the sanitizer build
// (build-asan/) without any ASan/UBSan report. scripts/fuzz.sh finds them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

namespace {

namespace fs = std::filesystem;

const fs::path kFuzzData = fs::path(SMT_TEST_DATA_DIR) / "fuzz";

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

TEST(FuzzRegressions, EveryKeptInputIsAcceptedOrRejectedWithSmtError) {
  int replayed = 0;
  for (const smt::fuzz::NamedTarget& t : smt::fuzz::targets()) {
    const fs::path dir = kFuzzData / t.name;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> inputs;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) inputs.push_back(e.path());
    std::sort(inputs.begin(), inputs.end());
    for (const fs::path& input : inputs) {
      SCOPED_TRACE(input.string());
      const std::vector<std::uint8_t> bytes = read_bytes(input);
      // Any exception escaping is a failure: the targets catch smt::Error only.
      EXPECT_NO_THROW(t.run(bytes.data(), bytes.size()));
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0) << "no fuzz regression inputs under " << kFuzzData;
}

TEST(FuzzRegressions, EveryFolderNamesAHarness) {
  for (const auto& e : fs::directory_iterator(kFuzzData)) {
    const std::string name = e.path().filename().string();
    const auto& all = smt::fuzz::targets();
    EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                            [&](const smt::fuzz::NamedTarget& t) { return name == t.name; }))
        << e.path() << " is not the folder of a harness in tests/fuzz/fuzz_targets.h";
  }
}

// The input layouts the harnesses and the seed generator share.
TEST(FuzzRegressions, InputLayoutsSplitAsDocumented) {
  const std::vector<std::uint8_t> idx = smt::fuzz::idx_input({1, 2, 3}, {4, 5});
  EXPECT_EQ(idx, (std::vector<std::uint8_t>{3, 0, 0, 0, 1, 2, 3, 4, 5}));
  const std::vector<std::uint8_t> codes = smt::fuzz::compact_input(true, true, 258, {9});
  EXPECT_EQ(codes, (std::vector<std::uint8_t>{3, 2, 1, 9}));
}

}  // namespace
