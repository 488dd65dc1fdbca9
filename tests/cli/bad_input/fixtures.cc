#include "tests/cli/bad_input/fixtures.h"

#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "results/format/crc32c.h"
#include "tests/cli/bad_input/case_table.h"

namespace mailsweep::testing {
namespace {

struct TextFixture {
  const char* name;
  std::string content;
};

// Deterministic junk: no NUL-free structure any parser could take for text.
std::string Junk(size_t size) {
  std::string out(size, '\0');
  uint64_t x = 0x9e3779b97f4a7c15;
  for (char& c : out) {
    x = x * 6364136223846793005 + 1442695040888963407;
    c = static_cast<char>(x >> 56);
  }
  return out;
}

bool Write(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  return static_cast<bool>(out.flush());
}

std::vector<TextFixture> TextFixtures() {
  const std::string line_5k = std::string(5000, '1');
  return {
      {"empty", ""},
      {"huge_line.txt", std::string(1 << 20, 'x')},
      {"long_line.txt", "198.18.0.1," + line_5k + "\n"},
      {"long_comment.txt", "#" + std::string(100000, 'c') + "\n198.18.0.1,110\n"},
      {"nul.txt", std::string("198.18.0.1\0,110\n", 16)},
      {"control.txt", "198.18.0.1\x1b[31m,110\n"},
      {"bad_cidr.txt", "198.18.0.0/33\n"},
      {"bad_cidr_late.txt", "198.18.0.0/24\n198.18.1.0/24\n198.18.300.0/24\n"},
      {"bad_range.txt", "198.18.0.9-198.18.0.1\n"},
      {"text.txt", "hello world\n"},
      {"port_big.csv", "198.18.0.1,70000\n"},
      {"port_neg.csv", "198.18.0.1,-1\n"},
      {"port_zero.csv", "198.18.0.1,0\n"},
      {"port_junk.csv", "198.18.0.1,25x\n"},
      {"no_port.csv", "198.18.0.1\n"},
      {"bad_address.csv", "198.18.0.256,25\n"},
      {"zmap_no_saddr.csv", "daddr,sport\n198.18.0.1,25\n"},
      {"zgrab_bad.csv", "198.18.0.1, example.org, tag, 99999\n"},
      {"geo_bad.csv", "198.18.0.0,198.18.0.255\n"},
      {"geo_bad_ip.csv", "198.18.0.0,198.18.0.300,US\n"},
      {"geo_long.csv", "198.18.0.0,198.18.0.255," + line_5k + "\n"},
      {"ckpt_text", "hello\n"},
      {"ckpt_future", "version 99\nposition 0\nrange 0 1\n"},
      {"ckpt_part", "version 1\n"},
      {"ckpt_neg", "version 1\nposition -5\nrange 0 1\n"},
  };
}

}  // namespace

std::string MakeFixtures(const std::string& dir, const std::string& data_dir) {
  for (const TextFixture& f : TextFixtures()) {
    if (std::string bad = UnsafeAddress(f.content); !bad.empty()) {
      return std::string(f.name) + " names " + bad + ": refused";
    }
    if (!Write(dir + "/" + f.name, f.content)) return std::string("cannot write ") + f.name;
  }
  // Binary junk under the names each reader may meet.
  for (const char* name : {"junk.bin", "junk.mmdb", "junk.msr", "ckpt_junk"}) {
    if (!Write(dir + "/" + name, Junk(64 * 1024))) return std::string("cannot write ") + name;
  }
  if (!Write(dir + "/empty.msr", "") || !Write(dir + "/empty.mmdb", "")) return "empty files";
  if (mkdir((dir + "/dir").c_str(), 0755) != 0) return "cannot make dir";
  if (mkdir((dir + "/dir.msr").c_str(), 0755) != 0) return "cannot make dir.msr";

  // Record files: a good one, cut short, and one whose header claims a version from the future.
  std::ifstream in(data_dir + "/format-v4.msr", std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t magic = good.find("MSWPREC\n");
  if (good.size() < 200 || magic == std::string::npos) return "no format-v4.msr in " + data_dir;
  std::string future = good;
  future[magic + 8] = 99;  // format_version, fixed32 little-endian
  // The header chunk's fragment (at 0) then gets its checksum back, so that the reader sees a
  // file from the future, not a damaged header.
  const uint16_t length = static_cast<uint16_t>(static_cast<uint8_t>(future[4]) |
                                                static_cast<uint8_t>(future[5]) << 8);
  const uint32_t crc = results::crc32c::Mask(results::crc32c::Value(future.data() + 6, 1 + length));
  for (int i = 0; i < 4; ++i) future[i] = static_cast<char>(crc >> (8 * i));
  if (!Write(dir + "/good.msr", good) || !Write(dir + "/truncated.msr", good.substr(0, 40)) ||
      !Write(dir + "/future.msr", future)) {
    return "cannot write record files";
  }
  return "";
}

}  // namespace mailsweep::testing
