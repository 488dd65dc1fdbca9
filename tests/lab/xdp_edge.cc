#include "tests/lab/xdp_edge.h"

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/netlink_exchange.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "tests/lab/lab_model.h"

namespace mailsweep::lab {
namespace {

// One value of the address map: a bit per address of a 64-address block.
struct Bits {
  uint64_t live;
  uint64_t watch;
};
// The counter map's one value (per CPU).
struct Counts {
  uint64_t swept;
  uint64_t watched;
};
constexpr uint32_t kWords = kLabCount / 64;
static_assert(kLabCount % 64 == 0 && (kLabCount & (kLabCount - 1)) == 0);
static_assert((kLabFirst & (kLabCount - 1)) == 0);
constexpr const char kBitsName[] = "msw_lab_bits";
constexpr const char kCountsName[] = "msw_lab_counts";

long Bpf(int cmd, bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(StrCat(what, ": ", strerror(errno)));
}

absl::StatusOr<UniqueFd> CreateMap(bpf_map_type type, uint32_t value_size, uint32_t entries,
                                   const char* name) {
  bpf_attr a{};
  a.map_type = type;
  a.key_size = 4;
  a.value_size = value_size;
  a.max_entries = entries;
  strncpy(a.map_name, name, sizeof(a.map_name) - 1);
  const int fd = static_cast<int>(Bpf(BPF_MAP_CREATE, &a));
  if (fd < 0) return Errno(StrCat("bpf map ", name));
  return UniqueFd(fd);
}

// BPF_MAP_UPDATE_ELEM (value read) or BPF_MAP_LOOKUP_ELEM (value written) of one element.
absl::Status MapElem(int command, int map, uint32_t key, const void* value) {
  bpf_attr a{};
  a.map_fd = map;
  a.key = reinterpret_cast<uintptr_t>(&key);
  a.value = reinterpret_cast<uintptr_t>(value);
  if (Bpf(command, &a) != 0) {
    return Errno(command == BPF_MAP_UPDATE_ELEM ? "bpf map update" : "bpf map lookup");
  }
  return absl::OkStatus();
}

// BPF_OBJ_GET_INFO_BY_FD into `info` (a bpf_prog_info or bpf_map_info).
template <typename Info>
absl::Status ObjectInfo(int fd, Info* info) {
  bpf_attr a{};
  a.info.bpf_fd = static_cast<uint32_t>(fd);
  a.info.info_len = sizeof(*info);
  a.info.info = reinterpret_cast<uintptr_t>(info);
  if (Bpf(BPF_OBJ_GET_INFO_BY_FD, &a) != 0) return Errno("bpf object info");
  return absl::OkStatus();
}

// A tiny assembler: instructions in order, with jumps to named labels patched at the end.
class Program {
 public:
  enum Label { kPass, kLive, kLabels };

  void Emit(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    insns_.push_back(bpf_insn{code, dst, src, off, imm});
  }
  // dst = src (64-bit) and friends.
  void Alu64(uint8_t op, uint8_t dst, uint8_t src) { Emit(BPF_ALU64 | op | BPF_X, dst, src, 0, 0); }
  void Alu64Imm(uint8_t op, uint8_t dst, int32_t imm) {
    Emit(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
  }
  void Alu32Imm(uint8_t op, uint8_t dst, int32_t imm) {
    Emit(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
  }
  void Load(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
    Emit(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
  }
  void Store(uint8_t size, uint8_t dst, int16_t off, uint8_t src) {
    Emit(BPF_STX | size | BPF_MEM, dst, src, off, 0);
  }
  void LoadMapFd(uint8_t dst, int fd) {
    Emit(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
    Emit(0, 0, 0, 0, 0);
  }
  void Call(int32_t helper) { Emit(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
  void Exit() { Emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
  // Conditional jumps to a label: 64-bit against a register or 32-bit against an immediate.
  void JumpReg(uint8_t op, uint8_t dst, uint8_t src, Label to) {
    Fixup(to);
    Emit(BPF_JMP | op | BPF_X, dst, src, 0, 0);
  }
  void JumpImm(uint8_t op, uint8_t dst, int32_t imm, Label to) {
    Fixup(to);
    Emit(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
  }
  void Jump32Imm(uint8_t op, uint8_t dst, int32_t imm, Label to) {
    Fixup(to);
    Emit(BPF_JMP32 | op | BPF_K, dst, 0, 0, imm);
  }
  void Bind(Label l) { labels_[l] = static_cast<int>(insns_.size()); }

  std::vector<bpf_insn> Finish() {
    for (const auto& [at, to] : fixups_) {
      insns_[at].off = static_cast<int16_t>(labels_[to] - at - 1);
    }
    return insns_;
  }

 private:
  void Fixup(Label to) { fixups_.push_back({static_cast<int>(insns_.size()), to}); }

  std::vector<bpf_insn> insns_;
  std::vector<std::pair<int, Label>> fixups_;
  int labels_[kLabels] = {};
};

// The edge program. r6 context, r7 the address's index in the lab range, r8 this CPU's counts.
std::vector<bpf_insn> EdgeInstructions(int bits_fd, int counts_fd) {
  enum : uint8_t { r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10 };
  Program p;
  // r0 = lookup(map, key at fp + key_offset), or XDP_PASS when there is no such element.
  auto lookup_or_pass = [&](int map_fd, int16_t key_offset) {
    p.Alu64(BPF_MOV, r2, r10);
    p.Alu64Imm(BPF_ADD, r2, key_offset);
    p.LoadMapFd(r1, map_fd);
    p.Call(BPF_FUNC_map_lookup_elem);
    p.JumpImm(BPF_JEQ, r0, 0, Program::kPass);
  };
  // *(u64*)(base + offset) += 1 (a per-CPU value: no other writer)
  auto increment = [&](uint8_t base, int16_t offset) {
    p.Load(BPF_DW, r1, base, offset);
    p.Alu64Imm(BPF_ADD, r1, 1);
    p.Store(BPF_DW, base, offset, r1);
  };
  p.Alu64(BPF_MOV, r6, r1);
  p.Load(BPF_W, r2, r6, offsetof(xdp_md, data));
  p.Load(BPF_W, r3, r6, offsetof(xdp_md, data_end));
  // Ethernet (14 bytes) and the IPv4 header up to the destination (20): else not ours.
  p.Alu64(BPF_MOV, r4, r2);
  p.Alu64Imm(BPF_ADD, r4, 34);
  p.JumpReg(BPF_JGT, r4, r3, Program::kPass);
  p.Load(BPF_H, r4, r2, 12);  // EtherType, network order read little-endian
  p.Jump32Imm(BPF_JNE, r4, 0x0008, Program::kPass);
  p.Load(BPF_W, r7, r2, 30);  // destination address
  p.Emit(BPF_ALU | BPF_END | BPF_TO_BE, r7, 0, 0, 32);
  p.Alu64(BPF_MOV, r8, r7);
  p.Alu32Imm(BPF_AND, r8, static_cast<int32_t>(~(kLabCount - 1)));
  p.Jump32Imm(BPF_JNE, r8, static_cast<int32_t>(kLabFirst), Program::kPass);
  p.Alu32Imm(BPF_SUB, r7, static_cast<int32_t>(kLabFirst));
  // counts = lookup(counts_map, 0); counts->swept++
  p.Emit(BPF_ST | BPF_W | BPF_MEM, r10, 0, -4, 0);
  lookup_or_pass(counts_fd, -4);
  p.Alu64(BPF_MOV, r8, r0);
  increment(r8, offsetof(Counts, swept));
  // bits = lookup(bits_map, index / 64); mask = 1 << index % 64
  p.Alu64(BPF_MOV, r1, r7);
  p.Alu64Imm(BPF_RSH, r1, 6);
  p.Store(BPF_W, r10, -8, r1);
  lookup_or_pass(bits_fd, -8);
  p.Alu64(BPF_MOV, r3, r7);
  p.Alu64Imm(BPF_AND, r3, 63);
  p.Alu64Imm(BPF_MOV, r4, 1);
  p.Alu64(BPF_LSH, r4, r3);
  // Watched: counts->watched++
  p.Load(BPF_DW, r5, r0, offsetof(Bits, watch));
  p.Alu64(BPF_AND, r5, r4);
  p.JumpImm(BPF_JEQ, r5, 0, Program::kLive);
  increment(r8, offsetof(Counts, watched));
  p.Bind(Program::kLive);
  p.Load(BPF_DW, r5, r0, offsetof(Bits, live));
  p.Alu64(BPF_AND, r5, r4);
  p.JumpImm(BPF_JNE, r5, 0, Program::kPass);
  p.Alu64Imm(BPF_MOV, r0, XDP_DROP);
  p.Exit();
  p.Bind(Program::kPass);
  p.Alu64Imm(BPF_MOV, r0, XDP_PASS);
  p.Exit();
  return p.Finish();
}

absl::StatusOr<UniqueFd> LoadXdp(const std::vector<bpf_insn>& insns, const char* name) {
  std::vector<char> log(1 << 16, '\0');  // the verifier's explanation if it refuses
  bpf_attr a{};
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.expected_attach_type = BPF_XDP;
  a.insns = reinterpret_cast<uintptr_t>(insns.data());
  a.insn_cnt = static_cast<uint32_t>(insns.size());
  a.license = reinterpret_cast<uintptr_t>("GPL");
  a.log_buf = reinterpret_cast<uintptr_t>(log.data());
  a.log_size = static_cast<uint32_t>(log.size());
  a.log_level = 1;
  strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
  const int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &a));
  if (fd < 0) {
    return absl::UnavailableError(StrCat("bpf prog load: ", strerror(errno), "\n", log.data()));
  }
  return UniqueFd(fd);
}

// RTM_SETLINK with IFLA_XDP { IFLA_XDP_FD, IFLA_XDP_FLAGS }, in this process's namespace.
// `mode`: XDP_FLAGS_DRV_MODE (native) or XDP_FLAGS_SKB_MODE (generic).
absl::Status AttachXdp(const std::string& ifname, int prog_fd, uint32_t mode) {
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) return Errno(StrCat("interface ", ifname));
  struct {
    nlmsghdr nh;
    ifinfomsg ifi;
    char attrs[64];
  } req{};
  req.nh.nlmsg_type = RTM_SETLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = static_cast<int>(index);
  auto* xdp = reinterpret_cast<nlattr*>(req.attrs);
  xdp->nla_type = NLA_F_NESTED | IFLA_XDP;
  auto put = [&](uint16_t type, int32_t value, size_t at) {
    auto* attr = reinterpret_cast<nlattr*>(req.attrs + at);
    attr->nla_type = type;
    attr->nla_len = NLA_HDRLEN + sizeof(value);
    memcpy(req.attrs + at + NLA_HDRLEN, &value, sizeof(value));
    return NLA_ALIGN(attr->nla_len);
  };
  size_t at = NLA_HDRLEN;
  at += put(IFLA_XDP_FD, prog_fd, at);
  at += put(IFLA_XDP_FLAGS, static_cast<int32_t>(mode | XDP_FLAGS_UPDATE_IF_NOEXIST), at);
  xdp->nla_len = static_cast<uint16_t>(at);
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg)) + static_cast<uint32_t>(at);
  absl::Status s = NetlinkExchange(&req, req.nh.nlmsg_len, [](const nlmsghdr*) {});
  if (!s.ok()) {
    return absl::UnavailableError(StrCat("attaching XDP to ", ifname, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ProgramId(int prog_fd) {
  bpf_prog_info info{};
  MAILSWEEP_RETURN_IF_ERROR(ObjectInfo(prog_fd, &info));
  return info.id;
}

// The map named `name` among those of program `prog_id`.
absl::StatusOr<UniqueFd> MapOf(uint32_t prog_id, const char* name) {
  bpf_attr a{};
  a.prog_id = prog_id;
  UniqueFd prog(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &a)));
  if (prog.get() < 0) return Errno(StrCat("bpf program ", prog_id));
  uint32_t ids[8] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 8;
  info.map_ids = reinterpret_cast<uintptr_t>(ids);
  MAILSWEEP_RETURN_IF_ERROR(ObjectInfo(prog.get(), &info));
  for (uint32_t i = 0; i < std::min<uint32_t>(info.nr_map_ids, 8); ++i) {
    a = {};
    a.map_id = ids[i];
    UniqueFd map(static_cast<int>(Bpf(BPF_MAP_GET_FD_BY_ID, &a)));
    if (map.get() < 0) return Errno("bpf map by id");
    bpf_map_info mi{};
    MAILSWEEP_RETURN_IF_ERROR(ObjectInfo(map.get(), &mi));
    if (strcmp(mi.name, name) == 0) return map;
  }
  return absl::NotFoundError(StrCat("bpf program ", prog_id, " has no map ", name));
}

// Possible CPUs (a per-CPU map's value has a slot for each): "0-1", "0,2-5", ...
absl::StatusOr<int> PossibleCpus() {
  FILE* f = fopen("/sys/devices/system/cpu/possible", "r");
  if (f == nullptr) return Errno("/sys/devices/system/cpu/possible");
  char line[256] = {0};
  const bool read = fgets(line, sizeof(line), f) != nullptr;
  fclose(f);
  if (!read) return absl::InternalError("/sys/devices/system/cpu/possible: empty");
  int highest = -1;
  for (const char* s = line; *s != '\0' && *s != '\n';) {
    char* end = nullptr;
    const long v = strtol(s, &end, 10);
    if (end == s) return absl::InternalError(StrCat("cpu/possible: cannot parse ", line));
    highest = std::max(highest, static_cast<int>(v));
    s = (*end == '-' || *end == ',') ? end + 1 : end;
  }
  return highest + 1;
}

}  // namespace

absl::StatusOr<Edge> Edge::Load(const std::vector<uint32_t>& live) {
  MAILSWEEP_ASSIGN_OR_RETURN(UniqueFd bits,
                             CreateMap(BPF_MAP_TYPE_ARRAY, sizeof(Bits), kWords, kBitsName));
  MAILSWEEP_ASSIGN_OR_RETURN(UniqueFd counts,
                             CreateMap(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(Counts), 1, kCountsName));
  std::vector<Bits> words(kWords, Bits{0, 0});
  for (uint32_t a : live) {
    const uint32_t i = a - kLabFirst;
    if (i >= kLabCount) return absl::InvalidArgumentError("live address outside the lab range");
    words[i / 64].live |= uint64_t{1} << (i % 64);
  }
  for (uint32_t w = 0; w < kWords; ++w) {
    if (words[w].live == 0) continue;  // arrays start zeroed
    MAILSWEEP_RETURN_IF_ERROR(MapElem(BPF_MAP_UPDATE_ELEM, bits.get(), w, &words[w]));
  }
  // The program holds the maps from here on.
  MAILSWEEP_ASSIGN_OR_RETURN(UniqueFd prog,
                             LoadXdp(EdgeInstructions(bits.get(), counts.get()), "msw_lab_edge"));
  MAILSWEEP_ASSIGN_OR_RETURN(uint32_t id, ProgramId(prog.get()));
  return Edge(std::move(prog), id);
}

absl::Status Edge::Attach(const std::string& ifname) const {
  // Generic mode: native XDP would switch the veth to NAPI polling, whose work the kernel
  // handed to ksoftirqd once two sender threads fed it (the sweep benchmark's -T 2 runs lost
  // a quarter of their rate, with a third of the CPU idle). Generic XDP runs in the receive
  // backlog of the CPU that sent the packet, like the rest of the lab.
  return AttachXdp(ifname, fd_.get(), XDP_FLAGS_SKB_MODE);
}

absl::StatusOr<uint32_t> Edge::Run(const std::vector<uint8_t>& frame) const {
  bpf_attr a{};
  a.test.prog_fd = static_cast<uint32_t>(fd_.get());
  a.test.data_in = reinterpret_cast<uintptr_t>(frame.data());
  a.test.data_size_in = static_cast<uint32_t>(frame.size());
  a.test.repeat = 1;
  if (Bpf(BPF_PROG_TEST_RUN, &a) != 0) return Errno("bpf prog test run");
  return a.test.retval;
}

absl::StatusOr<uint32_t> AttachEdge(const std::string& ifname, const std::vector<uint32_t>& live) {
  MAILSWEEP_ASSIGN_OR_RETURN(Edge edge, Edge::Load(live));
  MAILSWEEP_RETURN_IF_ERROR(edge.Attach(ifname));
  return edge.id();
}

absl::StatusOr<uint32_t> AttachDropAll(const std::string& ifname) {
  const std::vector<bpf_insn> drop = {
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_DROP},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  MAILSWEEP_ASSIGN_OR_RETURN(UniqueFd prog, LoadXdp(drop, "msw_sink_drop"));
  // Native mode: the cheapest receive a veth has (batched polling, no socket buffer kept).
  MAILSWEEP_RETURN_IF_ERROR(AttachXdp(ifname, prog.get(), XDP_FLAGS_DRV_MODE));
  return ProgramId(prog.get());
}

absl::Status WatchRange(uint32_t prog_id, uint32_t first, uint32_t last) {
  if (first < kLabFirst || last < first || last - kLabFirst >= kLabCount) {
    return absl::InvalidArgumentError("watched range outside the lab range");
  }
  MAILSWEEP_ASSIGN_OR_RETURN(UniqueFd bits, MapOf(prog_id, kBitsName));
  for (uint32_t w = (first - kLabFirst) / 64; w <= (last - kLabFirst) / 64; ++w) {
    Bits value;
    MAILSWEEP_RETURN_IF_ERROR(MapElem(BPF_MAP_LOOKUP_ELEM, bits.get(), w, &value));
    for (uint32_t b = 0; b < 64; ++b) {
      const uint32_t a = kLabFirst + w * 64 + b;
      if (a >= first && a <= last) value.watch |= uint64_t{1} << b;
    }
    MAILSWEEP_RETURN_IF_ERROR(MapElem(BPF_MAP_UPDATE_ELEM, bits.get(), w, &value));
  }
  return absl::OkStatus();
}

absl::StatusOr<EdgeCounts> ReadEdgeCounts(uint32_t prog_id) {
  MAILSWEEP_ASSIGN_OR_RETURN(UniqueFd counts, MapOf(prog_id, kCountsName));
  MAILSWEEP_ASSIGN_OR_RETURN(int cpus, PossibleCpus());
  std::vector<Counts> per_cpu(static_cast<size_t>(cpus));
  MAILSWEEP_RETURN_IF_ERROR(MapElem(BPF_MAP_LOOKUP_ELEM, counts.get(), 0, per_cpu.data()));
  EdgeCounts total;
  for (const Counts& c : per_cpu) {
    total.swept += c.swept;
    total.watched += c.watched;
  }
  return total;
}

}  // namespace mailsweep::lab
