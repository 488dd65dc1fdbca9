// A bounded line assembler for the mail protocols: bytes arrive split at any point, complete lines
// come out without their CR LF (a bare LF also ends a line). A line longer than the cap, complete
// or not, is never returned: it marks the buffer as overflowed, whatever the split of the bytes,
// instead of growing without bound. Used by probes::Session; one owner, no thread rules.
//
// Example:
//   LineBuffer lines(4096);
//   lines.Append(bytes);
//   while (auto line = lines.NextLine()) Handle(*line);
//   if (lines.overflow()) Fail();
#ifndef MAILSWEEP_PROBES_LINE_BUFFER_H_
#define MAILSWEEP_PROBES_LINE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mailsweep::probes {

class LineBuffer {
 public:
  explicit LineBuffer(size_t max_line) : max_line_(max_line) {}

  // Appends bytes; drops the already consumed prefix first. Views from NextLine() die here.
  void Append(std::span<const uint8_t> data);
  // The next complete line (CR LF or LF stripped), or nullopt: none yet, or the next line is
  // longer than the cap (then overflow() holds). The view lives until the next Append() or Clear().
  std::optional<std::string_view> NextLine();
  // True once the next line, complete or not, is longer than the line cap: the same verdict for
  // the same bytes however they were split. A trailing CR of an unterminated tail may be the
  // start of its CR LF and does not count.
  bool overflow() const;
  // Bytes received but not yet returned as lines.
  size_t pending() const { return buf_.size() - pos_; }
  std::string_view pending_bytes() const { return std::string_view(buf_).substr(pos_); }
  void Clear() {
    buf_.clear();
    pos_ = 0;
  }
  // Frees the heap block (idle connections keep no buffer).
  void Shrink() {
    if (pos_ == buf_.size()) {
      std::string().swap(buf_);
      pos_ = 0;
    }
  }

 private:
  size_t max_line_;
  std::string buf_;
  size_t pos_ = 0;  // start of the unconsumed bytes
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_LINE_BUFFER_H_
