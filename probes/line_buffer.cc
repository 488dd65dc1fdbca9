#include "probes/line_buffer.h"

#include <cstring>

namespace mailsweep::probes {

void LineBuffer::Append(std::span<const uint8_t> data) {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  // Growth is bounded by the caller: it drains complete lines after each Append() and gives up
  // once overflow() holds, so the buffer stays below one read plus one line cap.
  buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
}

std::optional<std::string_view> LineBuffer::NextLine() {
  size_t nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) return std::nullopt;
  std::string_view line(buf_.data() + pos_, nl - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // Cutting a long line short here would let one read accept what the same bytes in small reads
  // overflow on; left in place, it makes overflow() hold.
  if (line.size() > max_line_) return std::nullopt;
  pos_ = nl + 1;
  return line;
}

bool LineBuffer::overflow() const {
  // Looking one byte past the cap plus its CR is enough to tell.
  std::string_view head = pending_bytes().substr(0, max_line_ + 2);
  size_t len = head.find('\n');
  if (len == std::string_view::npos) len = head.size();
  if (len > 0 && head[len - 1] == '\r') --len;
  return len > max_line_;
}

}  // namespace mailsweep::probes
