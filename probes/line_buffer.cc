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
  pos_ = nl + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_line_) line = line.substr(0, max_line_);
  return line;
}

}  // namespace mailsweep::probes
