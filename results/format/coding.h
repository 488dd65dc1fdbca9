// Explicit little-endian and varint encoding helpers for the record files
// (results/format/FORMAT.md). Encoders append to a std::string; decoders read from a bounded cursor
// and never read past its end (a short or malformed input makes them return false). Pure functions;
// thread-safe.
//
// Example:
//   std::string out;
//   PutVarint64(&out, 300);
//   Cursor in(out);
//   uint64_t v;
//   if (!in.Varint64(&v)) { /* truncated */ }
#ifndef MAILSWEEP_RESULTS_FORMAT_CODING_H_
#define MAILSWEEP_RESULTS_FORMAT_CODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailsweep::results {

inline void PutFixed16(std::string* out, uint16_t v) {
  char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out->append(b, 2);
}
inline void PutFixed32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}
inline void PutFixed64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}
inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed16(char* dst, uint16_t v) {
  dst[0] = static_cast<char>(v);
  dst[1] = static_cast<char>(v >> 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}
inline uint64_t DecodeFixed64(const char* p) {
  return uint64_t{DecodeFixed32(p)} | uint64_t{DecodeFixed32(p + 4)} << 32;
}
inline uint16_t DecodeFixed16(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return static_cast<uint16_t>(u[0] | u[1] << 8);
}

// LEB128: 7 bits per byte, low groups first, high bit = more follows. At most 10 bytes.
inline void PutVarint64(std::string* out, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out->append(b, n);
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// A varint-length-prefixed byte string.
inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

// leveldb's GetVarint64Ptr: reads a varint at p, never past `end`; returns the byte after it,
// or nullptr when [p, end) holds no complete varint of at most 10 bytes. Keeps the position in
// a register, which a Cursor in memory cannot in a long decoding function.
inline const char* VarintPtr(const char* p, const char* end, uint64_t* v) {
  if (p < end && static_cast<uint8_t>(*p) < 0x80) {
    *v = static_cast<uint8_t>(*p);
    return p + 1;
  }
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    const uint64_t byte = static_cast<uint8_t>(*p++);
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Reads from [p, end). Every method returns false, and leaves the cursor unspecified, when the
// input is too short or malformed.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool empty() const { return p_ == end_; }
  const char* position() const { return p_; }
  const char* end() const { return end_; }
  // n <= remaining().
  void Skip(size_t n) { p_ += n; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  bool Byte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool Fixed16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = DecodeFixed16(p_);
    p_ += 2;
    return true;
  }
  bool Fixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = DecodeFixed32(p_);
    p_ += 4;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    uint64_t lo = DecodeFixed32(p_), hi = DecodeFixed32(p_ + 4);
    *v = lo | hi << 32;
    p_ += 8;
    return true;
  }
  __attribute__((always_inline)) bool Varint64(uint64_t* v) {
    if (p_ != end_ && static_cast<uint8_t>(*p_) < 0x80) {  // the common one-byte case
      *v = static_cast<uint8_t>(*p_++);
      return true;
    }
    const char* next = VarintPtr(p_, end_, v);
    if (next == nullptr) return false;
    p_ = next;
    return true;
  }
  __attribute__((always_inline)) bool Varint32(uint32_t* v) {
    uint64_t w;
    if (!Varint64(&w) || w > 0xffffffffu) return false;
    *v = static_cast<uint32_t>(w);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool LengthPrefixed(std::string_view* out) {
    uint64_t n;
    return Varint64(&n) && n <= remaining() && Bytes(static_cast<size_t>(n), out);
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_CODING_H_
