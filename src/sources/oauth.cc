// sources/oauth.cc: see oauth.h.
#include "sources/oauth.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "util/hash.h"

namespace k3::sources {
namespace {

using Json = nlohmann::json;

// expires_in is capped at 100 years so that now_ms + expires_in * 1000 cannot overflow.
constexpr int64_t kMaxExpiresInSeconds = int64_t{100} * 366 * 24 * 3600;
constexpr size_t kMaxErrorCodeChars = 64;
constexpr size_t kMaxErrorDescriptionChars = 256;

// --- small string helpers --------------------------------------------------------------------

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-encoding of everything but the unreserved set. Valid both in a URL query
// and in an application/x-www-form-urlencoded body.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool HasControlOrSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7F;
  });
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The URL without its query and fragment, for error messages (a query could carry anything).
std::string UrlForMessage(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

std::string RandomUrlSafe(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    std::fputs("k3: RAND_bytes failed; refusing to issue a guessable OAuth value\n", stderr);
    std::abort();
  }
  std::string out = util::Base64UrlEncode(raw);
  Wipe(raw);
  return out;
}

// --- provider checks -------------------------------------------------------------------------

Status FieldError(std::string_view field, std::string_view problem) {
  return InvalidArgument("OAuth provider " + std::string(field) + " " + std::string(problem));
}

// An absolute https:// URL, or http:// to the loopback host.
Status CheckUrl(std::string_view field, std::string_view url) {
  if (url.empty()) return FieldError(field, "is required");
  if (HasControlOrSpace(url)) {
    return FieldError(field, "contains whitespace or control characters");
  }
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return FieldError(field, "is not an absolute URL (expected https://host/...)");
  }
  const std::string scheme = Lower(url.substr(0, sep));
  if (scheme != "https" && scheme != "http") {
    return FieldError(field, "has the unsupported scheme \"" + scheme.substr(0, 16) +
                                 "\" (https://, or http:// to 127.0.0.1 or localhost)");
  }
  if (url.find('#') != std::string_view::npos) return FieldError(field, "must not have a fragment");
  const std::string_view rest = url.substr(sep + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    return FieldError(field, "must not contain user info (user@host)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return FieldError(field, "has an unclosed IPv6 host");
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return FieldError(field, "has junk after its IPv6 host");
      port = after.substr(1);
      if (port.empty()) return FieldError(field, "has an empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return FieldError(field, "has an empty port");
    }
  }
  if (host.empty()) return FieldError(field, "has no host");
  if (host[0] != '[') {
    const bool host_ok = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '.';
    });
    if (!host_ok) return FieldError(field, "has an invalid host name");
  } else {
    const bool host_ok = std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
             c == ':' || c == '.';
    });
    if (!host_ok || host.size() < 3) return FieldError(field, "has an invalid IPv6 host");
  }
  if (!port.empty()) {
    if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) == 0 ||
        std::stoi(std::string(port)) > 65535) {
      return FieldError(field, "has an invalid port (1..65535)");
    }
  }
  if (scheme == "http") {
    const std::string h = Lower(host);
    if (h != "127.0.0.1" && h != "localhost" && h != "[::1]") {
      return FieldError(field,
                        "uses http:// to a host other than 127.0.0.1, localhost or [::1]; use "
                        "https://");
    }
  }
  return Status::Ok();
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool IsScopeToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
  });
}

// --- the token request ------------------------------------------------------------------------

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct HttpAnswer {
  CURLcode curl_code = CURLE_OK;
  std::string curl_error;
  long http_status = 0;
  std::string body;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<HttpAnswer*>(user);
  const size_t n = size * count;
  if (answer->body.size() + n > kOAuthMaxAnswerBytes) {
    answer->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  answer->body.append(data, n);
  return n;
}

HttpAnswer PostForm(const std::string& url, const std::string& form) {
  GlobalInitOnce();
  HttpAnswer answer;
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    answer.curl_code = CURLE_FAILED_INIT;
    return answer;
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "k3-oauth");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(kOAuthTokenTimeoutMs));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  answer.curl_code = curl_easy_perform(h);
  answer.curl_error = error;
  if (answer.curl_code == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.http_status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return answer;
}

// Text from the token endpoint made fit for a Status message: every secret replaced by
// "[redacted]", only printable ASCII kept, at most `max_chars`.
std::string Sanitize(std::string_view text, const std::vector<std::string_view>& secrets,
                     size_t max_chars) {
  auto redact = [&secrets](std::string s) {
    for (std::string_view secret : secrets) {
      if (secret.empty()) continue;
      for (size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at)) {
        s.replace(at, secret.size(), "[redacted]");
        at += 10;
      }
    }
    return s;
  };
  std::string s = redact(std::string(text));
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](char ch) {
                           const auto c = static_cast<unsigned char>(ch);
                           return c < 0x20 || c > 0x7E;
                         }),
          s.end());
  s = redact(std::move(s));  // dropping characters may have joined a secret back together
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

Status OAuthErrorStatus(std::string_view error_code, std::string message) {
  if (error_code == "invalid_client") return {StatusCode::kUnauthenticated, std::move(message)};
  if (error_code == "temporarily_unavailable" || error_code == "server_error") {
    return Unavailable(std::move(message));
  }
  return FailedPrecondition(std::move(message));
}

// Turns the token endpoint's answer into tokens or a Status. `what` names the grant for
// messages ("authorization code exchange"); `secrets` are redacted from anything echoed.
Result<OAuthTokens> ParseAnswer(const std::string& token_url, const HttpAnswer& answer,
                                std::string_view what, const std::vector<std::string_view>& secrets,
                                int64_t now_ms, const std::vector<std::string>& requested_scopes) {
  const std::string where = "OAuth token endpoint " + UrlForMessage(token_url);
  if (answer.too_large) {
    return Internal(where + " sent an answer larger than " + std::to_string(kOAuthMaxAnswerBytes) +
                    " bytes to the " + std::string(what));
  }
  if (answer.curl_code != CURLE_OK) {
    const std::string detail =
        answer.curl_error.empty() ? curl_easy_strerror(answer.curl_code) : answer.curl_error;
    return Unavailable(where + " could not be reached for the " + std::string(what) + ": " +
                       Sanitize(detail, secrets, kMaxErrorDescriptionChars));
  }
  const long http = answer.http_status;
  const std::string http_text = "HTTP " + std::to_string(http);
  const bool transient = http >= 500 || http == 429;
  try {
    const Json json = Json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
      std::string m = where + " answered the " + std::string(what) + " with " + http_text +
                      " and a body that is not a JSON object";
      return transient ? Unavailable(std::move(m)) : Internal(std::move(m));
    }
    // An OAuth error (RFC 6749 §5.2); some providers send it with HTTP 200.
    if (auto it = json.find("error"); it != json.end() && !it->is_null()) {
      const std::string code =
          it->is_string() ? Sanitize(it->get<std::string>(), secrets, kMaxErrorCodeChars) : "";
      std::string m = where + " refused the " + std::string(what) + " (" + http_text +
                      "): " + (code.empty() ? "unnamed error" : code);
      if (auto d = json.find("error_description"); d != json.end() && d->is_string()) {
        const std::string description =
            Sanitize(d->get<std::string>(), secrets, kMaxErrorDescriptionChars);
        if (!description.empty()) m += " (" + description + ")";
      }
      return OAuthErrorStatus(code, std::move(m));
    }
    if (http < 200 || http > 299) {
      std::string m = where + " answered the " + std::string(what) + " with " + http_text +
                      " and no OAuth error";
      if (http >= 300 && http < 400) m += " (redirects are not followed)";
      return transient ? Unavailable(std::move(m)) : Internal(std::move(m));
    }
    auto bad_field = [&](std::string_view field, std::string_view problem) {
      return Internal(where + " answered the " + std::string(what) + " with a " +
                      std::string(field) + " " + std::string(problem));
    };
    OAuthTokens tokens;
    auto access = json.find("access_token");
    if (access == json.end() || access->is_null()) {
      return Internal(where + " answered the " + std::string(what) + " without an access_token");
    }
    if (!access->is_string()) return bad_field("access_token", "that is not a string");
    tokens.access_token = access->get<std::string>();
    if (tokens.access_token.empty()) return bad_field("access_token", "that is empty");

    if (auto refresh = json.find("refresh_token"); refresh != json.end() && !refresh->is_null()) {
      if (!refresh->is_string()) return bad_field("refresh_token", "that is not a string");
      tokens.refresh_token = refresh->get<std::string>();
    }
    if (auto type = json.find("token_type"); type != json.end() && !type->is_null()) {
      if (!type->is_string()) return bad_field("token_type", "that is not a string");
      tokens.token_type = type->get<std::string>();
    }
    if (tokens.token_type.empty()) tokens.token_type = "Bearer";

    if (auto exp = json.find("expires_in"); exp != json.end() && !exp->is_null()) {
      int64_t seconds = 0;
      if (exp->is_number_unsigned()) {
        seconds = static_cast<int64_t>(
            std::min<uint64_t>(exp->get<uint64_t>(), static_cast<uint64_t>(kMaxExpiresInSeconds)));
      } else if (exp->is_number_integer()) {
        seconds = exp->get<int64_t>();
      } else if (exp->is_number_float()) {
        const double d = exp->get<double>();
        if (!std::isfinite(d)) return bad_field("expires_in", "that is not finite");
        seconds = d >= static_cast<double>(kMaxExpiresInSeconds) ? kMaxExpiresInSeconds
                  : d < 0                                        ? -1
                                                                 : static_cast<int64_t>(d);
      } else if (exp->is_string() && AllDigits(exp->get<std::string>()) &&
                 exp->get<std::string>().size() <= 12) {
        seconds = std::stoll(exp->get<std::string>());
      } else {
        return bad_field("expires_in", "that is not a number of seconds");
      }
      if (seconds < 0) return bad_field("expires_in", "that is negative");
      seconds = std::min(seconds, kMaxExpiresInSeconds);
      tokens.expires_at_ms = now_ms + seconds * 1000;
    }

    if (auto scope = json.find("scope"); scope != json.end() && !scope->is_null()) {
      if (scope->is_string()) {
        const std::string text = scope->get<std::string>();
        size_t at = 0;
        while (at < text.size()) {
          const size_t end = std::min(text.find(' ', at), text.size());
          if (end > at) tokens.scopes.push_back(text.substr(at, end - at));
          at = end + 1;
        }
      } else if (scope->is_array()) {
        for (const Json& s : *scope) {
          if (!s.is_string()) return bad_field("scope", "list holding a non-string");
          tokens.scopes.push_back(s.get<std::string>());
        }
      } else {
        return bad_field("scope", "that is neither a string nor a list");
      }
    } else {
      tokens.scopes = requested_scopes;
    }
    return tokens;
  } catch (const std::exception&) {
    // nlohmann exceptions carry the offending text; none of it goes into the message.
    return Internal(where + " sent an answer to the " + std::string(what) +
                    " that could not be read");
  }
}

std::string CommonForm(const OAuthProvider& provider, std::string_view grant_type) {
  std::string form = "grant_type=" + PercentEncode(grant_type);
  form += "&client_id=" + PercentEncode(provider.client_id);
  if (!provider.client_secret.empty()) {
    form += "&client_secret=" + PercentEncode(provider.client_secret);
  }
  return form;
}

}  // namespace

Status Validate(const OAuthProvider& provider) {
  if (provider.client_id.empty()) return FieldError("client_id", "is required");
  if (std::any_of(provider.client_id.begin(), provider.client_id.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7F;
      })) {
    return FieldError("client_id", "contains control characters");
  }
  K3_RETURN_IF_ERROR(CheckUrl("authorize_url", provider.authorize_url));
  K3_RETURN_IF_ERROR(CheckUrl("token_url", provider.token_url));
  K3_RETURN_IF_ERROR(CheckUrl("redirect_uri", provider.redirect_uri));
  for (size_t i = 0; i < provider.scopes.size(); ++i) {
    if (!IsScopeToken(provider.scopes[i])) {
      return FieldError("scopes[" + std::to_string(i) + "]",
                        "is not a scope token (non-empty printable ASCII without spaces, '\"' "
                        "or '\\')");
    }
  }
  return Status::Ok();
}

std::string NewCodeVerifier() { return RandomUrlSafe(32); }

bool IsValidCodeVerifier(std::string_view verifier) {
  return verifier.size() >= 43 && verifier.size() <= 128 &&
         std::all_of(verifier.begin(), verifier.end(),
                     [](char c) { return IsUnreserved(static_cast<unsigned char>(c)); });
}

std::string CodeChallengeS256(std::string_view verifier) {
  return util::Base64UrlEncode(util::Sha256Digest(verifier));
}

std::string NewState() { return RandomUrlSafe(32); }

std::string AuthorizeUrl(const OAuthProvider& provider, std::string_view state,
                         std::string_view challenge) {
  std::string_view base = provider.authorize_url;
  std::string_view fragment;
  if (const size_t hash = base.find('#'); hash != std::string_view::npos) {
    fragment = base.substr(hash);
    base = base.substr(0, hash);
  }
  std::string url(base);
  if (url.find('?') == std::string::npos) {
    url += '?';
  } else if (url.back() != '?' && url.back() != '&') {
    url += '&';
  }
  url += "response_type=code";
  url += "&client_id=" + PercentEncode(provider.client_id);
  url += "&redirect_uri=" + PercentEncode(provider.redirect_uri);
  if (!provider.scopes.empty()) {
    std::string joined;
    for (const std::string& s : provider.scopes) {
      if (!joined.empty()) joined += ' ';
      joined += s;
    }
    url += "&scope=" + PercentEncode(joined);
  }
  url += "&state=" + PercentEncode(state);
  url += "&code_challenge=" + PercentEncode(challenge);
  url += "&code_challenge_method=S256";
  url += fragment;
  return url;
}

Result<OAuthTokens> ExchangeCode(const OAuthProvider& provider, std::string_view code,
                                 std::string_view verifier, int64_t now_ms) {
  K3_RETURN_IF_ERROR(Validate(provider));
  if (code.empty()) return InvalidArgument("OAuth authorization code is empty");
  if (!IsValidCodeVerifier(verifier)) {
    return InvalidArgument(
        "OAuth code verifier is not 43..128 characters of [A-Za-z0-9-._~] (RFC 7636)");
  }
  if (now_ms < 0) return InvalidArgument("now_ms is negative");
  std::string form = CommonForm(provider, "authorization_code");
  form += "&code=" + PercentEncode(code);
  form += "&redirect_uri=" + PercentEncode(provider.redirect_uri);
  form += "&code_verifier=" + PercentEncode(verifier);
  HttpAnswer answer = PostForm(provider.token_url, form);
  Wipe(form);
  Result<OAuthTokens> tokens =
      ParseAnswer(provider.token_url, answer, "authorization code exchange",
                  {provider.client_secret, code, verifier}, now_ms, provider.scopes);
  Wipe(answer.body);
  return tokens;
}

Result<OAuthTokens> Refresh(const OAuthProvider& provider, std::string_view refresh_token,
                            int64_t now_ms) {
  K3_RETURN_IF_ERROR(Validate(provider));
  if (refresh_token.empty()) return InvalidArgument("OAuth refresh token is empty");
  if (now_ms < 0) return InvalidArgument("now_ms is negative");
  std::string form = CommonForm(provider, "refresh_token");
  form += "&refresh_token=" + PercentEncode(refresh_token);
  HttpAnswer answer = PostForm(provider.token_url, form);
  Wipe(form);
  Result<OAuthTokens> tokens =
      ParseAnswer(provider.token_url, answer, "token refresh",
                  {provider.client_secret, refresh_token}, now_ms, provider.scopes);
  Wipe(answer.body);
  if (tokens.ok() && tokens->refresh_token.empty()) {
    tokens->refresh_token = std::string(refresh_token);
  }
  return tokens;
}

bool NeedsRefresh(const OAuthTokens& tokens, int64_t now_ms, int64_t skew_ms) {
  if (tokens.access_token.empty()) return true;
  if (tokens.expires_at_ms == 0) return false;
  if (skew_ms < 0) skew_ms = 0;
  if (now_ms >= tokens.expires_at_ms) return true;
  // expires_at_ms - now_ms <= skew_ms; the difference is positive and fits in uint64_t.
  return static_cast<uint64_t>(tokens.expires_at_ms) - static_cast<uint64_t>(now_ms) <=
         static_cast<uint64_t>(skew_ms);
}

Status CheckState(std::string_view expected, std::string_view got) {
  if (expected.empty()) {
    return InvalidArgument("OAuth state does not match (no state was issued)");
  }
  const std::string a = util::Sha256Digest(expected);
  const std::string b = util::Sha256Digest(got);
  if (CRYPTO_memcmp(a.data(), b.data(), a.size()) != 0) {
    return InvalidArgument("OAuth state does not match");
  }
  return Status::Ok();
}

}  // namespace k3::sources
