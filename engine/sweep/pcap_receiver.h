// The capture side of a sweep: a libpcap handle on the sweep's interface (TPACKET_V3 ring: replies
// reach Poll() in blocks, at most kBlockTimeoutMs after they arrive) with a large kernel buffer and
// a BPF filter that passes only what can be a reply to our probes (TCP SYN-ACK or RST to our
// addresses and source ports, ICMP unreachable to our addresses). Opened at set-up (needs
// CAP_NET_RAW); Poll() needs no privilege.
//
// Example:
//   auto rx = PcapReceiver::Open({.interface = "eth0", .addresses = {src},
//                                 .first_port = 61000, .last_port = 65535});
//   (*rx)->Poll(100, [&](const uint8_t* frame, size_t len, int64_t time_us) { ... });
//
// One thread owns a receiver (the sweeper's receive thread).
#ifndef MAILSWEEP_ENGINE_SWEEP_PCAP_RECEIVER_H_
#define MAILSWEEP_ENGINE_SWEEP_PCAP_RECEIVER_H_

#include <pcap/pcap.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mailsweep::engine {

struct PcapReceiverOptions {
  std::string interface;
  std::vector<uint32_t> addresses;  // our source addresses (host order)
  uint16_t first_port = 0;          // our source port range
  uint16_t last_port = 65535;
  int buffer_bytes = 64 << 20;
};

struct CaptureStats {
  uint64_t received = 0;    // packets the filter passed
  uint64_t dropped = 0;     // dropped because the capture buffer was full
  uint64_t if_dropped = 0;  // dropped by the interface/driver
};

class PcapReceiver {
 public:
  static absl::StatusOr<std::unique_ptr<PcapReceiver>> Open(const PcapReceiverOptions& options);
  ~PcapReceiver();

  // The kernel hands over a partly filled block of replies after this long (libpcap's timeout).
  static constexpr int kBlockTimeoutMs = 10;

  // The filter Open() installs, for the given options (shown by tests and --help).
  static std::string FilterFor(const PcapReceiverOptions& options);

  // Waits up to `timeout_ms` for packets and hands each to `handle` (frame, captured length,
  // capture time in Unix microseconds). Returns the number handled, or an error.
  using Handler = void (*)(void* context, const uint8_t* frame, size_t len, int64_t time_us);
  absl::StatusOr<int> Poll(int timeout_ms, Handler handle, void* context);

  CaptureStats Stats();

 private:
  explicit PcapReceiver(pcap_t* pcap) : pcap_(pcap) {}
  pcap_t* pcap_;
  int fd_ = -1;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_PCAP_RECEIVER_H_
