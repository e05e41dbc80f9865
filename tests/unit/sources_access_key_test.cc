// ValidateCredential of ACCESS_KEY credentials: a SigV4-presigned GET against a loopback
// "S3" endpoint that recomputes the signature with the secret it knows.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <ctime>
#include <thread>

#include "k3/db.h"
#include "storage/sigv4.h"
#include "support/loopback_server.h"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr char kKeyId[] = "AKIDLOOPBACK";
constexpr char kSecret[] = "s3-secret-8Hq2ZKx";

// "20261126T175500Z" -> Unix ms (0 when malformed).
int64_t AmzDateToMs(const std::string& d) {
  std::tm tm{};
  if (d.size() != 16 || ::strptime(d.c_str(), "%Y%m%dT%H%M%SZ", &tm) == nullptr) return 0;
  return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

class S3Endpoint {
 public:
  S3Endpoint() {
    server_.Get("/bkt/.k3-credential-check",
                [this](const httplib::Request& req, httplib::Response& res) {
                  ++requests_;
                  storage::SigV4PresignParams p;
                  p.method = "GET";
                  p.endpoint = "http://127.0.0.1:" + std::to_string(port_);
                  p.bucket = "bkt";
                  p.key = ".k3-credential-check";
                  p.region = "us-east-1";
                  p.access_key_id = kKeyId;
                  p.secret_access_key = kSecret;
                  p.expires_seconds = std::stoll(req.get_param_value("X-Amz-Expires"));
                  p.now_ms = AmzDateToMs(req.get_param_value("X-Amz-Date"));
                  auto expected = storage::PresignSigV4(p);
                  const std::string got = req.get_param_value("X-Amz-Signature");
                  const bool ok = expected.ok() && !got.empty() &&
                                  expected->find("X-Amz-Signature=" + got) != std::string::npos &&
                                  req.get_param_value("X-Amz-Credential").rfind(kKeyId, 0) == 0;
                  res.status = ok ? 404 : 403;  // S3: NoSuchKey when the signature is good
                  res.set_content(ok ? "<Error><Code>NoSuchKey</Code></Error>"
                                     : "<Error><Code>SignatureDoesNotMatch</Code></Error>",
                                  "application/xml");
                });
    port_ = test::StartOnLoopback(server_, thread_);
  }
  ~S3Endpoint() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

class AccessKeyValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(endpoint_.port(), 0);
    Options options;
    options.master_key = std::string(64, 'c');
    auto opened = Db::open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_.emplace(std::move(opened).value());
  }

  Result<CredentialInfo> Store(const std::string& secret, const std::string& endpoint) {
    return db_->sources().store_credential(
        {.provider = SourceProvider::kRemoteS3,
         .credential_type = CredentialType::kAccessKey,
         .endpoint = endpoint,
         .access_key = AccessKeyPayload{.access_key_id = kKeyId, .secret_access_key = secret}});
  }

  std::string Endpoint(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(endpoint_.port()) + path;
  }

  S3Endpoint endpoint_;
  test::TempDir dir_;
  std::optional<Db> db_;
};

TEST_F(AccessKeyValidationTest, TheRightSecretIsValidAndAWrongOneIsNot) {
  auto good = Store(kSecret, Endpoint("/bkt"));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  auto valid = db_->sources().validate_credential(good->credential_id);
  ASSERT_TRUE(valid.ok()) << valid.status().ToString();
  EXPECT_TRUE(valid->valid) << valid->message;
  EXPECT_EQ(endpoint_.requests(), 1);
  EXPECT_TRUE(db_->sources().get_credential(good->credential_id)->last_validation_ok);

  auto bad = Store("not-the-secret", Endpoint("/bkt/"));
  ASSERT_TRUE(bad.ok());
  auto invalid = db_->sources().validate_credential(bad->credential_id);
  ASSERT_TRUE(invalid.ok()) << invalid.status().ToString();
  EXPECT_FALSE(invalid->valid);
  EXPECT_EQ(endpoint_.requests(), 2);
  auto info = db_->sources().get_credential(bad->credential_id);
  EXPECT_FALSE(info->last_validation_ok);
  EXPECT_NE(info->last_error.find("403"), std::string::npos) << info->last_error;
  EXPECT_EQ(info->last_error.find("not-the-secret"), std::string::npos);
}

TEST_F(AccessKeyValidationTest, AnEndpointWithoutABucketOrNoneIsAClearError) {
  auto no_bucket = Store(kSecret, Endpoint(""));
  ASSERT_TRUE(no_bucket.ok());
  auto v = db_->sources().validate_credential(no_bucket->credential_id);
  EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(v.status().message().find("bucket"), std::string::npos) << v.status().message();
  auto none = Store(kSecret, "");
  ASSERT_TRUE(none.ok());
  v = db_->sources().validate_credential(none->credential_id);
  EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(endpoint_.requests(), 0);
}

}  // namespace
}  // namespace k3
