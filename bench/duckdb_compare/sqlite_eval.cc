// bench/duckdb_compare/sqlite_eval.cc: runs SQL statements through SQLite with k3's DuckDB
// functions registered and prints each result as one JSON line, for compare.js to hold
// against DuckDB. Not part of the build; README.md has the one-line compile command.
//
//   sqlite_eval [--load TABLE=FILE.csv ...] < statements.sql
//
// Each input line is one statement (empty lines and lines starting with "--" are skipped).
// Output per statement: {"sql": "...", "rows": [[...], ...]} or {"sql": "...", "error": "..."}.
// --load creates TABLE from a CSV file whose first line holds the column names (every column
// untyped, values are typed as integer / real / text the way SQLite's numeric affinity would;
// an empty field is NULL).
#include <sqlite3.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tables/duckdb_functions.h"

namespace {

void AppendJsonString(const std::string& s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      *out += "\\u00";
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

// Splits one CSV line (RFC 4180 quoting; no embedded newlines).
std::vector<std::string> SplitCsv(const std::string& line, std::vector<bool>* quoted) {
  std::vector<std::string> fields;
  quoted->clear();
  std::string cur;
  bool in_quotes = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur.push_back('"');
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      in_quotes = true;
      was_quoted = true;
    } else if (c == ',') {
      fields.push_back(cur);
      quoted->push_back(was_quoted);
      cur.clear();
      was_quoted = false;
    } else {
      cur.push_back(c);
    }
  }
  fields.push_back(cur);
  quoted->push_back(was_quoted);
  return fields;
}

bool LoadCsv(sqlite3* db, const std::string& table, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot open " << path << "\n";
    return false;
  }
  std::string line;
  std::vector<bool> quoted;
  if (!std::getline(in, line)) return false;
  const std::vector<std::string> cols = SplitCsv(line, &quoted);
  std::string create = "CREATE TABLE \"" + table + "\" (";
  std::string insert = "INSERT INTO \"" + table + "\" VALUES (";
  for (size_t i = 0; i < cols.size(); ++i) {
    create += (i ? ", \"" : "\"") + cols[i] + "\"";
    insert += i ? ", ?" : "?";
  }
  create += ")";
  insert += ")";
  if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return false;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, insert.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return false;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = SplitCsv(line, &quoted);
    for (size_t i = 0; i < cols.size(); ++i) {
      const int p = static_cast<int>(i) + 1;
      if (i >= f.size() || (f[i].empty() && !quoted[i])) {
        sqlite3_bind_null(stmt, p);
        continue;
      }
      const std::string& v = f[i];
      int64_t iv;
      double dv;
      auto ri = std::from_chars(v.data(), v.data() + v.size(), iv);
      if (!quoted[i] && ri.ec == std::errc() && ri.ptr == v.data() + v.size()) {
        sqlite3_bind_int64(stmt, p, iv);
        continue;
      }
      auto rd = std::from_chars(v.data(), v.data() + v.size(), dv);
      if (!quoted[i] && rd.ec == std::errc() && rd.ptr == v.data() + v.size()) {
        sqlite3_bind_double(stmt, p, dv);
        continue;
      }
      sqlite3_bind_text(stmt, p, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  sqlite3* db = nullptr;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  const k3::Status s = k3::tables::RegisterDuckDbFunctions(db);
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--load" && i + 1 < argc) {
      const std::string spec = argv[++i];
      const size_t eq = spec.find('=');
      if (eq == std::string::npos || !LoadCsv(db, spec.substr(0, eq), spec.substr(eq + 1))) {
        std::cerr << "cannot load " << spec << "\n";
        return 1;
      }
    }
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty() || line.rfind("--", 0) == 0) continue;
    std::string out = "{\"sql\": ";
    AppendJsonString(line, &out);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, line.c_str(), -1, &stmt, nullptr);
    std::string rows = "[";
    bool first_row = true;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW) break;
      rows += first_row ? "[" : ", [";
      first_row = false;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c) rows += ", ";
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            rows += "null";
            break;
          case SQLITE_INTEGER:
            rows += std::to_string(sqlite3_column_int64(stmt, c));
            break;
          case SQLITE_FLOAT: {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof(buf), sqlite3_column_double(stmt, c));
            std::string num(buf, r.ptr);
            if (num == "inf" || num == "-inf" || num == "nan" || num == "-nan") {
              AppendJsonString(num, &rows);
            } else {
              rows += "{\"double\": " + num + "}";
            }
            break;
          }
          default:
            AppendJsonString(
                std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                            static_cast<size_t>(sqlite3_column_bytes(stmt, c))),
                &rows);
        }
      }
      rows += "]";
    }
    rows += "]";
    if (rc != SQLITE_DONE) {
      out += ", \"error\": ";
      AppendJsonString(sqlite3_errmsg(db), &out);
    } else {
      out += ", \"rows\": " + rows;
    }
    out += "}";
    std::cout << out << "\n";
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return 0;
}
