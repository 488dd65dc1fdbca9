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

struct HostState {
  std::array<PortObs, 3> obs;  // the protocol's slots in kProtocolSlots order
};

// Keeps the later of two observations of one port.
void MergeObs(PortObs* into, const PortObs& o) {
  if (!into->present() || o.time_s >= into->time_s) *into = o;
}

class StringPool {
 public:
  explicit StringPool(uint32_t max_id) : max_id_(max_id) {}
  uint32_t Intern(std::string_view s) {
    if (s.empty()) return 0;
    auto it = index_.find(ToAbsl(s));
    if (it != index_.end()) return it->second;
    if (strings_.size() >= max_id_) return 0;
    strings_.emplace_back(s);
    uint32_t id = static_cast<uint32_t>(strings_.size());
    index_.emplace(strings_.back(), id);
    return id;
  }
  std::string_view Get(uint32_t id) const {
    return id == 0 ? std::string_view() : std::string_view(strings_[id - 1]);
  }

 private:
  const uint32_t max_id_;
  absl::flat_hash_map<std::string, uint32_t> index_;
  std::vector<std::string> strings_;
};

// Summary::tls_versions index of a version code (codes 1..6 -> 0..5).
int VersionBucket(uint8_t code) { return code == 0 ? 5 : code - 1; }

}  // namespace

struct Aggregator::Worker final : public RecordVisitor {
  // Records wait here for their table slot's cache line to arrive (prefetched on entry).
  static constexpr int kPipeline = 16;
  struct Pending {
    uint64_t key, hash;
    int slot;
    PortObs obs;
  };

  // Keys are partitioned over the workers by hash: a worker's table holds only its partition,
  // and observations of other partitions travel in batches to their owner's inbox (one lock per
  // batch, not per record).
  static constexpr size_t kBatch = 4096;
  struct Inbox {
    std::mutex mu;
    std::vector<std::vector<Pending>> batches;
  };

  uint8_t id = 0;
  int partitions = 1;
  bool collect = true;
  std::vector<Worker*>* all = nullptr;  // every worker, indexed by id
  HostTable<HostState> table;
  Pending pending[kPipeline];
  int pending_head = 0, pending_count = 0;
  std::vector<std::vector<Pending>> outbox;  // per destination worker
  Inbox inbox;
  StringPool banners{(1u << 24) - 1};
  StringPool ciphers{0xffff};
  StringPool cert_ids{(1u << 24) - 1};  // sha256 bytes
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

  static int PartitionOf(uint64_t hash, int n) {
    return static_cast<int>(((hash & 0xffffffffu) * static_cast<uint64_t>(n)) >> 32);
  }

  void Send(int dest) {
    std::vector<Pending> batch;
    batch.reserve(kBatch);
    batch.swap(outbox[dest]);
    Inbox& in = (*all)[dest]->inbox;
    std::lock_guard<std::mutex> lock(in.mu);
    in.batches.push_back(std::move(batch));
  }
  void SendAll() {
    for (int d = 0; d < partitions; ++d) {
      if (d != id && !outbox[d].empty()) Send(d);
    }
  }
  // Applies what other workers sent; prefetches a few entries ahead.
  void Drain() {
    std::vector<std::vector<Pending>> batches;
    {
      std::lock_guard<std::mutex> lock(inbox.mu);
      batches.swap(inbox.batches);
    }
    constexpr size_t kAhead = 8;
    for (const auto& batch : batches) {
      for (size_t i = 0; i < batch.size(); ++i) {
        if (i + kAhead < batch.size()) table.Prefetch(batch[i + kAhead].hash);
        Apply(batch[i]);
      }
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
    o.flags = static_cast<uint16_t>(v.flags);
    o.version_code = TlsVersionCode(v.tls_version);
    o.outcome = outcome;
    o.worker_plus_one = static_cast<uint8_t>(id + 1);
    if (collect) {
      o.banner = banners.Intern(v.banner);
      o.cipher = static_cast<uint16_t>(ciphers.Intern(v.tls_cipher));
      if (v.cert_sha256) {
        o.cert = cert_ids.Intern({reinterpret_cast<const char*>(v.cert_sha256), 32});
      }
    }
    uint64_t key = uint64_t{v.address} << 2 | static_cast<uint64_t>(proto);
    uint64_t hash = HostTable<HostState>::Hash(key);
    if (partitions > 1) {
      int dest = PartitionOf(hash, partitions);
      if (dest != id) {
        outbox[dest].push_back({key, hash, slot - kProtocolSlots[proto].first, o});
        if (outbox[dest].size() >= kBatch) Send(dest);
        return;
      }
    }
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
  if (options_.threads > 254) options_.threads = 254;
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
  // Capped: several runs over the same hosts would overestimate; the tables grow as needed.
  const uint64_t expected_keys = std::min<uint64_t>(bytes / 30 / 2, uint64_t{1} << 21);
  workers_.clear();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->id = static_cast<uint8_t>(i);
    w->partitions = n;
    w->collect = options_.collect_hosts;
    w->outbox.resize(n);
    w->table.Reserve(expected_keys / n);
    workers_.push_back(std::move(w));
  }

  std::vector<Worker*> all;
  for (auto& w : workers_) all.push_back(w.get());
  for (auto& w : workers_) w->all = &all;

  // Phase 1: scan block ranges; each worker joins its partition's keys into its table and
  // sends the others' to them.
  std::atomic<size_t> next{0};
  auto scan = [&](Worker* w) {
    CorruptionFn report = [w](const Corruption& c) {
      if (w->corruptions.size() < 1000) w->corruptions.push_back(c);
    };
    for (size_t t; (t = next.fetch_add(1)) < tasks.size();) {
      w->stats.Add(tasks[t].reader->Scan(w, report, tasks[t].begin, tasks[t].end));
      w->FlushPending();
      w->Drain();
    }
    w->SendAll();
  };
  auto in_parallel = [&](auto&& f) {
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) threads.emplace_back(f, i);
    f(0);
    for (auto& t : threads) t.join();
  };
  in_parallel([&](int i) { scan(workers_[i].get()); });
  // Everything has been sent once every scan has ended.
  in_parallel([&](int i) { workers_[i]->Drain(); });
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

  // Phase 2: each partition classifies and counts its keys.
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
  // Worker p's table holds exactly partition p's keys.
  auto merge = [&](int p) {
    const HostTable<HostState>* merged = &workers_[p]->table;
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
      if (tls >= 0) ++out.versions[proto][VersionBucket(state.obs[tls].version_code)];
      if (!options_.collect_hosts || cls == HostClass::kNoService || rep < 0) return;
      HostRow row;
      row.address = address;
      row.protocol = proto;
      row.cls = cls;
      row.without_tls = vulnerable;
      row.country = cc;
      if (options_.asn) row.asn = options_.asn->Asn(address);
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
  if (!o.present() || static_cast<size_t>(o.worker()) >= workers_.size()) return {};
  return workers_[o.worker()]->banners.Get(o.banner);
}

std::string_view Aggregator::Cipher(const PortObs& o) const {
  if (!o.present() || static_cast<size_t>(o.worker()) >= workers_.size()) return {};
  return workers_[o.worker()]->ciphers.Get(o.cipher);
}

const CertificateFacts* Aggregator::Certificate(const PortObs& o) const {
  if (!o.present() || static_cast<size_t>(o.worker()) >= workers_.size() || o.cert == 0) {
    return nullptr;
  }
  auto it = certs_.find(ToAbsl(workers_[o.worker()]->cert_ids.Get(o.cert)));
  return it == certs_.end() ? nullptr : &it->second;
}

uint8_t TlsVersionCode(uint16_t version) {
  if (version == 0) return 0;
  if (version >= 0x0300 && version <= 0x0304) return static_cast<uint8_t>(version - 0x0300 + 1);
  return 6;
}

uint16_t PortObs::tls_version() const {
  static constexpr uint16_t kVersions[] = {0, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0xffff};
  return kVersions[version_code < 7 ? version_code : 6];
}

}  // namespace mailsweep::results
