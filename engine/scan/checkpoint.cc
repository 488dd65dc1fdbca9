#include "engine/scan/checkpoint.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "absl/strings/str_join.h"
#include "base/read_file.h"
#include "base/strings.h"
#include "results/format/crc32c.h"
#include "targets/blocklist_reloader.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

bool ParseU64(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// The checksum as the `crc32c` line writes it: 8 hex digits.
std::string CrcText(std::string_view covered) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08" PRIx32,
                results::crc32c::Value(covered.data(), covered.size()));
  return buf;
}

}  // namespace

std::string CheckpointSlotPath(const std::string& path) { return path + ".next"; }

std::string RecordFilePath(const std::string& output, size_t index) {
  return index == 0 ? output : StrCat(output, ".", index);
}

std::string FileNameOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Checkpoint Checkpoint::For(const targets::TargetSpace& space, uint64_t seed, uint64_t shards,
                           uint64_t shard, uint64_t range_begin, uint64_t range_end,
                           std::string output, std::string scan_id) {
  Checkpoint cp;
  cp.scan_id = std::move(scan_id);
  cp.seed = seed;
  cp.shards = shards;
  cp.shard = shard;
  cp.ports = space.ports();
  cp.space_size = space.size();
  cp.space_fingerprint = targets::SpaceFingerprint(space);
  cp.range_begin = range_begin;
  cp.range_end = range_end;
  cp.output = std::move(output);
  cp.position = range_begin;
  cp.blocked = space.blocked();
  return cp;
}

std::string Checkpoint::Format(const std::string& path, uint64_t sequence) const {
  std::string text = StrCat("# mailsweep scan checkpoint: resume with `mailsweep scan --resume ",
                            path, "` and the same flags\n");
  StrAppend(&text, "version ", kVersion, "\n");
  StrAppend(&text, "scan_id ", scan_id, "\n");
  StrAppend(&text, "seed ", seed, "\n");
  StrAppend(&text, "shards ", shards, "\n");
  StrAppend(&text, "shard ", shard, "\n");
  StrAppend(&text, "ports ", targets::FormatPortList(ports), "\n");
  StrAppend(&text, "space_size ", space_size, "\n");
  StrAppend(&text, "space_fingerprint ", space_fingerprint, "\n");
  StrAppend(&text, "range ", range_begin, " ", range_end, "\n");
  StrAppend(&text, "output ", output, "\n");
  for (const std::string& file : files) StrAppend(&text, "file ", file, "\n");
  StrAppend(&text, "position ", position, "\n");
  StrAppend(&text, "complete ", complete ? 1 : 0, "\n");
  for (const targets::Ipv4Range& r : blocked.ranges()) {
    StrAppend(&text, "blocked ", targets::FormatRange(r), "\n");
  }
  for (const targets::Ipv4Range& r : excluded.ranges()) {
    StrAppend(&text, "excluded ", targets::FormatRange(r), "\n");
  }
  StrAppend(&text, "sequence ", sequence, "\n");
  StrAppend(&text, "crc32c ", CrcText(text), "\n");
  return text;
}

absl::StatusOr<Checkpoint> Checkpoint::Parse(std::string_view text, const std::string& path) {
  Checkpoint cp;
  bool seen_version = false, seen_position = false, seen_range = false;
  bool seen_sequence = false, seen_crc = false;
  uint64_t version = 0;
  std::vector<targets::Ipv4Range> blocked, excluded;
  int line_no = 0;
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(StrCat(path, ":", line_no, ": ", why));
  };
  for (std::string_view rest = text; !rest.empty();) {
    if (seen_crc) return bad("data after the checksum (a torn or garbled save)");
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos) return bad(StrCat("expected 'key value', found ", Quote(line)));
    const std::string_view key(line.data(), space);
    const std::string_view value(line.data() + space + 1, line.size() - space - 1);
    uint64_t n = 0;
    auto number = [&](uint64_t* out) { return ParseU64(value, out); };
    if (key == "version") {
      if (!number(&version) || version < 1 || version > kVersion) {
        return bad(StrCat("unsupported version ", Quote(value)));
      }
      seen_version = true;
    } else if (key == "scan_id") {
      cp.scan_id = std::string(value);
    } else if (key == "seed") {
      if (!number(&cp.seed)) return bad("bad seed");
    } else if (key == "shards") {
      if (!number(&cp.shards)) return bad("bad shards");
    } else if (key == "shard") {
      if (!number(&cp.shard)) return bad("bad shard");
    } else if (key == "ports") {
      auto ports = targets::ParsePortList(value);
      if (!ports.ok()) return bad(ToStd(ports.status().message()));
      cp.ports = *ports;
    } else if (key == "space_size") {
      if (!number(&cp.space_size)) return bad("bad space_size");
    } else if (key == "space_fingerprint") {
      if (!number(&cp.space_fingerprint)) return bad("bad space_fingerprint");
    } else if (key == "range") {
      const size_t sp = value.find(' ');
      if (sp == std::string_view::npos || !ParseU64(value.substr(0, sp), &cp.range_begin) ||
          !ParseU64(value.substr(sp + 1), &cp.range_end) || cp.range_begin > cp.range_end) {
        return bad("bad range");
      }
      seen_range = true;
    } else if (key == "output") {
      cp.output = std::string(value);
    } else if (key == "file") {
      if (value.empty() || value.find('/') != std::string_view::npos) return bad("bad file name");
      cp.files.emplace_back(value);
    } else if (key == "position") {
      if (!number(&cp.position)) return bad("bad position");
      seen_position = true;
    } else if (key == "complete") {
      if (!number(&n) || n > 1) return bad("bad complete");
      cp.complete = n == 1;
    } else if (key == "blocked" || key == "excluded") {
      auto range = targets::ParseIpv4Range(value);
      if (!range.ok()) return bad(StrCat("bad ", key, " range ", Quote(value)));
      (key == "blocked" ? blocked : excluded).push_back(*range);
    } else if (key == "sequence") {
      if (!number(&cp.sequence) || cp.sequence == 0) return bad("bad sequence");
      seen_sequence = true;
    } else if (key == "crc32c") {
      // Over every byte before this line.
      const size_t covered = static_cast<size_t>(line.data() - text.data());
      // The save is whole only with its last byte, this line's newline.
      if (nl == std::string_view::npos || value != CrcText(text.substr(0, covered))) {
        return bad("checksum mismatch (a torn or garbled save)");
      }
      seen_crc = true;
    } else {
      return bad(StrCat("unknown key ", Quote(key)));
    }
  }
  if (!seen_version || !seen_position || !seen_range) {
    return absl::DataLossError(
        StrCat(path, ": incomplete checkpoint (version, range or position missing)"));
  }
  if (cp.position < cp.range_begin || cp.position > cp.range_end) {
    return absl::DataLossError(StrCat(path, ": position outside the shard's range"));
  }
  if (version >= 3 && (!seen_sequence || !seen_crc)) {
    return absl::DataLossError(
        StrCat(path, ": incomplete checkpoint (sequence or crc32c missing)"));
  }
  if (version < 3 && (seen_sequence || seen_crc)) {
    return absl::DataLossError(
        StrCat(path, ": a version-", version, " checkpoint with a checksum"));
  }
  cp.files_known = version >= 2;
  cp.blocked_known = version >= 4;
  if (!cp.blocked_known && !(blocked.empty() && excluded.empty())) {
    return absl::DataLossError(
        StrCat(path, ": a version-", version, " checkpoint with blocked or excluded lines"));
  }
  cp.blocked = targets::IntervalSet(std::move(blocked));
  cp.excluded = targets::IntervalSet(std::move(excluded));
  if (!cp.files_known && !cp.files.empty()) {
    return absl::DataLossError(StrCat(path, ": a version-1 checkpoint with file lines"));
  }
  // The files are numbered in the order they were written: a list out of that order is not ours.
  for (size_t i = 0; i < cp.files.size(); ++i) {
    const std::string want = FileNameOf(RecordFilePath(cp.output, i));
    if (cp.files[i] != want) {
      return absl::DataLossError(StrCat(path, ": record file ", i + 1, " is ", Quote(cp.files[i]),
                                        ", expected ", Quote(want)));
    }
  }
  return cp;
}

absl::StatusOr<Checkpoint> Checkpoint::Load(const std::string& path) {
  const std::string paths[2] = {path, CheckpointSlotPath(path)};
  absl::StatusOr<Checkpoint> slots[2];
  int empty_or_absent = 0;
  for (int i = 0; i < 2; ++i) {
    // A checkpoint is small (its ranges aside); a bigger file is not one.
    auto text = ReadWholeFile(paths[i], kMaxBytes, /*text=*/true);
    if ((text.ok() && text->empty()) || absl::IsNotFound(text.status())) ++empty_or_absent;
    slots[i] = text.ok() ? Parse(*text, paths[i])
                         : absl::Status(text.status().code(),
                                        StrCat("checkpoint: ", text.status().message()));
  }
  // A fresh scan empties both slots, then saves its first checkpoint at once: a scan killed in
  // between leaves nothing to resume (and has probed nothing yet).
  if (empty_or_absent == 2 &&
      !(absl::IsNotFound(slots[0].status()) && absl::IsNotFound(slots[1].status()))) {
    return absl::FailedPreconditionError(
        StrCat("checkpoint: ", path, " and ", paths[1],
               " are empty: the scan was stopped "
               "before its first checkpoint and has nothing to resume; start it again without "
               "--resume"));
  }
  if (slots[0].ok() && slots[1].ok()) {
    return slots[1]->sequence > slots[0]->sequence ? slots[1] : slots[0];
  }
  if (slots[0].ok() || absl::IsNotFound(slots[1].status())) return slots[0];
  if (slots[1].ok() || absl::IsNotFound(slots[0].status())) return slots[1];
  return absl::DataLossError(StrCat("no intact checkpoint: ", slots[0].status().message(), "; ",
                                    slots[1].status().message()));
}

absl::Status Checkpoint::CheckBlocklist(const targets::IntervalSet& blocked_now) const {
  if (!blocked_known) return absl::OkStatus();  // CheckCompatible() compares the spaces
  return targets::CheckBlocklistKeeps(blocked.Union(excluded), blocked_now);
}

absl::Status Checkpoint::CheckCompatible(const Checkpoint& current) const {
  std::vector<std::string> diffs;
  auto differ = [&](std::string_view what, const std::string& was, const std::string& now) {
    if (was != now) diffs.push_back(StrCat(what, " was ", was, ", now ", now));
  };
  differ("--seed", StrCat(seed), StrCat(current.seed));
  differ("--shards", StrCat(shards), StrCat(current.shards));
  differ("--shard", StrCat(shard), StrCat(current.shard));
  differ("--ports", targets::FormatPortList(ports), targets::FormatPortList(current.ports));
  differ("the number of targets", StrCat(space_size), StrCat(current.space_size));
  if (space_fingerprint != current.space_fingerprint && space_size == current.space_size) {
    diffs.push_back("the targets or blocklists differ");
  }
  differ("-o", output, current.output);
  if (diffs.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      StrCat("cannot resume: settings differ from the checkpoint: ", absl::StrJoin(diffs, "; ")));
}

}  // namespace mailsweep::engine
