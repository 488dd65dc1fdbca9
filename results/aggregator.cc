#include "results/aggregator.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/hash/hash.h"
#include "base/strings.h"
#include "results/host_table.h"

namespace mailsweep::results {

namespace {

// One observation's strings and certificate, interned per worker.
struct Detail {
  uint32_t banner = 0;  // 0: empty, else pool index + 1
  uint32_t cipher = 0;
  uint32_t cert = 0;  // 0: none, else cert pool index + 1
};

struct HostState {
  std::array<PortObs, 3> obs;  // the protocol's slots in kProtocolSlots order
};

// Keeps the later of two observations of one port.
void MergeObs(PortObs* into, const PortObs& o) {
  if (!into->present() || o.time_s >= into->time_s) *into = o;
}

class StringPool {
 public:
  uint32_t Intern(std::string_view s) {
    if (s.empty()) return 0;
    auto it = index_.find(ToAbsl(s));
    if (it != index_.end()) return it->second;
    strings_.emplace_back(s);
    uint32_t id = static_cast<uint32_t>(strings_.size());
    index_.emplace(strings_.back(), id);
    return id;
  }
  std::string_view Get(uint32_t id) const {
    return id == 0 ? std::string_view() : std::string_view(strings_[id - 1]);
  }

 private:
  absl::flat_hash_map<std::string, uint32_t> index_;
  std::vector<std::string> strings_;
};

int VersionBucket(uint16_t v) {
  switch (v) {
    case 0x0300:
      return 0;
    case 0x0301:
      return 1;
    case 0x0302:
      return 2;
    case 0x0303:
      return 3;
    case 0x0304:
      return 4;
    default:
      return 5;
  }
}

}  // namespace

struct Aggregator::Worker final : public RecordVisitor {
  // Records wait here for their table slot's cache line to arrive (prefetched on entry).
  static constexpr int kPipeline = 16;
  struct Pending {
    uint64_t key, hash;
    int slot;
    PortObs obs;
  };

  uint8_t id = 0;
  bool collect = true;
  HostTable<HostState> table;
  Pending pending[kPipeline];
  int pending_head = 0, pending_count = 0;
  std::vector<Detail> details;
  StringPool strings;
  StringPool cert_ids;  // sha256 bytes
  absl::flat_hash_map<std::string, CertificateFacts> certs;
  std::array<std::array<uint64_t, 16>, kMailProtocols> outcomes{};
  uint64_t other_port = 0;
  ReadStats stats;
  std::vector<Corruption> corruptions;

  void Apply(const Pending& p) { MergeObs(&table.FindOrInsert(p.key, p.hash).obs[p.slot], p.obs); }

  void FlushPending() {
    while (pending_count > 0) {
      Apply(pending[pending_head]);
      pending_head = (pending_head + 1) % kPipeline;
      --pending_count;
    }
  }

  void OnProbe(const ProbeView& v) override {
    int slot = MailPortSlot(v.port);
    if (slot < 0) {
      ++other_port;
      return;
    }
    int proto = ProtocolIndexOfSlot(slot);
    uint8_t outcome = static_cast<uint8_t>(v.outcome);
    ++outcomes[proto][outcome < 16 ? outcome : 0];
    PortObs o;
    o.time_s = static_cast<uint32_t>(v.start_us / 1000000);
    o.flags = v.flags;
    o.tls_version = v.tls_version;
    o.outcome = outcome;
    o.worker = id;
    if (collect) {
      Detail d;
      d.banner = strings.Intern(v.banner);
      d.cipher = strings.Intern(v.tls_cipher);
      if (v.cert_sha256) {
        d.cert = cert_ids.Intern({reinterpret_cast<const char*>(v.cert_sha256), 32});
      }
      o.detail = static_cast<uint32_t>(details.size());
      details.push_back(d);
    }
    uint64_t key = uint64_t{v.address} << 2 | static_cast<uint64_t>(proto);
    uint64_t hash = HostTable<HostState>::Hash(key);
    table.Prefetch(hash);
    if (pending_count == kPipeline) {
      Apply(pending[pending_head]);
      pending_head = (pending_head + 1) % kPipeline;
      --pending_count;
    }
    pending[(pending_head + pending_count) % kPipeline] = {key, hash,
                                                           slot - kProtocolSlots[proto].first, o};
    ++pending_count;
  }
  void OnCertificate(const CertificateFacts& c) override {
    if (!collect) return;
    certs.try_emplace(std::string(reinterpret_cast<const char*>(c.sha256.data()), 32), c);
  }
};

Aggregator::Aggregator(AggregateOptions options) : options_(options) {
  if (options_.threads < 1) options_.threads = 1;
  if (options_.threads > 200) options_.threads = 200;
  summary_.policy = options_.policy;
}

Aggregator::~Aggregator() = default;

absl::Status Aggregator::AddFile(const std::string& path) {
  auto r = RecordFileReader::Open(path);
  if (!r.ok()) {
    summary_.file_errors.push_back(std::string(r.status().message()));
    return r.status();
  }
  summary_.files.push_back(path);
  readers_.push_back(*std::move(r));
  return absl::OkStatus();
}

void Aggregator::Run() {
  const int n = options_.threads;
  struct Task {
    const RecordFileReader* reader;
    uint64_t begin, end;
  };
  std::vector<Task> tasks;
  for (const auto& r : readers_) {
    uint64_t blocks = std::max<uint64_t>(r->blocks(), 1);
    for (uint64_t b = 0; b < blocks; b += options_.blocks_per_task) {
      tasks.push_back({r.get(), b, std::min(blocks, b + options_.blocks_per_task)});
    }
  }
  // Presize the tables: a probe record takes ~30 bytes, and a host x protocol has 2-3 records.
  uint64_t bytes = 0;
  for (const auto& r : readers_) bytes += r->size();
  const uint64_t expected_keys = bytes / 30 / 2;
  workers_.clear();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->id = static_cast<uint8_t>(i);
    w->collect = options_.collect_hosts;
    w->table.Reserve(std::min<uint64_t>(expected_keys, uint64_t{1} << 26));
    workers_.push_back(std::move(w));
  }

  // Phase 1: scan block ranges; each worker joins into its own partitioned maps.
  std::atomic<size_t> next{0};
  auto scan = [&](Worker* w) {
    CorruptionFn report = [w](const Corruption& c) {
      if (w->corruptions.size() < 1000) w->corruptions.push_back(c);
    };
    for (size_t t; (t = next.fetch_add(1)) < tasks.size();) {
      w->stats.Add(tasks[t].reader->Scan(w, report, tasks[t].begin, tasks[t].end));
      w->FlushPending();
    }
  };
  {
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) threads.emplace_back(scan, workers_[i].get());
    scan(workers_[0].get());
    for (auto& t : threads) t.join();
  }
  for (const auto& w : workers_) {
    summary_.read.Add(w->stats);
    summary_.other_port_records += w->other_port;
    for (const Corruption& c : w->corruptions) {
      if (summary_.corruptions.size() < 1000) summary_.corruptions.push_back(c);
    }
    for (int p = 0; p < kMailProtocols; ++p) {
      for (int o = 0; o < 16; ++o) summary_.outcomes[p][o] += w->outcomes[p][o];
    }
    for (auto& [sha, cert] : w->certs) certs_.try_emplace(sha, std::move(cert));
    w->certs.clear();
  }

  // Phase 2: partition p of every worker merges into one map, then classify and count.
  struct PartResult {
    std::map<uint32_t, CountryCounts> counts;
    std::array<CountryCounts, kMailProtocols> totals{};
    std::array<std::array<uint64_t, 6>, kMailProtocols> versions{};
    std::vector<HostRow> rows;
  };
  std::vector<PartResult> results(n);
  const GeoDb* geo = options_.geo;
  std::unique_ptr<GeoDb> unknown;
  if (!geo) {
    unknown = GeoDb::Unknown();
    geo = unknown.get();
  }
  // Partition p takes the keys whose hash falls into it from every worker's table.
  auto merge = [&](int p) {
    HostTable<HostState> own;
    const HostTable<HostState>* merged = &workers_[0]->table;
    if (n > 1) {
      own.Reserve(std::min<uint64_t>(workers_[0]->table.size() / n, uint64_t{1} << 26));
      for (int w = 0; w < n; ++w) {
        workers_[w]->table.ForEach([&](uint64_t key, const HostState& state) {
          uint64_t hash = HostTable<HostState>::Hash(key);
          if ((hash >> 32) % n != static_cast<uint64_t>(p)) return;
          HostState& into = own.FindOrInsert(key, hash);
          for (int s = 0; s < 3; ++s) {
            if (state.obs[s].present()) MergeObs(&into.obs[s], state.obs[s]);
          }
        });
      }
      merged = &own;
    }
    PartResult& out = results[p];
    merged->ForEach([&](uint64_t key, const HostState& state) {
      const int proto = static_cast<int>(key & 3);
      const uint32_t address = static_cast<uint32_t>(key >> 2);
      const ProtocolSlots ps = kProtocolSlots[proto];
      std::array<PortOutcome, 3> po;
      for (int s = 0; s < ps.n_plain + ps.n_implicit; ++s) {
        const PortObs& o = state.obs[s];
        po[s] = {o.present(), static_cast<ProbeOutcome>(o.outcome), o.flags};
      }
      std::span<const PortOutcome> plain(po.data(), ps.n_plain);
      std::span<const PortOutcome> implicit(po.data() + ps.n_plain, ps.n_implicit);
      HostClass cls = Classify(plain, implicit);
      bool vulnerable = WithoutTls(options_.policy, cls, plain);
      CountryCode cc = geo->Country(address);
      CountryCounts& c = out.counts[uint32_t{cc.key()} << 8 | static_cast<uint32_t>(proto)];
      ++c.classes[static_cast<int>(cls)];
      ++out.totals[proto].classes[static_cast<int>(cls)];
      if (vulnerable) {
        ++c.without_tls;
        ++out.totals[proto].without_tls;
      }
      // The row describes the answering plaintext port, else the implicit one.
      int rep = -1, tls = -1;
      for (int s = 0; s < ps.n_plain; ++s) {
        if (rep < 0 && AnswersProtocol(po[s])) rep = s;
        if (tls < 0 && StartTlsWorks(po[s])) tls = s;
      }
      for (int s = ps.n_plain; s < ps.n_plain + ps.n_implicit; ++s) {
        if (tls < 0 && ImplicitTlsWorks(po[s])) tls = s;
      }
      if (rep < 0) rep = tls;
      if (tls >= 0) ++out.versions[proto][VersionBucket(state.obs[tls].tls_version)];
      if (!options_.collect_hosts || cls == HostClass::kNoService || rep < 0) return;
      HostRow row;
      row.address = address;
      row.protocol = proto;
      row.cls = cls;
      row.without_tls = vulnerable;
      row.country = cc;
      row.port = kMailPortNumbers[ps.first + rep];
      row.obs = state.obs[rep];
      if (tls >= 0) {
        row.tls_port = kMailPortNumbers[ps.first + tls];
        row.tls_obs = state.obs[tls];
      }
      out.rows.push_back(row);
    });
  };
  {
    std::vector<std::thread> threads;
    for (int p = 1; p < n; ++p) threads.emplace_back(merge, p);
    merge(0);
    for (auto& t : threads) t.join();
  }
  for (auto& w : workers_) w->table.Clear();
  for (PartResult& r : results) {
    for (const auto& [key, c] : r.counts) {
      CountryCounts& into = summary_.counts[key];
      for (int i = 0; i < kHostClassCount; ++i) into.classes[i] += c.classes[i];
      into.without_tls += c.without_tls;
    }
    for (int p = 0; p < kMailProtocols; ++p) {
      for (int i = 0; i < kHostClassCount; ++i) {
        summary_.totals[p].classes[i] += r.totals[p].classes[i];
      }
      summary_.totals[p].without_tls += r.totals[p].without_tls;
      for (int v = 0; v < 6; ++v) summary_.tls_versions[p][v] += r.versions[p][v];
    }
    hosts_.insert(hosts_.end(), r.rows.begin(), r.rows.end());
    std::vector<HostRow>().swap(r.rows);
  }
  std::sort(hosts_.begin(), hosts_.end(), [](const HostRow& a, const HostRow& b) {
    return a.address != b.address ? a.address < b.address : a.protocol < b.protocol;
  });
}

std::string_view Aggregator::Banner(const PortObs& o) const {
  if (!o.present() || o.worker >= workers_.size()) return {};
  const Worker& w = *workers_[o.worker];
  if (o.detail >= w.details.size()) return {};
  return w.strings.Get(w.details[o.detail].banner);
}

std::string_view Aggregator::Cipher(const PortObs& o) const {
  if (!o.present() || o.worker >= workers_.size()) return {};
  const Worker& w = *workers_[o.worker];
  if (o.detail >= w.details.size()) return {};
  return w.strings.Get(w.details[o.detail].cipher);
}

const CertificateFacts* Aggregator::Certificate(const PortObs& o) const {
  if (!o.present() || o.worker >= workers_.size()) return nullptr;
  const Worker& w = *workers_[o.worker];
  if (o.detail >= w.details.size() || w.details[o.detail].cert == 0) return nullptr;
  auto it = certs_.find(ToAbsl(w.cert_ids.Get(w.details[o.detail].cert)));
  return it == certs_.end() ? nullptr : &it->second;
}

const char* TlsVersionName(uint16_t version) {
  switch (version) {
    case 0:
      return "";
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLSv1.0";
    case 0x0302:
      return "TLSv1.1";
    case 0x0303:
      return "TLSv1.2";
    case 0x0304:
      return "TLSv1.3";
    default:
      return "unknown";
  }
}

}  // namespace mailsweep::results
