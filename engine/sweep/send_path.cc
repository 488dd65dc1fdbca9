#include "engine/sweep/send_path.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/strings.h"

namespace mailsweep::engine {
namespace {

void SleepMicros(long us) {
  timespec ts{0, us * 1000};
  nanosleep(&ts, nullptr);
}

absl::Status Errno(std::string_view what, int err) {
  return absl::UnavailableError(StrCat(what, ": ", strerror(err)));
}

// An AF_PACKET socket bound to one interface for sending only (protocol 0: it receives nothing).
absl::StatusOr<int> OpenPacketSocket(const SendPathOptions& o, sockaddr_ll* address) {
  const unsigned ifindex = if_nametoindex(o.interface.c_str());
  if (ifindex == 0) return absl::NotFoundError(StrCat("interface '", o.interface, "' not found"));
  const int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    const int err = errno;
    return Errno(StrCat("AF_PACKET socket (needs CAP_NET_RAW) for ", o.interface), err);
  }
  memset(address, 0, sizeof(*address));
  address->sll_family = AF_PACKET;
  address->sll_ifindex = static_cast<int>(ifindex);
  address->sll_protocol = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(address), sizeof(*address)) != 0) {
    const int err = errno;
    close(fd);
    return Errno(StrCat("bind AF_PACKET to ", o.interface), err);
  }
  address->sll_protocol = htons(ETH_P_IP);
  address->sll_halen = 6;
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  if (o.qdisc_bypass) {
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
      const int err = errno;
      close(fd);
      return Errno("PACKET_QDISC_BYPASS", err);
    }
  }
  return fd;
}

class SendmmsgWriter final : public PacketWriter {
 public:
  SendmmsgWriter(int fd, const sockaddr_ll& address, uint32_t max_batch)
      : fd_(fd), address_(address), messages_(max_batch), iov_(max_batch) {
    for (uint32_t i = 0; i < max_batch; ++i) {
      msghdr& h = messages_[i].msg_hdr;
      memset(&h, 0, sizeof(h));
      h.msg_name = &address_;
      h.msg_namelen = sizeof(address_);
      h.msg_iov = &iov_[i];
      h.msg_iovlen = 1;
    }
  }
  ~SendmmsgWriter() override { close(fd_); }

  void Send(const uint8_t* frames, size_t frame_size, size_t count,
            SendCounters* counters) override {
    for (size_t i = 0; i < count; ++i) {
      iov_[i].iov_base = const_cast<uint8_t*>(frames + i * frame_size);
      iov_[i].iov_len = frame_size;
    }
    size_t done = 0;
    int hard_errors = 0;
    while (done < count) {
      const int n = sendmmsg(fd_, &messages_[done], static_cast<unsigned>(count - done), 0);
      if (n > 0) {
        done += static_cast<size_t>(n);
        counters->sent += static_cast<uint64_t>(n);
        continue;
      }
      const int err = n < 0 ? errno : EAGAIN;
      if (err == EINTR) continue;
      if (err == ENOBUFS || err == EAGAIN) {
        ++counters->retries;
        SleepMicros(50);
        continue;
      }
      // A hard error on this frame: skip it, but not forever.
      ++counters->errors;
      ++done;
      if (++hard_errors > 16) {
        counters->errors += count - done;
        return;
      }
    }
  }

 private:
  int fd_;
  sockaddr_ll address_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iov_;
};

// struct virtio_net_hdr of <linux/virtio_net.h>, which C++ cannot include (a member is named
// "class"): all zero but hdr_len means no offload, no checksum to complete.
struct VirtioNetHeader {
  uint8_t flags;
  uint8_t gso_type;  // VIRTIO_NET_HDR_GSO_NONE = 0
  uint16_t hdr_len;  // little-endian, as every host this runs on
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VirtioNetHeader) == 10);

class TxRingWriter final : public PacketWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PacketWriter>> Open(const SendPathOptions& o) {
    sockaddr_ll address;
    auto fd = OpenPacketSocket(o, &address);
    if (!fd.ok()) return fd.status();
    int version = TPACKET_V2;
    if (setsockopt(*fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
      const int err = errno;
      close(*fd);
      return Errno("PACKET_VERSION", err);
    }
    // With a virtio-net header before each frame whose hdr_len covers the whole frame, the
    // kernel copies the frame into the socket buffer's linear part instead of pointing into the
    // ring. Page fragments of the ring must be copied again wherever the packet is delivered
    // inside this host (a veth; the kernel's skb_copy_ubufs), and the headers read from them.
    // Into the benchmark's sink: 852-944k packets/s instead of 651-675k. (The ring honours the
    // header since Linux 4.18.)
    int one = 1;
    const bool vnet = setsockopt(*fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0;
    tpacket_req req{};
    req.tp_block_size = 1 << 16;
    req.tp_frame_size = kFrameSize;
    req.tp_block_nr = 16;
    req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
    if (setsockopt(*fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0) {
      const int err = errno;
      close(*fd);
      return Errno("PACKET_TX_RING", err);
    }
    const size_t size = size_t{req.tp_block_size} * req.tp_block_nr;
    void* ring = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (ring == MAP_FAILED) {
      const int err = errno;
      close(*fd);
      return Errno("mmap PACKET_TX_RING", err);
    }
    return std::unique_ptr<PacketWriter>(
        new TxRingWriter(*fd, address, static_cast<uint8_t*>(ring), size, req.tp_frame_nr, vnet));
  }

  ~TxRingWriter() override {
    munmap(ring_, ring_size_);
    close(fd_);
  }

  void Send(const uint8_t* frames, size_t frame_size, size_t count,
            SendCounters* counters) override {
    constexpr size_t kData = TPACKET_ALIGN(sizeof(tpacket2_hdr));
    for (size_t i = 0; i < count; ++i) {
      uint8_t* slot = ring_ + size_t{next_} * kFrameSize;
      auto* header = reinterpret_cast<tpacket2_hdr*>(slot);
      // Wait for the kernel to hand the slot back (it is full when the NIC lags behind).
      for (int spins = 0;
           __atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE; ++spins) {
        if (__atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_WRONG_FORMAT) {
          ++counters->errors;
          __atomic_store_n(&header->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
          break;
        }
        Kick(counters);
        ++counters->retries;
        pollfd p{fd_, POLLOUT, 0};
        poll(&p, 1, 1);
        if (spins > 10000) {  // ~10 s without a free slot: the interface is gone
          counters->errors += count - i;
          return;
        }
      }
      uint8_t* data = slot + kData;
      if (vnet_) {
        VirtioNetHeader v{};
        v.hdr_len = static_cast<uint16_t>(frame_size);
        memcpy(data, &v, sizeof(v));
        data += sizeof(v);
      }
      memcpy(data, frames + i * frame_size, frame_size);
      header->tp_len = static_cast<uint32_t>(frame_size + (vnet_ ? sizeof(VirtioNetHeader) : 0));
      __atomic_store_n(&header->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      next_ = next_ + 1 == frame_count_ ? 0 : next_ + 1;
      ++pending_;
    }
    Kick(counters);
  }

 private:
  static constexpr uint32_t kFrameSize = 128;  // header (32) + virtio-net header (10) + frame (66)

  TxRingWriter(int fd, const sockaddr_ll& address, uint8_t* ring, size_t ring_size,
               uint32_t frame_count, bool vnet)
      : fd_(fd),
        address_(address),
        ring_(ring),
        ring_size_(ring_size),
        frame_count_(frame_count),
        vnet_(vnet) {}

  void Kick(SendCounters* counters) {
    if (pending_ == 0) return;
    for (;;) {
      const ssize_t n = sendto(fd_, nullptr, 0, MSG_DONTWAIT,
                               reinterpret_cast<const sockaddr*>(&address_), sizeof(address_));
      if (n >= 0) {
        // tpacket_snd returns the bytes it queued; every pending frame has the same size.
        counters->sent += pending_;
        pending_ = 0;
        return;
      }
      const int err = errno;
      if (err == EINTR) continue;
      if (err == ENOBUFS || err == EAGAIN) {
        ++counters->retries;
        SleepMicros(50);
        continue;
      }
      counters->errors += pending_;
      pending_ = 0;
      return;
    }
  }

  int fd_;
  sockaddr_ll address_;
  uint8_t* ring_;
  size_t ring_size_;
  uint32_t frame_count_;
  bool vnet_;  // frames carry a virtio-net header (PACKET_VNET_HDR)
  uint32_t next_ = 0;
  uint64_t pending_ = 0;
};

}  // namespace

class PcapFile {
 public:
  explicit PcapFile(FILE* f) : f_(f) {}
  ~PcapFile() { fclose(f_); }
  // False when the frames could not all be written (a full disk).
  bool Write(const uint8_t* frames, size_t frame_size, size_t count) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < count; ++i) {
      const uint32_t rec[4] = {
          static_cast<uint32_t>(now.tv_sec), static_cast<uint32_t>(now.tv_nsec / 1000),
          static_cast<uint32_t>(frame_size), static_cast<uint32_t>(frame_size)};
      uint8_t le[16];
      for (int w = 0; w < 4; ++w)
        for (int b = 0; b < 4; ++b) le[w * 4 + b] = static_cast<uint8_t>(rec[w] >> (8 * b));
      if (fwrite(le, 1, sizeof(le), f_) != sizeof(le) ||
          fwrite(frames + i * frame_size, 1, frame_size, f_) != frame_size) {
        return false;
      }
    }
    // A dry run is not the hot path: flushed per batch, so a full disk shows at once.
    return fflush(f_) == 0;
  }

 private:
  std::mutex mu_;
  FILE* f_;
};

namespace {

class PcapFileWriter final : public PacketWriter {
 public:
  explicit PcapFileWriter(std::shared_ptr<PcapFile> file) : file_(std::move(file)) {}
  void Send(const uint8_t* frames, size_t frame_size, size_t count,
            SendCounters* counters) override {
    if (file_->Write(frames, frame_size, count)) {
      counters->sent += count;
    } else {
      counters->errors += count;
    }
  }

 private:
  std::shared_ptr<PcapFile> file_;
};

}  // namespace

const char* SendMethodName(SendMethod m) {
  switch (m) {
    case SendMethod::kSendmmsg:
      return "sendmmsg";
    case SendMethod::kTxRing:
      return "txring";
    case SendMethod::kPcapFile:
      return "pcap-file";
  }
  return "?";
}

absl::StatusOr<SendMethod> ParseSendMethod(std::string_view text) {
  if (text == "sendmmsg") return SendMethod::kSendmmsg;
  if (text == "txring" || text == "tx-ring") return SendMethod::kTxRing;
  return absl::InvalidArgumentError(StrCat("'", text, "' is not a send method (sendmmsg, txring)"));
}

absl::StatusOr<std::unique_ptr<PacketWriter>> OpenPacketWriter(const SendPathOptions& o) {
  switch (o.method) {
    case SendMethod::kSendmmsg: {
      sockaddr_ll address;
      auto fd = OpenPacketSocket(o, &address);
      if (!fd.ok()) return fd.status();
      return std::unique_ptr<PacketWriter>(new SendmmsgWriter(*fd, address, o.max_batch));
    }
    case SendMethod::kTxRing:
      return TxRingWriter::Open(o);
    case SendMethod::kPcapFile: {
      auto file = CreatePcapFile(o.pcap_path);
      if (!file.ok()) return file.status();
      return NewPcapFileWriter(*std::move(file));
    }
  }
  return absl::InvalidArgumentError("unknown send method");
}

absl::StatusOr<std::shared_ptr<PcapFile>> CreatePcapFile(const std::string& path) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) {
    const int err = errno;
    return absl::UnavailableError(StrCat(path, ": ", strerror(err)));
  }
  // Classic pcap global header, little-endian, microsecond stamps, Ethernet link type.
  const uint8_t header[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                              0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
  if (fwrite(header, 1, sizeof(header), f) != sizeof(header)) {
    fclose(f);
    return absl::UnavailableError(StrCat(path, ": short write"));
  }
  return std::make_shared<PcapFile>(f);
}

std::unique_ptr<PacketWriter> NewPcapFileWriter(std::shared_ptr<PcapFile> file) {
  return std::make_unique<PcapFileWriter>(std::move(file));
}

}  // namespace mailsweep::engine
