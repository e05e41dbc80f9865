// SourceService's OAuth authorization-code flow with PKCE, end to end against a loopback
// authorization server (cpp-httplib): /authorize records the code challenge and redirects with
// a code and the state, as a browser would see it; /token is strict (client id and secret,
// single-use code, redirect URI, the verifier must hash to the recorded challenge, refresh
// tokens rotate) and can be told to refuse refreshes; /api/me accepts only the newest access
// token. Checks: the authorization URL (PKCE S256, state), a mismatched or unknown state
// refused before any token request and storing nothing, the exchange (form fields, stored
// OAUTH credential, expiry), a state used twice, automatic refresh of a token about to expire
// when it is used, explicit refresh, and a refused refresh reported in last_error.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "k3/k3.hpp"
#include "support/loopback_server.h"
#include "support/sources_fixtures.h"
#include "support/url_form.h"

namespace k3::test {
namespace {

using Json = nlohmann::json;

constexpr char kClientId[] = "k3-flow-client";
constexpr char kClientSecret[] = "cs-SECRET-flow-8e2b41";
constexpr char kRedirectUri[] = "http://127.0.0.1:8765/callback";

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p + "\n";
  return out;
}

Form QueryOf(const std::string& url) {
  const size_t q = url.find('?');
  return q == std::string::npos ? Form() : ParseQuery(url.substr(q + 1));
}

std::string Field(const Form& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

class OAuthFlowTest : public SourcesFixture {
 protected:
  void SetUp() override {
    server_.Get("/authorize", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const Form q = QueryOf(req.target);
      if (Field(q, "code_challenge_method") != "S256" || Field(q, "code_challenge").empty() ||
          Field(q, "state").empty() || Field(q, "client_id") != kClientId ||
          Field(q, "response_type") != "code") {
        res.status = 400;
        return;
      }
      issued_code_ = "code-SECRET-" + std::to_string(++codes_issued_);
      issued_challenge_ = Field(q, "code_challenge");
      res.status = 302;
      res.set_header("Location", Field(q, "redirect_uri") + "?code=" + issued_code_ +
                                     "&state=" + Field(q, "state"));
    });
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      forms_.push_back(ParseQuery(req.body));
      Token(req, res);
    });
    server_.Get("/api/me", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string auth = req.get_header_value("Authorization");
      api_auth_.push_back(auth);
      if (live_access_.empty() || auth != "Bearer " + live_access_) {
        res.status = 401;
        return;
      }
      res.set_content("{\"me\":\"ok\"}", "application/json");
    });
    port_ = StartOnLoopback(server_, thread_);
    ASSERT_GT(port_, 0);
    Open();
  }

  void TearDown() override {
    Close();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  static void Answer(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  // The token endpoint (mu_ held).
  void Token(const httplib::Request& req, httplib::Response& res) {
    const Form& f = forms_.back();
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      return Answer(res, 400, {{"error", "invalid_request"}});
    }
    if (Field(f, "client_id") != kClientId || Field(f, "client_secret") != kClientSecret) {
      return Answer(res, 401, {{"error", "invalid_client"}});
    }
    const std::string grant = Field(f, "grant_type");
    if (grant == "authorization_code") {
      if (issued_code_.empty() || Field(f, "code") != issued_code_ ||
          Field(f, "redirect_uri") != kRedirectUri ||
          ReferenceChallenge(Field(f, "code_verifier")) != issued_challenge_) {
        return Answer(res, 400, {{"error", "invalid_grant"}});
      }
      verifiers_.push_back(Field(f, "code_verifier"));
      issued_code_.clear();  // single use
      return Issue(res, /*rotate_from=*/"");
    }
    if (grant == "refresh_token") {
      if (refresh_fails_ || live_refresh_.count(Field(f, "refresh_token")) == 0) {
        return Answer(res, 400,
                      {{"error", "invalid_grant"}, {"error_description", "refresh token revoked"}});
      }
      return Issue(res, Field(f, "refresh_token"));
    }
    return Answer(res, 400, {{"error", "unsupported_grant_type"}});
  }

  void Issue(httplib::Response& res, const std::string& rotate_from) {
    ++tokens_issued_;
    live_access_ = "at-SECRET-" + std::to_string(tokens_issued_);
    Json answer = {{"access_token", live_access_},
                   {"token_type", "Bearer"},
                   {"expires_in", next_expires_in_},
                   {"scope", "files.read offline_access"}};
    if (issue_refresh_) {
      if (!rotate_from.empty()) live_refresh_.erase(rotate_from);
      const std::string rt = "rt-SECRET-" + std::to_string(tokens_issued_);
      live_refresh_.insert(rt);
      answer["refresh_token"] = rt;
    }
    next_expires_in_ = 3600;  // only the next answer is special
    Answer(res, 200, answer);
  }

  std::string Base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  GetOAuthUrlRequest UrlRequest(const std::string& display = "oauth via flow") const {
    GetOAuthUrlRequest r;
    r.provider = SourceProvider::kHttp;
    r.config = {.client_id = kClientId,
                .client_secret = kClientSecret,
                .authorize_url = Base() + "/authorize",
                .token_url = Base() + "/token",
                .scopes = {"files.read", "offline_access"},
                .redirect_uri = kRedirectUri};
    r.display_name = display;
    r.endpoint = Base() + "/api/me";
    return r;
  }

  // Plays the browser: follows the authorization URL, returns the redirect's query.
  Form Authorize(const std::string& url) {
    EXPECT_EQ(url.rfind(Base(), 0), 0u) << url;
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get(url.substr(Base().size()).c_str());
    EXPECT_TRUE(res) << "authorize request failed";
    if (!res) return {};
    EXPECT_EQ(res->status, 302);
    const std::string location = res->get_header_value("Location");
    EXPECT_EQ(location.rfind(std::string(kRedirectUri) + "?", 0), 0u) << location;
    return QueryOf(location);
  }

  // get_oauth_url + the browser; returns {state, code} from the redirect.
  std::pair<std::string, std::string> Consent(const GetOAuthUrlRequest& request) {
    auto u = sources().get_oauth_url(request);
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    if (!u.ok()) return {};
    const Form redirect = Authorize(u->authorization_url);
    EXPECT_EQ(Field(redirect, "state"), u->state);
    return {Field(redirect, "state"), Field(redirect, "code")};
  }

  std::vector<Form> Forms() {
    std::lock_guard<std::mutex> lock(mu_);
    return forms_;
  }
  std::vector<std::string> ApiAuth() {
    std::lock_guard<std::mutex> lock(mu_);
    return api_auth_;
  }

  // Every secret handed out or generated so far.
  std::vector<std::string> Secrets() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> s = {kClientSecret};
    for (int i = 1; i <= tokens_issued_ + 1; ++i) {
      s.push_back("at-SECRET-" + std::to_string(i));
      s.push_back("rt-SECRET-" + std::to_string(i));
    }
    for (int i = 1; i <= codes_issued_; ++i) s.push_back("code-SECRET-" + std::to_string(i));
    for (const std::string& v : verifiers_) s.push_back(v);
    return s;
  }

  size_t CredentialCount() {
    auto l = sources().list_credentials({});
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? l->credentials.size() : 0;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string issued_code_;
  std::string issued_challenge_;
  int codes_issued_ = 0;
  int tokens_issued_ = 0;
  int64_t next_expires_in_ = 3600;
  bool issue_refresh_ = true;
  bool refresh_fails_ = false;
  std::string live_access_;
  std::set<std::string> live_refresh_;
  std::vector<Form> forms_;
  std::vector<std::string> verifiers_;
  std::vector<std::string> api_auth_;
};

TEST_F(OAuthFlowTest, TheAuthorizationUrlCarriesPkceS256AndAFreshState) {
  const TimestampMs t0 = NowMs();
  auto u = sources().get_oauth_url(UrlRequest());
  const TimestampMs t1 = NowMs();
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->authorization_url.rfind(Base() + "/authorize?", 0), 0u) << u->authorization_url;
  const Form q = QueryOf(u->authorization_url);
  EXPECT_EQ(Field(q, "response_type"), "code");
  EXPECT_EQ(Field(q, "client_id"), kClientId);
  EXPECT_EQ(Field(q, "redirect_uri"), kRedirectUri);
  EXPECT_EQ(Field(q, "scope"), "files.read offline_access");
  EXPECT_EQ(Field(q, "code_challenge_method"), "S256");
  EXPECT_EQ(Field(q, "code_challenge").size(), 43u) << Field(q, "code_challenge");
  EXPECT_FALSE(u->state.empty());
  EXPECT_EQ(Field(q, "state"), u->state);
  EXPECT_FALSE(Has(u->authorization_url, kClientSecret));
  EXPECT_GE(u->expires_at, t0 + 600'000 - 1000);
  EXPECT_LE(u->expires_at, t1 + 600'000 + 1000);

  auto again = sources().get_oauth_url(UrlRequest());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->state, u->state);
  EXPECT_NE(Field(QueryOf(again->authorization_url), "code_challenge"), Field(q, "code_challenge"));
  EXPECT_TRUE(Forms().empty()) << "no token request before an exchange";
  EXPECT_EQ(CredentialCount(), 0u);

  GetOAuthUrlRequest bad = UrlRequest();
  bad.config.client_id.clear();
  EXPECT_EQ(sources().get_oauth_url(bad).status().code(), StatusCode::kInvalidArgument);
  bad = UrlRequest();
  bad.config.token_url = "http://auth.example.com/token";  // plain http off the loopback
  EXPECT_EQ(sources().get_oauth_url(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(OAuthFlowTest, AMismatchedOrUnknownStateIsRefusedBeforeAnyTokenRequest) {
  auto [state, code] = Consent(UrlRequest());
  ASSERT_FALSE(code.empty());
  for (const std::string& forged : {std::string("forged-state-value"), std::string(""), state + "x",
                                    state.substr(0, state.size() - 1)}) {
    auto c = sources().exchange_oauth_code({.state = forged, .code = code});
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument)
        << "[" << forged << "] " << c.status().ToString();
    EXPECT_EQ(FindAnySecret(c.status().message(), Secrets()), "") << c.status().message();
  }
  EXPECT_TRUE(Forms().empty()) << "the token endpoint was called for a bad state";
  EXPECT_EQ(CredentialCount(), 0u) << "nothing may be stored";

  // The genuine redirect still completes: a forged one does not burn the pending state.
  auto ok = sources().exchange_oauth_code({.state = state, .code = code});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(CredentialCount(), 1u);
}

TEST_F(OAuthFlowTest, TheCodeIsExchangedOnceWithAVerifierMatchingTheChallenge) {
  auto u = sources().get_oauth_url(UrlRequest());
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  const std::string challenge = Field(QueryOf(u->authorization_url), "code_challenge");
  const Form redirect = Authorize(u->authorization_url);
  const std::string code = Field(redirect, "code");
  ASSERT_FALSE(code.empty());

  const TimestampMs t0 = NowMs();
  auto c = sources().exchange_oauth_code({.state = Field(redirect, "state"), .code = code});
  const TimestampMs t1 = NowMs();
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  // The token request.
  const std::vector<Form> forms = Forms();
  ASSERT_EQ(forms.size(), 1u);
  EXPECT_EQ(Field(forms[0], "grant_type"), "authorization_code");
  EXPECT_EQ(Field(forms[0], "code"), code);
  EXPECT_EQ(Field(forms[0], "redirect_uri"), kRedirectUri);
  EXPECT_EQ(Field(forms[0], "client_id"), kClientId);
  const std::string verifier = Field(forms[0], "code_verifier");
  EXPECT_GE(verifier.size(), 43u);
  EXPECT_EQ(ReferenceChallenge(verifier), challenge) << "S256(code_verifier) != code_challenge";
  EXPECT_FALSE(Has(u->authorization_url, verifier)) << "the verifier must not leave in the URL";

  // The stored credential.
  EXPECT_EQ(c->credential_id.rfind("cred_", 0), 0u) << c->credential_id;
  EXPECT_EQ(c->credential_type, CredentialType::kOAuth);
  EXPECT_EQ(c->provider, SourceProvider::kHttp);
  EXPECT_EQ(c->display_name, "oauth via flow");
  EXPECT_EQ(c->endpoint, Base() + "/api/me");
  EXPECT_TRUE(c->refreshable);
  EXPECT_EQ(c->scopes, (std::vector<std::string>{"files.read", "offline_access"}));
  EXPECT_GE(c->expires_at, t0 + 3'600'000 - 1000);
  EXPECT_LE(c->expires_at, t1 + 3'600'000 + 1000);
  EXPECT_FALSE(c->key_fingerprint.empty());
  EXPECT_EQ(FindAnySecret(Joined(StringsOf(*c)), Secrets()), "");
  auto got = sources().get_credential(c->credential_id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->expires_at, c->expires_at);
  EXPECT_EQ(FindAnySecret(Joined(StringsOf(*got)), Secrets()), "");
  auto wire =
      db().call("SourceService.GetCredential", R"({"credentialId":")" + c->credential_id + R"("})");
  ASSERT_TRUE(wire.ok()) << wire.status().ToString();
  EXPECT_EQ(FindAnySecret(*wire, Secrets()), "") << *wire;

  // The same state again: refused, no second token request, nothing more stored.
  auto twice = sources().exchange_oauth_code({.state = Field(redirect, "state"), .code = code});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument) << twice.status().ToString();
  EXPECT_EQ(Forms().size(), 1u);
  EXPECT_EQ(CredentialCount(), 1u);

  // The access token works, without a refresh (it is far from expiry).
  auto v = sources().validate_credential(c->credential_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->valid) << v->message;
  EXPECT_EQ(ApiAuth().back(), "Bearer at-SECRET-1");
  EXPECT_EQ(Forms().size(), 1u) << "a token valid for an hour was refreshed";
}

TEST_F(OAuthFlowTest, ATokenAboutToExpireIsRefreshedWhenUsedAndOnRequest) {
  next_expires_in_ = 30;  // the first token expires within the 60 s margin
  auto [state, code] = Consent(UrlRequest());
  const TimestampMs t0 = NowMs();
  auto c = sources().exchange_oauth_code({.state = state, .code = code});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_LE(c->expires_at, NowMs() + 30'000 + 1000);
  EXPECT_GE(c->expires_at, t0 + 30'000 - 1000);
  ASSERT_EQ(Forms().size(), 1u);

  // Used: refreshed first (grant_type=refresh_token with the issued refresh token), then the
  // new access token is sent — /api/me accepts only the newest.
  auto v = sources().validate_credential(c->credential_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->valid) << v->message;
  std::vector<Form> forms = Forms();
  ASSERT_EQ(forms.size(), 2u);
  EXPECT_EQ(Field(forms[1], "grant_type"), "refresh_token");
  EXPECT_EQ(Field(forms[1], "refresh_token"), "rt-SECRET-1");
  EXPECT_EQ(Field(forms[1], "client_id"), kClientId);
  EXPECT_EQ(ApiAuth().back(), "Bearer at-SECRET-2");
  auto after = sources().get_credential(c->credential_id);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_GE(after->expires_at, t0 + 3'600'000 - 1000);
  EXPECT_TRUE(after->refreshable);
  EXPECT_EQ(after->last_error, "");

  // On request: the rotated refresh token is used.
  const TimestampMs t2 = NowMs();
  auto r = sources().refresh_oauth_token(c->credential_id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  forms = Forms();
  ASSERT_EQ(forms.size(), 3u);
  EXPECT_EQ(Field(forms[2], "grant_type"), "refresh_token");
  EXPECT_EQ(Field(forms[2], "refresh_token"), "rt-SECRET-2");
  EXPECT_GE(r->expires_at, t2 + 3'600'000 - 1000);
  EXPECT_EQ(FindAnySecret(Joined(StringsOf(*r)), Secrets()), "");
  v = sources().validate_credential(c->credential_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->valid) << v->message;
  EXPECT_EQ(ApiAuth().back(), "Bearer at-SECRET-3");
  EXPECT_EQ(Forms().size(), 3u) << "a fresh token was refreshed again";
}

TEST_F(OAuthFlowTest, ARefusedRefreshIsFailedPreconditionRecordedInLastError) {
  auto [state, code] = Consent(UrlRequest());
  auto c = sources().exchange_oauth_code({.state = state, .code = code});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  refresh_fails_ = true;  // the endpoint answers 400 {"error":"invalid_grant"}
  auto r = sources().refresh_oauth_token(c->credential_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_TRUE(Has(r.status().message(), "invalid_grant")) << r.status().message();
  EXPECT_EQ(FindAnySecret(r.status().message(), Secrets()), "") << r.status().message();
  ASSERT_EQ(Forms().size(), 2u);
  EXPECT_EQ(Field(Forms()[1], "grant_type"), "refresh_token");
  auto info = sources().get_credential(c->credential_id);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->last_error.empty());
  EXPECT_EQ(FindAnySecret(info->last_error, Secrets()), "") << info->last_error;
  // The credential still holds its (unexpired) access token.
  auto v = sources().validate_credential(c->credential_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->valid) << v->message;
  EXPECT_EQ(ApiAuth().back(), "Bearer at-SECRET-1");
  EXPECT_EQ(sources().refresh_oauth_token("cred_nope").status().code(), StatusCode::kNotFound);
}

TEST_F(OAuthFlowTest, WithoutARefreshTokenTheCredentialIsNotRefreshable) {
  issue_refresh_ = false;
  auto [state, code] = Consent(UrlRequest("no refresh"));
  auto c = sources().exchange_oauth_code({.state = state, .code = code});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credential_type, CredentialType::kOAuth);
  EXPECT_FALSE(c->refreshable);
  EXPECT_EQ(c->display_name, "no refresh");
}

}  // namespace
}  // namespace k3::test
