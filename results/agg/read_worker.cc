#include "results/agg/read_worker.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "results/format/chunk_decoder.h"

namespace mailsweep::results {

void ReadWorker::Init(unsigned partition_bits, size_t compact_tuples, uint64_t budget_bytes) {
  bits = partition_bits;
  compact_when_held = budget_bytes / (collect ? sizeof(Tuple) : sizeof(SlimTuple));
  if (collect) {
    parts.resize(size_t{1} << bits);
  } else {
    arena = std::make_unique<PageArena>();
    slim_parts.reserve(size_t{1} << bits);
    for (size_t p = 0; p < (size_t{1} << bits); ++p) slim_parts.emplace_back(arena.get());
    slim_lines = std::make_unique<TupleLine[]>(size_t{1} << (bits + kLineShift));
    slim_line_n.assign(size_t{1} << bits, 0);
  }
  compact_min = std::max<size_t>(compact_tuples, 1);
  compact_at.assign(size_t{1} << bits, compact_min);
}

// A compaction's result takes the place of partition p's list.
template <typename T>
void ReadWorker::ReplaceList(TupleList<T>* list, TupleList<T> compacted, uint32_t p) {
  held_tuples -= list->size() - compacted.size();
  list->Recycle();
  *list = std::move(compacted);
  compact_at[p] = std::max(2 * list->size(), compact_min);
}

// Joins partition p's list and replaces it by the latest tuple per (address, port).
void ReadWorker::Compact(uint32_t p) {
  scratch.Reset();
  JoinList(&scratch, parts[p], *pools);
  TupleList<Tuple> out;
  scratch.ForEach([&](uint64_t key, const HostState& state) {
    const int proto = static_cast<int>(key & 3);
    for (int s = 0; s < 3; ++s) {
      if (!state.obs[s].present()) continue;
      Tuple t{};
      t.address = static_cast<uint32_t>(key >> 2);
      t.slot = static_cast<uint8_t>(kProtocolSlots[proto].first + s);
      t.obs = state.obs[s];
      out.Add(t);
    }
  });
  ReplaceList(&parts[p], std::move(out), p);
}

// The same without details.
void ReadWorker::CompactSlim(uint32_t p) {
  JoinList(&slim_scratch, slim_parts[p]);
  TupleList<SlimTuple> out(arena.get());
  slim_scratch.Drain([&](uint32_t rest, const AddressState& state) {
    for (uint32_t s = 0; s < kMailPorts; ++s) {
      const SlimObs& o = state.obs[s];
      if (!o.present()) continue;
      out.Add(SlimTuple::Of(rest, s, o.traits(), o.version_code(), o.time()));
    }
  });
  ReplaceList(&slim_parts[p], std::move(out), p);
}

// At the end of the reading phase: the partly filled lines go to their lists.
void ReadWorker::FlushLines() {
  for (size_t p = 0; p < slim_line_n.size(); ++p) {
    for (size_t i = 0; i < slim_line_n[p]; ++i) {
      SlimTuple t;
      std::memcpy(&t, slim_lines[p << kLineShift].bytes + i * sizeof(SlimTuple), sizeof(t));
      slim_parts[p].Add(t);
      if (++held_tuples > peak_tuples) peak_tuples = held_tuples;
    }
    slim_line_n[p] = 0;
  }
  FenceStreams();
}

// Counts a probe's outcome; returns its port's slot, or -1 (not a mail port: not counted).
int ReadWorker::CountProbe(const ProbeSummary& v) {
  const int slot = MailPortSlot(v.port);
  if (slot < 0) {
    ++other_port;
    return -1;
  }
  const auto outcome = static_cast<uint8_t>(v.outcome);
  ++outcomes[slot][outcome < kProbeOutcomeSlots ? outcome : 0];
  return slot;
}

// Without details (SummaryOnly), the worker decodes each chunk itself: its code per probe
// record (SlimHandler::OnSummary) is inlined into the decoding loop; a full line going to its
// list is a call.
struct ReadWorker::SlimHandler {
  explicit SlimHandler(ReadWorker* worker)
      : w(worker),
        rest_bits(32 - worker->bits),
        rest_mask((uint32_t{1} << rest_bits) - 1),
        lines(worker->slim_lines.get()),
        line_n(worker->slim_line_n.data()) {}
  void OnSweep(const SweepRecord&) {}
  __attribute__((always_inline)) void OnSummary(const ProbeSummary& v) {
    const int slot = w->CountProbe(v);
    if (slot < 0) return;
    const uint32_t mixed = MixAddress(v.address);
    const uint32_t p = mixed >> rest_bits;
    const SlimTuple t = SlimTuple::Of(
        mixed & rest_mask, static_cast<uint32_t>(slot), PortTraitsOf({true, v.outcome, v.flags}),
        TlsVersionCode(v.tls_version), ObsTime(v.start_us));
    const unsigned n = line_n[p];  // the partition's lines are consecutive
    std::memcpy(lines[p << kLineShift].bytes + n * sizeof(SlimTuple), &t, sizeof(t));
    if (n + 1 < kPerLineBuffer) {
      line_n[p] = static_cast<uint8_t>(n + 1);
    } else {
      line_n[p] = 0;
      w->FlushSlimLine(p);
    }
  }

  ReadWorker* const w;
  const unsigned rest_bits;  // <= SlimTuple::kRestBits
  const uint32_t rest_mask;
  TupleLine* const lines;
  uint8_t* const line_n;
};

bool ReadWorker::DecodeSummaryChunk(ChunkDecoder* decoder, std::string_view chunk,
                                    std::string* error, uint64_t* sweeps, uint64_t* probes,
                                    uint64_t* certs, bool* ok) {
  SlimHandler handler(this);
  *ok = decoder->DecodeSummaries(chunk, handler, error, sweeps, probes, certs);
  return true;
}

__attribute__((noinline)) void ReadWorker::FlushSlimLine(uint32_t p) {
  for (size_t i = 0; i < (size_t{1} << kLineShift); ++i) {
    slim_parts[p].AddLine(slim_lines[(p << kLineShift) + i]);
  }
  held_tuples += kPerLineBuffer;
  if (held_tuples > peak_tuples) peak_tuples = held_tuples;
  if (slim_parts[p].size() >= compact_at[p] && held_tuples >= compact_when_held) CompactSlim(p);
}

// With details.
void ReadWorker::OnProbe(const ProbeView& v) {
  const int slot = CountProbe(v);
  if (slot < 0) return;
  const auto outcome = static_cast<uint8_t>(v.outcome);
  const uint32_t p = PartitionOf(v.address, bits);
  Tuple t;
  t.address = v.address;
  t.slot = static_cast<uint8_t>(slot);
  t.unused = 0;
  PortObs& o = t.obs;
  o = PortObs();
  o.time_s = ObsTime(v.start_us);
  o.flags = static_cast<uint16_t>(v.flags);
  o.version_code = TlsVersionCode(v.tls_version);
  o.outcome = outcome;
  o.worker_plus_one = static_cast<uint8_t>(id + 1);
  o.banner = banners.Intern(v.banner);
  o.cipher = static_cast<uint16_t>(ciphers.Intern(v.tls_cipher));
  if (v.cert_sha256) o.cert = cert_ids.Intern({reinterpret_cast<const char*>(v.cert_sha256), 32});
  if (!v.domain.empty()) {
    auto [it, fresh] = names.try_emplace(uint64_t{v.address} << 16 | v.port, Named{});
    // Ties go by content, as for the probe (TieGoesTo): the greater name.
    if (fresh || o.time_s > it->second.time_s ||
        (o.time_s == it->second.time_s && v.domain >= domains.Get(it->second.domain))) {
      it->second = {o.time_s, domains.Intern(v.domain)};
    }
  }
  parts[p].Add(t);
  if (++held_tuples > peak_tuples) peak_tuples = held_tuples;
  if (parts[p].size() >= compact_at[p] && held_tuples >= compact_when_held) Compact(p);
}

void ReadWorker::OnCertificate(const CertificateFacts& c) {
  if (!collect) return;
  certs.try_emplace(std::string(reinterpret_cast<const char*>(c.sha256.data()), 32), c);
}

}  // namespace mailsweep::results
