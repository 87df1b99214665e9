// One entry point per reader of outside bytes, shared by the libFuzzer
// harnesses (fuzz_<name>.cpp, built with SMT_FUZZ) and by the regression test
// that replays tests/data/fuzz/<name>/ in the normal suite
// (test_fuzz_regressions.cpp). Each feeds `size` bytes at `data` to the
// reader and returns normally when it accepts them or rejects them with
// smt::Error; anything else (a crash, a sanitizer report, another exception
// type escaping) is a bug in the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace smt::fuzz {

using Target = void (*)(const std::uint8_t* data, std::size_t size);

struct NamedTarget {
  const char* name;  // the harness (fuzz_<name>) and its folder under tests/data/fuzz/
  Target run;
};

// IDX image + label files, raw or gzip: a 4-byte little-endian length n, the
// image file's first n bytes (fewer when the input is shorter), then the
// label file (see idx_input()).
void idx(const std::uint8_t* data, std::size_t size);
void cifar10(const std::uint8_t* data, std::size_t size);   // one CIFAR-10 batch file
void cifar100(const std::uint8_t* data, std::size_t size);  // one CIFAR-100 file
void image(const std::uint8_t* data, std::size_t size);     // JPEG or PNG
void model(const std::uint8_t* data, std::size_t size);     // a model file
void npy(const std::uint8_t* data, std::size_t size);       // a .npy file
void config_json(const std::uint8_t* data, std::size_t size);  // a JSON config file
// Packed codes: byte 0 = flags (bit 0: zero-code flags; bit 1: real values,
// one per atom of the unpacked codes, bit 2: one value too many), bytes 1-2 =
// patch count (little-endian), then the packed stream (see compact_input()).
void compact_codes(const std::uint8_t* data, std::size_t size);

// Every target, in a fixed order.
const std::vector<NamedTarget>& targets();

// The input layouts above, for the seed generator and the tests.
std::vector<std::uint8_t> idx_input(const std::vector<std::uint8_t>& images,
                                    const std::vector<std::uint8_t>& labels);
std::vector<std::uint8_t> compact_input(bool flags, bool values, int num_patches,
                                        const std::vector<std::uint8_t>& stream);

}  // namespace smt::fuzz
