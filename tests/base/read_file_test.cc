#include "base/read_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace mailsweep {
namespace {

std::string TempFile(const std::string& content) {
  char path[] = "/tmp/mailsweep-read-file-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST_CASE("ReadWholeFile: reads a file whole, bytes as they are") {
  const std::string content("a,b\n\0\xff tail", 11);
  const std::string path = TempFile(content);
  auto text = ReadWholeFile(path, 11);
  unlink(path.c_str());
  REQUIRE(text.ok());
  CHECK(*text == content);
}

TEST_CASE("ReadWholeFile: a directory, a missing path and a file over the bound are errors") {
  auto dir = ReadWholeFile("/tmp", 1 << 20);
  REQUIRE_FALSE(dir.ok());
  CHECK(std::string(dir.status().message()) == "cannot read '/tmp': it is a directory");

  auto missing = ReadWholeFile("/nonexistent/geo.csv", 1 << 20);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("/nonexistent/geo.csv") !=
        std::string::npos);

  const std::string path = TempFile(std::string(100, 'x'));
  auto big = ReadWholeFile(path, 99);
  unlink(path.c_str());
  REQUIRE_FALSE(big.ok());
  CHECK(std::string(big.status().message()).find("larger than 99 bytes") != std::string::npos);
}

TEST_CASE("ReadWholeFile: an endless stream stops at the bound") {
  auto zero = ReadWholeFile("/dev/zero", 1 << 20);
  REQUIRE_FALSE(zero.ok());
  CHECK(std::string(zero.status().message()).find("larger than 1048576 bytes") !=
        std::string::npos);
}

}  // namespace
}  // namespace mailsweep
