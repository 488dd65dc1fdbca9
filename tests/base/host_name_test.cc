#include "base/host_name.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace mailsweep {
namespace {

constexpr const char* kDebianHosts =
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1\tscanner.example.org\tscanner\n"
    "\n"
    "# The following lines are desirable for IPv6 capable hosts\n"
    "::1     localhost ip6-localhost ip6-loopback\n";

TEST_CASE("FqdnFromHosts takes a host name that already has a dot") {
  CHECK(FqdnFromHosts("scanner.example.org", "") == "scanner.example.org");
  CHECK(FqdnFromHosts("Scanner.Example.ORG", kDebianHosts) == "Scanner.Example.ORG");
}

TEST_CASE("FqdnFromHosts finds the dotted name on the line that lists the short name") {
  CHECK(FqdnFromHosts("scanner", kDebianHosts) == "scanner.example.org");
  // Case does not matter for the match; the name comes back as the file writes it.
  CHECK(FqdnFromHosts("SCANNER", kDebianHosts) == "scanner.example.org");
  // The canonical name may come after the short one, and spaces may separate them.
  CHECK(FqdnFromHosts("mx", "10.0.0.5   mx  mx.lab.example # comment\n") == "mx.lab.example");
}

TEST_CASE("FqdnFromHosts ignores lines that do not list the host") {
  CHECK(FqdnFromHosts("other", kDebianHosts) == std::nullopt);
  // A dotted name that merely starts with the host's name is another machine.
  CHECK(FqdnFromHosts("scan", kDebianHosts) == std::nullopt);
  // A commented-out line lists nothing.
  CHECK(FqdnFromHosts("scanner", "# 127.0.1.1 scanner.example.org scanner\n") == std::nullopt);
  // The first line that lists the host and has a usable name wins.
  CHECK(FqdnFromHosts("scanner",
                      "127.0.1.1 scanner\n10.1.1.1 scanner scanner.b.example\n"
                      "10.2.2.2 scanner.c.example scanner\n") == "scanner.b.example");
}

TEST_CASE("FqdnFromHosts refuses loopback names and what is not a DNS name") {
  CHECK(FqdnFromHosts("localhost", kDebianHosts) == std::nullopt);
  CHECK(FqdnFromHosts("box", "127.0.0.1 localhost.localdomain localhost box\n") == std::nullopt);
  CHECK(FqdnFromHosts("box", "127.0.0.1 box box.localhost\n") == std::nullopt);
  CHECK(FqdnFromHosts("box", "10.0.0.1 box *.example.org\n") == std::nullopt);
  CHECK(FqdnFromHosts("box", "10.0.0.1 box bad..example\n") == std::nullopt);
  CHECK(FqdnFromHosts("bad..example", "") == std::nullopt);
  CHECK(FqdnFromHosts("localhost.localdomain", "") == std::nullopt);
  CHECK(FqdnFromHosts("", kDebianHosts) == std::nullopt);
  // A hosts file without a final newline still counts its last line.
  CHECK(FqdnFromHosts("box", "10.0.0.1 box box.example.net") == "box.example.net");
}

TEST_CASE("LocalFqdn reads the hosts file it is given for this machine's name") {
  char name[256] = {};
  REQUIRE(gethostname(name, sizeof(name) - 1) == 0);
  const std::string host(name);
  char dir_template[] = "/tmp/host_name_test.XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/hosts";
  std::ofstream(path) << "127.0.0.1 localhost\n198.18.0.9 " << host << " ms-test.example.org\n";
  if (host.find('.') == std::string::npos) {
    CHECK(LocalFqdn(path) == "ms-test.example.org");
    CHECK(LocalFqdn(std::string(dir_template) + "/missing") == std::nullopt);
  } else {
    CHECK(LocalFqdn(path) == FqdnFromHosts(host, ""));
  }
  std::remove(path.c_str());
  rmdir(dir_template);
}

}  // namespace
}  // namespace mailsweep
