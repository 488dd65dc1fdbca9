#include "base/flag_set.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/strings.h"

namespace mailsweep {

FlagSet::FlagSet(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)) {}

void FlagSet::Add(std::string_view names, std::string value_name, std::string help,
                  std::string default_text, ValueParser parser) {
  Flag flag;
  for (absl::string_view n : absl::StrSplit(ToAbsl(names), ',', absl::SkipEmpty())) {
    flag.names.emplace_back(ToStd(absl::StripAsciiWhitespace(n)));
  }
  flag.value_name = std::move(value_name);
  flag.help = std::move(help);
  flag.default_text = std::move(default_text);
  flag.parse = std::move(parser);
  flags_.push_back(std::move(flag));
}

void FlagSet::Bool(std::string_view names, std::string help, bool* out) {
  Add(names, "", std::move(help), "", [out](std::string_view) {
    *out = true;
    return absl::OkStatus();
  });
}

void FlagSet::String(std::string_view names, std::string value_name, std::string help,
                     std::string* out) {
  Add(names, std::move(value_name), std::move(help), *out, [out](std::string_view v) {
    *out = std::string(v);
    return absl::OkStatus();
  });
}

void FlagSet::StringList(std::string_view names, std::string value_name, std::string help,
                         std::vector<std::string>* out) {
  Add(names, std::move(value_name), StrCat(help, " (repeatable)"), "", [out](std::string_view v) {
    out->emplace_back(v);
    return absl::OkStatus();
  });
}

void FlagSet::Uint64(std::string_view names, std::string value_name, std::string help,
                     uint64_t* out) {
  Add(names, std::move(value_name), std::move(help), StrCat(*out), [out](std::string_view v) {
    uint64_t value = 0;
    std::from_chars_result r = std::from_chars(v.data(), v.data() + v.size(), value, 10);
    if (v.size() > 2 && (v.substr(0, 2) == "0x" || v.substr(0, 2) == "0X")) {
      r = std::from_chars(v.data() + 2, v.data() + v.size(), value, 16);
    }
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || v.empty()) {
      return absl::InvalidArgumentError(StrCat(Quote(v), " is not a non-negative whole number"));
    }
    *out = value;
    return absl::OkStatus();
  });
}

void FlagSet::Uint32(std::string_view names, std::string value_name, std::string help,
                     uint32_t* out) {
  Add(names, std::move(value_name), std::move(help), StrCat(*out), [out](std::string_view v) {
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value, 10);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty()) {
      return absl::InvalidArgumentError(
          StrCat(Quote(v), " is not a whole number from 0 to 4294967295"));
    }
    *out = value;
    return absl::OkStatus();
  });
}

namespace {

// 0.5 as "0.5", 1e6 as "1000000" (not "1000000.0").
std::string NumberText(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return StrCat(static_cast<int64_t>(x));
  return StrCat(x);
}

}  // namespace

void FlagSet::Double(std::string_view names, std::string value_name, std::string help,
                     double* out, double min, double max) {
  Add(names, std::move(value_name), std::move(help), StrCat(*out), [=](std::string_view v) {
    double value = 0;
    if (!absl::SimpleAtod(ToAbsl(v), &value) || !std::isfinite(value) || value < min ||
        value > max) {
      return absl::InvalidArgumentError(
          StrCat(Quote(v), " is not a number from ", NumberText(min), " to ", NumberText(max)));
    }
    *out = value;
    return absl::OkStatus();
  });
}

void FlagSet::Custom(std::string_view names, std::string value_name, std::string help,
                     std::string default_text, ValueParser parser) {
  Add(names, std::move(value_name), std::move(help), std::move(default_text), std::move(parser));
}

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (Flag& f : flags_) {
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) return &f;
  }
  return nullptr;
}

bool FlagSet::WasSet(std::string_view name) const {
  for (const Flag& f : flags_) {
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) return f.seen;
  }
  return false;
}

absl::Status FlagSet::Parse(int argc, const char* const* argv,
                            std::vector<std::string>* positional) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional->emplace_back(argv[i]);
      break;
    }
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) {
      positional->emplace_back(arg);
      continue;
    }
    std::string_view name = arg;
    std::string_view inline_value;
    bool has_inline = false;
    if (arg.substr(0, 2) == "--") {
      if (size_t eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
        has_inline = true;
      }
    } else if (arg.size() > 2) {
      // "-p80" is "-p 80".
      name = arg.substr(0, 2);
      inline_value = arg.substr(2);
      has_inline = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("unknown flag ", Quote(name), " (see ", command_, " --help)"));
    }
    flag->seen = true;
    if (flag->value_name.empty()) {
      if (has_inline) {
        return absl::InvalidArgumentError(StrCat(name, " takes no value"));
      }
      (void)flag->parse("true");
      continue;
    }
    std::string_view value;
    if (has_inline) {
      value = inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(StrCat(name, " needs a value (", flag->value_name, ")"));
    }
    if (absl::Status s = flag->parse(value); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(name, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

namespace {

// Appends `text` wrapped to `width` columns, every line after the first indented by `indent`.
void AppendWrapped(std::string* out, std::string_view text, size_t indent, size_t width) {
  size_t column = indent;
  bool first = true;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (!first && column + 1 + word.size() > width) {
      StrAppend(out, "\n", std::string(indent, ' '));
      column = indent;
    } else if (!first) {
      StrAppend(out, " ");
      ++column;
    }
    StrAppend(out, word);
    column += word.size();
    first = false;
  }
  StrAppend(out, "\n");
}

}  // namespace

std::string FlagSet::Help() const {
  constexpr size_t kIndent = 28;
  constexpr size_t kWidth = 100;
  std::string out = StrCat("Usage: ", command_, " ", synopsis_, "\n\n", description_, "\n");
  if (!flags_.empty()) StrAppend(&out, "\nFlags:\n");
  for (const Flag& f : flags_) {
    std::string left = "  ";
    for (size_t i = 0; i < f.names.size(); ++i) {
      StrAppend(&left, i ? ", " : "", f.names[i]);
    }
    if (!f.value_name.empty()) StrAppend(&left, " ", f.value_name);
    std::string text = f.help;
    if (!f.default_text.empty() && f.default_text != "0" && !f.value_name.empty()) {
      StrAppend(&text, " [default: ", f.default_text, "]");
    }
    if (left.size() < kIndent) {
      left.resize(kIndent, ' ');
      StrAppend(&out, left);
    } else {
      StrAppend(&out, left, "\n", std::string(kIndent, ' '));
    }
    AppendWrapped(&out, text, kIndent, kWidth);
  }
  StrAppend(&out, "  -h, --help                this text\n");
  if (!epilog_.empty()) StrAppend(&out, "\n", epilog_, "\n");
  return out;
}

}  // namespace mailsweep
