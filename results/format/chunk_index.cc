#include "results/format/chunk_index.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "results/format/coding.h"
#include "results/format/log_format.h"

namespace mailsweep::results {
namespace {

// An end record is a few bytes per writer; more than this is not one.
constexpr size_t kMaxEndChunk = 1 << 20;

std::string SeqRange(uint64_t from, uint64_t to) {
  return from == to ? StrCat("chunk ", from) : StrCat("chunks ", from, "-", to);
}

}  // namespace

const char* DamageName(Damage d) {
  switch (d) {
    case Damage::kDamaged: return "damaged";
    case Damage::kMalformed: return "malformed";
    case Damage::kForeign: return "foreign";
    case Damage::kDuplicate: return "duplicate";
    case Damage::kMissing: return "missing";
    case Damage::kOutOfOrder: return "out of order";
    case Damage::kNotClosed: return "not closed";
    case Damage::kTornTail: return "torn tail";
    case Damage::kLostDefinition: return "lost definition";
  }
  return "damaged";
}

ChunkIndex::ChunkIndex(std::string_view data, uint64_t file_id) {
  Walk(data);
  Analyse(file_id, data.size());
}

// The fragment framing of RecordFileReader's log reader, without checksums: a fragment whose
// framing is wrong ends the block, as there. A chunk's identity is the first kEnvelopeHeadSize
// bytes of its fragments; writer 0's chunks (end records) are kept whole.
void ChunkIndex::Walk(std::string_view data) {
  const uint64_t size = data.size();
  uint64_t pos = 0;
  bool collecting = false;  // gathering the bytes of the chunk that starts at `start`
  bool whole = false;       // all of them (an end record), not only the identity
  uint64_t start = 0;
  std::string buf;
  while (pos < size) {
    const uint64_t block_left = log::kBlockSize - pos % log::kBlockSize;
    if (block_left < log::kHeaderSize) {
      pos += block_left;
      continue;
    }
    const uint64_t file_left = size - pos;
    if (file_left < log::kHeaderSize) break;
    const char* h = data.data() + pos;
    const uint32_t length = DecodeFixed16(h + 4);
    const uint8_t type = static_cast<uint8_t>(h[6]);
    if (type == log::kZeroType || type > log::kMaxFragmentType ||
        log::kHeaderSize + length > block_left) {
      pos += std::min(block_left, file_left);
      collecting = false;
      continue;
    }
    if (log::kHeaderSize + length > file_left) break;
    std::string_view payload(h + log::kHeaderSize, length);
    if (type == log::kFullType || type == log::kFirstType) {
      collecting = pos != 0;  // the header chunk at offset 0 is not sealed
      whole = false;
      start = pos;
      buf.clear();
    }
    if (collecting && !whole) {
      const size_t take = std::min<size_t>(payload.size(), kEnvelopeHeadSize - buf.size());
      buf.append(payload.substr(0, take));
      payload.remove_prefix(take);
      ChunkId id;
      if (buf.size() == kEnvelopeHeadSize) {
        collecting = false;
        if (ReadChunkId(buf, &id)) {
          entries_.push_back({start, id, Verdict::kKeep, 0});
          if (id.writer == 0) collecting = whole = true;
        }
      }
    }
    if (collecting && whole) {
      buf.append(payload);
      if (buf.size() > kMaxEndChunk) collecting = false;
    }
    if (type == log::kFullType || type == log::kLastType) {
      if (collecting && whole) {
        end_chunks_.push_back(std::move(buf));
        end_offsets_.push_back(start);
      }
      collecting = false;
    }
    pos += log::kHeaderSize + length;
  }
}

void ChunkIndex::Analyse(uint64_t file_id, uint64_t file_size) {
  // Keep the first copy of each (writer, seq); note what comes out of its writer's order.
  absl::flat_hash_map<std::pair<uint32_t, uint64_t>, uint64_t> first_at;
  absl::flat_hash_map<uint32_t, uint64_t> max_seq;
  absl::flat_hash_map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> kept;  // seq, offset
  uint64_t end_offset = 0;
  for (Entry& e : entries_) {
    if (e.id.file_id != file_id) {
      e.verdict = Verdict::kUnknown;  // the reader drops it as foreign
      continue;
    }
    auto [it, inserted] = first_at.try_emplace(std::make_pair(e.id.writer, e.id.seq), e.offset);
    e.first = it->second;
    if (!inserted) {
      e.verdict = Verdict::kDuplicate;
      std::vector<uint64_t>& copies = copies_[e.first];
      if (copies.empty()) copies.push_back(e.first);
      copies.push_back(e.offset);
      continue;
    }
    if (e.id.writer == 0) continue;
    uint64_t& max = max_seq[e.id.writer];
    if (e.id.seq < max) {
      findings_.push_back({e.offset, Damage::kOutOfOrder,
                           StrCat("chunk ", e.id.seq, " of writer ", e.id.writer,
                                  " comes after its chunk ", max)});
    }
    max = std::max(max, e.id.seq);
    kept[e.id.writer].push_back({e.id.seq, e.offset});
  }
  // The end record: the first copy of writer 0's chunk 1 that opens and decodes.
  for (size_t i = 0; i < end_chunks_.size() && !closed_; ++i) {
    ChunkId id;
    std::string_view chunk;
    if (OpenChunk(end_chunks_[i], &id, &chunk) == EnvelopeCheck::kOk && id.file_id == file_id &&
        id.seq == 1 && DecodeEndChunk(chunk, &tallies_)) {
      closed_ = true;
      end_offset = end_offsets_[i];
    }
  }
  end_chunks_.clear();
  // Gaps in each writer's sequence, reported at the chunk after the gap; with an end record,
  // what is missing after a writer's last chunk, reported at the end record.
  for (auto& [writer, seqs] : kept) {
    std::sort(seqs.begin(), seqs.end());
    uint64_t expect = 1;
    for (const auto& [seq, offset] : seqs) {
      if (seq > expect) {
        findings_.push_back({offset, Damage::kMissing,
                             StrCat(SeqRange(expect, seq - 1), " of writer ", writer,
                                    " missing (", seq - expect, " chunks)")});
      }
      expect = seq + 1;
    }
    if (!closed_) continue;
    const uint64_t declared = writer <= tallies_.size() ? tallies_[writer - 1].chunks : 0;
    if (expect - 1 > declared) {
      findings_.push_back({end_offset, Damage::kDamaged,
                           StrCat("writer ", writer, " has chunks up to ", expect - 1,
                                  ", the end record counts ", declared)});
    }
  }
  for (size_t w = 1; closed_ && w <= tallies_.size(); ++w) {
    auto it = kept.find(static_cast<uint32_t>(w));
    const uint64_t last = it == kept.end() ? 0 : it->second.back().first;
    const uint64_t declared = tallies_[w - 1].chunks;
    if (last < declared) {
      findings_.push_back({end_offset, Damage::kMissing,
                           StrCat(SeqRange(last + 1, declared), " of writer ", w,
                                  " missing at the end (", declared - last, " chunks)")});
    }
  }
  if (!closed_) {
    findings_.push_back({file_size, Damage::kNotClosed,
                         "not closed: no end record (the writer did not finish)"});
  }
  // One order whatever the hash maps' iteration order.
  std::sort(findings_.begin(), findings_.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.offset, a.kind, a.reason) < std::tie(b.offset, b.kind, b.reason);
  });
}

ChunkIndex::Verdict ChunkIndex::VerdictAt(uint64_t offset,
                                          std::span<const uint64_t>* earlier) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), offset,
                             [](const Entry& e, uint64_t o) { return e.offset < o; });
  if (it == entries_.end() || it->offset != offset) return Verdict::kUnknown;
  if (it->verdict == Verdict::kDuplicate) {
    const std::vector<uint64_t>& copies = copies_.at(it->first);
    const size_t before = std::lower_bound(copies.begin(), copies.end(), offset) - copies.begin();
    *earlier = std::span<const uint64_t>(copies.data(), before);
  }
  return it->verdict;
}

}  // namespace mailsweep::results
