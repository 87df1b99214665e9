// Helpers shared by the tests: a self-removing temporary directory and raw
// file access.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/core/image_set.h"
#include "smt/stages/sparse_coder.h"

namespace smt::testing {

// A fresh directory, unique per process and instance, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "smt_test") {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto p = std::filesystem::temp_directory_path() /
                     (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
      if (std::filesystem::create_directory(p)) {
        path_ = p;
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names of the entries directly inside, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline bool write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return out.good();
}

// The message of the smt::Error that f throws, or "<no error>".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const smt::Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Random codes: n patches of 0..max_atoms distinct atoms of k (ascending, or
// in random order), optionally with real values in [0.1, 1) and zero-code
// flags (none, all 0, or random).
enum class CodeFlags { kNone, kZero, kRandom };
inline PatchCodes random_patch_codes(int n, int k, int max_atoms, bool with_values,
                                     std::mt19937& rng, bool ascending = true,
                                     CodeFlags flags = CodeFlags::kZero) {
  PatchCodes c;
  std::uniform_int_distribution<int> count(0, max_atoms);
  std::uniform_real_distribution<float> val(0.1f, 1.0f);
  std::vector<int> perm(k);
  for (int i = 0; i < k; ++i) perm[i] = i;
  for (int p = 0; p < n; ++p) {
    const int m = count(rng);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<int> chosen(perm.begin(), perm.begin() + m);
    if (ascending) std::sort(chosen.begin(), chosen.end());
    for (int a : chosen) {
      c.atoms.push_back(static_cast<std::uint16_t>(a));
      if (with_values) c.values.push_back(val(rng));
    }
    c.offsets.push_back(static_cast<std::uint32_t>(c.atoms.size()));
    if (flags == CodeFlags::kZero) c.fallback.push_back(0);
    if (flags == CodeFlags::kRandom) c.fallback.push_back(static_cast<std::uint8_t>(rng() % 2));
  }
  return c;
}

// n h x w images with `channels` channels: a class-placed bright blob (a
// class colour when in colour), a faint random blob and pixel noise.
inline ImageSet blobs(int n, int side, int channels, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uni = [&rng] { return static_cast<double>(rng() >> 11) / 9007199254740992.0; };
  ImageSet set;
  set.height = set.width = side;
  set.channels = channels;
  set.num_classes = 10;
  set.source = "generated blobs";
  set.pixels.resize(static_cast<std::size_t>(n) * side * side * channels);
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    set.labels.push_back(label);
    const double cy = side * (0.25 + 0.5 * (label / 5)) + uni(),
                 cx = side * (0.15 + 0.17 * (label % 5)) + uni();
    const double fy = uni() * side, fx = uni() * side;
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        for (int c = 0; c < channels; ++c) {
          const double tint = channels == 1 ? 1.0 : 0.4 + 0.6 * ((label + c) % 3) / 2.0;
          const double d1 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
          const double d2 = (y - fy) * (y - fy) + (x - fx) * (x - fx);
          const double v =
              30 + 190 * tint * std::exp(-d1 / 6.0) + 60 * std::exp(-d2 / 3.0) + 25 * uni();
          set.pixels[((static_cast<std::size_t>(i) * side + y) * side + x) * channels + c] =
              static_cast<std::uint8_t>(std::min(255.0, std::max(0.0, v)));
        }
  }
  return set;
}

}  // namespace smt::testing
