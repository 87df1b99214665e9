// Every random draw of smt: named streams derived from the one seed in one
// place, and draws computed here rather than by the standard library's
// distributions (whose algorithms an implementation may change), so a seed
// gives the same numbers with any compiler and any thread count.
#pragma once

#include <cstdint>
#include <random>

namespace smt {

// The independent random streams of a run. Each is the seed mixed with its
// own constant, so adding a stream never shifts the draws of another.
enum class Stream : std::uint64_t {
  kSubset = 0,                             // --train-limit, --test-limit, --validation choices
  kDictionaryGreedy = 0x9e3779b97f4a7c15,  // candidate patches of the greedy dictionary
  kDictionaryKMeans = 0x51ed270b27f3a1c9,  // mini-batches of spherical k-means
  kDictionaryOnline = 0x6f6e6c696e656431,  // patches of the online 1-sparse dictionary
  kEigenStart = 0x2545f4914f6cdd1d,        // start block of the subspace eigensolver
  kEigenEstimate = 0x94d049bb133111eb,     // Lanczos start of the largest-eigenvalue bound
  kLandmarks = 0x6c616e646d61726b,         // demo: landmark layout ("landmark")
};

// SplitMix64 finaliser: a bijective mixing of 64 bits, for deriving seeds.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A 64-bit Mersenne Twister (its output sequence is fixed by the C++
// standard) with the draws smt needs.
class Rng {
 public:
  explicit Rng(std::uint64_t state) : engine_(state) {}
  Rng(std::uint64_t seed, Stream stream) : engine_(seed ^ static_cast<std::uint64_t>(stream)) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, n), n > 0, by rejection: the accepted range
  // [2^64 mod n, 2^64) holds a whole number of copies of every residue.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [0, n), n > 0, by Lemire's multiply-and-reject (one 128-bit
  // product per draw; the sequence libstdc++'s uniform_int_distribution gives).
  std::uint64_t below_fast(std::uint64_t n);
  // Uniform in [0, 1): 64 random bits scaled by 2^-64, rounded to double.
  double uniform01();
  // Standard normal by Marsaglia's polar method; draws come in pairs, the
  // second kept for the next call.
  double normal();

 private:
  std::mt19937_64 engine_;
  double saved_normal_ = 0;
  bool has_saved_normal_ = false;
};

}  // namespace smt
