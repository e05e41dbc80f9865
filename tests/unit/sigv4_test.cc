// Tests for storage/sigv4.h: SigV4 query-string presigning.
//
// Golden vectors: the first is AWS's published presigned-URL example (S3 API reference,
// "Authenticating Requests: Using Query Parameters"); the others were produced independently
// with botocore 1.43 (generate_presigned_url, signature_version "s3v4", clock frozen).
#include "storage/sigv4.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace k3::storage {
namespace {

// 2013-05-24T00:00:00Z and 2024-01-02T03:04:05Z in Unix ms.
constexpr int64_t kAwsExampleTimeMs = 1369353600000;
constexpr int64_t kTime2024Ms = 1704164645000;

SigV4PresignParams AwsExample() {
  SigV4PresignParams p;
  p.method = "GET";
  p.endpoint = "https://s3.amazonaws.com";
  p.bucket = "examplebucket";
  p.key = "test.txt";
  p.region = "us-east-1";
  p.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  p.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  p.expires_seconds = 86400;
  p.now_ms = kAwsExampleTimeMs;
  p.virtual_hosted_style = true;
  return p;
}

SigV4PresignParams Local(std::string endpoint, std::string bucket, std::string key) {
  SigV4PresignParams p;
  p.method = "GET";
  p.endpoint = std::move(endpoint);
  p.bucket = std::move(bucket);
  p.key = std::move(key);
  p.region = "us-east-1";
  p.access_key_id = "AKID";
  p.secret_access_key = "SECRET";
  p.expires_seconds = 3600;
  p.now_ms = kTime2024Ms;
  p.virtual_hosted_style = false;
  return p;
}

std::string Presign(const SigV4PresignParams& p) {
  Result<std::string> url = PresignSigV4(p);
  EXPECT_TRUE(url.ok()) << url.status().ToString();
  return url.ok() ? url.value() : std::string();
}

std::string QueryOf(const std::string& url) {
  size_t q = url.find('?');
  return q == std::string::npos ? std::string() : url.substr(q + 1);
}

std::string SignatureOf(const std::string& url) {
  constexpr std::string_view kParam = "&X-Amz-Signature=";
  size_t at = url.rfind(kParam);
  return at == std::string::npos ? std::string() : url.substr(at + kParam.size());
}

TEST(UriEncodeTest, KeepsUnreservedBytes) {
  const std::string unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
  EXPECT_EQ(UriEncode(unreserved, true), unreserved);
  EXPECT_EQ(UriEncode(unreserved, false), unreserved);
  EXPECT_EQ(UriEncode("", true), "");
}

TEST(UriEncodeTest, EncodesEverythingElseWithUppercaseHex) {
  EXPECT_EQ(UriEncode(" ", true), "%20");
  EXPECT_EQ(UriEncode("+", true), "%2B");
  EXPECT_EQ(UriEncode("*", true), "%2A");
  EXPECT_EQ(UriEncode("%", true), "%25");
  EXPECT_EQ(UriEncode("=&?#:@!$'()", true), "%3D%26%3F%23%3A%40%21%24%27%28%29");
  EXPECT_EQ(UriEncode("\x01\x7f", true), "%01%7F");
  EXPECT_EQ(UriEncode(std::string("a\0b", 3), true), "a%00b");
  // Multi-byte UTF-8: each byte separately ("ü" is C3 BC, "日" is E6 97 A5).
  EXPECT_EQ(UriEncode("\xC3\xBC\xE6\x97\xA5", true), "%C3%BC%E6%97%A5");
  EXPECT_EQ(UriEncode("\xff", true), "%FF");
}

TEST(UriEncodeTest, SlashDependsOnEncodeSlash) {
  EXPECT_EQ(UriEncode("a/b c/", true), "a%2Fb%20c%2F");
  EXPECT_EQ(UriEncode("a/b c/", false), "a/b%20c/");
}

TEST(PresignSigV4Test, AwsPublishedExample) {
  const std::string url = Presign(AwsExample());
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z"
            "&X-Amz-Expires=86400"
            "&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(QueryOf(url),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(SignatureOf(url), "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(PresignSigV4Test, SubSecondTimeIsTruncated) {
  SigV4PresignParams p = AwsExample();
  p.now_ms += 999;
  EXPECT_EQ(SignatureOf(Presign(p)),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(PresignSigV4Test, PathStyleWithSpacesUnicodeAndPort) {
  EXPECT_EQ(
      Presign(Local("http://localhost:9000", "my-bucket", "docs/a b/\xC3\xBC\xE6\x97\xA5.txt")),
      "http://localhost:9000/my-bucket/docs/a%20b/%C3%BC%E6%97%A5.txt"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=f778d9f3bbcf302a3f1994e9532f28f81eedd4e95621a40a58ead8104b23c664");
}

TEST(PresignSigV4Test, PutWithReservedCharactersInKey) {
  SigV4PresignParams p =
      Local("https://s3.eu-west-1.amazonaws.com", "photos", "2024/a+b=c&d~e_f.jpg");
  p.method = "PUT";
  p.region = "eu-west-1";
  p.access_key_id = "AKIAEXAMPLE";
  p.secret_access_key = "secret/with+chars";
  p.expires_seconds = 900;
  EXPECT_EQ(Presign(p),
            "https://s3.eu-west-1.amazonaws.com/photos/2024/a%2Bb%3Dc%26d~e_f.jpg"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAEXAMPLE%2F20240102%2Feu-west-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=2169a2dde84e9d8c073322055b3b3a97cbadbc80135469110eaef29b3d30254f");
}

TEST(PresignSigV4Test, VirtualHostedWithPortAndDoubleSlashKey) {
  SigV4PresignParams p = Local("http://s3.local:8080", "bkt", "x/y//z");
  p.virtual_hosted_style = true;
  p.region = "us-west-2";
  p.expires_seconds = 604800;
  EXPECT_EQ(Presign(p),
            "http://bkt.s3.local:8080/x/y//z"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKID%2F20240102%2Fus-west-2%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=8174c8814b2b985666b13d4092c386be65256fb06a6559b12b1086f1fe378bc3");
}

TEST(PresignSigV4Test, KeyWithLeadingSlashAndIpv4Host) {
  EXPECT_EQ(Presign(Local("http://127.0.0.1:9000", "b1", "/leading")),
            "http://127.0.0.1:9000/b1//leading"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=920c48100982482155b41747ec0168105941a9f5d78b9098f74e0cbeb32cf7e1");
}

TEST(PresignSigV4Test, Ipv6Host) {
  EXPECT_EQ(Presign(Local("http://[::1]:9000", "b1", "k")),
            "http://[::1]:9000/b1/k"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=c3a0e15583b0e35678f21b179ef7fa3e467ec64e5d3d23aefd35ddf764982d06");
}

TEST(PresignSigV4Test, DefaultPortIsDroppedFromHostAndUrl) {
  // botocore signs "Host: minio.example.com" for https://minio.example.com:443.
  SigV4PresignParams p = Local("https://minio.example.com:443", "data", "report 100%.csv");
  p.method = "PUT";
  p.expires_seconds = 60;
  EXPECT_EQ(Presign(p),
            "https://minio.example.com/data/report%20100%25.csv"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=f3c523ea8c005b6569feab6c31171078113087750dab5023b234e69224749b93");

  // The same for http and 80, and for the AWS example written with an explicit :443.
  EXPECT_EQ(Presign(Local("http://h:80", "b", "k")), Presign(Local("http://h", "b", "k")));
  EXPECT_EQ(Presign(Local("http://h:80", "b", "k")).rfind("http://h/b/k?", 0), 0u);
  SigV4PresignParams aws = AwsExample();
  aws.endpoint = "https://s3.amazonaws.com:443";
  EXPECT_EQ(Presign(aws), Presign(AwsExample()));
}

TEST(PresignSigV4Test, NonDefaultPortIsKept) {
  // 80 is not the default for https, nor 443 for http.
  EXPECT_EQ(Presign(Local("https://h:80", "b", "k")).rfind("https://h:80/b/k?", 0), 0u);
  EXPECT_EQ(Presign(Local("http://h:443", "b", "k")).rfind("http://h:443/b/k?", 0), 0u);
  EXPECT_NE(SignatureOf(Presign(Local("http://h:9000", "b", "k"))),
            SignatureOf(Presign(Local("http://h:9001", "b", "k"))));
  EXPECT_NE(SignatureOf(Presign(Local("http://h:9000", "b", "k"))),
            SignatureOf(Presign(Local("http://h", "b", "k"))));
}

TEST(PresignSigV4Test, SchemeAndHostAreLowercased) {
  // botocore signs the lowercased host; the URL carries it lowercased too.
  EXPECT_EQ(Presign(Local("HTTP://MinIO.Local:9000", "b1", "k")),
            "http://minio.local:9000/b1/k"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=563bf3beb99110d1693ae413ff220060c1a6aa9e92c148b7d3785d466a11f381");
}

TEST(PresignSigV4Test, MethodIsSigned) {
  SigV4PresignParams get = Local("http://h:9000", "b", "k");
  SigV4PresignParams put = get;
  put.method = "PUT";
  std::string a = Presign(get);
  std::string b = Presign(put);
  EXPECT_NE(SignatureOf(a), SignatureOf(b));
  EXPECT_EQ(a.substr(0, a.rfind('=')), b.substr(0, b.rfind('=')));  // same URL otherwise
}

TEST(PresignSigV4Test, DatesFormatAcrossTheRange) {
  SigV4PresignParams p = Local("http://h", "b", "k");
  p.now_ms = 0;
  EXPECT_NE(Presign(p).find("&X-Amz-Date=19700101T000000Z&"), std::string::npos);
  EXPECT_NE(Presign(p).find("AKID%2F19700101%2F"), std::string::npos);
  p.now_ms = 951868799999;  // 2000-02-29T23:59:59.999Z
  EXPECT_NE(Presign(p).find("&X-Amz-Date=20000229T235959Z&"), std::string::npos);
  p.now_ms = 253402300799999;  // 9999-12-31T23:59:59.999Z, the last accepted
  EXPECT_NE(Presign(p).find("&X-Amz-Date=99991231T235959Z&"), std::string::npos);
}

TEST(PresignSigV4Test, ExpiresBoundsAreAccepted) {
  SigV4PresignParams p = Local("http://h", "b", "k");
  p.expires_seconds = 1;
  EXPECT_NE(Presign(p).find("&X-Amz-Expires=1&"), std::string::npos);
  p.expires_seconds = kMaxSigV4ExpiresSeconds;
  EXPECT_NE(Presign(p).find("&X-Amz-Expires=604800&"), std::string::npos);
}

TEST(PresignSigV4Test, SignatureIsLowercaseHexAndLast) {
  std::string sig = SignatureOf(Presign(Local("http://h", "b", "k")));
  ASSERT_EQ(sig.size(), 64u);
  for (char c : sig) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << sig;
}

// One refused input: a change to valid parameters, and a fragment of the expected message.
struct Refusal {
  std::string name;
  std::function<void(SigV4PresignParams&)> mutate;
  std::string fragment;
};

class PresignRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(PresignRefusalTest, IsInvalidArgument) {
  SigV4PresignParams p = Local("https://s3.example.com", "bucket", "key");
  GetParam().mutate(p);
  Result<std::string> url = PresignSigV4(p);
  ASSERT_FALSE(url.ok()) << url.value();
  EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(url.status().message().find(GetParam().fragment), std::string::npos)
      << url.status().message();
}

auto Endpoint(std::string e) {
  return [e](SigV4PresignParams& p) { p.endpoint = e; };
}

const Refusal kRefusals[] = {
    {"NoScheme", Endpoint("s3.example.com"), "has no scheme"},
    {"EmptySchemeName", Endpoint("://s3.example.com"), "has no scheme"},
    {"EmptyEndpoint", Endpoint(""), "has no scheme"},
    {"FtpScheme", Endpoint("ftp://s3.example.com"), "unsupported scheme \"ftp\""},
    {"S3Scheme", Endpoint("s3://bucket"), "unsupported scheme"},
    {"TrailingSlash", Endpoint("https://s3.example.com/"), "must not have a path"},
    {"Path", Endpoint("https://s3.example.com/bucket"), "must not have a path"},
    {"Query", Endpoint("https://s3.example.com?x=1"), "must not have a query"},
    {"Fragment", Endpoint("https://s3.example.com#top"), "must not have a fragment"},
    {"EmptyHost", Endpoint("https://"), "empty host"},
    {"EmptyHostWithPort", Endpoint("https://:9000"), "empty host"},
    {"EmptyIpv6Host", Endpoint("http://[]:9000"), "empty host"},
    {"UserInfo", Endpoint("https://user:pw@s3.example.com"), "user info"},
    {"EmptyPort", Endpoint("https://s3.example.com:"), "invalid port"},
    {"PortZero", Endpoint("https://s3.example.com:0"), "invalid port"},
    {"PortTooLarge", Endpoint("https://s3.example.com:65536"), "invalid port"},
    {"PortTooLong", Endpoint("https://s3.example.com:000080"), "invalid port"},
    {"PortNotNumeric", Endpoint("https://s3.example.com:http"), "invalid port"},
    {"TwoPorts", Endpoint("https://s3.example.com:1:2"), "invalid port"},
    {"BareIpv6", Endpoint("http://::1"), "empty host"},
    {"UnterminatedIpv6", Endpoint("http://[::1"), "unterminated IPv6"},
    {"JunkAfterIpv6", Endpoint("http://[::1]x"), "after the IPv6 address"},
    {"BadIpv6", Endpoint("http://[::g]"), "invalid IPv6"},
    {"SpaceInHost", Endpoint("https://s3 example.com"), "invalid character"},
    {"MethodDelete", [](auto& p) { p.method = "DELETE"; }, "expected GET or PUT"},
    {"MethodLowercase", [](auto& p) { p.method = "get"; }, "expected GET or PUT"},
    {"MethodEmpty", [](auto& p) { p.method = ""; }, "expected GET or PUT"},
    {"EmptyBucket", [](auto& p) { p.bucket = ""; }, "bucket must not be empty"},
    {"SlashInBucket", [](auto& p) { p.bucket = "a/b"; }, "must not contain '/'"},
    {"EmptyKey", [](auto& p) { p.key = ""; }, "key must not be empty"},
    {"EmptyRegion", [](auto& p) { p.region = ""; }, "region must not be empty"},
    {"SlashInRegion", [](auto& p) { p.region = "us/east"; }, "region \"us/east\" must not"},
    {"EmptyAccessKey", [](auto& p) { p.access_key_id = ""; }, "access_key_id must not be empty"},
    {"SlashInAccessKey", [](auto& p) { p.access_key_id = "A/B"; }, "access_key_id must not"},
    {"EmptySecret", [](auto& p) { p.secret_access_key = ""; },
     "secret_access_key must not be empty"},
    {"ExpiresZero", [](auto& p) { p.expires_seconds = 0; }, "expires_seconds must be in 1..604800"},
    {"ExpiresNegative", [](auto& p) { p.expires_seconds = -5; }, "expires_seconds"},
    {"ExpiresTooLong", [](auto& p) { p.expires_seconds = 604801; }, "(got 604801)"},
    {"NowNegative", [](auto& p) { p.now_ms = -1; }, "now_ms -1"},
    {"NowAfterYear9999", [](auto& p) { p.now_ms = 253402300800000; }, "now_ms"},
    {"VirtualIpv4",
     [](auto& p) {
       p.endpoint = "http://127.0.0.1:9000";
       p.virtual_hosted_style = true;
     },
     "not the IP address \"127.0.0.1\""},
    {"VirtualIpv6",
     [](auto& p) {
       p.endpoint = "http://[::1]:9000";
       p.virtual_hosted_style = true;
     },
     "not the IP address"},
    {"VirtualUppercaseBucket",
     [](auto& p) {
       p.bucket = "MyBucket";
       p.virtual_hosted_style = true;
     },
     "cannot be part of a host name"},
    {"VirtualUnderscoreBucket",
     [](auto& p) {
       p.bucket = "my_bucket";
       p.virtual_hosted_style = true;
     },
     "cannot be part of a host name"},
    {"VirtualDotEdgedBucket",
     [](auto& p) {
       p.bucket = ".bucket";
       p.virtual_hosted_style = true;
     },
     "cannot be part of a host name"},
};

INSTANTIATE_TEST_SUITE_P(AllRefusals, PresignRefusalTest, ::testing::ValuesIn(kRefusals),
                         [](const ::testing::TestParamInfo<Refusal>& info) {
                           return info.param.name;
                         });

TEST(PresignSigV4Test, PathStyleAcceptsBucketsThatVirtualHostingRefuses) {
  // Path style puts the bucket in the path, URI-encoded, so any non-empty name is signable.
  EXPECT_EQ(Presign(Local("http://h", "My_Bucket", "k")).rfind("http://h/My_Bucket/k?", 0), 0u);
  EXPECT_EQ(Presign(Local("http://h", "a b", "k")).rfind("http://h/a%20b/k?", 0), 0u);
}

}  // namespace
}  // namespace k3::storage
