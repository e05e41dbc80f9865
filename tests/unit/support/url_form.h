// What tests of OAuth clients check a request with: decoding "a=1&b=2" strings (form bodies,
// URL queries) and the PKCE S256 challenge of a verifier. Written independently of the code
// under test. Thread-safety: pure functions.
#ifndef K3_TESTS_UNIT_SUPPORT_URL_FORM_H_
#define K3_TESTS_UNIT_SUPPORT_URL_FORM_H_

#include <openssl/evp.h>

#include <map>
#include <string>
#include <string_view>

namespace k3::test {

using Form = std::map<std::string, std::string>;

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding, with '+' as a space (application/x-www-form-urlencoded).
inline std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Parses "a=1&b=2". A repeated key is recorded as "<dup>".
inline Form ParseQuery(std::string_view q) {
  Form form;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const size_t eq = pair.find('=');
    const std::string key = PercentDecode(pair.substr(0, eq));
    const std::string value =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (!key.empty()) form[key] = form.count(key) ? "<dup>" : value;
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return form;
}

// base64url(SHA-256(s)) without padding, through OpenSSL's EVP directly.
inline std::string ReferenceChallenge(const std::string& s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_sha256(), nullptr);
  unsigned char b64[64] = {0};
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  std::string out(reinterpret_cast<char*>(b64), n);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

}  // namespace k3::test

#endif  // K3_TESTS_UNIT_SUPPORT_URL_FORM_H_
