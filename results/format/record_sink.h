// Where records go: the one interface through which the sweeper and the prober pool hand their
// results to storage. Implementations: the record-file writer (results/format/record_writer.h) and,
// for tools and tests, text formats. The pipeline owns the sink; producers borrow it.
//
// Thread rule: a RecordSink is used by one thread at a time. A component with several producing
// threads asks its owner for one sink per thread (see RecordSinkFactory).
#ifndef MAILSWEEP_RESULTS_FORMAT_RECORD_SINK_H_
#define MAILSWEEP_RESULTS_FORMAT_RECORD_SINK_H_

#include <memory>

#include "absl/status/status.h"
#include "results/format/records.h"

namespace mailsweep::results {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Cheap: buffers; no system call per record.
  virtual void Add(const SweepRecord& record) = 0;
  virtual void Add(const ProbeRecord& record) = 0;
  // Makes everything added so far durable in the output (written and, for files, flushed to the
  // kernel). Errors are kUnavailable/kDataLoss with the file named.
  virtual absl::Status Flush() = 0;
};

// Hands out per-thread sinks over one output. Thread-safe.
class RecordSinkFactory {
 public:
  virtual ~RecordSinkFactory() = default;
  // The returned sink writes into the shared output; it must not outlive the factory.
  virtual std::unique_ptr<RecordSink> NewSink() = 0;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_RECORD_SINK_H_
