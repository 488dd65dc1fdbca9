// send_path_bench: the raw limit of the kernel's send path on one interface, with a minimal sender
// of prebuilt 66-byte SYN frames (no walk, no cookies, no pacing): AF_PACKET + sendmmsg at batch
// 1/64/256, and PACKET_TX_RING with and without PACKET_QDISC_BYPASS, each with and without a
// virtio-net header (PACKET_VNET_HDR). The sweep benchmark (bench/sweep_bench.sh) runs it inside a
// namespace whose veth peer is a sink (an XDP program drops every frame on arrival) and compares
// mailsweep's own send rate with it.
//   send_path_bench IFACE DST_MAC [SECONDS_PER_MODE]
// Prints one JSON object: packets/s per mode. Run it only in a namespace you created.
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
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/sweep/route_lookup.h"
#include "engine/sweep/syn_packet.h"

namespace {

using mailsweep::engine::kSynFrameSize;

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int OpenSocket(int ifindex, bool bypass, sockaddr_ll* sll) {
  const int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("socket");
    exit(1);
  }
  memset(sll, 0, sizeof(*sll));
  sll->sll_family = AF_PACKET;
  sll->sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(sll), sizeof(*sll)) != 0) {
    perror("bind");
    exit(1);
  }
  sll->sll_protocol = htons(ETH_P_IP);
  sll->sll_halen = 6;
  if (bypass) {
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
  }
  return fd;
}

// 4096 distinct frames to 198.18.0.0/15 (valid checksums), reused round robin.
std::vector<uint8_t> Frames(const mailsweep::engine::MacAddress& src,
                            const mailsweep::engine::MacAddress& dst) {
  mailsweep::engine::SynTemplate tpl(src, dst);
  std::vector<uint8_t> frames(4096 * kSynFrameSize);
  for (uint32_t i = 0; i < 4096; ++i) {
    tpl.Write({.source = 0xCB007101,
               .destination = 0xC6120000 + i * 31,
               .source_port = 61000,
               .port = 110,
               .seq = i,
               .ip_id = static_cast<uint16_t>(i)},
              &frames[i * kSynFrameSize]);
  }
  return frames;
}

double RunSendmmsg(int ifindex, const std::vector<uint8_t>& frames, unsigned batch, double secs,
                   bool bypass) {
  sockaddr_ll sll;
  const int fd = OpenSocket(ifindex, bypass, &sll);
  std::vector<mmsghdr> msgs(batch);
  std::vector<iovec> iov(batch);
  uint64_t sent = 0, next = 0;
  const double start = Now();
  double now = start;
  while (now - start < secs) {
    for (unsigned i = 0; i < batch; ++i) {
      iov[i] = {const_cast<uint8_t*>(&frames[(next++ % 4096) * kSynFrameSize]), kSynFrameSize};
      memset(&msgs[i].msg_hdr, 0, sizeof(msghdr));
      msgs[i].msg_hdr.msg_name = &sll;
      msgs[i].msg_hdr.msg_namelen = sizeof(sll);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned done = 0;
    while (done < batch) {
      const int n = sendmmsg(fd, &msgs[done], batch - done, 0);
      if (n > 0) {
        done += static_cast<unsigned>(n);
      } else if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
        perror("sendmmsg");
        exit(1);
      }
    }
    sent += batch;
    if ((sent & 0x3fff) < batch) now = Now();
  }
  now = Now();
  close(fd);
  return static_cast<double>(sent) / (now - start);
}

// `vnet`: each frame behind a 10-byte virtio-net header whose hdr_len covers the frame, so the
// kernel copies it into the socket buffer's linear part (no page fragments of the ring).
double RunTxRing(int ifindex, const std::vector<uint8_t>& frames, double secs, bool bypass,
                 bool vnet) {
  sockaddr_ll sll;
  const int fd = OpenSocket(ifindex, bypass, &sll);
  int version = TPACKET_V2;
  setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version));
  int one = 1;
  if (vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) != 0) {
    perror("PACKET_VNET_HDR");
    exit(1);
  }
  const size_t vnet_size = vnet ? 10 : 0;
  tpacket_req req{};
  req.tp_block_size = 1 << 16;
  req.tp_frame_size = 128;
  req.tp_block_nr = 16;
  req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
  if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0) {
    perror("PACKET_TX_RING");
    exit(1);
  }
  const size_t size = size_t{req.tp_block_size} * req.tp_block_nr;
  auto* ring =
      static_cast<uint8_t*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  const size_t data = TPACKET_ALIGN(sizeof(tpacket2_hdr));
  uint64_t sent = 0, next = 0;
  uint32_t slot = 0;
  const double start = Now();
  double now = start;
  while (now - start < secs) {
    for (int i = 0; i < 256; ++i) {
      auto* h = reinterpret_cast<tpacket2_hdr*>(ring + size_t{slot} * 128);
      while (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
        sendto(fd, nullptr, 0, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sll), sizeof(sll));
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, 1);
      }
      uint8_t* out = reinterpret_cast<uint8_t*>(h) + data;
      if (vnet) {
        memset(out, 0, vnet_size);  // flags, gso_type NONE, then hdr_len (little-endian)
        const uint16_t hdr_len = kSynFrameSize;
        memcpy(out + 2, &hdr_len, 2);
      }
      memcpy(out + vnet_size, &frames[(next++ % 4096) * kSynFrameSize], kSynFrameSize);
      h->tp_len = static_cast<uint32_t>(vnet_size + kSynFrameSize);
      __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      slot = (slot + 1) % req.tp_frame_nr;
    }
    sendto(fd, nullptr, 0, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sll), sizeof(sll));
    sent += 256;
    if ((sent & 0x3fff) < 256) now = Now();
  }
  // Let the ring drain before timing ends.
  sendto(fd, nullptr, 0, 0, reinterpret_cast<sockaddr*>(&sll), sizeof(sll));
  now = Now();
  munmap(ring, size);
  close(fd);
  return static_cast<double>(sent) / (now - start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: send_path_bench IFACE DST_MAC [SECONDS_PER_MODE]\n");
    return 2;
  }
  const int ifindex = static_cast<int>(if_nametoindex(argv[1]));
  if (ifindex == 0) {
    fprintf(stderr, "send_path_bench: no interface %s\n", argv[1]);
    return 1;
  }
  auto src = mailsweep::engine::InterfaceMac(argv[1]);
  auto dst = mailsweep::engine::ParseMac(argv[2]);
  if (!src.ok() || !dst.ok()) {
    fprintf(stderr, "send_path_bench: bad interface or MAC\n");
    return 1;
  }
  const double secs = argc > 3 ? atof(argv[3]) : 3.0;
  const std::vector<uint8_t> frames = Frames(*src, *dst);
  const double mmsg1 = RunSendmmsg(ifindex, frames, 1, secs, false);
  const double mmsg64 = RunSendmmsg(ifindex, frames, 64, secs, false);
  const double mmsg256 = RunSendmmsg(ifindex, frames, 256, secs, false);
  const double mmsg64_bypass = RunSendmmsg(ifindex, frames, 64, secs, true);
  const double ring = RunTxRing(ifindex, frames, secs, false, false);
  const double ring_bypass = RunTxRing(ifindex, frames, secs, true, false);
  const double ring_vnet = RunTxRing(ifindex, frames, secs, false, true);
  const double ring_vnet_bypass = RunTxRing(ifindex, frames, secs, true, true);
  printf(
      "{\"bench\":\"send_path\",\"interface\":\"%s\",\"seconds_per_mode\":%.1f,"
      "\"sendmmsg_batch1_pps\":%.0f,\"sendmmsg_batch64_pps\":%.0f,\"sendmmsg_batch256_pps\":%.0f,"
      "\"sendmmsg_batch64_qdisc_bypass_pps\":%.0f,\"tx_ring_pps\":%.0f,"
      "\"tx_ring_qdisc_bypass_pps\":%.0f,\"tx_ring_vnet_hdr_pps\":%.0f,"
      "\"tx_ring_vnet_hdr_qdisc_bypass_pps\":%.0f}\n",
      argv[1], secs, mmsg1, mmsg64, mmsg256, mmsg64_bypass, ring, ring_bypass, ring_vnet,
      ring_vnet_bypass);
  return 0;
}
