// Where a sender thread's frames go, one batch at a time:
//   - kSendmmsg: an AF_PACKET socket and sendmmsg(), one system call per batch;
//   - kTxRing: an AF_PACKET PACKET_TX_RING (TPACKET_V2), frames copied into the shared ring and
//     one send() per batch to kick it (a sweep's default, SweeperConfig::send_method and
//     --send-method: the faster on the lab veth, see bench/README.md and bench/send_path_bench);
//   - a pcap file (--dryrun): frames are written, nothing is sent.
// Both AF_PACKET paths may bypass the qdisc layer (PACKET_QDISC_BYPASS). Sockets are opened
// (which needs CAP_NET_RAW) by Open*() at set-up; Send() needs no privilege.
//
// Example:
//   auto out = OpenPacketWriter({.method = SendMethod::kSendmmsg, .interface = "eth0"});
//   (*out)->Send(frames, kSynFrameSize, 64);
//
// A PacketWriter belongs to one thread, except the pcap file writer, which serialises writers
// with a mutex (dry runs only).
#ifndef MAILSWEEP_ENGINE_SWEEP_SEND_PATH_H_
#define MAILSWEEP_ENGINE_SWEEP_SEND_PATH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mailsweep::engine {

enum class SendMethod { kSendmmsg, kTxRing, kPcapFile };

const char* SendMethodName(SendMethod m);
// "sendmmsg" or "txring".
absl::StatusOr<SendMethod> ParseSendMethod(std::string_view text);

struct SendPathOptions {
  SendMethod method = SendMethod::kSendmmsg;
  std::string interface;  // AF_PACKET paths
  std::string pcap_path;  // kPcapFile
  bool qdisc_bypass = false;
  uint32_t max_batch = 256;
};

struct SendCounters {
  uint64_t sent = 0;
  uint64_t retries = 0;  // times the kernel said ENOBUFS/EAGAIN and we waited
  uint64_t errors = 0;   // frames given up on after a hard error
};

class PacketWriter {
 public:
  virtual ~PacketWriter() = default;
  // Sends `count` (<= max_batch) frames of `frame_size` bytes each, stored back to back at
  // `frames`. Waits (briefly, sleeping) while the kernel has no buffer space; gives up on a frame
  // only after a hard error, counted in `counters->errors`.
  virtual void Send(const uint8_t* frames, size_t frame_size, size_t count,
                    SendCounters* counters) = 0;
};

// Opens the writer (sockets, rings, files). Errors name the interface or file.
absl::StatusOr<std::unique_ptr<PacketWriter>> OpenPacketWriter(const SendPathOptions& options);

// A pcap file shared by several threads (for --dryrun): one file, several writers.
class PcapFile;
absl::StatusOr<std::shared_ptr<PcapFile>> CreatePcapFile(const std::string& path);
std::unique_ptr<PacketWriter> NewPcapFileWriter(std::shared_ptr<PcapFile> file);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_SEND_PATH_H_
