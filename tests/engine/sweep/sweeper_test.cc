// The sweeper's send side, checked through --dryrun: every frame it would send is in a pcap file.
#include "engine/sweep/sweeper.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/sweep/syn_cookie.h"

namespace mailsweep::engine {
namespace {

using targets::IntervalSet;
using targets::Permutation;
using targets::TargetSpace;

struct Sent {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint32_t seq;
};

std::vector<Sent> ReadPcap(const std::string& path) {
  std::vector<Sent> out;
  FILE* f = fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  uint8_t global[24];
  REQUIRE(fread(global, 1, 24, f) == 24);
  uint8_t rec[16], frame[66];
  auto get16 = [](const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); };
  auto get32 = [&](const uint8_t* p) { return uint32_t{get16(p)} << 16 | get16(p + 2); };
  while (fread(rec, 1, 16, f) == 16) {
    REQUIRE(rec[8] == 66);
    REQUIRE(fread(frame, 1, 66, f) == 66);
    out.push_back({get32(frame + 26), get32(frame + 30), get16(frame + 34), get16(frame + 36),
                   get32(frame + 38)});
  }
  fclose(f);
  return out;
}

std::string TempPath(const char* name) {
  return std::string("/tmp/mailsweep-sweeper-test-") + std::to_string(getpid()) + "-" + name;
}

struct Fixture {
  // Two ranges with a gap (the gap must never be probed) x 3 ports.
  TargetSpace space{IntervalSet({{0xC6120000, 0xC61203FF}, {0xC6120800, 0xC6120BFF}}),
                    {110, 143, 993}};
  Permutation perm = *Permutation::Create(space.size(), 42);

  SweeperConfig Config(const std::string& pcap) {
    SweeperConfig c;
    c.space = &space;
    c.permutation = &perm;
    c.range = perm.All();
    c.seed = 42;
    c.rate = 0;
    c.threads = 2;
    c.chunk_positions = 500;
    c.sources = {0xCB007101};
    c.dryrun_pcap = pcap;
    c.cooldown_s = 0;
    c.probe_spacing_s = 0.001;
    return c;
  }
};

class PausingThrottle final : public SendThrottle {
 public:
  bool ShouldPause() override { return calls_.fetch_add(1) < 30; }
  std::atomic<int> calls_{0};
};

}  // namespace

TEST_CASE("Sweeper sends every target exactly --probes times and nothing else", "[sweeper]") {
  Fixture fx;
  const std::string pcap = TempPath("probes.pcap");
  SweeperConfig c = fx.Config(pcap);
  c.probes = 3;
  auto sweeper = Sweeper::Create(c, nullptr, nullptr, nullptr);
  REQUIRE(sweeper.ok());
  REQUIRE((*sweeper)->Run().ok());
  const std::vector<Sent> sent = ReadPcap(pcap);
  unlink(pcap.c_str());
  CHECK(sent.size() == fx.space.size() * 3);
  std::map<std::pair<uint32_t, uint16_t>, int> count;
  const SynCookie cookie(SipKey::FromSeed(42, kSynCookieDomain), c.first_source_port,
                         c.source_port_count);
  for (const Sent& s : sent) {
    REQUIRE(fx.space.allowed().Contains(s.dst));
    REQUIRE(s.src == 0xCB007101);
    const auto p = cookie.For(s.src, s.dst, s.dport);
    REQUIRE(s.sport == p.source_port);
    REQUIRE(s.seq == p.seq);
    ++count[{s.dst, s.dport}];
  }
  CHECK(count.size() == fx.space.size());
  for (const auto& [target, n] : count) REQUIRE(n == 3);
  const SweepStats st = (*sweeper)->Stats();
  CHECK(st.sent == fx.space.size() * 3);
  CHECK(st.refused == 0);
  CHECK(st.positions_done == st.positions_total);
  CHECK((*sweeper)->SentWatermark() == c.range.end);
}

TEST_CASE("Sweeper resumes from a start position", "[sweeper]") {
  Fixture fx;
  const std::string pcap = TempPath("resume.pcap");
  SweeperConfig c = fx.Config(pcap);
  c.start_position = 2000;
  auto sweeper = Sweeper::Create(c, nullptr, nullptr, nullptr);
  REQUIRE(sweeper.ok());
  REQUIRE((*sweeper)->Run().ok());
  const std::vector<Sent> sent = ReadPcap(pcap);
  unlink(pcap.c_str());
  std::map<std::pair<uint32_t, uint16_t>, int> expected;
  Permutation::Cursor cursor = fx.perm.At(2000, c.range.end);
  for (uint64_t i; cursor.Next(&i);) {
    const targets::Target t = fx.space.At(i);
    ++expected[{t.address, t.port}];
  }
  std::map<std::pair<uint32_t, uint16_t>, int> got;
  for (const Sent& s : sent) ++got[{s.dst, s.dport}];
  CHECK(got == expected);
  CHECK(expected.size() < fx.space.size());
}

TEST_CASE("Sweeper pauses while the throttle says so and still sends everything", "[sweeper]") {
  Fixture fx;
  const std::string pcap = TempPath("throttle.pcap");
  SweeperConfig c = fx.Config(pcap);
  c.threads = 1;
  c.rate = 200000;
  PausingThrottle throttle;
  auto sweeper = Sweeper::Create(c, nullptr, nullptr, &throttle);
  REQUIRE(sweeper.ok());
  REQUIRE((*sweeper)->Run().ok());
  CHECK(ReadPcap(pcap).size() == fx.space.size());
  unlink(pcap.c_str());
  CHECK(throttle.calls_.load() > 30);
  CHECK((*sweeper)->Stats().paused_ms >= 25);
}

TEST_CASE("Sweeper stopped before it starts sends nothing", "[sweeper]") {
  Fixture fx;
  const std::string pcap = TempPath("stop.pcap");
  SweeperConfig c = fx.Config(pcap);
  auto sweeper = Sweeper::Create(c, nullptr, nullptr, nullptr);
  REQUIRE(sweeper.ok());
  (*sweeper)->RequestStop();
  REQUIRE((*sweeper)->Run().ok());
  CHECK(ReadPcap(pcap).empty());
  unlink(pcap.c_str());
  CHECK((*sweeper)->SentWatermark() == c.range.begin);
}

TEST_CASE("Sweeper::Create refuses bad configs", "[sweeper]") {
  Fixture fx;
  SweeperConfig c = fx.Config(TempPath("bad.pcap"));
  c.start_position = c.range.end + 1;
  CHECK(absl::IsInvalidArgument(Sweeper::Create(c, nullptr, nullptr, nullptr).status()));
  c = fx.Config(TempPath("bad.pcap"));
  c.sources.clear();
  CHECK(absl::IsInvalidArgument(Sweeper::Create(c, nullptr, nullptr, nullptr).status()));
  c = fx.Config(TempPath("bad.pcap"));
  c.first_source_port = 65000;
  c.source_port_count = 1000;
  CHECK(absl::IsInvalidArgument(Sweeper::Create(c, nullptr, nullptr, nullptr).status()));
  unlink(TempPath("bad.pcap").c_str());
}

TEST_CASE("Sweeper skips and counts opted-out targets, once per target", "[sweeper]") {
  Fixture fx;
  const std::string pcap = TempPath("overlay.pcap");
  SweeperConfig c = fx.Config(pcap);
  c.probes = 2;
  targets::ExclusionOverlay overlay;
  // 64 addresses of the first range, and a range outside the space (changes nothing).
  overlay.Publish(IntervalSet({{0xC6120040, 0xC612007F}, {0x01020300, 0x010203FF}}));
  c.overlay = &overlay;
  auto sweeper = Sweeper::Create(c, nullptr, nullptr, nullptr);
  REQUIRE(sweeper.ok());
  REQUIRE((*sweeper)->Run().ok());
  const std::vector<Sent> sent = ReadPcap(pcap);
  unlink(pcap.c_str());
  for (const Sent& s : sent) REQUIRE_FALSE(overlay.Current()->Contains(s.dst));
  const uint64_t opted_out = 64 * fx.space.ports().size();
  CHECK(sent.size() == (fx.space.size() - opted_out) * 2);
  const SweepStats st = (*sweeper)->Stats();
  CHECK(st.skipped == opted_out);
  CHECK(st.excluded_addresses == 64 + 256);
  CHECK(st.positions_done == st.positions_total);  // skipped positions are done
  CHECK((*sweeper)->SentWatermark() == c.range.end);
}

TEST_CASE("Sweeper: once AwaitOverlay() returns, nothing more goes to what was published",
          "[sweeper]") {
  Fixture fx;
  const std::string pcap = TempPath("await.pcap");
  SweeperConfig c = fx.Config(pcap);
  c.rate = 20000;  // about 0.3 s for the space
  targets::ExclusionOverlay overlay;
  c.overlay = &overlay;
  auto sweeper = Sweeper::Create(c, nullptr, nullptr, nullptr);
  REQUIRE(sweeper.ok());
  // Catch2's assertions are not thread-safe: the runner only keeps its status, and the main
  // thread joins it before any assertion can end the test.
  absl::Status run_status;
  std::atomic<bool> ran{false};
  std::thread runner([&] {
    run_status = (*sweeper)->Run();
    ran.store(true);
  });
  while ((*sweeper)->Stats().sent < 1000 && !ran.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  overlay.Publish(fx.space.allowed());  // every target opts out
  const bool confirmed = (*sweeper)->AwaitOverlay(overlay.generation(), 1'000'000'000);
  const uint64_t sent_by_then = (*sweeper)->Stats().sent;
  runner.join();
  unlink(pcap.c_str());
  REQUIRE(run_status.ok());
  CHECK(confirmed);
  const SweepStats st = (*sweeper)->Stats();
  CHECK(st.sent == sent_by_then);
  CHECK(st.sent < fx.space.size());
  CHECK(st.sent + st.skipped == fx.space.size());
}

}  // namespace mailsweep::engine
