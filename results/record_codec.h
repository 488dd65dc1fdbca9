// Encoding of records into "chunks", the logical records of a record file (results/FORMAT.md,
// section Chunks). A chunk is self-describing: its own string table, sweep-shape table and
// certificate-reference table, so every chunk decodes alone (parallel readers, corruption
// recovery); certificate bodies are stored once per file and writer thread and referenced by
// SHA-256. ChunkEncoder is used by one writer thread (RecordFileWriter's sinks); ChunkDecoder by
// one reader thread. Neither does I/O.
//
// Example:
//   ChunkEncoder enc;
//   enc.Add(sweep_record);
//   ChunkDecoder dec;
//   dec.Decode(enc.data(), &visitor, &error);
#ifndef MAILSWEEP_RESULTS_RECORD_CODEC_H_
#define MAILSWEEP_RESULTS_RECORD_CODEC_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "results/records.h"

namespace mailsweep::results {

// Version 2 added the probe record's optional domain; version 3 moved a probe record's summary
// fields ahead of a length-prefixed tail; version 4 gave them fixed widths; version 5 added the
// optional attempts (FORMAT.md 2.2). Readers read 1 to 5.
constexpr uint32_t kFormatVersion = 5;
constexpr std::string_view kFileMagic = "MSWPREC\n";  // 8 bytes, first bytes of the header chunk
static_assert(kFileMagic.size() == 8);

enum ChunkType : uint8_t {
  kHeaderChunk = 1,
  kRecordsChunk = 2,
};

// Record heads inside a records chunk: varint head, kind = head & 3 (FORMAT.md).
enum RecordKind : uint8_t {
  kSweepKnownShape = 0,  // head >> 2 = index into the chunk's shape table
  kSweepNewShape = 1,    // a shape follows and is appended to the table
  kProbe = 2,            // head >> 2: kProbe* bits below
  kExtended = 3,         // head >> 2 = ExtendedKind
};
// Bits of (head >> 2) of a probe record.
constexpr uint64_t kProbeHasDomain = 1;  // a domain ends the record (version 2)
constexpr uint64_t kProbeSplit = 2;      // summary fields, then a length-prefixed tail (version 3)
constexpr uint64_t kProbeFixed = 4;      // fixed-width summary fields, then the rest (version 4)
constexpr uint64_t kProbeAttempts = 8;   // attempts (2-255) end the rest (version 5, fixed only)
// The three probe record layouts: versions 1-2, 3 and 4.
enum class ProbeLayout : uint8_t { kLegacy, kSplit, kFixed };
enum ExtendedKind : uint8_t {
  kCertificateDef = 0,
};

std::string EncodeHeaderChunk(const FileHeader& header);
// kDataLoss: not a header / malformed; kUnimplemented: a newer format version.
absl::StatusOr<FileHeader> DecodeHeaderChunk(std::string_view chunk);

// The summary fields of a probe record: what a roll-up needs, and what a visitor that asks for
// summaries only (RecordVisitor::SummaryOnly) gets, in batches.
struct ProbeSummary {
  uint32_t address = 0;
  uint16_t port = 0;
  Protocol protocol = Protocol::kUnknown;
  TlsMode tls_mode = TlsMode::kStartTls;
  ProbeOutcome outcome = ProbeOutcome::kNoGreeting;
  uint16_t tls_version = 0;
  uint32_t flags = 0;
  int64_t start_us = 0;
};

// A probe record as decoded: strings view into the chunk, valid during the visitor call.
struct ProbeView : ProbeSummary {
  uint32_t connect_us = 0;
  uint32_t duration_us = 0;
  std::string_view banner, capabilities, capabilities_tls, auth_mechanisms, auth_mechanisms_tls;
  std::string_view tls_cipher;
  uint8_t chain_length = 0;
  std::string_view tls_failure;
  const uint8_t* cert_sha256 = nullptr;  // 32 bytes, or nullptr when there is no leaf
  std::string_view domain;
  uint8_t attempts = 1;
};

// Copies a view into a record; tls.leaf is left empty (the caller resolves cert_sha256).
void ToProbeRecord(const ProbeView& view, ProbeRecord* out);

class ChunkDecoder;
class Cursor;

// Receives decoded records. Called on the decoding thread.
class RecordVisitor {
 public:
  virtual ~RecordVisitor() = default;
  virtual void OnSweep(const SweepRecord& /*record*/) {}
  virtual void OnProbe(const ProbeView& /*record*/) {}
  virtual void OnCertificate(const CertificateFacts& /*cert*/) {}
  // True when probe summaries (ProbeSummary) are all the visitor needs. The decoder then skips
  // the tails of version 3 probe records and whole certificate definitions (OnCertificate is
  // not called) without decoding them, so a malformed tail goes unnoticed (the chunk's CRC still
  // guards against damage), and hands the summaries to OnProbeSummaries instead of OnProbe.
  // Asked once per chunk.
  virtual bool SummaryOnly() const { return false; }
  // With SummaryOnly(): the probe records' summaries, in file order, up to kSummaryBatch at a
  // time (a loop in one call instead of a virtual call per record). A batch is delivered before
  // the next sweep record's OnSweep, so the order of all records is kept. The default passes
  // each on to OnProbe as a ProbeView whose other fields are empty.
  static constexpr size_t kSummaryBatch = 256;
  virtual void OnProbeSummaries(std::span<const ProbeSummary> batch);
  // With SummaryOnly(): a visitor may decode each records chunk itself, with
  // decoder->DecodeSummaries and a handler of its own whose per-record code the compiler
  // inlines into the decoding loop (results/summary_decoding.h). It then returns true and sets
  // *ok as ChunkDecoder::Decode would return. The default returns false: the decoder decodes
  // and calls OnProbeSummaries.
  virtual bool DecodeSummaryChunk(ChunkDecoder* /*decoder*/, std::string_view /*chunk*/,
                                  std::string* /*error*/, uint64_t* /*sweeps*/,
                                  uint64_t* /*probes*/, uint64_t* /*certs*/, bool* /*ok*/) {
    return false;
  }
};

class ChunkEncoder {
 public:
  ChunkEncoder() = default;
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  void Add(const SweepRecord& r);
  // Also writes the certificate body the first time this encoder sees its SHA-256.
  void Add(const ProbeRecord& r);

  bool empty() const { return records_ == 0; }
  size_t size() const { return buf_.size(); }
  uint64_t records() const { return records_; }
  std::string_view data() const { return buf_; }
  // Starts a new chunk. The set of certificates already written survives (per writer thread).
  void Reset();

 private:
  void Begin(int64_t time_us);
  // The zigzag of the step from the previous time in the chunk, which becomes time_us.
  uint64_t TimeStep(int64_t time_us);
  void PutString(std::string_view s);

  std::string buf_;
  uint64_t records_ = 0;
  int64_t last_time_us_ = 0;
  absl::flat_hash_map<std::string, uint32_t> strings_;
  absl::flat_hash_map<uint64_t, uint32_t> shapes_;
  absl::flat_hash_map<std::string, uint32_t> chunk_certs_;  // sha256 bytes -> index
  absl::flat_hash_set<std::string> certs_written_;          // bounded, see Add()
};

class ChunkDecoder {
 public:
  // Decodes chunks of a file of `format_version` (FileHeader::format_version, 1 to
  // kFormatVersion): a record that version cannot hold is malformed.
  explicit ChunkDecoder(uint32_t format_version = kFormatVersion);

  // Decodes one chunk of type kRecordsChunk, calling `visitor` per record. Returns false at the
  // first malformed record with `*error` saying what and where; records before it were visited.
  // Counts are added to the three counters when non-null.
  bool Decode(std::string_view chunk, RecordVisitor* visitor, std::string* error,
              uint64_t* sweeps = nullptr, uint64_t* probes = nullptr, uint64_t* certs = nullptr);
  // The same for a summary-only consumer, calling handler.OnSweep(const SweepRecord&) per sweep
  // record and handler.OnSummary(const ProbeSummary&) per probe record; certificates are
  // skipped. Defined in results/summary_decoding.h.
  template <typename Handler>
  bool DecodeSummaries(std::string_view chunk, Handler& handler, std::string* error,
                       uint64_t* sweeps = nullptr, uint64_t* probes = nullptr,
                       uint64_t* certs = nullptr);

 private:
  // Records decoded from one chunk so far; added to the caller's counters when decoding ends.
  struct Counts {
    uint64_t sweeps = 0, probes = 0, certs = 0;
    void AddTo(uint64_t* s, uint64_t* p, uint64_t* c) const {
      if (s) *s += sweeps;
      if (p) *p += probes;
      if (c) *c += certs;
    }
  };
  // Empties the chunk's tables and reads the chunk's type and base time.
  bool BeginChunk(Cursor* in, uint64_t* last_time, std::string* error);
  // Says in *error what is malformed where: `remaining` bytes before the end of the chunk.
  static void Malformed(const char* what, std::string_view chunk, size_t remaining,
                        std::string* error);
  // A sweep record after its head; returns what is wrong, or nullptr.
  const char* DecodeSweep(uint64_t head, Cursor* in, uint64_t* last_time, SweepRecord* out);
  // Whether (head >> 2) of a probe record is valid in this decoder's format version.
  bool ValidProbeHead(uint64_t bits) const { return bits < 16 && (probe_heads_ >> bits & 1); }
  // `bits` is (head >> 2), already valid.
  template <ProbeLayout kLayout>
  const char* DecodeProbeBody(const char* p, const char* end, uint64_t* last_time, uint64_t bits,
                              ProbeView* out);

  // Bit b set: (head >> 2) = b is a valid probe record head (b < 16).
  uint16_t probe_heads_;

  struct Shape {
    uint16_t port;
    SweepStatus status;
    uint8_t ttl;
    uint16_t window;
  };
  std::vector<std::string_view> strings_;
  std::vector<Shape> shapes_;
  std::vector<const uint8_t*> certs_;
  std::array<ProbeSummary, RecordVisitor::kSummaryBatch> summaries_;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_RECORD_CODEC_H_
