#include "engine/prober/prober_options.h"

#include <cstring>

#include "base/dns_name.h"
#include "base/strings.h"

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
  if (queue_capacity == 0) return absl::InvalidArgumentError("queue capacity must be positive");
  if (retries > 10) return absl::InvalidArgumentError("retries: 0..10");
  if (retry_delay_ms == 0 || retry_delay_ms > 3'600'000) {
    return absl::InvalidArgumentError("retry delay: 1 ms to 1 hour");
  }
  if (session.ehlo_name.empty() || session.ehlo_name.find_first_of(" \r\n") != std::string::npos) {
    return absl::InvalidArgumentError("EHLO name must be one word");
  }
  if (!sni.empty() && !IsDnsName(sni)) {
    return absl::InvalidArgumentError(StrCat("SNI '", sni, "' is not a DNS name"));
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
