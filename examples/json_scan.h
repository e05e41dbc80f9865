/* examples/json_scan.h: a tiny JSON reader for the C examples (C99, header only).
 *
 * It reads values out of a JSON text in place, without allocating: a json_span names one
 * value inside the text (its first byte and its length), json_get finds an object's member,
 * json_iter walks an array, and json_string / json_int64 convert a scalar. That is all the
 * examples need to read k3's responses (k3_call's JSON); it is not a general parser.
 *
 * Robustness: every function stays inside the span it is given and never reads past its
 * end, whatever the bytes are (unterminated strings, unbalanced brackets, truncated text);
 * malformed input makes it report "not found" / failure instead. It checks only as much
 * structure as it needs to find values: it is not a validator (e.g. "{]" is not caught).
 * Member names are compared byte for byte with their JSON text, so a name written with
 * escapes (\u0061) does not match; k3 never writes names that way.
 *
 * Thread-safety: the functions keep no state; a span is a view of text the caller owns. */
#ifndef K3_EXAMPLES_JSON_SCAN_H_
#define K3_EXAMPLES_JSON_SCAN_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One JSON value: n bytes at p, inside text the caller keeps alive. */
typedef struct json_span {
  const char* p;
  size_t n;
} json_span;

/* An iteration over the elements of an array (json_iter_begin, json_iter_next). */
typedef struct json_iter {
  json_span array;
  size_t pos; /* where the next element (or its comma) starts */
  int first;  /* no element returned yet */
} json_iter;

/* The span of the n bytes at text (e.g. a whole response). */
static inline json_span json_span_of(const char* text, size_t n) {
  json_span s;
  s.p = text;
  s.n = n;
  return s;
}

/* The index of the first byte at or after i that is not JSON whitespace (n when none). */
static inline size_t json_skip_ws_(const char* p, size_t n, size_t i) {
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) ++i;
  return i;
}

/* The length of the string at p (p[0] == '"'), quotes included; 0 when it is not closed
 * within n bytes or holds a raw control character. */
static inline size_t json_string_len_(const char* p, size_t n) {
  size_t i = 1;
  while (i < n) {
    const unsigned char c = (unsigned char)p[i];
    if (c == '"') return i + 1;
    if (c < 0x20) return 0;
    i += c == '\\' ? 2 : 1;
  }
  return 0;
}

/* Whether c may appear in a number or literal (true, false, null). */
static inline int json_scalar_char_(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '+' || c == '.';
}

/* The length of the value that starts at p[0], within n bytes; 0 when there is none or it
 * is not complete (a string not closed, brackets not balanced). */
static inline size_t json_value_len_(const char* p, size_t n) {
  size_t i = 0;
  size_t depth = 0;
  if (n == 0) return 0;
  if (p[0] == '"') return json_string_len_(p, n);
  if (p[0] != '{' && p[0] != '[') {
    while (i < n && json_scalar_char_(p[i])) ++i;
    return i;
  }
  while (i < n) {
    const char c = p[i];
    if (c == '"') {
      const size_t len = json_string_len_(p + i, n - i);
      if (len == 0) return 0;
      i += len;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
    ++i;
  }
  return 0;
}

/* Finds the member `key` of the object `obj`: 1 and *out = its value when found; 0 when obj
 * is not an object, has no such member, or is malformed before it (*out is then empty). */
static inline int json_get(json_span obj, const char* key, json_span* out) {
  const size_t key_len = strlen(key);
  size_t i = json_skip_ws_(obj.p, obj.n, 0);
  *out = json_span_of(NULL, 0);
  if (i >= obj.n || obj.p[i] != '{') return 0;
  i = json_skip_ws_(obj.p, obj.n, i + 1);
  while (i < obj.n && obj.p[i] == '"') {
    const size_t name_len = json_string_len_(obj.p + i, obj.n - i);
    const int match = name_len == key_len + 2 && memcmp(obj.p + i + 1, key, key_len) == 0;
    size_t value_len;
    if (name_len == 0) return 0;
    i = json_skip_ws_(obj.p, obj.n, i + name_len);
    if (i >= obj.n || obj.p[i] != ':') return 0;
    i = json_skip_ws_(obj.p, obj.n, i + 1);
    value_len = json_value_len_(obj.p + i, obj.n - i);
    if (value_len == 0) return 0;
    if (match) {
      *out = json_span_of(obj.p + i, value_len);
      return 1;
    }
    i = json_skip_ws_(obj.p, obj.n, i + value_len);
    if (i >= obj.n || obj.p[i] != ',') return 0;
    i = json_skip_ws_(obj.p, obj.n, i + 1);
  }
  return 0;
}

/* Starts iterating over the array `array`: 1, or 0 when it is not an array. */
static inline int json_iter_begin(json_span array, json_iter* it) {
  const size_t i = json_skip_ws_(array.p, array.n, 0);
  it->array = array;
  it->pos = i + 1;
  it->first = 1;
  return i < array.n && array.p[i] == '[';
}

/* The next element: 1 and *out = the element; 0 at the end of the array; -1 when the array
 * is malformed (*out is then empty). */
static inline int json_iter_next(json_iter* it, json_span* out) {
  const char* p = it->array.p;
  const size_t n = it->array.n;
  size_t i = json_skip_ws_(p, n, it->pos);
  size_t len;
  *out = json_span_of(NULL, 0);
  if (i >= n) return -1;
  if (p[i] == ']') return 0;
  if (!it->first) {
    if (p[i] != ',') return -1;
    i = json_skip_ws_(p, n, i + 1);
  }
  len = i < n ? json_value_len_(p + i, n - i) : 0;
  if (len == 0) return -1;
  *out = json_span_of(p + i, len);
  it->pos = i + len;
  it->first = 0;
  return 1;
}

/* The value of hex digit c, or -1. */
static inline int json_hex_(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Reads the 4 hex digits at p (n bytes available) into *out: 1, or 0 when they are not. */
static inline int json_hex4_(const char* p, size_t n, unsigned* out) {
  size_t k;
  *out = 0;
  if (n < 4) return 0;
  for (k = 0; k < 4; ++k) {
    const int d = json_hex_(p[k]);
    if (d < 0) return 0;
    *out = *out * 16 + (unsigned)d;
  }
  return 1;
}

/* Appends the UTF-8 of code point cp to buf (cap bytes, *len used, one kept for the NUL);
 * what does not fit is dropped. Returns 1 when all of it fit. */
static inline int json_put_utf8_(char* buf, size_t cap, size_t* len, unsigned long cp) {
  char bytes[4];
  size_t count, k;
  if (cp < 0x80) {
    bytes[0] = (char)cp;
    count = 1;
  } else if (cp < 0x800) {
    bytes[0] = (char)(0xC0 | (cp >> 6));
    bytes[1] = (char)(0x80 | (cp & 0x3F));
    count = 2;
  } else if (cp < 0x10000) {
    bytes[0] = (char)(0xE0 | (cp >> 12));
    bytes[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    bytes[2] = (char)(0x80 | (cp & 0x3F));
    count = 3;
  } else {
    bytes[0] = (char)(0xF0 | (cp >> 18));
    bytes[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    bytes[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    bytes[3] = (char)(0x80 | (cp & 0x3F));
    count = 4;
  }
  if (*len + count >= cap) return 0;
  for (k = 0; k < count; ++k) buf[(*len)++] = bytes[k];
  return 1;
}

/* Decodes the escape at p[i] == '\\' (a string's content ends at `end`) onto buf; returns the
 * index after it, or 0 when it is malformed. *fit becomes 0 when buf was too small. */
static inline size_t json_unescape_(const char* p, size_t i, size_t end, char* buf, size_t cap,
                                    size_t* len, int* fit) {
  static const char kFrom[] = "\"\\/bfnrt";
  static const char kTo[] = "\"\\/\b\f\n\r\t";
  const char* simple;
  unsigned hi, lo;
  unsigned long cp;
  if (i + 1 >= end) return 0;
  if (p[i + 1] != 'u') {
    simple = p[i + 1] != '\0' ? strchr(kFrom, p[i + 1]) : NULL;
    if (simple == NULL) return 0;
    if (!json_put_utf8_(buf, cap, len, (unsigned char)kTo[simple - kFrom])) *fit = 0;
    return i + 2;
  }
  if (!json_hex4_(p + i + 2, end - (i + 2), &hi)) return 0;
  i += 6;
  cp = hi;
  if (hi >= 0xD800 && hi <= 0xDBFF) { /* a surrogate pair: \uD83D\uDE00 */
    if (i + 6 > end || p[i] != '\\' || p[i + 1] != 'u' || !json_hex4_(p + i + 2, 4, &lo) ||
        lo < 0xDC00 || lo > 0xDFFF) {
      return 0;
    }
    cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + (lo - 0xDC00);
    i += 6;
  } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
    return 0;
  }
  if (!json_put_utf8_(buf, cap, len, cp)) *fit = 0;
  return i;
}

/* Copies the string value v, unescaped, into buf (cap >= 1 bytes), always NUL-terminated.
 * Returns 1 when v is a well-formed string and all of it fit; else 0, with buf holding ""
 * (v is not a string, or malformed) or as much of the string as fit (truncated at a byte,
 * not a character, boundary). A string holding \u0000 is cut there by the NUL. */
static inline int json_string(json_span v, char* buf, size_t cap) {
  size_t len = 0;
  size_t i = 1;
  size_t end;
  int fit = 1;
  if (cap == 0) return 0;
  buf[0] = '\0';
  if (v.n < 2 || v.p[0] != '"' || json_string_len_(v.p, v.n) != v.n) return 0;
  end = v.n - 1; /* the closing quote */
  while (i < end) {
    if (v.p[i] == '\\') {
      i = json_unescape_(v.p, i, end, buf, cap, &len, &fit);
      if (i == 0) {
        buf[0] = '\0';
        return 0;
      }
    } else {
      if (len + 1 < cap) {
        buf[len++] = v.p[i];
      } else {
        fit = 0;
      }
      ++i;
    }
  }
  buf[len] = '\0';
  return fit;
}

/* Whether v is the string s (compared unescaped, so any spelling of s matches). */
static inline int json_string_is(json_span v, const char* s) {
  char buf[256];
  return strlen(s) < sizeof(buf) && json_string(v, buf, sizeof(buf)) && strcmp(buf, s) == 0;
}

/* Reads an integer written as a JSON number (42, -7) or as a string of one ("42", the wire
 * form of 64-bit integers) into *out: 1, or 0 (and *out = 0) when v is neither, has a
 * fraction or exponent, or does not fit in int64_t. */
static inline int json_int64(json_span v, int64_t* out) {
  const char* p = v.p;
  size_t n = v.n;
  size_t i = 0;
  int negative = 0;
  uint64_t value = 0;
  const uint64_t limit = (uint64_t)INT64_MAX;
  *out = 0;
  if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
    ++p;
    n -= 2;
  }
  if (i < n && p[i] == '-') {
    negative = 1;
    ++i;
  }
  if (i >= n) return 0;
  for (; i < n; ++i) {
    const unsigned d = (unsigned)(p[i] - '0');
    if (p[i] < '0' || p[i] > '9') return 0;
    if (value > (limit + (uint64_t)negative - d) / 10) return 0;
    value = value * 10 + d;
  }
  if (negative) {
    *out = value == limit + 1 ? INT64_MIN : -(int64_t)value;
  } else {
    *out = (int64_t)value;
  }
  return 1;
}

#endif /* K3_EXAMPLES_JSON_SCAN_H_ */
