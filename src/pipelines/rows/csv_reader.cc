// pipelines/rows/csv_reader.cc: the CSV state machine over a block buffer.
#include "pipelines/rows/csv_reader.h"

#include <cstring>
#include <string>
#include <utility>

#include "pipelines/rows/utf8_repair.h"

namespace k3::pipelines {

CsvReader::CsvReader(const ByteReader& reader, CsvOptions options)
    : reader_(reader), options_(options), in_(kCsvBlockBytes) {}

Status CsvReader::Fill() { return rows_internal::FillBlock(reader_, "CSV reader", &in_); }

int CsvReader::Peek() {
  if (in_.pos == in_.end) {
    Status s = Fill();
    if (!s.ok()) {
      error_ = std::move(s);
      return kError;
    }
    if (in_.pos == in_.end) return kEnd;
  }
  return static_cast<unsigned char>(in_.bytes[in_.pos]);
}

bool CsvReader::Advance() {
  ++in_.pos;
  if (++record_bytes_ > kMaxCsvRecordBytes) {
    error_ = InvalidArgument("line " + std::to_string(record_line_) + ": CSV record longer than " +
                             std::to_string(kMaxCsvRecordBytes >> 20) + " MiB");
    return false;
  }
  return true;
}

bool CsvReader::ConsumeLineEnd(int first, std::string* out) {
  if (!Advance()) return false;
  if (out != nullptr) out->push_back(static_cast<char>(first));
  if (first == '\r') {
    const int next = Peek();
    if (next == kError) return false;
    if (next == '\n') {
      if (!Advance()) return false;
      if (out != nullptr) out->push_back('\n');
    }
  }
  ++line_;
  return true;
}

Status CsvReader::StartInput() {
  started_ = true;
  const char d = options_.delimiter;
  if (d == '"' || d == '\r' || d == '\n') {
    return InvalidArgument("CsvOptions.delimiter may not be a quote or a line end (got byte " +
                           std::to_string(static_cast<unsigned char>(d)) + ")");
  }
  // Gather up to 3 bytes to look for a BOM, however few bytes each read gives.
  K3_RETURN_IF_ERROR(rows_internal::FillAtLeast(reader_, "CSV reader", 3, &in_));
  if (in_.end >= 3 && std::memcmp(in_.bytes.data(), "\xEF\xBB\xBF", 3) == 0) in_.pos = 3;
  return Status();
}

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  if (!error_.ok()) return error_;
  if (done_) return false;
  if (!started_) {
    Status s = StartInput();
    if (!s.ok()) {
      error_ = s;
      return s;
    }
  }
  Result<bool> r = ReadRecord(fields);
  if (!r.ok()) {
    error_ = r.status();
  } else if (!*r) {
    done_ = true;
  }
  return r;
}

Result<bool> CsvReader::ReadRecord(std::vector<std::string>* fields) {
  fields->clear();
  // Skip empty lines.
  int c;
  for (;;) {
    c = Peek();
    if (c == kError) return error_;
    if (c == kEnd) return false;
    if (c != '\r' && c != '\n') break;
    record_bytes_ = 0;
    if (!ConsumeLineEnd(c, nullptr)) return error_;
  }
  record_line_ = line_;
  record_bytes_ = 0;
  const int delimiter = static_cast<unsigned char>(options_.delimiter);
  std::string field;
  for (;;) {  // one field per iteration
    field.clear();
    c = Peek();
    if (c == kError) return error_;
    if (c == '"') {
      const int64_t open_line = line_;
      if (!Advance()) return error_;
      for (;;) {
        c = Peek();
        if (c == kError) return error_;
        if (c == kEnd) {
          return InvalidArgument("line " + std::to_string(open_line) +
                                 ": quoted field not closed at the end of the input");
        }
        if (c == '"') {
          if (!Advance()) return error_;
          const int next = Peek();
          if (next == kError) return error_;
          if (next != '"') break;  // the closing quote
          field.push_back('"');
          if (!Advance()) return error_;
        } else if (c == '\r' || c == '\n') {
          if (!ConsumeLineEnd(c, &field)) return error_;
        } else {
          field.push_back(static_cast<char>(c));
          if (!Advance()) return error_;
        }
      }
      c = Peek();
      if (c == kError) return error_;
    }
    // Unquoted text (or what follows a closing quote) up to a delimiter, line end or the end.
    while (c != kEnd && c != delimiter && c != '\r' && c != '\n') {
      field.push_back(static_cast<char>(c));
      if (!Advance()) return error_;
      c = Peek();
      if (c == kError) return error_;
    }
    invalid_bytes_replaced_ += RepairUtf8(&field);
    fields->push_back(field);
    if (c == delimiter) {
      if (!Advance()) return error_;
      continue;
    }
    if (c != kEnd && !ConsumeLineEnd(c, nullptr)) return error_;
    return true;
  }
}

}  // namespace k3::pipelines
