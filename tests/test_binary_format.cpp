#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "smt/io/atomic_file.h"
#include "smt/io/binary_format.h"
#include "smt/core/error.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'S', 'M', 'T', 'T', 'E', 'S', 'T', '1'};

struct TempDir : smt::testing::TempDir {
  TempDir() : smt::testing::TempDir("smt_bf_test") {}
};
using smt::testing::read_bytes;
using smt::testing::write_bytes;

// Independent bitwise CRC-32 (the zlib polynomial), for crafting files.
std::uint32_t reference_crc32(const char* data, std::size_t n) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= static_cast<unsigned char>(data[i]);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void store_u32(std::string& bytes, std::size_t pos, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[pos + i] = static_cast<char>(v >> (8 * i));
}

std::vector<float> sample_floats() {
  std::vector<float> v(100);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f - 7.25f;
  return v;
}

SectionWriter sample_writer() {
  SectionWriter w;
  w.add_i64("n", -1234567890123LL);
  w.add_f64("lambda", 0.125);
  w.add_string("name", "sparse manifold");
  w.add_string("empty_string", "");
  w.add_array("W", sample_floats());
  w.add_array("labels", std::vector<std::int32_t>{3, -1, 0, 2147483647});
  w.add_array("bytes", std::vector<std::uint8_t>{0, 1, 255});
  w.add_array("doubles", std::vector<double>{1e300, -0.0, 3.5});
  w.add_array("none", std::vector<float>{});
  const char raw[3] = {'a', '\0', 'b'};
  w.add("raw", raw, sizeof(raw));
  return w;
}

using smt::testing::error_of;

TEST(BinaryFormat, RoundTripsAllTypes) {
  TempDir dir;
  const std::string path = dir.file("model.smt");
  sample_writer().save(path, kMagic, 2);

  const SectionReader r(path, kMagic, 2);
  EXPECT_EQ(r.version(), 2u);
  EXPECT_EQ(r.path(), path);
  EXPECT_EQ(r.i64("n"), -1234567890123LL);
  EXPECT_EQ(r.f64("lambda"), 0.125);
  EXPECT_EQ(r.str("name"), "sparse manifold");
  EXPECT_EQ(r.str("empty_string"), "");
  EXPECT_EQ(r.array<float>("W"), sample_floats());
  EXPECT_EQ(r.array<float>("W", 100), sample_floats());
  EXPECT_EQ(r.array<std::int32_t>("labels"), (std::vector<std::int32_t>{3, -1, 0, 2147483647}));
  EXPECT_EQ(r.array<std::uint8_t>("bytes"), (std::vector<std::uint8_t>{0, 1, 255}));
  EXPECT_EQ(r.array<double>("doubles"), (std::vector<double>{1e300, -0.0, 3.5}));
  EXPECT_TRUE(r.array<float>("none", 0).empty());
  EXPECT_EQ(r.str("raw"), std::string("a\0b", 3));
  EXPECT_TRUE(r.has("W"));
  EXPECT_FALSE(r.has("w"));
  EXPECT_EQ(r.tags().size(), 10u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.smt"});
}

TEST(BinaryFormat, EmptyContainerRoundTrips) {
  TempDir dir;
  const std::string path = dir.file("empty.smt");
  SectionWriter().save(path, kMagic, 1);
  EXPECT_EQ(read_bytes(path).size(), 28u);  // header + trailer only
  const SectionReader r(path, kMagic, 1);
  EXPECT_TRUE(r.tags().empty());
}

TEST(BinaryFormat, LayoutMatchesTheDocumentation) {
  TempDir dir;
  const std::string path = dir.file("one.smt");
  SectionWriter w;
  w.add_array("ab", std::vector<std::uint16_t>{0x0102, 0x0304});
  w.save(path, kMagic, 7);
  const std::string b = read_bytes(path);
  const std::string expected_head =
      std::string(kMagic, 8) + std::string("\x07\0\0\0", 4) + std::string("\x01\0\0\0", 4) +
      std::string("\x04\0\0\0\0\0\0\0", 8) + std::string("\x02\0\0\0", 4) + "ab" +
      std::string("\x02\0\0\0", 4) + std::string("\x04\0\0\0\0\0\0\0", 8);
  ASSERT_EQ(b.size(), expected_head.size() + 4 + 4 + 4);
  EXPECT_EQ(b.substr(0, expected_head.size()), expected_head);
  const std::string payload("\x02\x01\x04\x03", 4);
  EXPECT_EQ(b.substr(expected_head.size() + 4, 4), payload);
  std::string crc(4, '\0');
  store_u32(crc, 0, reference_crc32(payload.data(), 4));
  EXPECT_EQ(b.substr(expected_head.size(), 4), crc);
  store_u32(crc, 0, reference_crc32(b.data(), b.size() - 4));
  EXPECT_EQ(b.substr(b.size() - 4), crc);
}

TEST(BinaryFormat, EveryTruncationIsReportedAsTruncated) {
  TempDir dir;
  const std::string good = dir.file("good.smt");
  sample_writer().save(good, kMagic, 2);
  const std::string bytes = read_bytes(good);
  const std::string cut_path = dir.file("cut.smt");
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    write_bytes(cut_path, bytes.substr(0, cut));
    const std::string msg = error_of([&] { SectionReader r(cut_path, kMagic, 2); });
    EXPECT_NE(msg.find("truncated"), std::string::npos) << "cut at " << cut << ": " << msg;
    EXPECT_NE(msg.find(cut_path), std::string::npos) << msg;
  }
}

TEST(BinaryFormat, EverySingleByteFlipIsDetected) {
  TempDir dir;
  const std::string good = dir.file("good.smt");
  sample_writer().save(good, kMagic, 2);
  const std::string bytes = read_bytes(good);
  const std::string bad = dir.file("bad.smt");
  for (std::size_t pos = 0; pos < bytes.size(); ++pos) {
    for (const int mask : {0x01, 0x80, 0xFF}) {
      std::string copy = bytes;
      copy[pos] = static_cast<char>(static_cast<unsigned char>(copy[pos]) ^ mask);
      write_bytes(bad, copy);
      EXPECT_THROW(SectionReader(bad, kMagic, 2), Error) << "byte " << pos << " mask " << mask;
    }
  }
}

TEST(BinaryFormat, PayloadCorruptionNamesTheSection) {
  TempDir dir;
  const std::string path = dir.file("m.smt");
  SectionWriter w;
  w.add_array("W", sample_floats());
  w.save(path, kMagic, 1);
  std::string bytes = read_bytes(path);
  bytes[bytes.size() - 4 - 10] ^= 0x10;  // inside W's payload
  write_bytes(path, bytes);
  const std::string msg = error_of([&] { SectionReader r(path, kMagic, 1); });
  EXPECT_NE(msg.find("corrupted (checksum mismatch in section 'W')"), std::string::npos) << msg;
}

TEST(BinaryFormat, TrailingGarbageIsRejected) {
  TempDir dir;
  const std::string path = dir.file("m.smt");
  sample_writer().save(path, kMagic, 1);
  write_bytes(path, read_bytes(path) + "xyz!");
  EXPECT_THROW(SectionReader(path, kMagic, 1), Error);
}

TEST(BinaryFormat, WrongMagicSaysNotAModelFile) {
  TempDir dir;
  const std::string path = dir.file("other.bin");
  sample_writer().save(path, "OTHERFMT", 1);
  std::string msg = error_of([&] { SectionReader r(path, kMagic, 1); });
  EXPECT_NE(msg.find("not an smt model file"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;

  write_bytes(path, "this is a text file, long enough to have a header\n");
  msg = error_of([&] { SectionReader r(path, kMagic, 1); });
  EXPECT_NE(msg.find("not an smt model file"), std::string::npos) << msg;
}

TEST(BinaryFormat, NewerVersionIsRejectedWithBothVersions) {
  TempDir dir;
  const std::string path = dir.file("new.smt");
  sample_writer().save(path, kMagic, 3);
  const std::string msg = error_of([&] { SectionReader r(path, kMagic, 2); });
  EXPECT_NE(msg.find("newer smt (format v3, this build reads ≤ v2)"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(SectionReader(path, kMagic, 3).version(), 3u);
}

TEST(BinaryFormat, MissingFileNamesThePath) {
  TempDir dir;
  const std::string path = dir.file("absent.smt");
  const std::string msg = error_of([&] { SectionReader r(path, kMagic, 1); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_THROW(SectionReader(dir.file(""), kMagic, 1), Error);  // a directory
}

TEST(BinaryFormat, MissingTagNamesTagAndFile) {
  TempDir dir;
  const std::string path = dir.file("m.smt");
  sample_writer().save(path, kMagic, 1);
  const SectionReader r(path, kMagic, 1);
  for (const auto& get : std::vector<std::function<void()>>{
           [&] { r.i64("nope"); }, [&] { r.f64("nope"); }, [&] { r.str("nope"); },
           [&] { r.array<float>("nope"); }}) {
    const std::string msg = error_of(get);
    EXPECT_NE(msg.find("'nope'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
}

TEST(BinaryFormat, WrongCountOrTypeIsRejected) {
  TempDir dir;
  const std::string path = dir.file("m.smt");
  sample_writer().save(path, kMagic, 1);
  const SectionReader r(path, kMagic, 1);
  std::string msg = error_of([&] { r.array<float>("W", 99); });
  EXPECT_NE(msg.find("'W'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100 elements, expected 99"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;

  msg = error_of([&] { r.array<double>("W"); });
  EXPECT_NE(msg.find("4-byte elements, expected 8-byte"), std::string::npos) << msg;
  EXPECT_THROW(r.i64("W"), Error);
  EXPECT_THROW(r.f64("name"), Error);
  EXPECT_THROW(r.str("labels"), Error);
}

TEST(BinaryFormat, WriterRejectsDuplicateAndInvalidTags) {
  SectionWriter w;
  w.add_i64("x", 1);
  EXPECT_THROW(w.add_f64("x", 2.0), Error);
  EXPECT_THROW(w.add_i64("", 1), Error);
  const char three[3] = {};
  EXPECT_THROW(w.add("odd", three, 3, 2), Error);
}

TEST(BinaryFormat, DuplicateTagInFileIsRejected) {
  TempDir dir;
  const std::string path = dir.file("dup.smt");
  SectionWriter w;
  w.add_i64("aa", 1);
  w.add_i64("ab", 2);
  w.save(path, kMagic, 1);
  // Rename "ab" to "aa" and fix the file checksum so only the duplicate is wrong.
  std::string bytes = read_bytes(path);
  const std::size_t second = bytes.rfind("ab");
  ASSERT_NE(second, std::string::npos);
  bytes[second + 1] = 'a';
  store_u32(bytes, bytes.size() - 4, reference_crc32(bytes.data(), bytes.size() - 4));
  write_bytes(path, bytes);
  const std::string msg = error_of([&] { SectionReader r(path, kMagic, 1); });
  EXPECT_NE(msg.find("duplicate section 'aa'"), std::string::npos) << msg;
}

TEST(AtomicFile, MissingDirectoryLeavesNothing) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/m.smt");
  std::string msg = error_of([&] { sample_writer().save(path, kMagic, 1); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, ThrowingWriterLeavesNothing) {
  TempDir dir;
  const std::string path = dir.file("m.bin");
  const std::string msg = error_of([&] {
    write_file_atomically(path, [](std::ostream& os) {
      os << "partial contents";
      throw std::runtime_error("generator failed");
    });
  });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("generator failed"), std::string::npos) << msg;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, FailedWriteKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("m.bin");
  write_file_atomically(path, [](std::ostream& os) { os << "old"; });
  EXPECT_THROW(write_file_atomically(path,
                                     [](std::ostream& os) {
                                       os << "new but broken";
                                       throw 42;  // not even a std::exception
                                     }),
               Error);
  EXPECT_EQ(read_bytes(path), "old");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.bin"});
  write_file_atomically(path, [](std::ostream& os) { os << "new"; });
  EXPECT_EQ(read_bytes(path), "new");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.bin"});
}

TEST(AtomicFile, StreamFailureInsideWriterIsAnError) {
  TempDir dir;
  const std::string path = dir.file("m.bin");
  EXPECT_THROW(write_file_atomically(path,
                                     [](std::ostream& os) {
                                       os << "x";
                                       os.setstate(std::ios::badbit);
                                     }),
               Error);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, RenameOntoADirectoryFailsCleanly) {
  TempDir dir;
  fs::create_directory(dir.file("taken"));
  fs::create_directory(dir.file("taken/inside"));
  const std::string msg = error_of(
      [&] { write_file_atomically(dir.file("taken"), [](std::ostream& os) { os << 1; }); });
  EXPECT_NE(msg.find(dir.file("taken")), std::string::npos) << msg;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken"});
}

}  // namespace
}  // namespace smt
