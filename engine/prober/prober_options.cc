#include "engine/prober/prober_options.h"

#include <bit>
#include <cstring>

#include "base/dns_name.h"
#include "base/strings.h"
#include "base/usable_memory.h"
#include "targets/ipv4.h"

namespace mailsweep::engine {

absl::Status ProberOptions::Validate() const {
  if (threads == 0 || threads > 256) return absl::InvalidArgumentError("threads: 1..256");
  if (max_connections < threads) {
    return absl::InvalidArgumentError(
        StrCat("max connections (", max_connections, ") below the thread count (", threads, ")"));
  }
  if (connect_timeout_ms == 0 || read_timeout_ms == 0 || target_timeout_ms == 0) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  // A slot is a queued target (~32 bytes with its cell); the hand-off queues of all loops must
  // fit in a quarter of the memory this process may use (the machine, its control group,
  // ulimit -v), and one queue holds at most 2^24 targets.
  if (queue_capacity == 0 || queue_capacity > kMaxQueueCapacity) {
    return absl::InvalidArgumentError(
        StrCat("queue: 1 to ", kMaxQueueCapacity, " slots per thread, not ", queue_capacity));
  }
  const uint64_t usable = ProcessUsableMemory();
  const uint64_t queue_bytes = uint64_t{threads} * std::bit_ceil(uint64_t{queue_capacity}) * 32;
  if (queue_bytes > usable / 4) {
    return absl::InvalidArgumentError(
        StrCat("queue: ", threads, " threads x ", queue_capacity, " slots take ",
               queue_bytes >> 20, " MiB, more than a quarter of the ", usable >> 20,
               " MiB this process may use"));
  }
  // Connections in flight (a TLS one holds OpenSSL's state and buffers) in half of it.
  const uint64_t connection_bytes = uint64_t{max_connections} * kBytesPerConnection;
  if (connection_bytes > usable / 2) {
    return absl::InvalidArgumentError(
        StrCat("concurrency: ", max_connections, " connections take up to ",
               connection_bytes >> 20, " MiB (", kBytesPerConnection >> 10,
               " KiB each), more than half of the ", usable >> 20, " MiB this process may use"));
  }
  if (retries > 10) return absl::InvalidArgumentError("retries: 0..10");
  if (retry_delay_ms == 0 || retry_delay_ms > 3'600'000) {
    return absl::InvalidArgumentError("retry delay: 1 ms to 1 hour");
  }
  // RFC 5321 4.1.1.1: the EHLO argument is the client's domain or an address literal.
  const std::string& ehlo = session.ehlo_name;
  const bool literal = ehlo.size() > 2 && ehlo.front() == '[' && ehlo.back() == ']' &&
                       targets::ParseIpv4(ehlo.substr(1, ehlo.size() - 2)).ok();
  if (!IsDnsName(ehlo) && !literal) {
    return absl::InvalidArgumentError(
        StrCat("EHLO name ", Quote(ehlo), " is not a DNS name (or an address literal [a.b.c.d])"));
  }
  if (!sni.empty() && !IsDnsName(sni)) {
    return absl::InvalidArgumentError(StrCat("SNI ", Quote(sni), " is not a DNS name"));
  }
  return absl::OkStatus();
}

TargetName::TargetName(std::string_view name) {
  if (name.empty()) return;
  name_ = std::make_unique_for_overwrite<char[]>(name.size() + 1);
  std::memcpy(name_.get(), name.data(), name.size());
  name_[name.size()] = '\0';
}

}  // namespace mailsweep::engine
