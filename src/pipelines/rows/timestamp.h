// pipelines/rows/timestamp.h: the ISO-8601 dates and date-times that table-row pipelines
// recognize in CSV fields and JSON strings, and their normalized UTC form.
//
// Accepted text (nothing else, no surrounding spaces):
//   YYYY-MM-DD
//   YYYY-MM-DD(T|t| )HH:MM[:SS[.f{1,9}]][Z|z|(+|-)HH:MM|(+|-)HHMM|(+|-)HH]
// with a real calendar day, hours 00-23, minutes and seconds 00-59, offsets up to 23:59, and a
// UTC instant within years 0000..9999.
// Thread-safety: pure functions.
#ifndef K3_PIPELINES_ROWS_TIMESTAMP_H_
#define K3_PIPELINES_ROWS_TIMESTAMP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace k3::pipelines {

// True when `text` is exactly "YYYY-MM-DD" naming a real calendar day.
bool IsIsoDate(std::string_view text);

// Parses `text` (see above) into Unix milliseconds, UTC. A time without an offset is taken
// as UTC; a date alone is its midnight UTC; fractional seconds beyond milliseconds are
// truncated. nullopt when `text` is not such a timestamp.
std::optional<int64_t> ParseIsoTimestampMs(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ", or "YYYY-MM-DDTHH:MM:SS.fffZ" when the milliseconds are not 0.
// `ms` must lie within years 0000..9999 (nullopt otherwise).
std::optional<std::string> FormatUtcTimestampMs(int64_t ms);

// ParseIsoTimestampMs then FormatUtcTimestampMs: the normalized form of `text`, or nullopt.
std::optional<std::string> NormalizeIsoTimestamp(std::string_view text);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_ROWS_TIMESTAMP_H_
