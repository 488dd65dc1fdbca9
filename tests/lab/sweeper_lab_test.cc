// In-process integration test of the Sweeper class, the way the pipeline will use it: runs
// inside the lab's scanner namespace (sweeper_lab_test.sh brings the lab up), sweeps part of the
// range with a LiveHostHandler, a SendThrottle that holds the senders back for a while, and a stop
// request in the middle; then resumes from SentWatermark() in a second Sweeper. Together the two
// runs must hand over exactly the ground truth's open (address, port) pairs, each run handing
// over every pair at most once.
//   sweeper_lab_test TRUTH_CSV   (lines ip,port,status[,profile] for 198.18.0.0/16 x 110,143,993)
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/run/walk_options.h"
#include "engine/sweep/route_lookup.h"
#include "engine/sweep/sweeper.h"
#include "targets/ipv4.h"

namespace mailsweep::engine {
namespace {

using Pair = std::pair<uint32_t, uint16_t>;

class Collector final : public LiveHostHandler {
 public:
  void OnLiveHost(const results::SweepRecord& r) override { opens.push_back({r.address, r.port}); }
  std::vector<Pair> opens;
};

class Sink final : public results::RecordSink {
 public:
  void Add(const results::SweepRecord& r) override { records.push_back(r); }
  void Add(const results::ProbeRecord&) override {}
  absl::Status Flush() override {
    ++flushes;
    return absl::OkStatus();
  }
  std::vector<results::SweepRecord> records;
  int flushes = 0;
};

// Pauses the first `pause_calls` asks.
class Throttle final : public SendThrottle {
 public:
  bool ShouldPause() override { return calls_.fetch_add(1) < 2000; }
  std::atomic<int> calls_{0};
};

int failures = 0;
void Check(bool ok, const std::string& what) {
  printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
  if (!ok) ++failures;
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sweeper_lab_test TRUTH_CSV\n");
    return 2;
  }
  std::set<Pair> truth_open;
  std::ifstream in(argv[1]);
  for (std::string line; std::getline(in, line);) {
    const size_t a = line.find(','), b = line.find(',', a + 1);
    if (line.compare(b + 1, 4, "open") != 0) continue;
    auto ip = targets::ParseIpv4(line.substr(0, a));
    if (!ip.ok()) return 2;
    truth_open.insert({*ip, static_cast<uint16_t>(std::stoi(line.substr(a + 1, b - a - 1)))});
  }
  WalkOptions options;
  options.ports_text = "110,143,993";
  options.seed = 77;
  options.spec.allow_reserved = {"198.18.0.0/15"};
  auto walk = ResolveWalk(options, {"198.18.0.0/16"});
  auto route = LookupRoute(0xC6120001);
  if (!walk.ok() || !route.ok() || !route->next_hop_mac) {
    fprintf(stderr, "set-up failed (run inside the lab's scanner namespace)\n");
    return 1;
  }
  SweeperConfig config;
  config.space = &walk->space;
  config.permutation = &walk->permutation;
  config.range = walk->shard_range;
  config.seed = walk->seed;
  config.rate = 40000;
  config.threads = 2;
  config.chunk_positions = 4096;
  config.cooldown_s = 2;
  config.interface = route->interface;
  config.source_mac = route->source_mac;
  config.gateway_mac = *route->next_hop_mac;
  config.sources = {route->source};

  // Run 1: throttled at first, stopped at about 40%.
  Collector first_opens;
  Sink first_sink;
  Throttle throttle;
  auto first = Sweeper::Create(config, &first_sink, &first_opens, &throttle);
  if (!first.ok()) {
    fprintf(stderr, "%s\n", std::string(first.status().message()).c_str());
    return 1;
  }
  std::thread stopper([&] {
    for (int i = 0; i < 6000; ++i) {
      const SweepStats s = (*first)->Stats();
      if (s.positions_done * 10 >= s.positions_total * 4) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    (*first)->RequestStop();
  });
  Check((*first)->Run().ok(), "first run");
  stopper.join();
  const SweepStats s1 = (*first)->Stats();
  const uint64_t watermark = (*first)->SentWatermark();
  printf("first run: sent %lu, open %lu, paused %lu ms, watermark %lu of %lu\n", s1.sent, s1.open,
         s1.paused_ms, watermark, config.range.end);
  Check(s1.paused_ms >= 100, "the throttle held the senders back");
  Check(watermark > config.range.begin && watermark < config.range.end,
        "stopped in the middle with a watermark inside the range");
  Check(s1.sent < walk->space.size(), "the stop ended sending early");
  Check(first_sink.flushes >= 1, "the sink was flushed");
  Check(first_sink.records.size() == s1.open + s1.closed + s1.unreachable,
        "one record per unique reply");

  // Run 2: resume from the watermark.
  config.start_position = watermark;
  Collector second_opens;
  auto second = Sweeper::Create(config, nullptr, &second_opens, nullptr);
  if (!second.ok()) return 1;
  Check((*second)->Run().ok(), "second run");
  Check((*second)->SentWatermark() == config.range.end, "second run reached the end");

  const std::set<Pair> a(first_opens.opens.begin(), first_opens.opens.end());
  const std::set<Pair> b(second_opens.opens.begin(), second_opens.opens.end());
  Check(a.size() == first_opens.opens.size(), "run 1 handed each open over once");
  Check(b.size() == second_opens.opens.size(), "run 2 handed each open over once");
  std::set<Pair> all = a;
  all.insert(b.begin(), b.end());
  size_t missed = 0, extra = 0;
  for (const Pair& p : truth_open) missed += all.count(p) == 0;
  for (const Pair& p : all) extra += truth_open.count(p) == 0;
  printf("truth %zu open; found %zu (run 1: %zu, run 2: %zu); missed %zu, extra %zu\n",
         truth_open.size(), all.size(), a.size(), b.size(), missed, extra);
  Check(missed == 0 && extra == 0, "the two runs together found exactly the ground truth");
  return failures == 0 ? 0 : 1;
}

}  // namespace mailsweep::engine

int main(int argc, char** argv) { return mailsweep::engine::Main(argc, argv); }
