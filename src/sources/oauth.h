// sources/oauth.h: the client side of the OAuth 2.0 authorization-code flow with PKCE
// (RFC 6749 §4.1, RFC 7636 with S256): provider configuration checks, code verifiers,
// challenges and states, the authorization URL, the token exchange and the refresh, and the
// helpers SourceService needs around them (state check, expiry check).
//
// Thread-safety: every function here is stateless and may be called from any thread at the
// same time. ExchangeCode and Refresh block the calling thread on one HTTP request (bounded by
// kOAuthTokenTimeoutMs) and never throw.
//
// Secrets: client secrets, authorization codes, code verifiers, access and refresh tokens are
// never copied into a Status message, whatever goes wrong (a token endpoint that echoes one
// back in its error_description has it replaced by "[redacted]").
#ifndef K3_SOURCES_OAUTH_H_
#define K3_SOURCES_OAUTH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "k3/status.h"

namespace k3::sources {

// An OAuth provider as the host configures it.
struct OAuthProvider {
  std::string client_id;      // required
  std::string client_secret;  // optional (public clients rely on PKCE alone)
  std::string authorize_url;  // where the user's browser is sent
  std::string token_url;      // where codes and refresh tokens are exchanged
  std::vector<std::string> scopes;
  std::string redirect_uri;  // required; must be registered with the provider
};

// The answer of a token endpoint.
struct OAuthTokens {
  std::string access_token;
  std::string refresh_token;  // empty when the provider issued none
  std::string token_type;     // as sent ("Bearer", "bearer"); "Bearer" when the answer omits it
  // now_ms + expires_in * 1000; 0 when the answer has no expires_in (expiry unknown).
  int64_t expires_at_ms = 0;
  // The granted scopes: the answer's "scope" split on spaces, or the provider's requested
  // scopes when the answer omits it (RFC 6749 §5.1).
  std::vector<std::string> scopes;
};

// The timeout of one token request, connection included.
inline constexpr int64_t kOAuthTokenTimeoutMs = 30000;
// Token endpoint answers larger than this are refused (INTERNAL).
inline constexpr size_t kOAuthMaxAnswerBytes = 1 << 20;

// OK when `provider` can be used. Each problem is INVALID_ARGUMENT naming the field:
//  - client_id: required, no control characters;
//  - authorize_url, token_url, redirect_uri: required, an absolute https:// URL, or http://
//    only to the loopback host (127.0.0.1, localhost, [::1]) with an optional port; no user
//    info, no fragment, no whitespace or control characters;
//  - scopes: each a non-empty RFC 6749 §3.3 scope-token (printable ASCII, no space, '"', '\').
// The client secret is optional and not checked (and never echoed).
Status Validate(const OAuthProvider& provider);

// A fresh PKCE code verifier: 32 bytes from OpenSSL's RAND_bytes, base64url without padding
// (43 characters of the unreserved set, as RFC 7636 §4.1 recommends). If the system has no
// randomness to give (RAND_bytes fails) the process aborts rather than issue a guessable value.
std::string NewCodeVerifier();

// True when `verifier` is 43..128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
bool IsValidCodeVerifier(std::string_view verifier);

// The S256 challenge: base64url(SHA-256(verifier)) without padding (43 characters).
// Any input is hashed; checking the verifier is the caller's job (IsValidCodeVerifier).
std::string CodeChallengeS256(std::string_view verifier);

// A fresh state (CSRF token): 32 random bytes, base64url without padding (43 characters,
// URL-safe). Aborts like NewCodeVerifier when there is no randomness.
std::string NewState();

// The URL to send the user's browser to: authorize_url plus response_type=code, client_id,
// redirect_uri, scope (the scopes joined by one space; omitted when there are none), state,
// code_challenge and code_challenge_method=S256, each value percent-encoded (everything but
// the unreserved set, so a space is %20). The parameters are appended after '?', or after '&'
// when authorize_url already has a query (nothing is added when it already ends in '?' or
// '&'); a fragment, if any, stays at the end. `provider` should have passed Validate.
std::string AuthorizeUrl(const OAuthProvider& provider, std::string_view state,
                         std::string_view challenge);

// Exchanges an authorization code (RFC 6749 §4.1.3): POSTs application/x-www-form-urlencoded
// grant_type=authorization_code, code, redirect_uri, client_id, client_secret (when set) and
// code_verifier to token_url. `now_ms` (Unix ms) anchors expires_at_ms. Redirects are not
// followed. Errors:
//  - INVALID_ARGUMENT: the provider fails Validate, the code is empty, the verifier is not a
//    valid code verifier, now_ms is negative;
//  - an OAuth error answer {"error": "...", "error_description": "..."} names the error code:
//    invalid_client → UNAUTHENTICATED; temporarily_unavailable, server_error → UNAVAILABLE;
//    any other (invalid_grant, invalid_request, unauthorized_client, unsupported_grant_type,
//    invalid_scope, ...) → FAILED_PRECONDITION (the grant cannot be used: re-authorize);
//  - UNAVAILABLE: the endpoint cannot be reached or times out, or answers 5xx / 429 without an
//    OAuth error body;
//  - INTERNAL: any other answer that is not a JSON object, a success without a non-empty
//    string access_token, fields of the wrong type, an answer over kOAuthMaxAnswerBytes.
Result<OAuthTokens> ExchangeCode(const OAuthProvider& provider, std::string_view code,
                                 std::string_view verifier, int64_t now_ms);

// Refreshes (RFC 6749 §6): POSTs grant_type=refresh_token, refresh_token, client_id and
// client_secret (when set). An answer without a new refresh_token keeps `refresh_token`.
// Errors as ExchangeCode (INVALID_ARGUMENT for an empty refresh token).
Result<OAuthTokens> Refresh(const OAuthProvider& provider, std::string_view refresh_token,
                            int64_t now_ms);

// True when the access token expires within `skew_ms` of now_ms (or has expired). A token
// with an unknown expiry (expires_at_ms == 0) never needs a refresh by this test; a token with
// an empty access_token always does.
bool NeedsRefresh(const OAuthTokens& tokens, int64_t now_ms, int64_t skew_ms = 60000);

// Checks the state that came back on the redirect against the one issued, in constant time
// (CRYPTO_memcmp over SHA-256 digests, so neither content nor length leaks through timing).
// A mismatch is INVALID_ARGUMENT "OAuth state does not match": the caller's request is wrong
// and retrying it cannot succeed (it may be a forged or replayed redirect). An empty
// `expected` (no state issued) is INVALID_ARGUMENT as well and never matches. Neither value is
// put in the message.
Status CheckState(std::string_view expected, std::string_view got);

}  // namespace k3::sources

#endif  // K3_SOURCES_OAUTH_H_
