// tables/duckdb_functions.cc: DuckDB's functions for SQLite (see duckdb_functions.h and
// docs/duckdb-functions.md). Semantics were checked against DuckDB 1.5.6; every deliberate
// difference is listed in the doc.
#include "tables/duckdb_functions.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace k3::tables {
namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers shared by every function.

// The text of `v` (SQLite converts numbers to text; NULL gives "").
std::string_view ValueText(sqlite3_value* v) {
  const unsigned char* p = sqlite3_value_text(v);
  const int n = sqlite3_value_bytes(v);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}

bool IsNull(sqlite3_value* v) { return sqlite3_value_type(v) == SQLITE_NULL; }

void ResultText(sqlite3_context* ctx, std::string_view s) {
  // A null data pointer would make the result NULL instead of ''.
  sqlite3_result_text64(ctx, s.empty() ? "" : s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void ResultError(sqlite3_context* ctx, const std::string& message) {
  sqlite3_result_error(ctx, message.c_str(), static_cast<int>(message.size()));
}

// `s` quoted for an error message, cut to 64 bytes.
std::string Quote(std::string_view s) {
  std::string out = "'";
  if (s.size() > 64) {
    out.append(s.substr(0, 61));
    out += "...";
  } else {
    out.append(s);
  }
  out += "'";
  return out;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Decodes one UTF-8 code point at s[i]; false (and *len = 1) on an invalid sequence.
bool DecodeUtf8(std::string_view s, size_t i, uint32_t* cp, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b0 < 0x80) {
    *cp = b0;
    return true;
  }
  size_t n;
  uint32_t c;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    c = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    c = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    c = b0 & 0x07;
  } else {
    return false;
  }
  if (i + n > s.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    c = (c << 6) | (b & 0x3F);
  }
  if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
      (c >= 0xD800 && c <= 0xDFFF))
    return false;
  *cp = c;
  *len = n;
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Byte offsets of the code points of `s` (invalid bytes count as one character each), plus
// s.size() at the end.
std::vector<size_t> CharOffsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t i = 0;
  while (i < s.size()) {
    offsets.push_back(i);
    uint32_t cp;
    size_t len;
    DecodeUtf8(s, i, &cp, &len);
    i += len;
  }
  offsets.push_back(s.size());
  return offsets;
}

size_t CharCount(std::string_view s) { return CharOffsets(s).size() - 1; }

// Runs `body`, turning a C++ exception into an SQL error (no exception may cross SQLite).
template <typename F>
void Guarded(sqlite3_context* ctx, F&& body) {
  try {
    body();
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (const std::exception& e) {
    ResultError(ctx, std::string("internal error: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// Timestamps: int64 microseconds since 1970-01-01 00:00:00 UTC, like DuckDB's TIMESTAMP.

constexpr int64_t kUsPerMs = 1000;
constexpr int64_t kUsPerSec = 1000000;
constexpr int64_t kUsPerMin = 60 * kUsPerSec;
constexpr int64_t kUsPerHour = 60 * kUsPerMin;
constexpr int64_t kUsPerDay = 24 * kUsPerHour;
// Timestamps beyond about +-190000 years are refused (keeps every computation within int64).
constexpr int64_t kMaxAbsUs = 6'000'000'000'000'000'000LL;
// An integer epoch at or above this magnitude is milliseconds, below it seconds.
constexpr double kEpochMsThreshold = 1e11;
// Julian day number of 1970-01-01.
constexpr int64_t kJulianEpochDay = 2440588;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && IsLeap(y)) ? 29 : kDays[m - 1];
}

struct Fields {
  int64_t days;  // since 1970-01-01
  int64_t year;
  int month, day, hour, minute, second, micros;
};

Fields Split(int64_t us) {
  Fields f;
  f.days = FloorDiv(us, kUsPerDay);
  int64_t rem = us - f.days * kUsPerDay;
  CivilFromDays(f.days, &f.year, &f.month, &f.day);
  f.hour = static_cast<int>(rem / kUsPerHour);
  rem %= kUsPerHour;
  f.minute = static_cast<int>(rem / kUsPerMin);
  rem %= kUsPerMin;
  f.second = static_cast<int>(rem / kUsPerSec);
  f.micros = static_cast<int>(rem % kUsPerSec);
  return f;
}

// 0 = Monday ... 6 = Sunday.
int64_t MondayOffset(int64_t days) { return FloorMod(days + 3, 7); }

// The ISO-8601 week-numbering year and week of a day.
void IsoWeek(int64_t days, int64_t* iso_year, int64_t* week) {
  const int64_t thursday = days - MondayOffset(days) + 3;
  int64_t y;
  int m, d;
  CivilFromDays(thursday, &y, &m, &d);
  *iso_year = y;
  *week = (thursday - DaysFromCivil(y, 1, 1)) / 7 + 1;
}

// DuckDB's DATE text: 'YYYY-MM-DD', years before 0 as '0044-03-15 (BC)'.
std::string FormatDate(int64_t days) {
  int64_t y;
  int m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  if (y < 0) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d (BC)", static_cast<long long>(1 - y), m, d);
  } else {
    std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d", static_cast<long long>(y), m, d);
  }
  return buf;
}

// DuckDB's TIMESTAMP text: 'YYYY-MM-DD HH:MM:SS', with '.ffffff' (trailing zeros dropped) when
// there are microseconds.
std::string FormatTimestamp(int64_t us) {
  const Fields f = Split(us);
  std::string out = FormatDate(f.days);
  char buf[32];
  std::snprintf(buf, sizeof(buf), " %02d:%02d:%02d", f.hour, f.minute, f.second);
  out += buf;
  if (f.micros != 0) {
    std::snprintf(buf, sizeof(buf), ".%06d", f.micros);
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out;
}

// Reads 1..max_digits digits (at least min_digits) at s[*i].
bool ReadDigits(std::string_view s, size_t* i, int min_digits, int max_digits, int64_t* out) {
  int64_t v = 0;
  int n = 0;
  while (*i < s.size() && n < max_digits && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[*i] - '0');
    ++*i;
    ++n;
  }
  if (n < min_digits) return false;
  *out = v;
  return true;
}

// ISO-8601 text: 'YYYY-MM-DD', then optionally ('T' | ' ') 'HH:MM[:SS[.fraction]]' (single
// digits too, as DuckDB takes them: '2021-1-3 1:2:3'), then optionally 'Z', 'UTC' or an offset
// '+HH', '+HHMM', '+HH:MM' (converted to UTC). Fractions beyond microseconds are truncated (as
// DuckDB does); '24:00:00' is the next midnight.
bool ParseIsoTimestamp(std::string_view text, int64_t* us) {
  const std::string_view s = Trim(text);
  size_t i = 0;
  int64_t year, month, day;
  if (!ReadDigits(s, &i, 4, 6, &year)) return false;
  if (i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!ReadDigits(s, &i, 1, 2, &month)) return false;
  if (i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!ReadDigits(s, &i, 1, 2, &day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, static_cast<int>(month)))
    return false;
  int64_t hour = 0, minute = 0, second = 0, frac = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    size_t j = i + 1;
    while (s[i] == ' ' && j < s.size() && s[j] == ' ') ++j;
    int64_t h;
    size_t k = j;
    // A space may also introduce a zone ("2026-05-14 UTC"); only digits start a time.
    if (ReadDigits(s, &k, 1, 2, &h)) {
      i = k;
      hour = h;
      if (i >= s.size() || s[i] != ':') return false;
      ++i;
      if (!ReadDigits(s, &i, 1, 2, &minute)) return false;
      if (i < s.size() && s[i] == ':') {
        ++i;
        if (!ReadDigits(s, &i, 1, 2, &second)) return false;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
          ++i;
          int digits = 0;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (digits < 6) frac = frac * 10 + (s[i] - '0');
            ++digits;
            ++i;
          }
          if (digits == 0) return false;
          for (int d = digits; d < 6; ++d) frac *= 10;
        }
      }
    } else if (s[i] != ' ') {
      return false;
    }
  }
  if (hour > 24 || minute > 59 || second > 59) return false;
  if (hour == 24 && (minute != 0 || second != 0 || frac != 0)) return false;
  int64_t offset_seconds = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i < s.size()) {
    if (s[i] == 'Z' || s[i] == 'z') {
      ++i;
    } else if (s.size() - i >= 3 && AsciiLower(s.substr(i, 3)) == "utc") {
      i += 3;
    } else if (s[i] == '+' || s[i] == '-') {
      const int sign = s[i] == '-' ? -1 : 1;
      ++i;
      int64_t oh = 0, om = 0, os = 0;
      if (!ReadDigits(s, &i, 2, 2, &oh)) return false;
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (!ReadDigits(s, &i, 2, 2, &om)) return false;
        if (i < s.size() && s[i] == ':') ++i;
        if (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (!ReadDigits(s, &i, 2, 2, &os)) return false;
        }
      }
      if (oh > 23 || om > 59 || os > 59) return false;
      offset_seconds = sign * (oh * 3600 + om * 60 + os);
    } else {
      return false;
    }
  }
  if (i != s.size()) return false;
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  *us = seconds * kUsPerSec + frac;
  return true;
}

// True when `s` is a plain decimal number ("1715681025", "-12.5").
bool LooksNumeric(std::string_view s) {
  s = Trim(s);
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  return digits > 0 && i == s.size();
}

enum class Conv { kNull, kOk, kError };

// Epoch seconds (|x| < 1e11) or milliseconds (|x| >= 1e11) to microseconds.
Conv EpochIntToMicros(int64_t x, int64_t* us, std::string* err) {
  const auto threshold = static_cast<int64_t>(kEpochMsThreshold);
  const int64_t unit = (x >= threshold || x <= -threshold) ? kUsPerMs : kUsPerSec;
  if (x > kMaxAbsUs / unit || x < -kMaxAbsUs / unit) {
    *err = "timestamp out of range";
    return Conv::kError;
  }
  *us = x * unit;
  return Conv::kOk;
}

Conv EpochDoubleToMicros(double x, int64_t* us, std::string* err) {
  if (!std::isfinite(x)) {
    *err = "timestamp is not finite";
    return Conv::kError;
  }
  const double scaled = std::fabs(x) >= kEpochMsThreshold ? x * 1e3 : x * 1e6;
  if (!(std::fabs(scaled) <= static_cast<double>(kMaxAbsUs))) {
    *err = "timestamp out of range";
    return Conv::kError;
  }
  *us = std::llround(scaled);
  return Conv::kOk;
}

// The timestamp a SQL value stands for: ISO-8601 text, or an epoch number (also as text).
Conv ValueToMicros(sqlite3_value* v, int64_t* us, std::string* err) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      return Conv::kNull;
    case SQLITE_INTEGER:
      return EpochIntToMicros(sqlite3_value_int64(v), us, err);
    case SQLITE_FLOAT:
      return EpochDoubleToMicros(sqlite3_value_double(v), us, err);
    case SQLITE_TEXT: {
      const std::string_view s = ValueText(v);
      if (ParseIsoTimestamp(s, us)) {
        if (*us > kMaxAbsUs || *us < -kMaxAbsUs) {
          *err = "timestamp out of range";
          return Conv::kError;
        }
        return Conv::kOk;
      }
      if (LooksNumeric(s)) {
        const std::string_view t = Trim(s);
        int64_t i;
        const char* begin = t.data() + (t.front() == '+' ? 1 : 0);
        auto r = std::from_chars(begin, t.data() + t.size(), i);
        if (r.ec == std::errc() && r.ptr == t.data() + t.size()) {
          return EpochIntToMicros(i, us, err);
        }
        double d;
        auto rd = std::from_chars(begin, t.data() + t.size(), d);
        if (rd.ec == std::errc() && rd.ptr == t.data() + t.size()) {
          return EpochDoubleToMicros(d, us, err);
        }
      }
      *err = "cannot convert " + Quote(s) +
             " to a timestamp (expected ISO-8601 text such as '2026-05-14 10:23:45' or "
             "'2026-05-14T10:23:45Z', or epoch seconds/milliseconds)";
      return Conv::kError;
    }
    default:
      *err = "cannot convert a blob to a timestamp";
      return Conv::kError;
  }
}

// The timestamp argument `v` of function `fn`: false when the result is already set (NULL or
// an error).
bool TimestampArg(sqlite3_context* ctx, const char* fn, sqlite3_value* v, int64_t* us) {
  std::string err;
  switch (ValueToMicros(v, us, &err)) {
    case Conv::kOk:
      return true;
    case Conv::kNull:
      sqlite3_result_null(ctx);
      return false;
    case Conv::kError:
      ResultError(ctx, std::string(fn) + ": " + err);
      return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Date part specifiers (DuckDB's names and synonyms).

enum class Part {
  kYear,
  kQuarter,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
  kMicrosecond,
  kDecade,
  kCentury,
  kMillennium,
  kWeek,
  kDow,
  kIsodow,
  kDoy,
  kIsoyear,
  kYearweek,
  kEpoch,
  kEra,
  kJulian,
  kTimezone,
  kTimezoneHour,
  kTimezoneMinute,
};

struct PartName {
  const char* name;
  Part part;
};

constexpr PartName kPartNames[] = {
    {"year", Part::kYear},
    {"y", Part::kYear},
    {"yr", Part::kYear},
    {"yrs", Part::kYear},
    {"years", Part::kYear},
    {"quarter", Part::kQuarter},
    {"quarters", Part::kQuarter},
    {"month", Part::kMonth},
    {"mon", Part::kMonth},
    {"mons", Part::kMonth},
    {"months", Part::kMonth},
    {"day", Part::kDay},
    {"d", Part::kDay},
    {"days", Part::kDay},
    {"dayofmonth", Part::kDay},
    {"hour", Part::kHour},
    {"h", Part::kHour},
    {"hr", Part::kHour},
    {"hrs", Part::kHour},
    {"hours", Part::kHour},
    {"minute", Part::kMinute},
    {"m", Part::kMinute},
    {"min", Part::kMinute},
    {"mins", Part::kMinute},
    {"minutes", Part::kMinute},
    {"second", Part::kSecond},
    {"s", Part::kSecond},
    {"sec", Part::kSecond},
    {"secs", Part::kSecond},
    {"seconds", Part::kSecond},
    {"millisecond", Part::kMillisecond},
    {"milliseconds", Part::kMillisecond},
    {"ms", Part::kMillisecond},
    {"msec", Part::kMillisecond},
    {"msecs", Part::kMillisecond},
    {"msecond", Part::kMillisecond},
    {"mseconds", Part::kMillisecond},
    {"microsecond", Part::kMicrosecond},
    {"microseconds", Part::kMicrosecond},
    {"us", Part::kMicrosecond},
    {"usec", Part::kMicrosecond},
    {"usecs", Part::kMicrosecond},
    {"usecond", Part::kMicrosecond},
    {"useconds", Part::kMicrosecond},
    {"decade", Part::kDecade},
    {"dec", Part::kDecade},
    {"decades", Part::kDecade},
    {"decs", Part::kDecade},
    {"century", Part::kCentury},
    {"c", Part::kCentury},
    {"cent", Part::kCentury},
    {"centuries", Part::kCentury},
    {"millennium", Part::kMillennium},
    {"mil", Part::kMillennium},
    {"mils", Part::kMillennium},
    {"millenia", Part::kMillennium},
    {"millenium", Part::kMillennium},
    {"millenniums", Part::kMillennium},
    {"week", Part::kWeek},
    {"w", Part::kWeek},
    {"weeks", Part::kWeek},
    {"weekofyear", Part::kWeek},
    {"dow", Part::kDow},
    {"dayofweek", Part::kDow},
    {"weekday", Part::kDow},
    {"isodow", Part::kIsodow},
    {"doy", Part::kDoy},
    {"dayofyear", Part::kDoy},
    {"isoyear", Part::kIsoyear},
    {"yearweek", Part::kYearweek},
    {"epoch", Part::kEpoch},
    {"era", Part::kEra},
    {"julian", Part::kJulian},
    {"timezone", Part::kTimezone},
    {"timezone_hour", Part::kTimezoneHour},
    {"timezone_minute", Part::kTimezoneMinute},
};

constexpr const char* kPartList =
    "year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, decade, "
    "century, millennium, dow, isodow, doy, isoyear, yearweek, epoch, era, julian, and their "
    "DuckDB synonyms such as 'hours' or 'ms'";

std::optional<Part> ParsePart(std::string_view s) {
  const std::string lower = AsciiLower(s);
  for (const PartName& p : kPartNames) {
    if (lower == p.name) return p.part;
  }
  return std::nullopt;
}

// The part argument of `fn`: false when the result is already set (NULL or an error).
bool PartArg(sqlite3_context* ctx, const char* fn, sqlite3_value* v, Part* part) {
  if (IsNull(v)) {
    sqlite3_result_null(ctx);
    return false;
  }
  const std::string_view s = ValueText(v);
  const std::optional<Part> p = ParsePart(s);
  if (!p) {
    ResultError(
        ctx, std::string(fn) + ": unknown date part " + Quote(s) + " (expected " + kPartList + ")");
    return false;
  }
  *part = *p;
  return true;
}

// DuckDB's date_trunc; nullopt for the parts it cannot truncate to (era, timezone*).
std::optional<int64_t> Truncate(Part part, int64_t us) {
  const Fields f = Split(us);
  switch (part) {
    case Part::kMicrosecond:
      return us;
    case Part::kMillisecond:
      return FloorDiv(us, kUsPerMs) * kUsPerMs;
    case Part::kSecond:
    case Part::kEpoch:
      return FloorDiv(us, kUsPerSec) * kUsPerSec;
    case Part::kMinute:
      return FloorDiv(us, kUsPerMin) * kUsPerMin;
    case Part::kHour:
      return FloorDiv(us, kUsPerHour) * kUsPerHour;
    case Part::kDay:
    case Part::kDow:
    case Part::kIsodow:
    case Part::kDoy:
    case Part::kJulian:
      return f.days * kUsPerDay;
    case Part::kWeek:
    case Part::kYearweek:
      return (f.days - MondayOffset(f.days)) * kUsPerDay;
    case Part::kIsoyear: {
      int64_t iso_year, week;
      IsoWeek(f.days, &iso_year, &week);
      const int64_t jan4 = DaysFromCivil(iso_year, 1, 4);
      return (jan4 - MondayOffset(jan4)) * kUsPerDay;
    }
    case Part::kMonth:
      return DaysFromCivil(f.year, f.month, 1) * kUsPerDay;
    case Part::kQuarter:
      return DaysFromCivil(f.year, (f.month - 1) / 3 * 3 + 1, 1) * kUsPerDay;
    case Part::kYear:
      return DaysFromCivil(f.year, 1, 1) * kUsPerDay;
    case Part::kDecade:
      return DaysFromCivil(f.year / 10 * 10, 1, 1) * kUsPerDay;
    case Part::kCentury:
      return DaysFromCivil(f.year / 100 * 100, 1, 1) * kUsPerDay;
    case Part::kMillennium:
      return DaysFromCivil(f.year / 1000 * 1000, 1, 1) * kUsPerDay;
    case Part::kEra:
    case Part::kTimezone:
    case Part::kTimezoneHour:
    case Part::kTimezoneMinute:
      return std::nullopt;
  }
  return std::nullopt;
}

// A date part's value: an integer, or a double for epoch and julian.
struct PartValue {
  bool is_double = false;
  int64_t i = 0;
  double d = 0;
};

PartValue Extract(Part part, int64_t us) {
  const Fields f = Split(us);
  PartValue v;
  switch (part) {
    case Part::kYear:
      v.i = f.year;
      break;
    case Part::kQuarter:
      v.i = (f.month - 1) / 3 + 1;
      break;
    case Part::kMonth:
      v.i = f.month;
      break;
    case Part::kDay:
      v.i = f.day;
      break;
    case Part::kHour:
      v.i = f.hour;
      break;
    case Part::kMinute:
      v.i = f.minute;
      break;
    case Part::kSecond:
      v.i = f.second;
      break;
    case Part::kMillisecond:
      v.i = f.second * 1000LL + f.micros / 1000;
      break;
    case Part::kMicrosecond:
      v.i = f.second * 1000000LL + f.micros;
      break;
    case Part::kDecade:
      v.i = f.year / 10;
      break;
    case Part::kCentury:
      v.i = f.year > 0 ? (f.year - 1) / 100 + 1 : -((-f.year) / 100 + 1);
      break;
    case Part::kMillennium:
      v.i = f.year > 0 ? (f.year - 1) / 1000 + 1 : -((-f.year) / 1000 + 1);
      break;
    case Part::kWeek: {
      int64_t iso_year;
      IsoWeek(f.days, &iso_year, &v.i);
      break;
    }
    case Part::kDow:
      v.i = FloorMod(f.days + 4, 7);
      break;
    case Part::kIsodow:
      v.i = MondayOffset(f.days) + 1;
      break;
    case Part::kDoy:
      v.i = f.days - DaysFromCivil(f.year, 1, 1) + 1;
      break;
    case Part::kIsoyear: {
      int64_t week;
      IsoWeek(f.days, &v.i, &week);
      break;
    }
    case Part::kYearweek: {
      int64_t iso_year, week;
      IsoWeek(f.days, &iso_year, &week);
      v.i = iso_year * 100 + (iso_year < 0 ? -week : week);
      break;
    }
    case Part::kEpoch:
      v.is_double = true;
      v.d = static_cast<double>(us) / static_cast<double>(kUsPerSec);
      break;
    case Part::kEra:
      v.i = f.year > 0 ? 1 : 0;
      break;
    case Part::kJulian: {
      v.is_double = true;
      double r = static_cast<double>(us - f.days * kUsPerDay);
      r /= static_cast<double>(kUsPerDay);
      r += static_cast<double>(f.days + kJulianEpochDay);
      v.d = r;
      break;
    }
    case Part::kTimezone:
    case Part::kTimezoneHour:
    case Part::kTimezoneMinute:
      v.i = 0;
      break;
  }
  return v;
}

void ResultPart(sqlite3_context* ctx, const PartValue& v) {
  if (v.is_double) {
    sqlite3_result_double(ctx, v.d);
  } else {
    sqlite3_result_int64(ctx, v.i);
  }
}

// ---------------------------------------------------------------------------------------------
// Date and time functions.

void DateTrunc(sqlite3_context* ctx, int, sqlite3_value** argv) {
  Part part;
  int64_t us;
  if (!PartArg(ctx, "date_trunc", argv[0], &part)) return;
  if (!TimestampArg(ctx, "date_trunc", argv[1], &us)) return;
  const std::optional<int64_t> t = Truncate(part, us);
  if (!t) {
    ResultError(ctx, "date_trunc: cannot truncate to " + Quote(ValueText(argv[0])) +
                         " (DuckDB's date_trunc does not support it either)");
    return;
  }
  ResultText(ctx, FormatTimestamp(*t));
}

void DatePart(sqlite3_context* ctx, int, sqlite3_value** argv) {
  Part part;
  int64_t us;
  if (!PartArg(ctx, "date_part", argv[0], &part)) return;
  if (!TimestampArg(ctx, "date_part", argv[1], &us)) return;
  ResultPart(ctx, Extract(part, us));
}

// year(ts), month(ts), ...: the part is the function's user data.
void PartShorthand(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* name = static_cast<const PartName*>(sqlite3_user_data(ctx));
  int64_t us;
  if (!TimestampArg(ctx, name->name, argv[0], &us)) return;
  ResultPart(ctx, Extract(name->part, us));
}

// DuckDB's date_diff: the number of part boundaries between start and end.
void DateDiff(sqlite3_context* ctx, int, sqlite3_value** argv) {
  Part part;
  int64_t a, b;
  if (!PartArg(ctx, "date_diff", argv[0], &part)) return;
  if (!TimestampArg(ctx, "date_diff", argv[1], &a)) return;
  if (!TimestampArg(ctx, "date_diff", argv[2], &b)) return;
  const Fields fa = Split(a), fb = Split(b);
  int64_t r = 0;
  switch (part) {
    case Part::kYear:
      r = fb.year - fa.year;
      break;
    case Part::kQuarter:
      r = (fb.year * 4 + (fb.month - 1) / 3) - (fa.year * 4 + (fa.month - 1) / 3);
      break;
    case Part::kMonth:
      r = (fb.year * 12 + fb.month) - (fa.year * 12 + fa.month);
      break;
    case Part::kDecade:
      r = fb.year / 10 - fa.year / 10;
      break;
    case Part::kCentury:
      r = fb.year / 100 - fa.year / 100;
      break;
    case Part::kMillennium:
      r = fb.year / 1000 - fa.year / 1000;
      break;
    case Part::kDay:
    case Part::kDow:
    case Part::kIsodow:
    case Part::kDoy:
    case Part::kJulian:
      r = fb.days - fa.days;
      break;
    case Part::kWeek:
    case Part::kYearweek:
      r = (fb.days - fa.days) / 7;
      break;
    case Part::kIsoyear: {
      int64_t ya, yb, w;
      IsoWeek(fa.days, &ya, &w);
      IsoWeek(fb.days, &yb, &w);
      r = yb - ya;
      break;
    }
    case Part::kHour:
      r = FloorDiv(b, kUsPerHour) - FloorDiv(a, kUsPerHour);
      break;
    case Part::kMinute:
      r = FloorDiv(b, kUsPerMin) - FloorDiv(a, kUsPerMin);
      break;
    case Part::kSecond:
    case Part::kEpoch:
      r = FloorDiv(b, kUsPerSec) - FloorDiv(a, kUsPerSec);
      break;
    case Part::kMillisecond:
      r = FloorDiv(b, kUsPerMs) - FloorDiv(a, kUsPerMs);
      break;
    case Part::kMicrosecond:
      r = b - a;
      break;
    case Part::kEra:
    case Part::kTimezone:
    case Part::kTimezoneHour:
    case Part::kTimezoneMinute:
      ResultError(ctx, "date_diff: unsupported date part " + Quote(ValueText(argv[0])));
      return;
  }
  sqlite3_result_int64(ctx, r);
}

// epoch_ms(integer ms) -> timestamp text; epoch_ms(timestamp) -> integer ms (DuckDB's two
// overloads). Numbers are always milliseconds here.
void EpochMs(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_value* v = argv[0];
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      sqlite3_result_null(ctx);
      return;
    case SQLITE_INTEGER: {
      const int64_t ms = sqlite3_value_int64(v);
      if (ms > kMaxAbsUs / kUsPerMs || ms < -kMaxAbsUs / kUsPerMs) {
        ResultError(ctx, "epoch_ms: timestamp out of range");
        return;
      }
      ResultText(ctx, FormatTimestamp(ms * kUsPerMs));
      return;
    }
    case SQLITE_FLOAT: {
      const double ms = sqlite3_value_double(v);
      if (!std::isfinite(ms) || std::fabs(ms) > static_cast<double>(kMaxAbsUs / kUsPerMs)) {
        ResultError(ctx, "epoch_ms: timestamp out of range");
        return;
      }
      ResultText(ctx, FormatTimestamp(std::llround(ms) * kUsPerMs));
      return;
    }
    default: {
      int64_t us;
      if (!TimestampArg(ctx, "epoch_ms", v, &us)) return;
      sqlite3_result_int64(ctx, us / kUsPerMs);  // truncates toward zero, as DuckDB does
    }
  }
}

// epoch(ts): seconds as a double.
void Epoch(sqlite3_context* ctx, int, sqlite3_value** argv) {
  int64_t us;
  if (!TimestampArg(ctx, "epoch", argv[0], &us)) return;
  sqlite3_result_double(ctx, static_cast<double>(us) / static_cast<double>(kUsPerSec));
}

void EpochUs(sqlite3_context* ctx, int, sqlite3_value** argv) {
  int64_t us;
  if (!TimestampArg(ctx, "epoch_us", argv[0], &us)) return;
  sqlite3_result_int64(ctx, us);
}

void EpochNs(sqlite3_context* ctx, int, sqlite3_value** argv) {
  int64_t us;
  if (!TimestampArg(ctx, "epoch_ns", argv[0], &us)) return;
  if (us > std::numeric_limits<int64_t>::max() / 1000 ||
      us < std::numeric_limits<int64_t>::min() / 1000) {
    ResultError(ctx, "epoch_ns: timestamp out of range for nanoseconds");
    return;
  }
  sqlite3_result_int64(ctx, us * 1000);
}

// to_timestamp(seconds) -> DuckDB's TIMESTAMPTZ text at UTC ('... +00').
void ToTimestamp(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0])) {
    sqlite3_result_null(ctx);
    return;
  }
  const double s = sqlite3_value_double(argv[0]);
  if (!std::isfinite(s) || std::fabs(s) * 1e6 > static_cast<double>(kMaxAbsUs)) {
    ResultError(ctx, "to_timestamp: timestamp out of range");
    return;
  }
  ResultText(ctx, FormatTimestamp(std::llround(s * 1e6)) + "+00");
}

// make_timestamp(micros) or make_timestamp(year, month, day, hour, minute, seconds).
void MakeTimestamp(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i) {
    if (IsNull(argv[i])) {
      sqlite3_result_null(ctx);
      return;
    }
  }
  if (argc == 1) {
    const int64_t us = sqlite3_value_int64(argv[0]);
    if (us > kMaxAbsUs || us < -kMaxAbsUs) {
      ResultError(ctx, "make_timestamp: timestamp out of range");
      return;
    }
    ResultText(ctx, FormatTimestamp(us));
    return;
  }
  const int64_t y = sqlite3_value_int64(argv[0]);
  const int64_t mo = sqlite3_value_int64(argv[1]);
  const int64_t d = sqlite3_value_int64(argv[2]);
  const int64_t h = sqlite3_value_int64(argv[3]);
  const int64_t mi = sqlite3_value_int64(argv[4]);
  const double sec = sqlite3_value_double(argv[5]);
  if (y < -190000 || y > 190000 || mo < 1 || mo > 12 || d < 1 ||
      d > DaysInMonth(y, static_cast<int>(mo)) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      !(sec >= 0 && sec < 60)) {
    ResultError(ctx, "make_timestamp: invalid date or time");
    return;
  }
  const int64_t us =
      (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60) * kUsPerSec + std::llround(sec * 1e6);
  ResultText(ctx, FormatTimestamp(us));
}

void MakeDate(sqlite3_context* ctx, int, sqlite3_value** argv) {
  for (int i = 0; i < 3; ++i) {
    if (IsNull(argv[i])) {
      sqlite3_result_null(ctx);
      return;
    }
  }
  const int64_t y = sqlite3_value_int64(argv[0]);
  const int64_t m = sqlite3_value_int64(argv[1]);
  const int64_t d = sqlite3_value_int64(argv[2]);
  if (y < -190000 || y > 190000 || m < 1 || m > 12 || d < 1 ||
      d > DaysInMonth(y, static_cast<int>(m))) {
    ResultError(ctx, "make_date: invalid date");
    return;
  }
  ResultText(ctx, FormatDate(DaysFromCivil(y, m, d)));
}

void LastDay(sqlite3_context* ctx, int, sqlite3_value** argv) {
  int64_t us;
  if (!TimestampArg(ctx, "last_day", argv[0], &us)) return;
  const Fields f = Split(us);
  ResultText(ctx, FormatDate(DaysFromCivil(f.year, f.month, DaysInMonth(f.year, f.month))));
}

void DayName(sqlite3_context* ctx, int, sqlite3_value** argv) {
  static constexpr const char* kNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
  int64_t us;
  if (!TimestampArg(ctx, "dayname", argv[0], &us)) return;
  ResultText(ctx, kNames[Extract(Part::kDow, us).i]);
}

void MonthName(sqlite3_context* ctx, int, sqlite3_value** argv) {
  static constexpr const char* kNames[] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
  int64_t us;
  if (!TimestampArg(ctx, "monthname", argv[0], &us)) return;
  ResultText(ctx, kNames[Split(us).month - 1]);
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// now(): DuckDB's TIMESTAMPTZ text at UTC. Not deterministic.
void Now(sqlite3_context* ctx, int, sqlite3_value**) {
  ResultText(ctx, FormatTimestamp(NowUs()) + "+00");
}

void Today(sqlite3_context* ctx, int, sqlite3_value**) {
  ResultText(ctx, FormatDate(FloorDiv(NowUs(), kUsPerDay)));
}

// ---------------------------------------------------------------------------------------------
// JSON: a validating scanner (yyjson's leniency as DuckDB uses it: trailing commas and
// NaN/Infinity are accepted), DuckDB's paths, and its output text.

constexpr int kMaxJsonDepth = 1000;

struct JsonError {
  size_t at = 0;
  std::string what;
};

void SkipWs(std::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) ++*i;
}

bool HexDigit(char c, uint32_t* v) {
  if (c >= '0' && c <= '9') {
    *v = static_cast<uint32_t>(c - '0');
  } else if (c >= 'a' && c <= 'f') {
    *v = static_cast<uint32_t>(c - 'a' + 10);
  } else if (c >= 'A' && c <= 'F') {
    *v = static_cast<uint32_t>(c - 'A' + 10);
  } else {
    return false;
  }
  return true;
}

bool ReadHex4(std::string_view s, size_t i, uint32_t* out) {
  if (i + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    uint32_t h;
    if (!HexDigit(s[i + k], &h)) return false;
    v = (v << 4) | h;
  }
  *out = v;
  return true;
}

// Scans the string at s[*i] == '"'; appends its decoded text to `out` when given.
bool ScanString(std::string_view s, size_t* i, std::string* out, JsonError* err) {
  size_t p = *i + 1;
  while (true) {
    if (p >= s.size()) {
      *err = {p, "unexpected end of data in string"};
      return false;
    }
    const auto c = static_cast<unsigned char>(s[p]);
    if (c == '"') {
      *i = p + 1;
      return true;
    }
    if (c < 0x20) {
      *err = {p, "unexpected control character in string"};
      return false;
    }
    if (c == '\\') {
      if (p + 1 >= s.size()) {
        *err = {p, "unexpected end of data in string"};
        return false;
      }
      const char e = s[p + 1];
      char simple = 0;
      switch (e) {
        case '"':
          simple = '"';
          break;
        case '\\':
          simple = '\\';
          break;
        case '/':
          simple = '/';
          break;
        case 'b':
          simple = '\b';
          break;
        case 'f':
          simple = '\f';
          break;
        case 'n':
          simple = '\n';
          break;
        case 'r':
          simple = '\r';
          break;
        case 't':
          simple = '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!ReadHex4(s, p + 2, &cp)) {
            *err = {p, "invalid escaped sequence in string"};
            return false;
          }
          p += 6;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (p + 1 >= s.size() || s[p] != '\\' || s[p + 1] != 'u' || !ReadHex4(s, p + 2, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF) {
              *err = {p, "no low surrogate in string"};
              return false;
            }
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            *err = {p, "invalid low surrogate in string"};
            return false;
          }
          if (out) AppendUtf8(cp, out);
          continue;
        }
        default:
          *err = {p, "invalid escaped character in string"};
          return false;
      }
      if (out) out->push_back(simple);
      p += 2;
      continue;
    }
    if (c < 0x80) {
      if (out) out->push_back(static_cast<char>(c));
      ++p;
      continue;
    }
    uint32_t cp;
    size_t len;
    if (!DecodeUtf8(s, p, &cp, &len)) {
      *err = {p, "invalid utf-8 encoding in string"};
      return false;
    }
    if (out) out->append(s.substr(p, len));
    p += len;
  }
}

bool StartsWithNoCase(std::string_view s, size_t i, std::string_view word) {
  if (s.size() - i < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    if (AsciiLower(s[i + k]) != word[k]) return false;
  }
  return true;
}

enum class NumKind { kInteger, kReal, kNaN, kInf, kNegInf };

// Scans a number (or NaN / Infinity) at s[*i].
bool ScanNumber(std::string_view s, size_t* i, NumKind* kind, JsonError* err) {
  size_t p = *i;
  bool neg = false;
  if (p < s.size() && s[p] == '-') {
    neg = true;
    ++p;
  }
  if (p < s.size() && (s[p] == 'i' || s[p] == 'I' || s[p] == 'n' || s[p] == 'N')) {
    if (StartsWithNoCase(s, p, "infinity")) {
      p += 8;
      *kind = neg ? NumKind::kNegInf : NumKind::kInf;
    } else if (StartsWithNoCase(s, p, "inf")) {
      p += 3;
      *kind = neg ? NumKind::kNegInf : NumKind::kInf;
    } else if (StartsWithNoCase(s, p, "nan")) {
      p += 3;
      *kind = NumKind::kNaN;
    } else {
      *err = {p, "invalid literal"};
      return false;
    }
    *i = p;
    return true;
  }
  if (p >= s.size() || s[p] < '0' || s[p] > '9') {
    *err = {p, neg ? "no digit after minus sign" : "unexpected character"};
    return false;
  }
  if (s[p] == '0' && p + 1 < s.size() && s[p + 1] >= '0' && s[p + 1] <= '9') {
    *err = {p, "number with leading zero is not allowed"};
    return false;
  }
  while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
  *kind = NumKind::kInteger;
  if (p < s.size() && s[p] == '.') {
    ++p;
    if (p >= s.size() || s[p] < '0' || s[p] > '9') {
      *err = {p, "no digit after decimal point"};
      return false;
    }
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    *kind = NumKind::kReal;
  }
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    ++p;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) ++p;
    if (p >= s.size() || s[p] < '0' || s[p] > '9') {
      *err = {p, "no digit after exponent sign"};
      return false;
    }
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    *kind = NumKind::kReal;
  }
  *i = p;
  return true;
}

// Validates the value at s[*i] (after whitespace) and moves past it.
bool ScanValue(std::string_view s, size_t* i, int depth, JsonError* err) {
  SkipWs(s, i);
  if (*i >= s.size()) {
    *err = {*i, "unexpected end of data"};
    return false;
  }
  const char c = s[*i];
  if (c == '{' || c == '[') {
    if (depth >= kMaxJsonDepth) {
      *err = {*i, "nesting deeper than 1000 levels"};
      return false;
    }
    const char close = c == '{' ? '}' : ']';
    ++*i;
    SkipWs(s, i);
    if (*i < s.size() && s[*i] == close) {
      ++*i;
      return true;
    }
    while (true) {
      if (c == '{') {
        SkipWs(s, i);
        if (*i >= s.size()) {
          *err = {*i, "unexpected end of data"};
          return false;
        }
        if (s[*i] != '"') {
          *err = {*i, "unexpected character, expected a string for object key"};
          return false;
        }
        if (!ScanString(s, i, nullptr, err)) return false;
        SkipWs(s, i);
        if (*i >= s.size() || s[*i] != ':') {
          *err = {*i, "expected a colon after object key"};
          return false;
        }
        ++*i;
      }
      if (!ScanValue(s, i, depth + 1, err)) return false;
      SkipWs(s, i);
      if (*i >= s.size()) {
        *err = {*i, "unexpected end of data"};
        return false;
      }
      if (s[*i] == close) {
        ++*i;
        return true;
      }
      if (s[*i] != ',') {
        *err = {*i, "unexpected character"};
        return false;
      }
      ++*i;
      SkipWs(s, i);
      if (*i < s.size() && s[*i] == close) {  // a trailing comma
        ++*i;
        return true;
      }
    }
  }
  if (c == '"') return ScanString(s, i, nullptr, err);
  if (s.compare(*i, 4, "true") == 0) {
    *i += 4;
    return true;
  }
  if (s.compare(*i, 5, "false") == 0) {
    *i += 5;
    return true;
  }
  if (s.compare(*i, 4, "null") == 0) {
    *i += 4;
    return true;
  }
  NumKind kind;
  if ((c >= '0' && c <= '9') || c == '-' || c == 'i' || c == 'I' || c == 'n' || c == 'N') {
    const size_t start = *i;
    if (ScanNumber(s, i, &kind, err)) return true;
    if (c != '-' && !(c >= '0' && c <= '9')) *err = {start, "invalid literal"};
    return false;
  }
  *err = {*i, (c == 't' || c == 'f') ? "invalid literal" : "unexpected character"};
  return false;
}

bool ValidateJson(std::string_view s, JsonError* err) {
  if (s.empty()) {
    *err = {0, "input length is 0"};
    return false;
  }
  size_t i = 0;
  if (!ScanValue(s, &i, 0, err)) return false;
  SkipWs(s, &i);
  if (i != s.size()) {
    *err = {i, "unexpected content after document"};
    return false;
  }
  return true;
}

// After validation: skips the value at s[*i] (whitespace first).
void SkipValue(std::string_view s, size_t* i) {
  JsonError ignored;
  ScanValue(s, i, 0, &ignored);
}

// yyjson's double text (as DuckDB prints JSON numbers): shortest round-trip digits, decimal
// notation when 1e-7 < |x| < 1e21 (with ".0" when integral), else 'de[-]x'.
std::string FormatJsonDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  std::string out;
  if (sci[0] == '-') {
    out = "-";
    sci.erase(0, 1);
  }
  const size_t epos = sci.find('e');
  std::string digits = sci.substr(0, epos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::stoi(sci.substr(epos + 1));
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
    out += ".0";
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += std::to_string(n - 1);
  }
  return out;
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// After validation: the number at s[*i] in DuckDB's output form.
void AppendJsonNumber(std::string_view s, size_t* i, std::string* out) {
  const size_t start = *i;
  NumKind kind;
  JsonError ignored;
  ScanNumber(s, i, &kind, &ignored);
  const std::string_view text = s.substr(start, *i - start);
  switch (kind) {
    case NumKind::kNaN:
      *out += "NaN";
      return;
    case NumKind::kInf:
      *out += "Infinity";
      return;
    case NumKind::kNegInf:
      *out += "-Infinity";
      return;
    case NumKind::kInteger:
      // Integers keep their digits (also beyond 64 bits, as DuckDB does); "-0" is 0.
      *out += (text == "-0") ? std::string_view("0") : text;
      return;
    case NumKind::kReal: {
      double d;
      auto r = std::from_chars(text.data(), text.data() + text.size(), d);
      if (r.ec != std::errc()) {
        // Out of double's range: DuckDB keeps an overflowing literal as written and reads an
        // underflowing one as zero.
        const size_t e = text.find_first_of("eE");
        const bool tiny = e != std::string_view::npos && text[e + 1] == '-';
        if (r.ec == std::errc::result_out_of_range && tiny) {
          *out += text.front() == '-' ? "-0.0" : "0.0";
        } else {
          out->append(text);
        }
        return;
      }
      *out += FormatJsonDouble(d);
      return;
    }
  }
}

// After validation: the value at s[*i] re-serialized (minified, numbers normalized).
void AppendJsonValue(std::string_view s, size_t* i, std::string* out) {
  SkipWs(s, i);
  const char c = s[*i];
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    out->push_back(c);
    ++*i;
    bool first = true;
    while (true) {
      SkipWs(s, i);
      if (s[*i] == close) {
        ++*i;
        break;
      }
      if (s[*i] == ',') {
        ++*i;
        continue;
      }
      if (!first) out->push_back(',');
      first = false;
      if (c == '{') {
        std::string key;
        JsonError ignored;
        ScanString(s, i, &key, &ignored);
        AppendJsonString(key, out);
        out->push_back(':');
        SkipWs(s, i);
        ++*i;  // ':'
      }
      AppendJsonValue(s, i, out);
    }
    out->push_back(close);
    return;
  }
  if (c == '"') {
    std::string text;
    JsonError ignored;
    ScanString(s, i, &text, &ignored);
    AppendJsonString(text, out);
    return;
  }
  if (s.compare(*i, 4, "true") == 0) {
    *out += "true";
    *i += 4;
    return;
  }
  if (s.compare(*i, 5, "false") == 0) {
    *out += "false";
    *i += 5;
    return;
  }
  if (s.compare(*i, 4, "null") == 0) {
    *out += "null";
    *i += 4;
    return;
  }
  AppendJsonNumber(s, i, out);
}

struct PathStep {
  enum Kind { kKey, kIndex, kFromEnd, kPointer } kind;
  std::string key;    // kKey, kPointer
  int64_t index = 0;  // kIndex; kFromEnd: how far from the end (1 = last)
};

// DuckDB's JSON paths: '$.a.b[0]', '$."key with dots"', '$.a[-1]' / '$.a[#-1]' (from the
// end), JSON pointers '/a/0', and any other text as a single key ('customer_tier').
bool ParseJsonPath(std::string_view p, std::vector<PathStep>* steps, std::string* err) {
  steps->clear();
  if (p.empty()) return true;
  if (p[0] == '/') {
    size_t i = 1;
    while (true) {
      const size_t slash = p.find('/', i);
      const std::string_view seg =
          p.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
      PathStep step{PathStep::kPointer, "", 0};
      for (size_t k = 0; k < seg.size(); ++k) {
        if (seg[k] == '~' && k + 1 < seg.size() && (seg[k + 1] == '0' || seg[k + 1] == '1')) {
          step.key.push_back(seg[k + 1] == '0' ? '~' : '/');
          ++k;
        } else {
          step.key.push_back(seg[k]);
        }
      }
      steps->push_back(std::move(step));
      if (slash == std::string_view::npos) break;
      i = slash + 1;
    }
    return true;
  }
  if (p[0] != '$') {
    steps->push_back({PathStep::kKey, std::string(p), 0});
    return true;
  }
  size_t i = 1;
  auto fail = [&](size_t at) {
    *err = "invalid JSON path " + Quote(p) + " near " + Quote(p.substr(at));
    return false;
  };
  while (i < p.size()) {
    if (p[i] == '.') {
      ++i;
      if (i < p.size() && p[i] == '"') {
        const size_t close = p.find('"', i + 1);
        if (close == std::string_view::npos || close == i + 1) return fail(i - 1);
        steps->push_back({PathStep::kKey, std::string(p.substr(i + 1, close - i - 1)), 0});
        i = close + 1;
        continue;
      }
      size_t end = i;
      while (end < p.size() && p[end] != '.' && p[end] != '[') ++end;
      if (end == i) return fail(i - 1);
      const std::string_view key = p.substr(i, end - i);
      if (key == "*") {
        *err = "JSON path wildcards are not supported: " + Quote(p);
        return false;
      }
      steps->push_back({PathStep::kKey, std::string(key), 0});
      i = end;
    } else if (p[i] == '[') {
      const size_t start = i;
      ++i;
      bool from_end = false;
      if (i < p.size() && p[i] == '#') {
        from_end = true;
        ++i;
        if (i < p.size() && p[i] == ']') {
          steps->push_back({PathStep::kFromEnd, "", 0});  // one past the last: never there
          ++i;
          continue;
        }
      }
      if (i < p.size() && p[i] == '*') {
        *err = "JSON path wildcards are not supported: " + Quote(p);
        return false;
      }
      bool neg = false;
      if (i < p.size() && p[i] == '-') {
        neg = true;
        ++i;
      }
      if (from_end && !neg) return fail(start);
      int64_t n = 0;
      size_t digits = 0;
      while (i < p.size() && p[i] >= '0' && p[i] <= '9') {
        if (n < 1'000'000'000'000LL) n = n * 10 + (p[i] - '0');
        ++i;
        ++digits;
      }
      if (digits == 0 || i >= p.size() || p[i] != ']') return fail(start);
      ++i;
      if (neg) {
        steps->push_back({PathStep::kFromEnd, "", n});
      } else {
        steps->push_back({PathStep::kIndex, "", n});
      }
    } else {
      return fail(i);
    }
  }
  return true;
}

// After validation: the position of the child `step` names in the value at `pos`, or npos.
size_t JsonChild(std::string_view s, size_t pos, const PathStep& step) {
  size_t i = pos;
  SkipWs(s, &i);
  const char c = s[i];
  if (c == '{') {
    if (step.kind != PathStep::kKey && step.kind != PathStep::kPointer) return std::string::npos;
    ++i;
    std::string key;
    while (true) {
      SkipWs(s, &i);
      if (s[i] == '}') return std::string::npos;
      if (s[i] == ',') {
        ++i;
        continue;
      }
      key.clear();
      JsonError ignored;
      ScanString(s, &i, &key, &ignored);
      SkipWs(s, &i);
      ++i;  // ':'
      SkipWs(s, &i);
      if (key == step.key) return i;  // the first of duplicate keys wins, as in DuckDB
      SkipValue(s, &i);
    }
  }
  if (c == '[') {
    int64_t target;
    if (step.kind == PathStep::kIndex) {
      target = step.index;
    } else if (step.kind == PathStep::kPointer) {
      if (step.key.empty() || step.key.size() > 12 ||
          step.key.find_first_not_of("0123456789") != std::string::npos)
        return std::string::npos;
      target = std::stoll(step.key);
    } else if (step.kind == PathStep::kFromEnd) {
      int64_t count = 0;
      size_t j = i + 1;
      while (true) {
        SkipWs(s, &j);
        if (s[j] == ']') break;
        if (s[j] == ',') {
          ++j;
          continue;
        }
        SkipValue(s, &j);
        ++count;
      }
      target = count - step.index;
      if (step.index == 0 || target < 0) return std::string::npos;
    } else {
      return std::string::npos;
    }
    ++i;
    int64_t n = 0;
    while (true) {
      SkipWs(s, &i);
      if (s[i] == ']') return std::string::npos;
      if (s[i] == ',') {
        ++i;
        continue;
      }
      if (n == target) return i;
      SkipValue(s, &i);
      ++n;
    }
  }
  return std::string::npos;
}

// json_extract_string(json, path): the value at path as text (strings unquoted, JSON null and
// missing paths are NULL, other values as their minified JSON text).
void JsonExtractString(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0]) || IsNull(argv[1])) {
    sqlite3_result_null(ctx);
    return;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
    ResultError(ctx, "json_extract_string: the JSON argument is a blob, not text");
    return;
  }
  const std::string_view doc = ValueText(argv[0]);
  JsonError jerr;
  if (!ValidateJson(doc, &jerr)) {
    ResultError(ctx, "json_extract_string: malformed JSON at byte " + std::to_string(jerr.at) +
                         ": " + jerr.what + " (input " + Quote(doc) + ")");
    return;
  }
  std::vector<PathStep> steps;
  std::string err;
  if (!ParseJsonPath(ValueText(argv[1]), &steps, &err)) {
    ResultError(ctx, "json_extract_string: " + err);
    return;
  }
  size_t pos = 0;
  for (const PathStep& step : steps) {
    pos = JsonChild(doc, pos, step);
    if (pos == std::string::npos) {
      sqlite3_result_null(ctx);
      return;
    }
  }
  SkipWs(doc, &pos);
  if (doc[pos] == '"') {
    std::string text;
    ScanString(doc, &pos, &text, &jerr);
    ResultText(ctx, text);
    return;
  }
  if (doc.compare(pos, 4, "null") == 0) {
    sqlite3_result_null(ctx);
    return;
  }
  std::string out;
  AppendJsonValue(doc, &pos, &out);
  ResultText(ctx, out);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions: std::wregex (ECMAScript grammar, matching code points) in libstdc++'s
// polynomial (BFS) mode, so long inputs cannot exhaust the stack; RE2 syntax that ECMAScript
// lacks is translated, and what cannot be translated is refused with a clear error.

// Unicode simple case folding for the 'i' option (RE2 folds beyond ASCII).
wchar_t FoldCase(wchar_t c) {
  if (c < 0x80) return (c >= L'A' && c <= L'Z') ? static_cast<wchar_t>(c - L'A' + L'a') : c;
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return utf8 != static_cast<locale_t>(0) ? static_cast<wchar_t>(towlower_l(c, utf8)) : c;
}

struct FoldTraits : std::regex_traits<wchar_t> {
  wchar_t translate_nocase(wchar_t c) const { return FoldCase(c); }
};

using WRegex = std::basic_regex<wchar_t, FoldTraits>;
using WIter = std::wstring::const_iterator;
using WMatch = std::match_results<WIter>;
using WRegexIterator = std::regex_iterator<WIter, wchar_t, FoldTraits>;

// UTF-8 to code points; an invalid byte b becomes U+DC00+b so that it survives the round trip.
std::wstring Widen(std::string_view s) {
  std::wstring out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    size_t len;
    if (DecodeUtf8(s, i, &cp, &len)) {
      out.push_back(static_cast<wchar_t>(cp));
    } else {
      out.push_back(static_cast<wchar_t>(0xDC00 + static_cast<unsigned char>(s[i])));
    }
    i += len;
  }
  return out;
}

void AppendNarrow(WIter begin, WIter end, std::string* out) {
  for (WIter it = begin; it != end; ++it) {
    const auto cp = static_cast<uint32_t>(*it);
    if (cp >= 0xDC80 && cp <= 0xDCFF) {
      out->push_back(static_cast<char>(cp - 0xDC00));
    } else {
      AppendUtf8(cp, out);
    }
  }
}

struct RegexOptions {
  bool icase = false;
  bool dot_nl = false;
  bool multiline = false;
  bool literal = false;
  bool global = false;
};

// DuckDB's option letters: c (case-sensitive), i (case-insensitive), l (literal), m/n/p
// (newline-sensitive), s (dot matches newline), g (global; regexp_replace only).
bool ParseRegexOptions(std::string_view opts, bool allow_global, RegexOptions* o,
                       std::string* err) {
  for (const char c : opts) {
    switch (c) {
      case 'c':
        o->icase = false;
        break;
      case 'i':
        o->icase = true;
        break;
      case 'l':
        o->literal = true;
        break;
      case 'm':
      case 'n':
      case 'p':
        o->dot_nl = false;
        break;
      case 's':
        o->dot_nl = true;
        break;
      case 'g':
        if (!allow_global) {
          *err = "option 'g' (global replace) is only valid for regexp_replace";
          return false;
        }
        o->global = true;
        break;
      case ' ':
        break;
      default:
        *err = std::string("unrecognized regex option '") + c + "'";
        return false;
    }
  }
  return true;
}

bool IsRegexSpecial(wchar_t c) { return c != 0 && std::wcschr(L"\\^$.|?*+()[]{}", c) != nullptr; }

void AppendLiteral(wchar_t c, std::wstring* out) {
  if (IsRegexSpecial(c)) out->push_back(L'\\');
  out->push_back(c);
}

// RE2 syntax to ECMAScript: leading inline flags (?i) (?s) (?m), named groups (?P<n>...) and
// (?<n>...), \A \z, \Q...\E, \x{...}, '.' per the dot_nl option; refuses \p{...}, \C, scoped
// or mid-pattern flags and back-references (RE2 has none either).
bool TranslatePattern(const std::wstring& in, RegexOptions* o, std::wstring* out,
                      std::string* err) {
  out->clear();
  if (o->literal) {
    for (const wchar_t c : in) AppendLiteral(c, out);
    return true;
  }
  size_t i = 0;
  const size_t n = in.size();
  // Leading flag groups: (?i), (?s), (?m), (?is), ...
  while (i + 2 < n && in[i] == L'(' && in[i + 1] == L'?') {
    size_t j = i + 2;
    RegexOptions next = *o;
    bool ok = j < n;
    while (j < n && in[j] != L')') {
      if (in[j] == L'i') {
        next.icase = true;
      } else if (in[j] == L's') {
        next.dot_nl = true;
      } else if (in[j] == L'm') {
        next.multiline = true;
      } else {
        ok = false;
        break;
      }
      ++j;
    }
    if (!ok || j >= n || j == i + 2) break;
    *o = next;
    i = j + 1;
  }
  bool in_class = false;
  size_t class_start = 0;
  while (i < n) {
    const wchar_t c = in[i];
    if (in_class) {
      if (c == L'\\' && i + 1 < n) {
        out->push_back(c);
        out->push_back(in[i + 1]);
        i += 2;
        continue;
      }
      if (c == L'[' && i + 1 < n && in[i + 1] == L':') {
        const size_t close = in.find(L":]", i + 2);
        if (close != std::wstring::npos) {
          out->append(in, i, close + 2 - i);
          i = close + 2;
          continue;
        }
      }
      if (c == L']' && i == class_start) {
        *out += L"\\]";  // a leading ']' is literal in RE2, an empty class in ECMAScript
        ++i;
        continue;
      }
      if (c == L']') in_class = false;
      out->push_back(c);
      ++i;
      continue;
    }
    if (c == L'[') {
      in_class = true;
      out->push_back(c);
      ++i;
      if (i < n && in[i] == L'^') {
        out->push_back(L'^');
        ++i;
      }
      class_start = i;
      continue;
    }
    if (c == L'.') {
      *out += o->dot_nl ? L"[\\s\\S]" : L"[^\\n]";
      ++i;
      continue;
    }
    if (c == L'(' && i + 1 < n && in[i + 1] == L'?') {
      if (i + 2 < n && in[i + 2] == L':') {
        *out += L"(?:";
        i += 3;
        continue;
      }
      size_t name_start = std::wstring::npos;
      if (i + 3 < n && in[i + 2] == L'P' && in[i + 3] == L'<') {
        name_start = i + 4;
      } else if (i + 2 < n && in[i + 2] == L'<' && i + 3 < n && in[i + 3] != L'=' &&
                 in[i + 3] != L'!') {
        name_start = i + 3;
      }
      if (name_start != std::wstring::npos) {
        const size_t close = in.find(L'>', name_start);
        if (close == std::wstring::npos) {
          *err = "missing '>' after a group name";
          return false;
        }
        out->push_back(L'(');  // named groups are numbered like any other group
        i = close + 1;
        continue;
      }
      if (i + 2 < n && (in[i + 2] == L'=' || in[i + 2] == L'!')) {
        out->append(in, i, 3);  // lookahead: ECMAScript has it (RE2 refuses it)
        i += 3;
        continue;
      }
      *err = "unsupported group syntax (flags are supported only as a leading (?i), (?s) or (?m))";
      return false;
    }
    if (c == L'\\' && i + 1 < n) {
      const wchar_t e = in[i + 1];
      if (e == L'A') {
        if (o->multiline) {
          *err = "\\A together with multi-line mode (?m) is not supported";
          return false;
        }
        out->push_back(L'^');
        i += 2;
        continue;
      }
      if (e == L'z') {
        if (o->multiline) {
          *err = "\\z together with multi-line mode (?m) is not supported";
          return false;
        }
        out->push_back(L'$');
        i += 2;
        continue;
      }
      if (e == L'Q') {
        size_t end = in.find(L"\\E", i + 2);
        const size_t stop = end == std::wstring::npos ? n : end;
        for (size_t k = i + 2; k < stop; ++k) AppendLiteral(in[k], out);
        i = end == std::wstring::npos ? n : end + 2;
        continue;
      }
      if (e == L'x' && i + 2 < n && in[i + 2] == L'{') {
        const size_t close = in.find(L'}', i + 3);
        if (close == std::wstring::npos || close == i + 3 || close - i - 3 > 6) {
          *err = "invalid \\x{...} escape";
          return false;
        }
        uint32_t cp = 0;
        for (size_t k = i + 3; k < close; ++k) {
          uint32_t h;
          if (in[k] > 0x7F || !HexDigit(static_cast<char>(in[k]), &h)) {
            *err = "invalid \\x{...} escape";
            return false;
          }
          cp = cp * 16 + h;
        }
        if (cp > 0x10FFFF) {
          *err = "invalid \\x{...} escape";
          return false;
        }
        AppendLiteral(static_cast<wchar_t>(cp), out);
        i = close + 1;
        continue;
      }
      if (e == L'p' || e == L'P') {
        *err = "Unicode classes (\\p{...}) are not supported";
        return false;
      }
      if (e == L'C') {
        *err = "\\C is not supported";
        return false;
      }
      if (e >= L'1' && e <= L'9') {
        *err = "back-references are not supported (DuckDB's RE2 has none either)";
        return false;
      }
      out->push_back(c);
      out->push_back(e);
      i += 2;
      continue;
    }
    out->push_back(c);
    ++i;
  }
  return true;
}

struct CompiledRegex {
  std::string pattern;
  std::string options;
  RegexOptions opts;
  WRegex re;
};

void DeleteCompiledRegex(void* p) { delete static_cast<CompiledRegex*>(p); }

// Compiles `pattern` with `options` (DuckDB's letters); nullptr and *err on failure.
std::unique_ptr<CompiledRegex> CompileRegex(std::string_view pattern, std::string_view options,
                                            bool allow_global, std::string* err) {
  auto c = std::make_unique<CompiledRegex>();
  c->pattern = std::string(pattern);
  c->options = std::string(options);
  if (!ParseRegexOptions(options, allow_global, &c->opts, err)) return nullptr;
  std::wstring translated;
  if (!TranslatePattern(Widen(pattern), &c->opts, &translated, err)) return nullptr;
  auto flags = std::regex_constants::ECMAScript | std::regex_constants::__polynomial;
  if (c->opts.icase) flags |= std::regex_constants::icase;
  if (c->opts.multiline) flags |= std::regex_constants::multiline;
  try {
    c->re.assign(translated, flags);
  } catch (const std::regex_error& e) {
    *err = std::string("invalid regular expression ") + Quote(pattern) + ": " + e.what();
    return nullptr;
  }
  return c;
}

// The compiled pattern of argument `pattern_arg` (cached per statement through SQLite's
// auxiliary data when the pattern is a constant). Sets *fresh when the caller must hand the
// result to SQLite with sqlite3_set_auxdata after using it.
CompiledRegex* RegexArg(sqlite3_context* ctx, const char* fn, sqlite3_value** argv, int pattern_arg,
                        int options_arg, bool allow_global, std::unique_ptr<CompiledRegex>* fresh) {
  const std::string_view pattern = ValueText(argv[pattern_arg]);
  const std::string_view options =
      options_arg >= 0 ? ValueText(argv[options_arg]) : std::string_view();
  auto* cached = static_cast<CompiledRegex*>(sqlite3_get_auxdata(ctx, pattern_arg));
  if (cached != nullptr && cached->pattern == pattern && cached->options == options) return cached;
  std::string err;
  *fresh = CompileRegex(pattern, options, allow_global, &err);
  if (!*fresh) {
    ResultError(ctx, std::string(fn) + ": " + err);
    return nullptr;
  }
  return fresh->get();
}

void KeepRegex(sqlite3_context* ctx, int pattern_arg, std::unique_ptr<CompiledRegex>* fresh) {
  if (*fresh) sqlite3_set_auxdata(ctx, pattern_arg, fresh->release(), DeleteCompiledRegex);
}

bool AnyNull(int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i) {
    if (IsNull(argv[i])) return true;
  }
  return false;
}

// regexp_matches(s, pattern [, options]) and regexp_full_match(...): user data non-null for
// the full match.
void RegexpMatches(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const bool full = sqlite3_user_data(ctx) != nullptr;
  const char* fn = full ? "regexp_full_match" : "regexp_matches";
  if (AnyNull(argc, argv)) {
    sqlite3_result_null(ctx);
    return;
  }
  std::unique_ptr<CompiledRegex> fresh;
  CompiledRegex* re = RegexArg(ctx, fn, argv, 1, argc > 2 ? 2 : -1, false, &fresh);
  if (re == nullptr) return;
  const std::wstring subject = Widen(ValueText(argv[0]));
  const bool hit = full ? std::regex_match(subject, re->re) : std::regex_search(subject, re->re);
  sqlite3_result_int(ctx, hit ? 1 : 0);
  KeepRegex(ctx, 1, &fresh);
}

// RE2's rewrite string: \0..\9 are groups, \\ is a backslash; false when it is invalid (then
// DuckDB leaves the input unchanged).
bool ExpandRewrite(const std::wstring& rewrite, const WMatch& m, std::string* out) {
  for (size_t i = 0; i < rewrite.size(); ++i) {
    if (rewrite[i] != L'\\') {
      AppendNarrow(rewrite.begin() + static_cast<ptrdiff_t>(i),
                   rewrite.begin() + static_cast<ptrdiff_t>(i) + 1, out);
      continue;
    }
    if (i + 1 >= rewrite.size()) return false;
    const wchar_t e = rewrite[i + 1];
    if (e == L'\\') {
      out->push_back('\\');
    } else if (e >= L'0' && e <= L'9') {
      const size_t g = static_cast<size_t>(e - L'0');
      if (g >= m.size()) return false;
      if (m[g].matched) AppendNarrow(m[g].first, m[g].second, out);
    } else {
      return false;
    }
    ++i;
  }
  return true;
}

bool RewriteValid(const std::wstring& rewrite, size_t groups) {
  for (size_t i = 0; i < rewrite.size(); ++i) {
    if (rewrite[i] != L'\\') continue;
    if (i + 1 >= rewrite.size()) return false;
    const wchar_t e = rewrite[i + 1];
    if (e >= L'0' && e <= L'9') {
      if (static_cast<size_t>(e - L'0') > groups) return false;
    } else if (e != L'\\') {
      return false;
    }
    ++i;
  }
  return true;
}

// regexp_replace(s, pattern, replacement [, options]): the first match, or every match with 'g'.
void RegexpReplace(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (AnyNull(argc, argv)) {
    sqlite3_result_null(ctx);
    return;
  }
  std::unique_ptr<CompiledRegex> fresh;
  CompiledRegex* re = RegexArg(ctx, "regexp_replace", argv, 1, argc > 3 ? 3 : -1, true, &fresh);
  if (re == nullptr) return;
  const std::string_view input = ValueText(argv[0]);
  const std::wstring subject = Widen(input);
  const std::wstring rewrite = Widen(ValueText(argv[2]));
  if (!RewriteValid(rewrite, re->re.mark_count())) {
    ResultText(ctx, input);
    KeepRegex(ctx, 1, &fresh);
    return;
  }
  std::string out;
  WIter last = subject.begin();
  bool replaced = false;
  for (WRegexIterator it(subject.begin(), subject.end(), re->re), end; it != end; ++it) {
    const WMatch& m = *it;
    AppendNarrow(last, m[0].first, &out);
    ExpandRewrite(rewrite, m, &out);
    last = m[0].second;
    replaced = true;
    if (!re->opts.global) break;
  }
  if (!replaced) {
    ResultText(ctx, input);
  } else {
    AppendNarrow(last, subject.end(), &out);
    ResultText(ctx, out);
  }
  KeepRegex(ctx, 1, &fresh);
}

// regexp_extract(s, pattern [, group [, options]]): the group of the first match, '' when
// nothing matches.
void RegexpExtract(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (AnyNull(argc, argv)) {
    sqlite3_result_null(ctx);
    return;
  }
  int64_t group = 0;
  if (argc > 2) {
    const int t = sqlite3_value_numeric_type(argv[2]);
    if (t != SQLITE_INTEGER) {
      ResultError(ctx, "regexp_extract: the group must be an integer between 0 and 9");
      return;
    }
    group = sqlite3_value_int64(argv[2]);
    if (group < 0 || group > 9) {
      ResultError(ctx, "regexp_extract: group index must be between 0 and 9");
      return;
    }
  }
  std::unique_ptr<CompiledRegex> fresh;
  CompiledRegex* re = RegexArg(ctx, "regexp_extract", argv, 1, argc > 3 ? 3 : -1, false, &fresh);
  if (re == nullptr) return;
  const std::wstring subject = Widen(ValueText(argv[0]));
  WMatch m;
  std::string out;
  if (std::regex_search(subject, m, re->re) && static_cast<size_t>(group) < m.size() &&
      m[static_cast<size_t>(group)].matched) {
    AppendNarrow(m[static_cast<size_t>(group)].first, m[static_cast<size_t>(group)].second, &out);
  }
  ResultText(ctx, out);
  KeepRegex(ctx, 1, &fresh);
}

// ---------------------------------------------------------------------------------------------
// String functions.

// starts_with / prefix (user data 0), ends_with / suffix (1), contains (2).
void StringTest(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0]) || IsNull(argv[1])) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto mode = reinterpret_cast<intptr_t>(sqlite3_user_data(ctx));
  const std::string_view s = ValueText(argv[0]);
  const std::string_view needle = ValueText(argv[1]);
  bool r;
  if (mode == 0) {
    r = s.substr(0, needle.size()) == needle;
  } else if (mode == 1) {
    r = s.size() >= needle.size() && s.substr(s.size() - needle.size()) == needle;
  } else {
    r = s.find(needle) != std::string_view::npos;
  }
  sqlite3_result_int(ctx, r ? 1 : 0);
}

// strpos(s, needle): 1-based character position, 0 when absent.
void StrPos(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0]) || IsNull(argv[1])) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string_view s = ValueText(argv[0]);
  const size_t at = s.find(ValueText(argv[1]));
  sqlite3_result_int64(
      ctx, at == std::string_view::npos ? 0 : static_cast<int64_t>(CharCount(s.substr(0, at))) + 1);
}

// concat(...): the arguments' text, NULLs skipped ('' when all are NULL).
void Concat(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (!IsNull(argv[i])) out.append(ValueText(argv[i]));
  }
  ResultText(ctx, out);
}

// concat_ws(sep, ...): NULL when sep is NULL; NULL arguments are skipped.
void ConcatWs(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc == 0) {
    ResultError(ctx, "concat_ws: the first argument must be the separator");
    return;
  }
  if (IsNull(argv[0])) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string sep(ValueText(argv[0]));
  std::string out;
  bool first = true;
  for (int i = 1; i < argc; ++i) {
    if (IsNull(argv[i])) continue;
    if (!first) out += sep;
    first = false;
    out.append(ValueText(argv[i]));
  }
  ResultText(ctx, out);
}

// SQLite's ordering of values: NULL < numbers < text < blobs; numbers numerically, text and
// blobs bytewise.
int CompareValues(sqlite3_value* a, sqlite3_value* b) {
  auto rank = [](int t) {
    switch (t) {
      case SQLITE_NULL:
        return 0;
      case SQLITE_INTEGER:
      case SQLITE_FLOAT:
        return 1;
      case SQLITE_TEXT:
        return 2;
      default:
        return 3;
    }
  };
  const int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
  if (rank(ta) != rank(tb)) return rank(ta) < rank(tb) ? -1 : 1;
  if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
    const int64_t x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (rank(ta) == 1) {
    const double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (rank(ta) == 0) return 0;
  const void* pa =
      ta == SQLITE_TEXT ? static_cast<const void*>(sqlite3_value_text(a)) : sqlite3_value_blob(a);
  const int na = sqlite3_value_bytes(a);
  const void* pb =
      tb == SQLITE_TEXT ? static_cast<const void*>(sqlite3_value_text(b)) : sqlite3_value_blob(b);
  const int nb = sqlite3_value_bytes(b);
  const int c = std::memcmp(pa, pb, static_cast<size_t>(std::min(na, nb)));
  if (c != 0) return c < 0 ? -1 : 1;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

// greatest(...) / least(...) (user data 1 / -1): NULLs are ignored, NULL only when all are.
void GreatestLeast(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const auto sign = reinterpret_cast<intptr_t>(sqlite3_user_data(ctx));
  sqlite3_value* best = nullptr;
  for (int i = 0; i < argc; ++i) {
    if (IsNull(argv[i])) continue;
    if (best == nullptr || CompareValues(argv[i], best) * sign > 0) best = argv[i];
  }
  if (best == nullptr) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_value(ctx, best);
  }
}

// left(s, n) / right(s, n) (user data 0 / 1), by characters; a negative n drops |n| characters.
void LeftRight(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0]) || IsNull(argv[1])) {
    sqlite3_result_null(ctx);
    return;
  }
  const bool right = sqlite3_user_data(ctx) != nullptr;
  const std::string_view s = ValueText(argv[0]);
  const std::vector<size_t> off = CharOffsets(s);
  const auto len = static_cast<int64_t>(off.size() - 1);
  int64_t n = sqlite3_value_int64(argv[1]);
  if (n < 0) n = std::max<int64_t>(0, len + n);
  n = std::min(n, len);
  if (right) {
    ResultText(ctx, s.substr(off[static_cast<size_t>(len - n)]));
  } else {
    ResultText(ctx, s.substr(0, off[static_cast<size_t>(n)]));
  }
}

// lpad / rpad (user data 0 / 1): pads with `fill` to n characters, or cuts to n.
void Pad(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (AnyNull(3, argv)) {
    sqlite3_result_null(ctx);
    return;
  }
  const bool right = sqlite3_user_data(ctx) != nullptr;
  const std::string_view s = ValueText(argv[0]);
  const int64_t n = sqlite3_value_int64(argv[1]);
  const std::string_view fill = ValueText(argv[2]);
  const std::vector<size_t> off = CharOffsets(s);
  const auto len = static_cast<int64_t>(off.size() - 1);
  if (n <= 0) {
    ResultText(ctx, "");
    return;
  }
  if (n <= len) {
    ResultText(ctx, s.substr(0, off[static_cast<size_t>(n)]));
    return;
  }
  if (fill.empty()) {
    ResultError(ctx, std::string("insufficient padding in ") + (right ? "rpad" : "lpad"));
    return;
  }
  if (n > sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1)) {
    sqlite3_result_error_toobig(ctx);
    return;
  }
  const std::vector<size_t> foff = CharOffsets(fill);
  const size_t fill_chars = foff.size() - 1;
  std::string pad;
  for (int64_t k = 0; k < n - len; ++k) {
    const size_t c = static_cast<size_t>(k) % fill_chars;
    pad.append(fill.substr(foff[c], foff[c + 1] - foff[c]));
  }
  ResultText(ctx, right ? std::string(s) + pad : pad + std::string(s));
}

void Reverse(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0])) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string_view s = ValueText(argv[0]);
  const std::vector<size_t> off = CharOffsets(s);
  std::string out;
  out.reserve(s.size());
  for (size_t k = off.size() - 1; k > 0; --k) out.append(s.substr(off[k - 1], off[k] - off[k - 1]));
  ResultText(ctx, out);
}

void Repeat(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0]) || IsNull(argv[1])) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string_view s = ValueText(argv[0]);
  const int64_t n = sqlite3_value_int64(argv[1]);
  if (n <= 0 || s.empty()) {
    ResultText(ctx, "");
    return;
  }
  const int64_t limit = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
  if (n > limit / static_cast<int64_t>(s.size())) {
    sqlite3_result_error_toobig(ctx);
    return;
  }
  std::string out;
  out.reserve(static_cast<size_t>(n) * s.size());
  for (int64_t k = 0; k < n; ++k) out.append(s);
  ResultText(ctx, out);
}

// split_part(s, sep, i): the i-th piece (1-based; negative counts from the end), '' when out of
// range. An empty separator splits into characters.
void SplitPart(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (AnyNull(3, argv)) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string_view s = ValueText(argv[0]);
  const std::string_view sep = ValueText(argv[1]);
  const int64_t index = sqlite3_value_int64(argv[2]);
  std::vector<std::string_view> parts;
  if (sep.empty()) {
    const std::vector<size_t> off = CharOffsets(s);
    for (size_t k = 0; k + 1 < off.size(); ++k)
      parts.push_back(s.substr(off[k], off[k + 1] - off[k]));
    if (parts.empty()) parts.push_back(s);
  } else {
    size_t start = 0;
    while (true) {
      const size_t at = s.find(sep, start);
      if (at == std::string_view::npos) {
        parts.push_back(s.substr(start));
        break;
      }
      parts.push_back(s.substr(start, at - start));
      start = at + sep.size();
    }
  }
  const auto count = static_cast<int64_t>(parts.size());
  int64_t k = index > 0 ? index - 1 : (index < 0 ? count + index : -1);
  ResultText(ctx, (k >= 0 && k < count) ? parts[static_cast<size_t>(k)] : std::string_view());
}

// ---------------------------------------------------------------------------------------------
// Aggregates. Each state lives on the heap behind a pointer in SQLite's aggregate context and
// is freed in xFinal (which SQLite calls also when a statement is reset early).

template <typename State>
State* AggState(sqlite3_context* ctx, bool create) {
  auto** slot = static_cast<State**>(sqlite3_aggregate_context(ctx, create ? sizeof(State*) : 0));
  if (slot == nullptr) return nullptr;
  if (*slot == nullptr && create) *slot = new State();
  return *slot;
}

template <typename State>
void FreeAggState(sqlite3_context* ctx) {
  auto** slot = static_cast<State**>(sqlite3_aggregate_context(ctx, 0));
  if (slot != nullptr) {
    delete *slot;
    *slot = nullptr;
  }
}

// --- quantile_cont, quantile_disc, median -----------------------------------------------------

using QValue = std::variant<int64_t, double, std::string>;

enum class QuantileKind { kCont, kDisc, kMedian };

struct QuantileState {
  std::deque<QValue> values;  // in arrival order, so a window frame can drop its oldest
  bool have_q = false;
  std::string q_raw;       // the quantile argument as given (must stay constant)
  std::vector<double> qs;  // in [0, 1]
  std::vector<bool> desc;  // a negative quantile orders descending
  bool list = false;       // the quantile argument was a JSON list ('[0.5, 0.9]')
};

const char* QuantileName(QuantileKind k) {
  switch (k) {
    case QuantileKind::kCont:
      return "quantile_cont";
    case QuantileKind::kDisc:
      return "quantile_disc";
    case QuantileKind::kMedian:
      return "median";
  }
  return "quantile";
}

bool AddQuantile(double q, QuantileState* st, std::string* err, const char* fn) {
  if (!(q >= -1.0 && q <= 1.0)) {
    *err = std::string(fn) + ": the quantile must be between -1 and 1 (negative orders descending)";
    return false;
  }
  st->qs.push_back(std::fabs(q));
  st->desc.push_back(q < 0 || (q == 0 && std::signbit(q)));
  return true;
}

// Reads and checks the quantile argument (a number or a JSON list of numbers).
bool QuantileArg(sqlite3_value* v, QuantileState* st, const char* fn, std::string* err) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) {
    *err = std::string(fn) + ": the quantile must not be NULL";
    return false;
  }
  const std::string raw(ValueText(v));
  if (st->have_q) {
    if (raw != st->q_raw) {
      *err = std::string(fn) + ": the quantile must be the same for every row";
      return false;
    }
    return true;
  }
  if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
    if (!AddQuantile(sqlite3_value_double(v), st, err, fn)) return false;
  } else {
    const std::string_view t = Trim(raw);
    if (t.empty() || t.front() != '[') {
      double q;
      auto r = std::from_chars(t.data(), t.data() + t.size(), q);
      if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) {
        *err = std::string(fn) + ": the quantile must be a number or a list like '[0.5, 0.9]'";
        return false;
      }
      if (!AddQuantile(q, st, err, fn)) return false;
    } else {
      JsonError jerr;
      if (!ValidateJson(t, &jerr)) {
        *err = std::string(fn) + ": the quantile list " + Quote(t) + " is not valid JSON";
        return false;
      }
      size_t i = 1;
      while (true) {
        SkipWs(t, &i);
        if (t[i] == ']') break;
        if (t[i] == ',') {
          ++i;
          continue;
        }
        const size_t start = i;
        NumKind kind;
        if (!ScanNumber(t, &i, &kind, &jerr) ||
            (kind != NumKind::kInteger && kind != NumKind::kReal)) {
          *err = std::string(fn) + ": the quantile list must hold numbers only";
          return false;
        }
        double q;
        std::from_chars(t.data() + start, t.data() + i, q);
        if (!AddQuantile(q, st, err, fn)) return false;
      }
      if (st->qs.empty()) {
        *err = std::string(fn) + ": the quantile list is empty";
        return false;
      }
      st->list = true;
    }
  }
  st->q_raw = raw;
  st->have_q = true;
  return true;
}

// A value for the quantile aggregates: numbers (text that looks numeric counts as a number,
// as with SQLite's numeric affinity) or text.
QValue ToQValue(sqlite3_value* v) {
  switch (sqlite3_value_numeric_type(v)) {
    case SQLITE_INTEGER:
      return sqlite3_value_int64(v);
    case SQLITE_FLOAT:
      return sqlite3_value_double(v);
    default:
      return std::string(ValueText(v));
  }
}

bool QLess(const QValue& a, const QValue& b) {
  const bool sa = std::holds_alternative<std::string>(a);
  const bool sb = std::holds_alternative<std::string>(b);
  if (sa || sb) {
    if (sa && sb) return std::get<std::string>(a) < std::get<std::string>(b);
    return sb;  // numbers sort before text
  }
  if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b))
    return std::get<int64_t>(a) < std::get<int64_t>(b);
  const double x = std::holds_alternative<int64_t>(a) ? static_cast<double>(std::get<int64_t>(a))
                                                      : std::get<double>(a);
  const double y = std::holds_alternative<int64_t>(b) ? static_cast<double>(std::get<int64_t>(b))
                                                      : std::get<double>(b);
  return x < y;
}

double QDouble(const QValue& v) {
  return std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v))
                                            : std::get<double>(v);
}

// DuckDB's discrete index: max(1, n - floor(n - n*q)) - 1, i.e. ceil(n*q) - 1, at least 0.
size_t DiscreteIndex(size_t n, double q) {
  const double scaled = static_cast<double>(n) * q;
  const auto floored = static_cast<size_t>(std::floor(static_cast<double>(n) - scaled));
  return std::max<size_t>(1, n - floored) - 1;
}

// One quantile's result: a number (int/double), a timestamp or text, or an error.
struct QResult {
  QValue value;
  bool is_timestamp = false;  // value is micros to print as a timestamp
};

// DuckDB's quantile over `values` (modified: partially sorted). Continuous: position
// RN = (n-1)*q, lo = floor, hi = ceil, lo*(1-d) + hi*d with d = RN - floor(RN).
bool ComputeQuantile(std::vector<QValue>& values, double q, bool desc, QuantileKind kind,
                     bool all_numeric, const std::vector<int64_t>* stamps, QResult* out,
                     std::string* err) {
  const size_t n = values.size();
  auto less = [desc](const QValue& a, const QValue& b) { return desc ? QLess(b, a) : QLess(a, b); };
  const bool discrete = kind == QuantileKind::kDisc ||
                        (kind == QuantileKind::kMedian && !all_numeric && stamps == nullptr);
  if (discrete) {
    const size_t idx = DiscreteIndex(n, q);
    std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(idx), values.end(),
                     less);
    out->value = values[idx];
    return true;
  }
  const double rn = static_cast<double>(n - 1) * q;
  const auto frn = static_cast<size_t>(std::floor(rn));
  const auto crn = static_cast<size_t>(std::ceil(rn));
  const double d = rn - static_cast<double>(frn);
  if (stamps != nullptr) {
    std::vector<int64_t> s = *stamps;
    auto sless = [desc](int64_t a, int64_t b) { return desc ? b < a : a < b; };
    std::nth_element(s.begin(), s.begin() + static_cast<ptrdiff_t>(frn), s.end(), sless);
    const int64_t lo = s[frn];
    int64_t r = lo;
    if (crn != frn) {
      std::nth_element(s.begin() + static_cast<ptrdiff_t>(frn),
                       s.begin() + static_cast<ptrdiff_t>(crn), s.end(), sless);
      const int64_t hi = s[crn];
      r = std::llround(static_cast<double>(lo) * (1.0 - d) + static_cast<double>(hi) * d);
    }
    out->value = r;
    out->is_timestamp = true;
    return true;
  }
  if (!all_numeric) {
    *err =
        "cannot interpolate text values (use quantile_disc, or store numbers or ISO-8601 "
        "timestamps)";
    return false;
  }
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(frn), values.end(),
                   less);
  const double lo = QDouble(values[frn]);
  if (crn == frn) {
    out->value = lo;
    return true;
  }
  std::nth_element(values.begin() + static_cast<ptrdiff_t>(frn),
                   values.begin() + static_cast<ptrdiff_t>(crn), values.end(), less);
  const double hi = QDouble(values[crn]);
  out->value = lo * (1.0 - d) + hi * d;
  return true;
}

void AppendQResultJson(const QResult& r, std::string* out) {
  if (r.is_timestamp) {
    AppendJsonString(FormatTimestamp(std::get<int64_t>(r.value)), out);
  } else if (std::holds_alternative<int64_t>(r.value)) {
    *out += std::to_string(std::get<int64_t>(r.value));
  } else if (std::holds_alternative<double>(r.value)) {
    *out += FormatJsonDouble(std::get<double>(r.value));
  } else {
    AppendJsonString(std::get<std::string>(r.value), out);
  }
}

void ResultQResult(sqlite3_context* ctx, const QResult& r) {
  if (r.is_timestamp) {
    ResultText(ctx, FormatTimestamp(std::get<int64_t>(r.value)));
  } else if (std::holds_alternative<int64_t>(r.value)) {
    sqlite3_result_int64(ctx, std::get<int64_t>(r.value));
  } else if (std::holds_alternative<double>(r.value)) {
    sqlite3_result_double(ctx, std::get<double>(r.value));
  } else {
    ResultText(ctx, std::get<std::string>(r.value));
  }
}

QuantileKind QuantileKindOf(sqlite3_context* ctx) {
  return static_cast<QuantileKind>(reinterpret_cast<intptr_t>(sqlite3_user_data(ctx)));
}

void QuantileStep(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Guarded(ctx, [&] {
    const QuantileKind kind = QuantileKindOf(ctx);
    QuantileState* st = AggState<QuantileState>(ctx, true);
    if (st == nullptr) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    std::string err;
    if (kind == QuantileKind::kMedian) {
      if (!st->have_q) {
        st->qs = {0.5};
        st->desc = {false};
        st->have_q = true;
      }
    } else if (argc > 1 && !QuantileArg(argv[1], st, QuantileName(kind), &err)) {
      ResultError(ctx, err);
      return;
    }
    if (IsNull(argv[0])) return;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
      ResultError(ctx, std::string(QuantileName(kind)) + ": blobs cannot be ordered");
      return;
    }
    st->values.push_back(ToQValue(argv[0]));
  });
}

void QuantileInverse(sqlite3_context* ctx, int, sqlite3_value** argv) {
  QuantileState* st = AggState<QuantileState>(ctx, false);
  if (st != nullptr && !IsNull(argv[0]) && !st->values.empty()) st->values.pop_front();
}

void QuantileResult(sqlite3_context* ctx, QuantileState* st) {
  Guarded(ctx, [&] {
    const QuantileKind kind = QuantileKindOf(ctx);
    if (st == nullptr || st->values.empty()) {
      sqlite3_result_null(ctx);
      return;
    }
    bool all_numeric = true, all_text = true;
    for (const QValue& v : st->values) {
      if (std::holds_alternative<std::string>(v)) {
        all_numeric = false;
      } else {
        all_text = false;
      }
    }
    if (!all_numeric && !all_text) {
      ResultError(ctx,
                  std::string(QuantileName(kind)) + ": cannot order a mix of numbers and text");
      return;
    }
    // Text for an interpolating quantile: timestamps (ISO-8601) are interpolated as DuckDB
    // does for TIMESTAMP columns; other text only has a discrete median.
    std::vector<int64_t> stamps;
    bool use_stamps = false;
    if (all_text && kind != QuantileKind::kDisc) {
      use_stamps = true;
      stamps.reserve(st->values.size());
      for (const QValue& v : st->values) {
        int64_t us;
        if (!ParseIsoTimestamp(std::get<std::string>(v), &us)) {
          use_stamps = false;
          break;
        }
        stamps.push_back(us);
      }
    }
    std::vector<QValue> values(st->values.begin(), st->values.end());
    std::vector<QResult> results;
    for (size_t k = 0; k < st->qs.size(); ++k) {
      QResult r;
      std::string err;
      if (!ComputeQuantile(values, st->qs[k], st->desc[k], kind, all_numeric,
                           use_stamps ? &stamps : nullptr, &r, &err)) {
        ResultError(ctx, std::string(QuantileName(kind)) + ": " + err);
        return;
      }
      results.push_back(std::move(r));
    }
    if (st->list) {
      std::string out = "[";
      for (size_t k = 0; k < results.size(); ++k) {
        if (k > 0) out += ',';
        AppendQResultJson(results[k], &out);
      }
      out += ']';
      ResultText(ctx, out);
    } else {
      ResultQResult(ctx, results[0]);
    }
  });
}

void QuantileValue(sqlite3_context* ctx) {
  QuantileResult(ctx, AggState<QuantileState>(ctx, false));
}

void QuantileFinal(sqlite3_context* ctx) {
  QuantileResult(ctx, AggState<QuantileState>(ctx, false));
  FreeAggState<QuantileState>(ctx);
}

// --- string_agg -------------------------------------------------------------------------------

struct StringAggState {
  std::deque<std::string> values;
  std::string sep = ",";
  bool null_sep = false;
};

void StringAggStep(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Guarded(ctx, [&] {
    StringAggState* st = AggState<StringAggState>(ctx, true);
    if (st == nullptr) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    if (argc > 1) {
      if (IsNull(argv[1])) {
        st->null_sep = true;
      } else {
        st->sep = std::string(ValueText(argv[1]));
      }
    }
    if (!IsNull(argv[0])) st->values.emplace_back(ValueText(argv[0]));
  });
}

void StringAggInverse(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StringAggState* st = AggState<StringAggState>(ctx, false);
  if (st != nullptr && !IsNull(argv[0]) && !st->values.empty()) st->values.pop_front();
}

void StringAggValue(sqlite3_context* ctx) {
  Guarded(ctx, [&] {
    StringAggState* st = AggState<StringAggState>(ctx, false);
    if (st == nullptr || st->values.empty() || st->null_sep) {
      sqlite3_result_null(ctx);
      return;
    }
    std::string out;
    for (size_t i = 0; i < st->values.size(); ++i) {
      if (i > 0) out += st->sep;
      out += st->values[i];
    }
    ResultText(ctx, out);
  });
}

void StringAggFinal(sqlite3_context* ctx) {
  StringAggValue(ctx);
  FreeAggState<StringAggState>(ctx);
}

// --- bool_and, bool_or, count_if --------------------------------------------------------------

enum class BoolAgg { kAnd, kOr, kCountIf };

struct BoolState {
  int64_t non_null = 0;
  int64_t trues = 0;
};

// A boolean argument: numbers are true when non-zero; text as DuckDB casts VARCHAR to BOOLEAN
// ('true', 't', 'yes', 'y', '1' and 'false', 'f', 'no', 'n', '0', in any case). False (with an
// error set) for anything else.
bool BoolArg(sqlite3_context* ctx, sqlite3_value* v, bool* out) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
    *out = sqlite3_value_double(v) != 0.0;
    return true;
  }
  const std::string t = AsciiLower(ValueText(v));
  if (type == SQLITE_TEXT) {
    for (const char* yes : {"true", "t", "yes", "y", "1"}) {
      if (t == yes) {
        *out = true;
        return true;
      }
    }
    for (const char* no : {"false", "f", "no", "n", "0"}) {
      if (t == no) {
        *out = false;
        return true;
      }
    }
  }
  ResultError(ctx, "cannot convert " + Quote(ValueText(v)) + " to a boolean");
  return false;
}

void BoolStep(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0])) return;
  bool b;
  if (!BoolArg(ctx, argv[0], &b)) return;
  auto* st = static_cast<BoolState*>(sqlite3_aggregate_context(ctx, sizeof(BoolState)));
  if (st == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  ++st->non_null;
  if (b) ++st->trues;
}

void BoolInverse(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0])) return;
  bool b;
  if (!BoolArg(ctx, argv[0], &b)) return;
  auto* st = static_cast<BoolState*>(sqlite3_aggregate_context(ctx, sizeof(BoolState)));
  if (st == nullptr) return;
  --st->non_null;
  if (b) --st->trues;
}

void BoolValue(sqlite3_context* ctx) {
  const auto kind = static_cast<BoolAgg>(reinterpret_cast<intptr_t>(sqlite3_user_data(ctx)));
  auto* st = static_cast<BoolState*>(sqlite3_aggregate_context(ctx, 0));
  if (st == nullptr || st->non_null == 0) {
    sqlite3_result_null(ctx);
    return;
  }
  switch (kind) {
    case BoolAgg::kAnd:
      sqlite3_result_int(ctx, st->trues == st->non_null ? 1 : 0);
      break;
    case BoolAgg::kOr:
      sqlite3_result_int(ctx, st->trues > 0 ? 1 : 0);
      break;
    case BoolAgg::kCountIf:
      sqlite3_result_int64(ctx, st->trues);
      break;
  }
}

// --- arg_max, arg_min -------------------------------------------------------------------------

struct ArgState {
  sqlite3_value* arg = nullptr;
  sqlite3_value* key = nullptr;
  ~ArgState() {
    sqlite3_value_free(arg);
    sqlite3_value_free(key);
  }
};

// arg_max(arg, val) / arg_min (user data 1 / -1): the arg of the row with the largest
// (smallest) val; rows where either is NULL are skipped; the first of ties wins.
void ArgStep(sqlite3_context* ctx, int, sqlite3_value** argv) {
  Guarded(ctx, [&] {
    if (IsNull(argv[0]) || IsNull(argv[1])) return;
    const auto sign = reinterpret_cast<intptr_t>(sqlite3_user_data(ctx));
    ArgState* st = AggState<ArgState>(ctx, true);
    if (st == nullptr) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    if (st->key != nullptr && CompareValues(argv[1], st->key) * sign <= 0) return;
    sqlite3_value* arg = sqlite3_value_dup(argv[0]);
    sqlite3_value* key = sqlite3_value_dup(argv[1]);
    if (arg == nullptr || key == nullptr) {
      sqlite3_value_free(arg);
      sqlite3_value_free(key);
      sqlite3_result_error_nomem(ctx);
      return;
    }
    sqlite3_value_free(st->arg);
    sqlite3_value_free(st->key);
    st->arg = arg;
    st->key = key;
  });
}

void ArgFinal(sqlite3_context* ctx) {
  ArgState* st = AggState<ArgState>(ctx, false);
  if (st == nullptr || st->arg == nullptr) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_value(ctx, st->arg);
  }
  FreeAggState<ArgState>(ctx);
}

// --- variance and standard deviation (Welford, as DuckDB computes them) -----------------------

enum class VarAgg { kVarSamp, kVarPop, kStddevSamp, kStddevPop };

struct VarState {
  int64_t count = 0;
  double mean = 0;
  double dsquared = 0;
};

// The argument as a number: false (with an error set) for text that is not numeric.
bool NumericArg(sqlite3_context* ctx, sqlite3_value* v, double* out) {
  const int t = sqlite3_value_numeric_type(v);
  if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) {
    ResultError(ctx, "expected a number, got " + Quote(ValueText(v)));
    return false;
  }
  *out = sqlite3_value_double(v);
  return true;
}

void VarStep(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0])) return;
  double x;
  if (!NumericArg(ctx, argv[0], &x)) return;
  auto* st = static_cast<VarState*>(sqlite3_aggregate_context(ctx, sizeof(VarState)));
  if (st == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  ++st->count;
  const double mean_differential = (x - st->mean) / static_cast<double>(st->count);
  const double new_mean = st->mean + mean_differential;
  st->dsquared += (x - new_mean) * (x - st->mean);
  st->mean = new_mean;
}

void VarInverse(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (IsNull(argv[0])) return;
  double x;
  if (!NumericArg(ctx, argv[0], &x)) return;
  auto* st = static_cast<VarState*>(sqlite3_aggregate_context(ctx, sizeof(VarState)));
  if (st == nullptr || st->count == 0) return;
  if (st->count == 1) {
    *st = VarState();
    return;
  }
  const double old_mean =
      (st->mean * static_cast<double>(st->count) - x) / static_cast<double>(st->count - 1);
  st->dsquared -= (x - st->mean) * (x - old_mean);
  if (st->dsquared < 0) st->dsquared = 0;
  st->mean = old_mean;
  --st->count;
}

void VarValue(sqlite3_context* ctx) {
  const auto kind = static_cast<VarAgg>(reinterpret_cast<intptr_t>(sqlite3_user_data(ctx)));
  auto* st = static_cast<VarState*>(sqlite3_aggregate_context(ctx, 0));
  const int64_t n = st == nullptr ? 0 : st->count;
  const bool samp = kind == VarAgg::kVarSamp || kind == VarAgg::kStddevSamp;
  if (n == 0 || (samp && n < 2)) {
    sqlite3_result_null(ctx);
    return;
  }
  double v = st->dsquared / static_cast<double>(samp ? n - 1 : n);
  if (kind == VarAgg::kStddevSamp || kind == VarAgg::kStddevPop) v = std::sqrt(v);
  sqlite3_result_double(ctx, v);
}

// ---------------------------------------------------------------------------------------------
// Registration.

template <void (*F)(sqlite3_context*, int, sqlite3_value**)>
void Scalar(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Guarded(ctx, [&] { F(ctx, argc, argv); });
}

constexpr int kPure = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

struct ScalarDef {
  const char* name;
  int argc;  // -1: any number
  void (*fn)(sqlite3_context*, int, sqlite3_value**);
  void* user;
  int flags;
};

// The date part shorthands: year(ts), month(ts), ... (DuckDB's names).
constexpr PartName kShorthands[] = {
    {"year", Part::kYear},
    {"quarter", Part::kQuarter},
    {"month", Part::kMonth},
    {"day", Part::kDay},
    {"dayofmonth", Part::kDay},
    {"hour", Part::kHour},
    {"minute", Part::kMinute},
    {"second", Part::kSecond},
    {"millisecond", Part::kMillisecond},
    {"microsecond", Part::kMicrosecond},
    {"week", Part::kWeek},
    {"weekofyear", Part::kWeek},
    {"dayofweek", Part::kDow},
    {"weekday", Part::kDow},
    {"isodow", Part::kIsodow},
    {"dayofyear", Part::kDoy},
    {"isoyear", Part::kIsoyear},
    {"yearweek", Part::kYearweek},
    {"decade", Part::kDecade},
    {"century", Part::kCentury},
    {"millennium", Part::kMillennium},
    {"era", Part::kEra},
    {"julian", Part::kJulian},
};

void* IntData(intptr_t v) { return reinterpret_cast<void*>(v); }

Status Check(sqlite3* db, int rc, const char* name) {
  if (rc == SQLITE_OK) return Status::Ok();
  return Internal(std::string("registering the SQL function ") + name +
                  " failed: " + sqlite3_errmsg(db));
}

}  // namespace

Status RegisterDuckDbFunctions(sqlite3* db) {
  if (db == nullptr) return InvalidArgument("RegisterDuckDbFunctions: no database connection");
  const ScalarDef scalars[] = {
      {"date_trunc", 2, Scalar<DateTrunc>, nullptr, kPure},
      {"datetrunc", 2, Scalar<DateTrunc>, nullptr, kPure},
      {"date_part", 2, Scalar<DatePart>, nullptr, kPure},
      {"datepart", 2, Scalar<DatePart>, nullptr, kPure},
      {"date_diff", 3, Scalar<DateDiff>, nullptr, kPure},
      {"datediff", 3, Scalar<DateDiff>, nullptr, kPure},
      {"epoch_ms", 1, Scalar<EpochMs>, nullptr, kPure},
      {"epoch", 1, Scalar<Epoch>, nullptr, kPure},
      {"epoch_us", 1, Scalar<EpochUs>, nullptr, kPure},
      {"epoch_ns", 1, Scalar<EpochNs>, nullptr, kPure},
      {"to_timestamp", 1, Scalar<ToTimestamp>, nullptr, kPure},
      {"make_timestamp", 1, Scalar<MakeTimestamp>, nullptr, kPure},
      {"make_timestamp", 6, Scalar<MakeTimestamp>, nullptr, kPure},
      {"make_date", 3, Scalar<MakeDate>, nullptr, kPure},
      {"last_day", 1, Scalar<LastDay>, nullptr, kPure},
      {"dayname", 1, Scalar<DayName>, nullptr, kPure},
      {"monthname", 1, Scalar<MonthName>, nullptr, kPure},
      {"now", 0, Scalar<Now>, nullptr, SQLITE_UTF8 | SQLITE_INNOCUOUS},
      {"today", 0, Scalar<Today>, nullptr, SQLITE_UTF8 | SQLITE_INNOCUOUS},
      {"json_extract_string", 2, Scalar<JsonExtractString>, nullptr, kPure},
      {"json_extract_path_text", 2, Scalar<JsonExtractString>, nullptr, kPure},
      {"regexp_matches", 2, Scalar<RegexpMatches>, nullptr, kPure},
      {"regexp_matches", 3, Scalar<RegexpMatches>, nullptr, kPure},
      {"regexp_full_match", 2, Scalar<RegexpMatches>, IntData(1), kPure},
      {"regexp_full_match", 3, Scalar<RegexpMatches>, IntData(1), kPure},
      {"regexp_replace", 3, Scalar<RegexpReplace>, nullptr, kPure},
      {"regexp_replace", 4, Scalar<RegexpReplace>, nullptr, kPure},
      {"regexp_extract", 2, Scalar<RegexpExtract>, nullptr, kPure},
      {"regexp_extract", 3, Scalar<RegexpExtract>, nullptr, kPure},
      {"regexp_extract", 4, Scalar<RegexpExtract>, nullptr, kPure},
      {"starts_with", 2, Scalar<StringTest>, IntData(0), kPure},
      {"prefix", 2, Scalar<StringTest>, IntData(0), kPure},
      {"ends_with", 2, Scalar<StringTest>, IntData(1), kPure},
      {"suffix", 2, Scalar<StringTest>, IntData(1), kPure},
      {"contains", 2, Scalar<StringTest>, IntData(2), kPure},
      {"strpos", 2, Scalar<StrPos>, nullptr, kPure},
      {"concat", -1, Scalar<Concat>, nullptr, kPure},
      {"concat_ws", -1, Scalar<ConcatWs>, nullptr, kPure},
      {"greatest", -1, Scalar<GreatestLeast>, IntData(1), kPure},
      {"least", -1, Scalar<GreatestLeast>, IntData(-1), kPure},
      {"left", 2, Scalar<LeftRight>, nullptr, kPure},
      {"right", 2, Scalar<LeftRight>, IntData(1), kPure},
      {"lpad", 3, Scalar<Pad>, nullptr, kPure},
      {"rpad", 3, Scalar<Pad>, IntData(1), kPure},
      {"reverse", 1, Scalar<Reverse>, nullptr, kPure},
      {"repeat", 2, Scalar<Repeat>, nullptr, kPure},
      {"split_part", 3, Scalar<SplitPart>, nullptr, kPure},
  };
  for (const ScalarDef& d : scalars) {
    K3_RETURN_IF_ERROR(Check(db,
                             sqlite3_create_function_v2(db, d.name, d.argc, d.flags, d.user, d.fn,
                                                        nullptr, nullptr, nullptr),
                             d.name));
  }
  for (const PartName& p : kShorthands) {
    K3_RETURN_IF_ERROR(
        Check(db,
              sqlite3_create_function_v2(db, p.name, 1, kPure, const_cast<PartName*>(&p),
                                         Scalar<PartShorthand>, nullptr, nullptr, nullptr),
              p.name));
  }
  struct WindowDef {
    const char* name;
    int argc;
    void* user;
    void (*step)(sqlite3_context*, int, sqlite3_value**);
    void (*final)(sqlite3_context*);
    void (*value)(sqlite3_context*);
    void (*inverse)(sqlite3_context*, int, sqlite3_value**);
  };
  const WindowDef windows[] = {
      {"quantile_cont", 2, IntData(static_cast<intptr_t>(QuantileKind::kCont)), QuantileStep,
       QuantileFinal, QuantileValue, QuantileInverse},
      {"quantile", 2, IntData(static_cast<intptr_t>(QuantileKind::kDisc)), QuantileStep,
       QuantileFinal, QuantileValue, QuantileInverse},
      {"quantile_disc", 2, IntData(static_cast<intptr_t>(QuantileKind::kDisc)), QuantileStep,
       QuantileFinal, QuantileValue, QuantileInverse},
      {"median", 1, IntData(static_cast<intptr_t>(QuantileKind::kMedian)), QuantileStep,
       QuantileFinal, QuantileValue, QuantileInverse},
      {"string_agg", 1, nullptr, StringAggStep, StringAggFinal, StringAggValue, StringAggInverse},
      {"string_agg", 2, nullptr, StringAggStep, StringAggFinal, StringAggValue, StringAggInverse},
      {"listagg", 1, nullptr, StringAggStep, StringAggFinal, StringAggValue, StringAggInverse},
      {"listagg", 2, nullptr, StringAggStep, StringAggFinal, StringAggValue, StringAggInverse},
      {"bool_and", 1, IntData(static_cast<intptr_t>(BoolAgg::kAnd)), BoolStep, BoolValue, BoolValue,
       BoolInverse},
      {"bool_or", 1, IntData(static_cast<intptr_t>(BoolAgg::kOr)), BoolStep, BoolValue, BoolValue,
       BoolInverse},
      {"count_if", 1, IntData(static_cast<intptr_t>(BoolAgg::kCountIf)), BoolStep, BoolValue,
       BoolValue, BoolInverse},
      {"countif", 1, IntData(static_cast<intptr_t>(BoolAgg::kCountIf)), BoolStep, BoolValue,
       BoolValue, BoolInverse},
      {"var_samp", 1, IntData(static_cast<intptr_t>(VarAgg::kVarSamp)), VarStep, VarValue, VarValue,
       VarInverse},
      {"variance", 1, IntData(static_cast<intptr_t>(VarAgg::kVarSamp)), VarStep, VarValue, VarValue,
       VarInverse},
      {"var_pop", 1, IntData(static_cast<intptr_t>(VarAgg::kVarPop)), VarStep, VarValue, VarValue,
       VarInverse},
      {"stddev_samp", 1, IntData(static_cast<intptr_t>(VarAgg::kStddevSamp)), VarStep, VarValue,
       VarValue, VarInverse},
      {"stddev", 1, IntData(static_cast<intptr_t>(VarAgg::kStddevSamp)), VarStep, VarValue,
       VarValue, VarInverse},
      {"stddev_pop", 1, IntData(static_cast<intptr_t>(VarAgg::kStddevPop)), VarStep, VarValue,
       VarValue, VarInverse},
  };
  for (const WindowDef& d : windows) {
    K3_RETURN_IF_ERROR(
        Check(db,
              sqlite3_create_window_function(db, d.name, d.argc, kPure, d.user, d.step, d.final,
                                             d.value, d.inverse, nullptr),
              d.name));
  }
  struct AggDef {
    const char* name;
    intptr_t sign;
  };
  for (const AggDef& d : {AggDef{"arg_max", 1}, AggDef{"max_by", 1}, AggDef{"argmax", 1},
                          AggDef{"arg_min", -1}, AggDef{"min_by", -1}, AggDef{"argmin", -1}}) {
    K3_RETURN_IF_ERROR(Check(db,
                             sqlite3_create_function_v2(db, d.name, 2, kPure, IntData(d.sign),
                                                        nullptr, ArgStep, ArgFinal, nullptr),
                             d.name));
  }
  return Status::Ok();
}

}  // namespace k3::tables
