// pipelines/rows/timestamp.cc: ISO-8601 parsing and UTC formatting (proleptic Gregorian).
#include "pipelines/rows/timestamp.h"

#include <cstdio>

namespace k3::pipelines {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

bool Digits(std::string_view s, size_t pos, size_t count, int* out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

const int64_t kMinMs = DaysFromCivil(0, 1, 1) * kMsPerDay;
const int64_t kMaxMs = DaysFromCivil(10000, 1, 1) * kMsPerDay - 1;

// Parses "YYYY-MM-DD" at the start of `s`.
bool ParseDate(std::string_view s, int* y, int* m, int* d) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, m) || !Digits(s, 8, 2, d)) return false;
  return *m >= 1 && *m <= 12 && *d >= 1 && *d <= DaysInMonth(*y, *m);
}

}  // namespace

bool IsIsoDate(std::string_view text) {
  int y, m, d;
  return text.size() == 10 && ParseDate(text, &y, &m, &d);
}

std::optional<int64_t> ParseIsoTimestampMs(std::string_view s) {
  int y, mo, d;
  if (!ParseDate(s, &y, &mo, &d)) return std::nullopt;
  int64_t ms = DaysFromCivil(y, mo, d) * kMsPerDay;
  if (s.size() == 10) return ms;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int hh, mm, ss = 0;
  if (!Digits(s, 11, 2, &hh) || s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, &mm)) {
    return std::nullopt;
  }
  size_t pos = 16;
  int frac_ms = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &ss)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return std::nullopt;
      for (size_t k = digits; k < 3; ++k) frac_ms *= 10;
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  int64_t offset_min = 0;
  if (pos < s.size()) {
    const char c = s[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      int oh, om = 0;
      if (!Digits(s, pos + 1, 2, &oh)) return std::nullopt;
      pos += 3;
      if (pos < s.size()) {
        if (s[pos] == ':') ++pos;
        if (!Digits(s, pos, 2, &om)) return std::nullopt;
        pos += 2;
      }
      if (oh > 23 || om > 59) return std::nullopt;
      offset_min = (c == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  ms += ((hh * 60 + mm) * 60 + ss) * 1000LL + frac_ms - offset_min * 60'000;
  if (ms < kMinMs || ms > kMaxMs) return std::nullopt;
  return ms;
}

std::optional<std::string> FormatUtcTimestampMs(int64_t ms) {
  if (ms < kMinMs || ms > kMaxMs) return std::nullopt;
  int64_t days = ms / kMsPerDay;
  int64_t rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  const int millis = static_cast<int>(rem % 1000);
  const int64_t secs = rem / 1000;
  char buf[40];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(y), m,
                        d, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                        static_cast<int>(secs % 60));
  if (millis != 0) n += std::snprintf(buf + n, sizeof(buf) - n, ".%03d", millis);
  std::string out(buf, static_cast<size_t>(n));
  out.push_back('Z');
  return out;
}

std::optional<std::string> NormalizeIsoTimestamp(std::string_view text) {
  auto ms = ParseIsoTimestampMs(text);
  if (!ms) return std::nullopt;
  return FormatUtcTimestampMs(*ms);
}

}  // namespace k3::pipelines
