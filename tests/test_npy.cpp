#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/io/npy.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;

struct TempDir : smt::testing::TempDir {
  TempDir() : smt::testing::TempDir("smt_npy_test") {}
  std::size_t count() const { return entries().size(); }
};
using smt::testing::read_bytes;
using smt::testing::write_bytes;

using smt::testing::error_of;

const std::vector<float> kFloats = {1.0f, -2.5f, 0.0f, 3.25f, 1e-8f, -1e8f};

TEST(Npy, HeaderBytesAreExact) {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  write_npy(path, kFloats.data(), {2, 3});
  const std::string b = read_bytes(path);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // 10-byte preamble + dict + spaces + '\n' = 128, the next multiple of 64.
  const std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict +
                               std::string(128 - 10 - dict.size() - 1, ' ') + "\n";
  ASSERT_EQ(b.size(), 128u + 6 * 4);
  EXPECT_EQ(b.substr(0, 128), expected);
  std::vector<float> data(6);
  std::memcpy(data.data(), b.data() + 128, 24);
  EXPECT_EQ(data, kFloats);
}

TEST(Npy, DataIs64ByteAlignedForManyShapes) {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  const std::vector<std::int32_t> zeros(1000, 0);
  for (const std::vector<std::size_t>& shape : std::vector<std::vector<std::size_t>>{
           {}, {0}, {7}, {10, 10}, {1, 2, 3}, {1000}, {1, 1, 1, 1, 1, 1, 1, 1}}) {
    write_npy(path, zeros.data(), shape);
    const std::string b = read_bytes(path);
    const std::size_t header_len = static_cast<unsigned char>(b[8]) |
                                   static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8;
    EXPECT_EQ((10 + header_len) % 64, 0u);
    EXPECT_EQ(b[10 + header_len - 1], '\n');
    const NpyArray a = read_npy(path);
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.descr, "<i4");
    EXPECT_EQ(b.size(), 10 + header_len + 4 * a.count());
  }
}

TEST(Npy, ShapeReprMatchesPython) {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  const std::vector<std::int32_t> labels = {4, 0, -3, 7, 2147483647};
  write_npy(path, labels.data(), {5});
  EXPECT_NE(read_bytes(path).find("'descr': '<i4', 'fortran_order': False, 'shape': (5,), }"),
            std::string::npos);
  const float x = 2.0f;
  write_npy(path, &x, {});
  EXPECT_NE(read_bytes(path).find("'shape': (), }"), std::string::npos);
}

TEST(Npy, RoundTripsFloatAndInt32) {
  TempDir dir;
  const std::string fpath = dir.file("f.npy");
  write_npy(fpath, kFloats.data(), {3, 2});
  const NpyArray f = read_npy(fpath);
  EXPECT_EQ(f.descr, "<f4");
  EXPECT_EQ(f.shape, (std::vector<std::size_t>{3, 2}));
  EXPECT_EQ(f.item_size, 4u);
  EXPECT_EQ(f.as_float(), kFloats);
  EXPECT_THROW(f.as_int32(), Error);

  const std::string ipath = dir.file("i.npy");
  const std::vector<std::int32_t> labels = {4, 0, -3, 7};
  write_npy(ipath, labels.data(), {4});
  const NpyArray i = read_npy(ipath);
  EXPECT_EQ(i.as_int32(), labels);
  EXPECT_THROW(i.as_float(), Error);

  write_npy(fpath, static_cast<const float*>(nullptr), {0, 16});
  EXPECT_EQ(read_npy(fpath).shape, (std::vector<std::size_t>{0, 16}));
  EXPECT_TRUE(read_npy(fpath).as_float().empty());
  EXPECT_EQ(dir.count(), 2u);
}

TEST(Npy, EveryTruncationIsAnError) {
  TempDir dir;
  const std::string good = dir.file("good.npy");
  write_npy(good, kFloats.data(), {2, 3});
  const std::string bytes = read_bytes(good);
  const std::string cut_path = dir.file("cut.npy");
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    write_bytes(cut_path, bytes.substr(0, cut));
    EXPECT_THROW(read_npy(cut_path), Error) << "cut at " << cut;
  }
}

TEST(Npy, MalformedFilesAreErrors) {
  TempDir dir;
  const std::string good = dir.file("good.npy");
  write_npy(good, kFloats.data(), {2, 3});
  const std::string bytes = read_bytes(good);
  const std::string bad = dir.file("bad.npy");

  std::string copy = bytes;
  copy[1] = 'X';
  write_bytes(bad, copy);
  EXPECT_NE(error_of([&] { read_npy(bad); }).find("not a .npy file"), std::string::npos);

  write_bytes(bad, bytes + "xx");  // trailing bytes
  EXPECT_NE(error_of([&] { read_npy(bad); }).find("unexpected bytes"), std::string::npos);

  copy = bytes;
  copy.replace(copy.find("(2, 3)"), 6, "(2, 4)");  // more data than present
  write_bytes(bad, copy);
  EXPECT_NE(error_of([&] { read_npy(bad); }).find("truncated"), std::string::npos);

  copy = bytes;
  copy.replace(copy.find("False"), 5, "True ");
  write_bytes(bad, copy);
  EXPECT_NE(error_of([&] { read_npy(bad); }).find("Fortran"), std::string::npos);

  copy = bytes;
  copy.replace(copy.find("<f4"), 3, ">f4");
  write_bytes(bad, copy);
  EXPECT_NE(error_of([&] { read_npy(bad); }).find("big-endian"), std::string::npos);

  copy = bytes;
  copy.replace(copy.find("'shape'"), 7, "'shapo'");
  write_bytes(bad, copy);
  EXPECT_NE(error_of([&] { read_npy(bad); }).find("no 'shape' entry"), std::string::npos);

  copy = bytes;
  copy[6] = 9;  // unknown major version
  write_bytes(bad, copy);
  EXPECT_THROW(read_npy(bad), Error);

  const std::string missing = dir.file("missing.npy");
  EXPECT_NE(error_of([&] { read_npy(missing); }).find(missing), std::string::npos);
}

TEST(Npy, FailedWriteLeavesNothing) {
  TempDir dir;
  const std::string path = dir.file("nodir/a.npy");
  const std::string msg = error_of([&] { write_npy(path, kFloats.data(), {6}); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(dir.count(), 0u);
}

TEST(Npy, NumpyLoadsIt) {
  // Debian's interpreter (scripts/install-deps.sh installs its numpy); the
  // first python3 on PATH may be another one without numpy.
  const std::string python =
      std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (std::system((python + " -c 'import numpy' >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "python3 with numpy is not available";
  }
  TempDir dir;
  const std::string fpath = dir.file("f.npy");
  const std::string ipath = dir.file("i.npy");
  write_npy(fpath, kFloats.data(), {2, 3});
  const std::vector<std::int32_t> labels = {4, 0, -3};
  write_npy(ipath, labels.data(), {3});
  const std::string script =
      "import numpy as np, sys\n"
      "f = np.load(sys.argv[1]); i = np.load(sys.argv[2])\n"
      "assert f.dtype == np.float32 and f.shape == (2, 3), (f.dtype, f.shape)\n"
      "assert np.array_equal(f.ravel(), np.array([1, -2.5, 0, 3.25, 1e-8, -1e8], "
      "dtype=np.float32))\n"
      "assert i.dtype == np.int32 and i.tolist() == [4, 0, -3]\n"
      "np.save(sys.argv[3], np.arange(6, dtype=np.float32).reshape(3, 2))\n";
  const std::string script_path = dir.file("check.py");
  write_bytes(script_path, script);
  const std::string back = dir.file("from_numpy.npy");
  const std::string cmd =
      python + " '" + script_path + "' '" + fpath + "' '" + ipath + "' '" + back + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const NpyArray a = read_npy(back);
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{3, 2}));
  EXPECT_EQ(a.as_float(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace smt
