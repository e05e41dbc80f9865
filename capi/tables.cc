// capi/tables.cc: the typed SQL data plane of k3.h — k3_query and the k3_cursor functions —
// translated to k3::TableService::query_cursor and k3::RowCursor. SQL parameters travel as
// JSON text in the form of k3/json.h.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/json.h"
#include "k3/k3.h"
#include "k3/status.h"
#include "k3/tables.h"

using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

struct k3_cursor {
  // The k3_db the cursor reads from; nullptr once k3_close finished the cursor.
  k3_db* db = nullptr;
  // The query; nullopt once k3_close finished it (a RowCursor must not outlive its Db).
  std::optional<k3::RowCursor> rows;
  // The result columns as they were when the query was finished by k3_close.
  std::vector<k3::ResultColumn> closed_columns;
  // The result columns' names, copied when the query starts, so that the pointers
  // k3_cursor_column_name hands out stay valid until k3_cursor_destroy (also across k3_close).
  std::vector<std::string> column_names;
  // k3_cursor_next gave a row that the getters may read.
  bool on_row = false;

  const std::vector<k3::ResultColumn>& columns() const {
    return rows ? rows->columns() : closed_columns;
  }
};

namespace k3::capi {

void CloseCursors(k3_db* db) noexcept {
  std::lock_guard lock(db->cursors_mu);
  for (k3_cursor* cursor : db->cursors) {
    if (cursor->rows) {
      try {
        cursor->closed_columns = cursor->rows->columns();
      } catch (...) {
        cursor->closed_columns.clear();  // out of memory: the names are lost, nothing else
      }
    }
    cursor->rows.reset();
    cursor->on_row = false;
    cursor->db = nullptr;
  }
  db->cursors.clear();
}

}  // namespace k3::capi

namespace {

// The K3_VALUE_* of a cell.
int ValueType(const k3::Value& v) {
  if (std::holds_alternative<int64_t>(v)) return K3_VALUE_INT64;
  if (std::holds_alternative<double>(v)) return K3_VALUE_DOUBLE;
  if (std::holds_alternative<std::string>(v)) return K3_VALUE_TEXT;
  if (std::holds_alternative<std::vector<uint8_t>>(v)) return K3_VALUE_BLOB;
  if (std::holds_alternative<bool>(v)) return K3_VALUE_BOOL;
  return K3_VALUE_NULL;
}

// The current row's cell in `column` into *cell; K3_OK or the code for why there is none.
int Cell(const k3_cursor* cursor, size_t column, const k3::Value** cell) {
  if (cursor == nullptr) return K3_INVALID_ARGUMENT;
  if (!cursor->rows || !cursor->on_row) return K3_FAILED_PRECONDITION;
  const std::vector<k3::Value>& row = cursor->rows->row();
  if (column >= row.size()) return K3_OUT_OF_RANGE;
  *cell = &row[column];
  return K3_OK;
}

// The column `column` into *out; K3_OK or the code for why there is none.
int ColumnAt(const k3_cursor* cursor, size_t column, const k3::ResultColumn** out) {
  if (cursor == nullptr) return K3_INVALID_ARGUMENT;
  const std::vector<k3::ResultColumn>& columns = cursor->columns();
  if (column >= columns.size()) return K3_OUT_OF_RANGE;
  *out = &columns[column];
  return K3_OK;
}

// A pointer for the bytes of an empty blob: never NULL.
constexpr uint8_t kNoBytes = 0;

}  // namespace

extern "C" {

int k3_query(k3_db* db, const char* bucket, const char* sql, const char* params_json,
             k3_cursor** out_cursor, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_cursor, errmsg);
    *out_cursor = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(sql, errmsg);
    k3::QueryRequest request;
    request.bucket = bucket;
    request.sql = sql;
    request.limit = 0;  // query_cursor: no limit
    if (params_json != nullptr) {
      k3::Result<std::vector<k3::Value>> params = k3::ParseSqlParamsJson(params_json);
      if (!params.ok()) return Fail(params.status(), errmsg);
      request.params = std::move(params).value();
    }
    k3::Result<k3::RowCursor> rows = db->db.tables().query_cursor(request);
    if (!rows.ok()) return Fail(rows.status(), errmsg);
    auto cursor = std::make_unique<k3_cursor>();
    cursor->db = db;
    cursor->rows.emplace(std::move(rows).value());
    for (const k3::ResultColumn& c : cursor->rows->columns())
      cursor->column_names.push_back(c.name);
    {
      std::lock_guard lock(db->cursors_mu);
      db->cursors.insert(cursor.get());
    }
    *out_cursor = cursor.release();
    return Ok(errmsg);
  });
}

int k3_cursor_next(k3_cursor* cursor, int* out_has_row, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    if (out_has_row != nullptr) *out_has_row = 0;
    K3_CAPI_REQUIRE(cursor, errmsg);
    K3_CAPI_REQUIRE(out_has_row, errmsg);
    cursor->on_row = false;
    if (!cursor->rows) {
      return Fail(K3_FAILED_PRECONDITION, "the cursor's k3_db was closed", errmsg);
    }
    k3::Result<bool> has_row = cursor->rows->next();
    if (!has_row.ok()) return Fail(has_row.status(), errmsg);
    cursor->on_row = *has_row;
    *out_has_row = *has_row ? 1 : 0;
    return Ok(errmsg);
  });
}

size_t k3_cursor_column_count(const k3_cursor* cursor) {
  return cursor == nullptr ? 0 : cursor->columns().size();
}

int k3_cursor_column_name(const k3_cursor* cursor, size_t column, const char** out_name) {
  if (out_name == nullptr) return K3_INVALID_ARGUMENT;
  *out_name = nullptr;
  if (cursor == nullptr) return K3_INVALID_ARGUMENT;
  if (column >= cursor->column_names.size()) return K3_OUT_OF_RANGE;
  *out_name = cursor->column_names[column].c_str();
  return K3_OK;
}

int k3_cursor_column_type(const k3_cursor* cursor, size_t column, int* out_type) {
  if (out_type == nullptr) return K3_INVALID_ARGUMENT;
  *out_type = 0;
  const k3::ResultColumn* c = nullptr;
  if (int rc = ColumnAt(cursor, column, &c); rc != K3_OK) return rc;
  *out_type = static_cast<int>(c->type);
  return K3_OK;
}

int k3_cursor_value_type(const k3_cursor* cursor, size_t column, int* out_type) {
  if (out_type == nullptr) return K3_INVALID_ARGUMENT;
  *out_type = K3_VALUE_NULL;
  const k3::Value* cell = nullptr;
  if (int rc = Cell(cursor, column, &cell); rc != K3_OK) return rc;
  *out_type = ValueType(*cell);
  return K3_OK;
}

int k3_cursor_is_null(const k3_cursor* cursor, size_t column, int* out_is_null) {
  if (out_is_null == nullptr) return K3_INVALID_ARGUMENT;
  *out_is_null = 0;
  const k3::Value* cell = nullptr;
  if (int rc = Cell(cursor, column, &cell); rc != K3_OK) return rc;
  *out_is_null = std::holds_alternative<std::monostate>(*cell) ? 1 : 0;
  return K3_OK;
}

int k3_cursor_get_int64(const k3_cursor* cursor, size_t column, int64_t* out) {
  if (out == nullptr) return K3_INVALID_ARGUMENT;
  *out = 0;
  const k3::Value* cell = nullptr;
  if (int rc = Cell(cursor, column, &cell); rc != K3_OK) return rc;
  if (const auto* i = std::get_if<int64_t>(cell)) {
    *out = *i;
  } else if (const auto* b = std::get_if<bool>(cell)) {
    *out = *b ? 1 : 0;
  } else {
    return K3_FAILED_PRECONDITION;
  }
  return K3_OK;
}

int k3_cursor_get_double(const k3_cursor* cursor, size_t column, double* out) {
  if (out == nullptr) return K3_INVALID_ARGUMENT;
  *out = 0;
  const k3::Value* cell = nullptr;
  if (int rc = Cell(cursor, column, &cell); rc != K3_OK) return rc;
  if (const auto* d = std::get_if<double>(cell)) {
    *out = *d;
  } else if (const auto* i = std::get_if<int64_t>(cell)) {
    *out = static_cast<double>(*i);
  } else if (const auto* b = std::get_if<bool>(cell)) {
    *out = *b ? 1.0 : 0.0;
  } else {
    return K3_FAILED_PRECONDITION;
  }
  return K3_OK;
}

int k3_cursor_get_text(const k3_cursor* cursor, size_t column, const char** out, size_t* out_len) {
  if (out_len != nullptr) *out_len = 0;
  if (out == nullptr) return K3_INVALID_ARGUMENT;
  *out = nullptr;
  const k3::Value* cell = nullptr;
  if (int rc = Cell(cursor, column, &cell); rc != K3_OK) return rc;
  const auto* text = std::get_if<std::string>(cell);
  if (text == nullptr) return K3_FAILED_PRECONDITION;
  *out = text->c_str();
  if (out_len != nullptr) *out_len = text->size();
  return K3_OK;
}

int k3_cursor_get_blob(const k3_cursor* cursor, size_t column, const void** out, size_t* out_len) {
  if (out_len != nullptr) *out_len = 0;
  if (out != nullptr) *out = nullptr;
  if (out == nullptr || out_len == nullptr) return K3_INVALID_ARGUMENT;
  const k3::Value* cell = nullptr;
  if (int rc = Cell(cursor, column, &cell); rc != K3_OK) return rc;
  if (const auto* blob = std::get_if<std::vector<uint8_t>>(cell)) {
    *out = blob->empty() ? &kNoBytes : blob->data();
    *out_len = blob->size();
  } else if (const auto* text = std::get_if<std::string>(cell)) {
    *out = text->data();
    *out_len = text->size();
  } else {
    return K3_FAILED_PRECONDITION;
  }
  return K3_OK;
}

void k3_cursor_destroy(k3_cursor** cursor) {
  if (cursor == nullptr || *cursor == nullptr) return;
  k3_cursor* c = *cursor;
  if (c->db != nullptr) {
    std::lock_guard lock(c->db->cursors_mu);
    c->db->cursors.erase(c);
  }
  delete c;
  *cursor = nullptr;
}

}  // extern "C"
