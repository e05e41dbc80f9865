// Tests of sources/oauth: provider checks, PKCE values (the RFC 7636 appendix B vector),
// the authorization URL, the state check, expiry, and the code exchange and refresh against a
// local token endpoint (cpp-httplib on 127.0.0.1) that plays the authorization server: it
// issues a code for the challenge it was given, checks every form field (the code verifier
// must hash to that challenge), rotates refresh tokens, and can be told to misbehave.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sources/oauth.h"
#include "support/loopback_server.h"
#include "support/url_form.h"

namespace k3::sources {
namespace {

using Json = nlohmann::json;
using test::Form;
using test::ParseQuery;
using test::PercentDecode;
using test::ReferenceChallenge;

// Every secret the tests hand out contains this marker, so "no secret in a message" is one
// substring check (plus the random verifiers, checked by value).
constexpr char kMarker[] = "SECRET";
constexpr char kClientId[] = "k3-test-client";
constexpr char kClientSecret[] = "cs-SECRET-5f1e9a";
constexpr char kRedirectUri[] = "http://127.0.0.1:8765/callback";
constexpr int64_t kNow = 1'700'000'000'000;

// --- independent helpers (not the module's; see also support/url_form.h) ----------------------

Form QueryOf(const std::string& url) {
  const size_t q = url.find('?');
  return q == std::string::npos ? Form() : ParseQuery(url.substr(q + 1));
}

OAuthProvider GoodProvider() {
  OAuthProvider p;
  p.client_id = kClientId;
  p.client_secret = kClientSecret;
  p.authorize_url = "https://auth.example.com/authorize";
  p.token_url = "https://auth.example.com/token";
  p.scopes = {"files.read", "offline_access"};
  p.redirect_uri = kRedirectUri;
  return p;
}

// ---------------------------------------------------------------------------------------------
// PKCE values and the state

TEST(OAuthPkceTest, Rfc7636AppendixBVector) {
  EXPECT_EQ(CodeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  // And it agrees with an independent computation on other inputs.
  for (const std::string& v : {std::string(43, 'a'), std::string(128, '~'), std::string("x")}) {
    EXPECT_EQ(CodeChallengeS256(v), ReferenceChallenge(v));
  }
}

TEST(OAuthPkceTest, NewCodeVerifierIsValidAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string v = NewCodeVerifier();
    EXPECT_GE(v.size(), 43u);
    EXPECT_LE(v.size(), 128u);
    EXPECT_TRUE(IsValidCodeVerifier(v)) << v;
    EXPECT_EQ(v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-._~"),
              std::string::npos)
        << v;
    const std::string c = CodeChallengeS256(v);
    EXPECT_EQ(c.size(), 43u);
    EXPECT_EQ(c.find_first_of("+/="), std::string::npos);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(OAuthPkceTest, IsValidCodeVerifierBounds) {
  EXPECT_TRUE(IsValidCodeVerifier(std::string(43, 'a')));
  EXPECT_TRUE(IsValidCodeVerifier(std::string(128, 'a')));
  EXPECT_TRUE(IsValidCodeVerifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk.~"));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(42, 'a')));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(129, 'a')));
  EXPECT_FALSE(IsValidCodeVerifier(""));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(42, 'a') + "+"));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(42, 'a') + "="));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(42, 'a') + " "));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(42, 'a') + "\xC3\xA9"));
}

TEST(OAuthPkceTest, NewStateIsUrlSafeAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string s = NewState();
    EXPECT_GE(s.size(), 43u);  // 32 random bytes
    EXPECT_EQ(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_"),
              std::string::npos)
        << s;
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(OAuthStateTest, CheckState) {
  const std::string state = NewState();
  EXPECT_TRUE(CheckState(state, state).ok());
  EXPECT_TRUE(CheckState(state, std::string(state)).ok());

  std::string flipped = state;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  for (const std::string& got : {flipped, state + "x", state.substr(0, state.size() - 1),
                                 std::string(), std::string("forged")}) {
    const Status s = CheckState(state, got);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << got;
    EXPECT_NE(s.message().find("OAuth state does not match"), std::string::npos);
    EXPECT_EQ(s.message().find(state), std::string::npos);  // neither value is echoed
    if (!got.empty()) {
      EXPECT_EQ(s.message().find(got), std::string::npos);
    }
  }
  // No state issued: nothing matches, not even an empty one.
  EXPECT_EQ(CheckState("", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckState("", "x").code(), StatusCode::kInvalidArgument);
}

TEST(OAuthExpiryTest, NeedsRefresh) {
  OAuthTokens t;
  t.access_token = "at";
  t.expires_at_ms = kNow + 120'000;
  EXPECT_FALSE(NeedsRefresh(t, kNow));                      // 120 s left, 60 s skew
  EXPECT_FALSE(NeedsRefresh(t, kNow + 59'999));             // 60.001 s left
  EXPECT_TRUE(NeedsRefresh(t, kNow + 60'000));              // exactly the skew
  EXPECT_TRUE(NeedsRefresh(t, kNow + 200'000));             // expired
  EXPECT_FALSE(NeedsRefresh(t, kNow + 119'999, 0));         // no skew: 1 ms left
  EXPECT_TRUE(NeedsRefresh(t, kNow + 120'000, 0));          // no skew: expired now
  EXPECT_TRUE(NeedsRefresh(t, kNow, 120'000));              // bigger skew
  EXPECT_FALSE(NeedsRefresh(t, kNow, -5));                  // negative skew counts as 0
  EXPECT_FALSE(NeedsRefresh(t, INT64_MIN, INT64_MAX - 1));  // no overflow: far from expiry
  EXPECT_TRUE(NeedsRefresh(t, kNow, INT64_MAX));
  t.expires_at_ms = 0;  // unknown expiry
  EXPECT_FALSE(NeedsRefresh(t, kNow));
  t.access_token.clear();  // no token at all
  EXPECT_TRUE(NeedsRefresh(t, kNow));
}

// ---------------------------------------------------------------------------------------------
// Provider checks

TEST(OAuthValidateTest, GoodProvidersPass) {
  EXPECT_TRUE(Validate(GoodProvider()).ok());
  OAuthProvider p = GoodProvider();
  p.client_secret.clear();  // public client
  p.scopes.clear();
  p.authorize_url = "https://login.example.com:8443/o/oauth2/v2/auth?prompt=consent";
  p.token_url = "http://127.0.0.1:9000/token";
  p.redirect_uri = "http://localhost/cb";
  EXPECT_TRUE(Validate(p).ok()) << Validate(p).ToString();
  p.token_url = "http://[::1]:9000/token";
  p.redirect_uri = "HTTP://LOCALHOST:1/cb";
  EXPECT_TRUE(Validate(p).ok()) << Validate(p).ToString();
  p.scopes = {"https://www.googleapis.com/auth/drive.readonly", "a!#[]~"};
  EXPECT_TRUE(Validate(p).ok()) << Validate(p).ToString();
}

TEST(OAuthValidateTest, EachBadFieldIsNamed) {
  struct Case {
    std::function<void(OAuthProvider&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](OAuthProvider& p) { p.client_id.clear(); }, "client_id"},
      {[](OAuthProvider& p) { p.client_id = "id\nx"; }, "client_id"},
      {[](OAuthProvider& p) { p.authorize_url.clear(); }, "authorize_url"},
      {[](OAuthProvider& p) { p.authorize_url = "http://auth.example.com/authorize"; },
       "authorize_url"},
      {[](OAuthProvider& p) { p.authorize_url = "ftp://auth.example.com/authorize"; },
       "authorize_url"},
      {[](OAuthProvider& p) { p.authorize_url = "auth.example.com/authorize"; }, "authorize_url"},
      {[](OAuthProvider& p) { p.authorize_url = "https:///authorize"; }, "authorize_url"},
      {[](OAuthProvider& p) { p.authorize_url = "https://auth.example.com/a#frag"; },
       "authorize_url"},
      {[](OAuthProvider& p) { p.authorize_url = "https://auth.example.com/a b"; }, "authorize_url"},
      {[](OAuthProvider& p) { p.token_url.clear(); }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "http://10.0.0.1/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "http://127.0.0.1.evil.com/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "http://localhost@evil.com/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://user:pw@auth.example.com/token"; },
       "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://auth.example.com:99999/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://auth.example.com:0/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://auth.example.com:/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://auth.example.com:8x/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://[::1/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "https://auth_ex%41mple.com/token"; }, "token_url"},
      {[](OAuthProvider& p) { p.token_url = "file:///etc/passwd"; }, "token_url"},
      {[](OAuthProvider& p) { p.redirect_uri.clear(); }, "redirect_uri"},
      {[](OAuthProvider& p) { p.redirect_uri = "http://app.example.com/cb"; }, "redirect_uri"},
      {[](OAuthProvider& p) { p.redirect_uri = "https://app.example.com/cb\r\n"; }, "redirect_uri"},
      {[](OAuthProvider& p) {
         p.scopes = {"ok", ""};
       },
       "scopes[1]"},
      {[](OAuthProvider& p) { p.scopes = {"two words"}; }, "scopes[0]"},
      {[](OAuthProvider& p) { p.scopes = {"quo\"te"}; }, "scopes[0]"},
      {[](OAuthProvider& p) { p.scopes = {"back\\slash"}; }, "scopes[0]"},
      {[](OAuthProvider& p) { p.scopes = {"\xC3\xA9"}; }, "scopes[0]"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    OAuthProvider p = GoodProvider();
    cases[i].edit(p);
    const Status s = Validate(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_NE(s.message().find(cases[i].field), std::string::npos)
        << "case " << i << ": " << s.message();
    EXPECT_EQ(s.message().find(kMarker), std::string::npos) << s.message();
  }
}

// ---------------------------------------------------------------------------------------------
// The authorization URL

TEST(OAuthAuthorizeUrlTest, EncodesEveryValueAndKeepsAnExistingQuery) {
  OAuthProvider p = GoodProvider();
  p.authorize_url = "https://auth.example.com/o/authorize?prompt=consent&access_type=offline";
  p.client_id = "k3 client/1";
  p.scopes = {"openid", "files.read", "https://www.googleapis.com/auth/drive.readonly"};
  const std::string url =
      AuthorizeUrl(p, "st/ate+=&", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(url,
            "https://auth.example.com/o/authorize?prompt=consent&access_type=offline"
            "&response_type=code&client_id=k3%20client%2F1"
            "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"
            "&scope=openid%20files.read%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive.readonly"
            "&state=st%2Fate%2B%3D%26"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256");
  // And a standard parser gets every value back.
  const Form q = QueryOf(url);
  EXPECT_EQ(q.at("prompt"), "consent");
  EXPECT_EQ(q.at("access_type"), "offline");
  EXPECT_EQ(q.at("client_id"), "k3 client/1");
  EXPECT_EQ(q.at("scope"), "openid files.read https://www.googleapis.com/auth/drive.readonly");
  EXPECT_EQ(q.at("state"), "st/ate+=&");
  EXPECT_EQ(q.at("redirect_uri"), kRedirectUri);
  EXPECT_EQ(q.size(), 9u);
}

TEST(OAuthAuthorizeUrlTest, SeparatorAndOptionalScope) {
  OAuthProvider p = GoodProvider();
  p.scopes.clear();
  p.client_id = "caf\xC3\xA9";
  EXPECT_EQ(AuthorizeUrl(p, "s", "c"),
            "https://auth.example.com/authorize?response_type=code&client_id=caf%C3%A9"
            "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&state=s&code_challenge=c"
            "&code_challenge_method=S256");
  p.authorize_url = "https://auth.example.com/authorize?";
  EXPECT_EQ(AuthorizeUrl(p, "s", "c").rfind("https://auth.example.com/authorize?response_type=", 0),
            0u);
  p.authorize_url = "https://auth.example.com/authorize?x=1&";
  EXPECT_EQ(
      AuthorizeUrl(p, "s", "c").rfind("https://auth.example.com/authorize?x=1&response_type=", 0),
      0u);
  p.scopes = {"one"};
  p.authorize_url = "https://auth.example.com/authorize#frag";  // kept at the end
  const std::string url = AuthorizeUrl(p, "s", "c");
  EXPECT_EQ(url.rfind("https://auth.example.com/authorize?response_type=code&", 0), 0u);
  EXPECT_NE(url.find("&scope=one&"), std::string::npos);
  EXPECT_EQ(url.substr(url.size() - 5), "#frag");
}

// ---------------------------------------------------------------------------------------------
// The token endpoint

class OAuthServerTest : public ::testing::Test {
 protected:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  void SetUp() override {
    // The authorization endpoint: records the challenge, then redirects to the client with a
    // code and the state, as a real authorization server does after the user consents.
    server_.Get("/authorize", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const Form q = QueryOf(req.target);
      authorize_query_ = q;
      if (q.count("code_challenge_method") == 0 || q.at("code_challenge_method") != "S256" ||
          q.count("code_challenge") == 0 || q.count("state") == 0) {
        res.status = 400;
        return;
      }
      issued_code_ = "code-SECRET-" + std::to_string(++codes_issued_);
      issued_challenge_ = q.at("code_challenge");
      res.status = 302;
      res.set_header("Location",
                     q.at("redirect_uri") + "?code=" + issued_code_ + "&state=" + q.at("state"));
    });
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      Handler handler;
      {
        std::lock_guard<std::mutex> lock(mu_);
        forms_.push_back(ParseQuery(req.body));
        content_types_.push_back(req.get_header_value("Content-Type"));
        handler = handler_;
      }
      if (handler) {
        handler(req, res);
      } else {
        Normal(req, res);
      }
    });
    port_ = test::StartOnLoopback(server_, thread_);
    ASSERT_GT(port_, 0);
  }

  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  static void Answer(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }
  static void OAuthError(httplib::Response& res, int status, const std::string& error,
                         const std::string& description) {
    Answer(res, status, {{"error", error}, {"error_description", description}});
  }

  // A strict authorization server.
  void Normal(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    const Form f = ParseQuery(req.body);
    auto field = [&f](const std::string& k) { return f.count(k) ? f.at(k) : std::string(); };
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      return OAuthError(res, 400, "invalid_request", "not a form");
    }
    if (field("client_id") != kClientId || (expect_secret_ ? field("client_secret") != kClientSecret
                                                           : f.count("client_secret") != 0)) {
      return OAuthError(res, 401, "invalid_client", "client authentication failed");
    }
    const std::string grant = field("grant_type");
    if (grant == "authorization_code") {
      if (issued_code_.empty() || field("code") != issued_code_) {
        return OAuthError(res, 400, "invalid_grant", "unknown or used code");
      }
      if (field("redirect_uri") != kRedirectUri) {
        return OAuthError(res, 400, "invalid_grant", "redirect_uri differs");
      }
      if (f.count("code_verifier") == 0 ||
          ReferenceChallenge(field("code_verifier")) != issued_challenge_) {
        return OAuthError(res, 400, "invalid_grant", "PKCE verification failed");
      }
      if (f.size() != (expect_secret_ ? 6u : 5u)) {
        return OAuthError(res, 400, "invalid_request", "unexpected fields");
      }
      issued_code_.clear();  // single use
      ++tokens_issued_;
      live_refresh_.insert("rt-SECRET-" + std::to_string(tokens_issued_));
      return Answer(res, 200,
                    {{"access_token", "at-SECRET-" + std::to_string(tokens_issued_)},
                     {"token_type", "Bearer"},
                     {"expires_in", 3600},
                     {"refresh_token", "rt-SECRET-" + std::to_string(tokens_issued_)},
                     {"scope", "files.read offline_access"}});
    }
    if (grant == "refresh_token") {
      const std::string rt = field("refresh_token");
      if (live_refresh_.count(rt) == 0) {
        return OAuthError(res, 400, "invalid_grant", "refresh token revoked");
      }
      if (f.size() != (expect_secret_ ? 4u : 3u)) {
        return OAuthError(res, 400, "invalid_request", "unexpected fields");
      }
      ++tokens_issued_;
      Json answer = {{"access_token", "at-SECRET-" + std::to_string(tokens_issued_)},
                     {"token_type", "Bearer"},
                     {"expires_in", 1800}};
      if (rotate_) {
        live_refresh_.erase(rt);
        const std::string next = "rt-SECRET-" + std::to_string(tokens_issued_);
        live_refresh_.insert(next);
        answer["refresh_token"] = next;
      }
      return Answer(res, 200, answer);
    }
    return OAuthError(res, 400, "unsupported_grant_type", grant);
  }

  OAuthProvider Provider() const {
    OAuthProvider p;
    p.client_id = kClientId;
    p.client_secret = expect_secret_ ? kClientSecret : "";
    p.authorize_url = Base() + "/authorize?prompt=consent";
    p.token_url = Base() + "/token";
    p.scopes = {"files.read", "offline_access"};
    p.redirect_uri = kRedirectUri;
    return p;
  }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Plays the browser: follows AuthorizeUrl to the server, returns the redirect's query.
  Form Authorize(const std::string& url) {
    httplib::Client client("127.0.0.1", port_);
    const std::string target = url.substr(Base().size());
    auto res = client.Get(target.c_str());
    EXPECT_TRUE(res) << "authorize request failed";
    if (!res) return {};
    EXPECT_EQ(res->status, 302);
    const std::string location = res->get_header_value("Location");
    EXPECT_EQ(location.rfind(std::string(kRedirectUri) + "?", 0), 0u) << location;
    return QueryOf(location);
  }

  void SetHandler(Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(h);
  }
  std::vector<Form> Forms() {
    std::lock_guard<std::mutex> lock(mu_);
    return forms_;
  }
  void AddLiveRefreshToken(const std::string& rt) {
    std::lock_guard<std::mutex> lock(mu_);
    live_refresh_.insert(rt);
  }

  // Checks an error status and that it carries no secret.
  static void ExpectError(const Status& s, StatusCode code, const std::string& needle,
                          const std::vector<std::string>& more_secrets = {}) {
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find(kMarker), std::string::npos) << "secret leaked: " << s.ToString();
    for (const std::string& secret : more_secrets) {
      EXPECT_EQ(s.message().find(secret), std::string::npos) << "secret leaked: " << s.ToString();
    }
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  Handler handler_;
  std::vector<Form> forms_;
  std::vector<std::string> content_types_;
  Form authorize_query_;
  std::string issued_code_;
  std::string issued_challenge_;
  int codes_issued_ = 0;
  int tokens_issued_ = 0;
  std::set<std::string> live_refresh_;
  bool expect_secret_ = true;
  bool rotate_ = true;
};

TEST_F(OAuthServerTest, FullFlowExchangesTheCodeAndRefreshes) {
  const OAuthProvider p = Provider();
  ASSERT_TRUE(Validate(p).ok()) << Validate(p).ToString();
  const std::string verifier = NewCodeVerifier();
  const std::string state = NewState();
  const Form redirect = Authorize(AuthorizeUrl(p, state, CodeChallengeS256(verifier)));
  ASSERT_EQ(redirect.count("code"), 1u);
  ASSERT_EQ(redirect.count("state"), 1u);
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(authorize_query_.at("prompt"), "consent");
    EXPECT_EQ(authorize_query_.at("scope"), "files.read offline_access");
    EXPECT_EQ(authorize_query_.at("response_type"), "code");
    EXPECT_EQ(authorize_query_.at("client_id"), kClientId);
  }
  ASSERT_TRUE(CheckState(state, redirect.at("state")).ok());

  auto tokens = ExchangeCode(p, redirect.at("code"), verifier, kNow);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(tokens->access_token, "at-SECRET-1");
  EXPECT_EQ(tokens->refresh_token, "rt-SECRET-1");
  EXPECT_EQ(tokens->token_type, "Bearer");
  EXPECT_EQ(tokens->expires_at_ms, kNow + 3'600'000);
  EXPECT_EQ(tokens->scopes, (std::vector<std::string>{"files.read", "offline_access"}));
  EXPECT_FALSE(NeedsRefresh(*tokens, kNow));

  // The form carried exactly the right fields.
  const std::vector<Form> forms = Forms();
  ASSERT_EQ(forms.size(), 1u);
  EXPECT_EQ(forms[0].at("grant_type"), "authorization_code");
  EXPECT_EQ(forms[0].at("code_verifier"), verifier);
  EXPECT_EQ(forms[0].at("client_secret"), kClientSecret);
  EXPECT_EQ(content_types_[0], "application/x-www-form-urlencoded");

  // The code is single use.
  auto again = ExchangeCode(p, redirect.at("code"), verifier, kNow);
  ExpectError(again.status(), StatusCode::kFailedPrecondition, "invalid_grant", {verifier});

  // Close to expiry, refresh: the server rotates the refresh token.
  const int64_t later = tokens->expires_at_ms - 30'000;
  ASSERT_TRUE(NeedsRefresh(*tokens, later));
  auto refreshed = Refresh(p, tokens->refresh_token, later);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(refreshed->access_token, "at-SECRET-2");
  EXPECT_EQ(refreshed->refresh_token, "rt-SECRET-2");
  EXPECT_EQ(refreshed->expires_at_ms, later + 1'800'000);
  EXPECT_EQ(refreshed->scopes, p.scopes);  // no "scope" in the answer: as requested
  EXPECT_EQ(Forms().back().at("grant_type"), "refresh_token");
  EXPECT_EQ(Forms().back().at("refresh_token"), "rt-SECRET-1");

  // The rotated-out refresh token is refused: reported, naming the OAuth error, no secrets.
  auto stale = Refresh(p, "rt-SECRET-1", later);
  ExpectError(stale.status(), StatusCode::kFailedPrecondition, "invalid_grant");
  EXPECT_NE(stale.status().message().find("token refresh"), std::string::npos);
  EXPECT_NE(stale.status().message().find("refresh token revoked"), std::string::npos);
}

TEST_F(OAuthServerTest, StateMismatchIsRefusedBeforeAnyExchange) {
  const OAuthProvider p = Provider();
  const std::string verifier = NewCodeVerifier();
  const std::string state = NewState();
  Form redirect = Authorize(AuthorizeUrl(p, state, CodeChallengeS256(verifier)));
  ASSERT_EQ(redirect.count("state"), 1u);
  // An attacker's redirect carries another state.
  const std::string forged = NewState();
  const Status s = CheckState(state, forged);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "OAuth state does not match");
  EXPECT_TRUE(CheckState(state, redirect.at("state")).ok());
  EXPECT_TRUE(Forms().empty());
}

TEST_F(OAuthServerTest, WrongVerifierIsRefusedByTheServer) {
  const OAuthProvider p = Provider();
  const std::string verifier = NewCodeVerifier();
  const Form redirect = Authorize(AuthorizeUrl(p, NewState(), CodeChallengeS256(verifier)));
  const std::string other = NewCodeVerifier();
  auto r = ExchangeCode(p, redirect.at("code"), other, kNow);
  ExpectError(r.status(), StatusCode::kFailedPrecondition, "invalid_grant", {other, verifier});
  EXPECT_NE(r.status().message().find("PKCE verification failed"), std::string::npos);
  EXPECT_NE(r.status().message().find("authorization code exchange"), std::string::npos);
  // The right one still works: the server did not burn the code on a failed verification.
  auto ok = ExchangeCode(p, redirect.at("code"), verifier, kNow);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(OAuthServerTest, PublicClientSendsNoSecret) {
  expect_secret_ = false;
  const OAuthProvider p = Provider();
  const std::string verifier = NewCodeVerifier();
  const Form redirect = Authorize(AuthorizeUrl(p, NewState(), CodeChallengeS256(verifier)));
  auto r = ExchangeCode(p, redirect.at("code"), verifier, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Forms().back().count("client_secret"), 0u);
  auto refreshed = Refresh(p, r->refresh_token, kNow);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(Forms().back().count("client_secret"), 0u);
}

TEST_F(OAuthServerTest, WrongClientSecretIsUnauthenticated) {
  OAuthProvider p = Provider();
  p.client_secret = "cs-SECRET-wrong";
  AddLiveRefreshToken("rt-SECRET-x");
  auto r = Refresh(p, "rt-SECRET-x", kNow);
  ExpectError(r.status(), StatusCode::kUnauthenticated, "invalid_client");
}

TEST_F(OAuthServerTest, RefreshWithoutNewRefreshTokenKeepsTheOld) {
  rotate_ = false;
  AddLiveRefreshToken("rt-SECRET-keep");
  auto r = Refresh(Provider(), "rt-SECRET-keep", kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->refresh_token, "rt-SECRET-keep");
  EXPECT_EQ(r->access_token, "at-SECRET-1");
  // Same with an explicit null or empty refresh_token.
  for (const Json& rt : {Json(nullptr), Json("")}) {
    SetHandler([rt](const httplib::Request&, httplib::Response& res) {
      Answer(res, 200, {{"access_token", "at-SECRET-n"}, {"refresh_token", rt}});
    });
    auto n = Refresh(Provider(), "rt-SECRET-keep", kNow);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(n->refresh_token, "rt-SECRET-keep");
  }
}

TEST_F(OAuthServerTest, AnswerFieldVariants) {
  SetHandler([](const httplib::Request&, httplib::Response& res) {
    Answer(res, 200,
           {{"access_token", "at-SECRET-v"},
            {"token_type", "bearer"},
            {"expires_in", "120"},
            {"scope", "  a  b "}});
  });
  auto r = Refresh(Provider(), "rt-SECRET-1", kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->token_type, "bearer");
  EXPECT_EQ(r->expires_at_ms, kNow + 120'000);
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"a", "b"}));

  SetHandler([](const httplib::Request&, httplib::Response& res) {
    Answer(res, 200, {{"access_token", "at-SECRET-v"}, {"scope", {"x", "y"}}});
  });
  r = Refresh(Provider(), "rt-SECRET-1", kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->token_type, "Bearer");  // omitted
  EXPECT_EQ(r->expires_at_ms, 0);      // unknown
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(NeedsRefresh(*r, kNow));

  SetHandler([](const httplib::Request&, httplib::Response& res) {
    Answer(res, 200, {{"access_token", "at-SECRET-v"}, {"expires_in", 1e300}});
  });
  r = Refresh(Provider(), "rt-SECRET-1", kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->expires_at_ms, kNow);  // capped, no overflow
  SetHandler([](const httplib::Request&, httplib::Response& res) {
    Answer(res, 200, {{"access_token", "at-SECRET-v"}, {"expires_in", UINT64_MAX}});
  });
  r = Refresh(Provider(), "rt-SECRET-1", kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->expires_at_ms, kNow);
}

TEST_F(OAuthServerTest, BadAnswersAreReportedWithoutSecrets) {
  struct Case {
    int status;
    std::string body;
    std::string content_type;
    StatusCode code;
    std::string needle;
  };
  const std::vector<Case> cases = {
      // Not JSON.
      {200, "<html>login at-SECRET-h</html>", "text/html", StatusCode::kInternal, "not a JSON"},
      {502, "<html>Bad Gateway</html>", "text/html", StatusCode::kUnavailable, "HTTP 502"},
      {503, "", "text/plain", StatusCode::kUnavailable, "HTTP 503"},
      {429, "slow down", "text/plain", StatusCode::kUnavailable, "HTTP 429"},
      {404, "not found", "text/plain", StatusCode::kInternal, "HTTP 404"},
      {200, "[\"at-SECRET-a\"]", "application/json", StatusCode::kInternal, "not a JSON object"},
      {200, "{\"access_token\": \"at-SECRET-t", "application/json", StatusCode::kInternal,
       "not a JSON object"},
      // JSON, but no usable token.
      {200, "{}", "application/json", StatusCode::kInternal, "without an access_token"},
      {200, R"({"token_type":"Bearer","refresh_token":"rt-SECRET-z"})", "application/json",
       StatusCode::kInternal, "without an access_token"},
      {200, R"({"access_token":""})", "application/json", StatusCode::kInternal, "empty"},
      {200, R"({"access_token":42})", "application/json", StatusCode::kInternal, "access_token"},
      {200, R"({"access_token":"at-SECRET-1","refresh_token":7})", "application/json",
       StatusCode::kInternal, "refresh_token"},
      {200, R"({"access_token":"at-SECRET-1","token_type":[]})", "application/json",
       StatusCode::kInternal, "token_type"},
      {200, R"({"access_token":"at-SECRET-1","expires_in":-5})", "application/json",
       StatusCode::kInternal, "expires_in"},
      {200, R"({"access_token":"at-SECRET-1","expires_in":"soon"})", "application/json",
       StatusCode::kInternal, "expires_in"},
      {200, R"({"access_token":"at-SECRET-1","scope":{"a":1}})", "application/json",
       StatusCode::kInternal, "scope"},
      {200, R"({"access_token":"at-SECRET-1","scope":[1]})", "application/json",
       StatusCode::kInternal, "scope"},
      // A JSON answer that is neither an error nor a success.
      {500, R"({"message":"boom"})", "application/json", StatusCode::kUnavailable, "HTTP 500"},
      {302, R"({"location":"elsewhere"})", "application/json", StatusCode::kInternal,
       "redirects are not followed"},
      // OAuth errors, also with HTTP 200 (as GitHub sends them), and odd ones.
      {200, R"({"error":"bad_verification_code"})", "application/json",
       StatusCode::kFailedPrecondition, "bad_verification_code"},
      {400, R"({"error":"invalid_scope","error_description":"nope"})", "application/json",
       StatusCode::kFailedPrecondition, "invalid_scope (nope)"},
      {503, R"({"error":"temporarily_unavailable"})", "application/json", StatusCode::kUnavailable,
       "temporarily_unavailable"},
      {400, R"({"error":42})", "application/json", StatusCode::kFailedPrecondition,
       "unnamed error"},
      // An endpoint echoing secrets back: they are redacted from the message.
      {400,
       R"({"error":"invalid_grant","error_description":"token rt-SECRET-r with client cs-SECRET-5f1e9a revoked"})",
       "application/json", StatusCode::kFailedPrecondition, "token [redacted] with client"},
      {400, R"({"error":"rt-SECRET-r"})", "application/json", StatusCode::kFailedPrecondition,
       "[redacted]"},
      {400, "{\"error\":\"invalid_grant\",\"error_description\":\"rt-SECRET\\u0001-r\"}",
       "application/json", StatusCode::kFailedPrecondition, "[redacted]"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case c = cases[i];
    SetHandler([c](const httplib::Request&, httplib::Response& res) {
      res.status = c.status;
      res.set_content(c.body, c.content_type.c_str());
    });
    auto r = Refresh(Provider(), "rt-SECRET-r", kNow);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.body);
    ExpectError(r.status(), c.code, c.needle);
  }
}

TEST_F(OAuthServerTest, OversizedAnswerIsRefused) {
  SetHandler([](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"access_token\":\"" + std::string(kOAuthMaxAnswerBytes + 10, 'a') + "\"}",
                    "application/json");
  });
  auto r = Refresh(Provider(), "rt-SECRET-1", kNow);
  ExpectError(r.status(), StatusCode::kInternal, "larger than");
}

TEST_F(OAuthServerTest, UnreachableEndpointIsUnavailable) {
  // A port that is bound but not listening refuses connections.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  OAuthProvider p = Provider();
  p.token_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/token?k=v";
  const std::string verifier = NewCodeVerifier();
  auto r = ExchangeCode(p, "code-SECRET-u", verifier, kNow);
  close(fd);
  ExpectError(r.status(), StatusCode::kUnavailable, "could not be reached", {verifier});
  EXPECT_EQ(r.status().message().find("k=v"), std::string::npos);  // no query in messages
  auto rr = Refresh(p, "rt-SECRET-u", kNow);
  ExpectError(rr.status(), StatusCode::kUnavailable, "token refresh");
}

TEST_F(OAuthServerTest, BadInputIsRefusedWithoutARequest) {
  const OAuthProvider p = Provider();
  const std::string verifier = NewCodeVerifier();
  ExpectError(ExchangeCode(p, "", verifier, kNow).status(), StatusCode::kInvalidArgument,
              "authorization code is empty");
  ExpectError(ExchangeCode(p, "code-SECRET-1", "short-SECRET", kNow).status(),
              StatusCode::kInvalidArgument, "code verifier");
  ExpectError(ExchangeCode(p, "code-SECRET-1", verifier + "+", kNow).status(),
              StatusCode::kInvalidArgument, "code verifier", {verifier});
  ExpectError(ExchangeCode(p, "code-SECRET-1", verifier, -1).status(), StatusCode::kInvalidArgument,
              "now_ms");
  ExpectError(Refresh(p, "", kNow).status(), StatusCode::kInvalidArgument,
              "refresh token is empty");
  ExpectError(Refresh(p, "rt-SECRET-1", -1).status(), StatusCode::kInvalidArgument, "now_ms");
  OAuthProvider bad = p;
  bad.token_url = "http://auth.example.com/token";  // plain http off the loopback
  ExpectError(ExchangeCode(bad, "code-SECRET-1", verifier, kNow).status(),
              StatusCode::kInvalidArgument, "token_url", {verifier});
  ExpectError(Refresh(bad, "rt-SECRET-1", kNow).status(), StatusCode::kInvalidArgument,
              "token_url");
  bad = p;
  bad.client_id.clear();
  ExpectError(Refresh(bad, "rt-SECRET-1", kNow).status(), StatusCode::kInvalidArgument,
              "client_id");
  EXPECT_TRUE(Forms().empty());
}

TEST_F(OAuthServerTest, ValuesNeedingEncodingRoundTrip) {
  // A secret, code and refresh token full of form metacharacters arrive intact.
  const std::string secret = "cs-SECRET a+b&c=d%e/é";
  const std::string code = "code-SECRET+&=% /?";
  const std::string rt = "rt-SECRET+&=% /?";
  SetHandler([](const httplib::Request&, httplib::Response& res) {
    Answer(res, 200, {{"access_token", "at-SECRET-enc"}});
  });
  OAuthProvider p = Provider();
  p.client_secret = secret;
  const std::string verifier = NewCodeVerifier();
  ASSERT_TRUE(ExchangeCode(p, code, verifier, kNow).ok());
  ASSERT_TRUE(Refresh(p, rt, kNow).ok());
  const std::vector<Form> forms = Forms();
  ASSERT_EQ(forms.size(), 2u);
  EXPECT_EQ(forms[0].at("client_secret"), secret);
  EXPECT_EQ(forms[0].at("code"), code);
  EXPECT_EQ(forms[0].at("redirect_uri"), kRedirectUri);
  EXPECT_EQ(forms[1].at("refresh_token"), rt);
  EXPECT_EQ(forms[1].at("client_secret"), secret);
  EXPECT_EQ(forms[1].size(), 4u);
}

}  // namespace
}  // namespace k3::sources
