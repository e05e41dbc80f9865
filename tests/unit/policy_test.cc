// Tests for storage/policy.h: bucket policy and CORS shape validation.
#include "storage/policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace k3::storage {
namespace {

// ---------------------------------------------------------------------------------------
// Bucket policies

TEST(ValidateBucketPolicyTest, AcceptsAwsStylePublicReadPolicy) {
  const char* policy = R"({
    "Version": "2012-10-17",
    "Id": "PublicRead",
    "Statement": [{
      "Sid": "AllowPublicRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": "arn:aws:s3:::kb-prod/*"
    }]
  })";
  Status s = ValidateBucketPolicy(policy);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(ValidateBucketPolicyTest, AcceptsSingleStatementObjectAndMinimalForms) {
  EXPECT_TRUE(ValidateBucketPolicy(R"({"Statement": {"Effect": "Deny", "Principal": "*",
      "Action": "*", "Resource": "*"}})")
                  .ok());
  EXPECT_TRUE(ValidateBucketPolicy(R"({"Version": "2008-10-17", "Statement": [{"Effect":
      "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]})")
                  .ok());
}

TEST(ValidateBucketPolicyTest, AcceptsPrincipalObjectsAndConditions) {
  const char* policy = R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "1", "Effect": "Allow",
       "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:user/x"],
                     "Service": "logging.s3.amazonaws.com"},
       "Action": "S3:PutObject",
       "Resource": ["arn:aws:s3:::kb-prod/logs/*", "arn:aws:s3:::kb-prod"],
       "Condition": {
         "StringEquals": {"aws:SourceAccount": "111122223333"},
         "IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
         "NumericLessThan": {"s3:max-keys": 10},
         "Bool": {"aws:SecureTransport": false}
       }},
      {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:DeleteObject",
       "Resource": "arn:aws:s3:::kb-prod/*", "Condition": {}}
    ]
  })";
  Status s = ValidateBucketPolicy(policy);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(ValidateBucketPolicyTest, AcceptsDocumentOfExactlyTheSizeLimit) {
  std::string policy = R"({"Id": ")";
  const std::string tail =
      R"(", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}})";
  policy += std::string(kMaxBucketPolicyBytes - policy.size() - tail.size(), 'x');
  policy += tail;
  ASSERT_EQ(policy.size(), kMaxBucketPolicyBytes);
  EXPECT_TRUE(ValidateBucketPolicy(policy).ok());

  policy.insert(policy.begin() + 8, 'x');
  Status s = ValidateBucketPolicy(policy);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("at most 20480"), std::string::npos) << s.message();
}

struct BadPolicy {
  std::string name;
  std::string json;
  std::string fragment;  // expected in the message
};

class InvalidBucketPolicyTest : public ::testing::TestWithParam<BadPolicy> {};

TEST_P(InvalidBucketPolicyTest, IsRefusedNamingTheProblem) {
  Status s = ValidateBucketPolicy(GetParam().json);
  ASSERT_FALSE(s.ok()) << GetParam().json;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(GetParam().fragment), std::string::npos)
      << "message: " << s.message() << "\nexpected fragment: " << GetParam().fragment;
}

// A valid statement body, for building documents with one thing wrong.
constexpr const char* kOk = R"("Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*")";

std::string Doc(const std::string& statements) {
  return R"({"Version": "2012-10-17", "Statement": )" + statements + "}";
}
std::string Ok() { return std::string("{") + kOk + "}"; }

const BadPolicy kBadPolicies[] = {
    {"Empty", "", "not valid JSON"},
    {"Malformed", R"({"Statement": [})", "not valid JSON"},
    {"TrailingGarbage", Doc("[" + Ok() + "]") + "x", "not valid JSON"},
    {"InvalidUtf8", "{\"Id\": \"\xff\"}", "not valid JSON"},
    {"NotAnObject", R"(["Statement"])", "policy must be a JSON object"},
    {"UnknownTopLevelKey", R"({"Statement": [], "Foo": 1})", "policy has unknown key \"Foo\""},
    {"LowercaseTopLevelKey", R"({"statement": []})", "unknown key \"statement\""},
    {"BadVersion", R"({"Version": "2020-01-01", "Statement": [{}]})",
     R"(Version must be "2012-10-17" or "2008-10-17")"},
    {"NumericVersion", R"({"Version": 2012, "Statement": [{}]})", "Version must be"},
    {"IdNotString", R"({"Id": 7, "Statement": [{}]})", "Id must be a string"},
    {"MissingStatement", R"({"Version": "2012-10-17"})", "Statement is required"},
    {"EmptyStatementArray", Doc("[]"), "Statement must be an object or a non-empty array"},
    {"StatementString", Doc(R"("Allow")"), "Statement must be an object or a non-empty array"},
    {"StatementElementNotObject", Doc("[" + Ok() + ", 3]"), "Statement[1] must be an object"},
    {"UnknownStatementKey", Doc(std::string(R"([{"NotAction": "s3:*", )") + kOk + "}]"),
     "Statement[0] has unknown key \"NotAction\""},
    {"SidNotString", Doc(std::string(R"([{"Sid": 1, )") + kOk + "}]"),
     "Statement[0].Sid must be a string"},
    {"MissingEffect",
     Doc(R"([{"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}])"),
     "Statement[0].Effect is required"},
    {"BadEffectSecondStatement",
     Doc("[" + Ok() +
         R"(, {"Effect": "allow", "Principal": "*", "Action": "*", "Resource": "*"}])"),
     R"(Statement[1].Effect must be "Allow" or "Deny")"},
    {"BadEffectSingleObject",
     Doc(R"({"Effect": true, "Principal": "*", "Action": "*", "Resource": "*"})"),
     R"(Statement.Effect must be "Allow" or "Deny")"},
    {"MissingPrincipal", Doc(R"([{"Effect": "Allow", "Action": "*", "Resource": "*"}])"),
     "Statement[0].Principal is required"},
    {"PrincipalArn", Doc(R"([{"Effect": "Allow", "Principal": "arn:aws:iam::1:root", "Action": "*",
         "Resource": "*"}])"),
     R"(Statement[0].Principal must be "*" or an object)"},
    {"PrincipalEmptyObject",
     Doc(R"([{"Effect": "Allow", "Principal": {}, "Action": "*", "Resource": "*"}])"),
     "Statement[0].Principal must not be an empty object"},
    {"PrincipalValueNumber",
     Doc(R"([{"Effect": "Allow", "Principal": {"AWS": 5}, "Action": "*", "Resource": "*"}])"),
     "Statement[0].Principal.AWS must be a string or a non-empty array of strings"},
    {"PrincipalArrayElementNotString",
     Doc(R"([{"Effect": "Allow", "Principal": {"AWS": ["a", {}]}, "Action": "*",
         "Resource": "*"}])"),
     "Statement[0].Principal.AWS[1] must be a string"},
    {"PrincipalEmptyArray",
     Doc(R"([{"Effect": "Allow", "Principal": {"AWS": []}, "Action": "*", "Resource": "*"}])"),
     "Statement[0].Principal.AWS must be a string or a non-empty array"},
    {"MissingAction", Doc(R"([{"Effect": "Allow", "Principal": "*", "Resource": "*"}])"),
     "Statement[0].Action is required"},
    {"ActionNotS3", Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": "iam:PassRole",
         "Resource": "*"}])"),
     R"(Statement[0].Action must be "*" or an S3 action "s3:..." (got "iam:PassRole"))"},
    {"ActionArrayElement",
     Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "GetObject"],
         "Resource": "*"}])"),
     "Statement[0].Action[1] must be \"*\" or an S3 action"},
    {"ActionBarePrefix",
     Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": "s3:", "Resource": "*"}])"),
     "Statement[0].Action must be"},
    {"ActionEmptyArray",
     Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": [], "Resource": "*"}])"),
     "Statement[0].Action must be a string or a non-empty array of strings"},
    {"ActionNumberInArray",
     Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": [1], "Resource": "*"}])"),
     "Statement[0].Action[0] must be a string"},
    {"MissingResource", Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": "*"}])"),
     "Statement[0].Resource is required"},
    {"ResourceNotS3Arn", Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": "*",
         "Resource": "arn:aws:iam::1:role/x"}])"),
     R"(Statement[0].Resource must be "*" or an S3 ARN "arn:aws:s3:::...")"},
    {"ResourceBareArnPrefix", Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": "*",
         "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::"]}])"),
     "Statement[0].Resource[1] must be"},
    {"ResourceObject",
     Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": {}}])"),
     "Statement[0].Resource must be a string or a non-empty array of strings"},
    {"ConditionNotObject", Doc(std::string(R"([{"Condition": [], )") + kOk + "}]"),
     "Statement[0].Condition must be an object"},
    {"ConditionOperatorNotObject",
     Doc(std::string(R"([{"Condition": {"StringEquals": "x"}, )") + kOk + "}]"),
     "Statement[0].Condition.StringEquals must be an object"},
    {"ConditionValueObject",
     Doc(std::string(R"([{"Condition": {"StringEquals": {"aws:Referer": {"a": 1}}}, )") + kOk +
         "}]"),
     "Statement[0].Condition.StringEquals.aws:Referer must be a string, number, boolean"},
    {"LaterStatementReported",
     Doc("[" + Ok() + ", " + Ok() +
         R"(, {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "s3://b"}])"),
     "Statement[2].Resource must be"},
};

INSTANTIATE_TEST_SUITE_P(AllBadPolicies, InvalidBucketPolicyTest, ::testing::ValuesIn(kBadPolicies),
                         [](const ::testing::TestParamInfo<BadPolicy>& info) {
                           return info.param.name;
                         });

TEST(ValidateBucketPolicyTest, ReportsTheFirstProblem) {
  // Statement[0] is fine; Statement[1] has an unknown key and a bad Effect: the unknown key
  // is reported, before anything of Statement[2].
  Status s = ValidateBucketPolicy(
      Doc("[" + Ok() +
          R"(, {"Zzz": 1, "Effect": "Maybe", "Principal": "*", "Action": "*", "Resource": "*"},
          {"Effect": "Nope"}])"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Statement[1] has unknown key \"Zzz\"");

  s = ValidateBucketPolicy(Doc(R"([{"Effect": "x", "Principal": 1, "Action": 1, "Resource": 1}])"));
  EXPECT_EQ(s.message(), "Statement[0].Effect must be \"Allow\" or \"Deny\"");
}

TEST(ValidateBucketPolicyTest, LongValuesAreShortenedInMessages) {
  std::string action(5000, 'a');
  Status s = ValidateBucketPolicy(Doc(R"([{"Effect": "Allow", "Principal": "*", "Action": ")" +
                                      action + R"(", "Resource": "*"}])"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), 200u) << s.message();
  EXPECT_NE(s.message().find("...\""), std::string::npos) << s.message();
}

// ---------------------------------------------------------------------------------------
// CORS

CorsRule GoodRule() {
  CorsRule rule;
  rule.allowed_origins = {"https://app.example.com", "https://*.example.com"};
  rule.allowed_methods = {"GET", "PUT", "POST", "DELETE", "HEAD"};
  rule.allowed_headers = {"*", "x-amz-*", "Content-Type"};
  rule.expose_headers = {"ETag", "x-amz-request-id"};
  rule.max_age_seconds = 3000;
  return rule;
}

TEST(ValidateCorsTest, AcceptsValidConfigurations) {
  CorsConfiguration cors;
  cors.cors_rules = {GoodRule()};
  EXPECT_TRUE(ValidateCors(cors).ok());

  CorsRule minimal;
  minimal.allowed_origins = {"*"};
  minimal.allowed_methods = {"GET"};
  cors.cors_rules.push_back(minimal);
  EXPECT_TRUE(ValidateCors(cors).ok());

  cors.cors_rules.assign(kMaxCorsRules, minimal);
  EXPECT_TRUE(ValidateCors(cors).ok());
}

void ExpectCorsRefused(const CorsConfiguration& cors, const std::string& fragment) {
  Status s = ValidateCors(cors);
  ASSERT_FALSE(s.ok()) << "expected refusal with " << fragment;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(fragment), std::string::npos)
      << "message: " << s.message() << "\nexpected fragment: " << fragment;
}

TEST(ValidateCorsTest, RefusesRuleCountOutOfRange) {
  CorsConfiguration cors;
  ExpectCorsRefused(cors, "corsRules must hold 1..100 rules (got 0)");
  cors.cors_rules.assign(kMaxCorsRules + 1, GoodRule());
  ExpectCorsRefused(cors, "corsRules must hold 1..100 rules (got 101)");
}

// Returns a configuration of two good rules with `edit` applied to the second.
template <typename Edit>
CorsConfiguration SecondRule(Edit edit) {
  CorsConfiguration cors;
  cors.cors_rules = {GoodRule(), GoodRule()};
  edit(cors.cors_rules[1]);
  return cors;
}

TEST(ValidateCorsTest, RefusesBadOrigins) {
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.allowed_origins.clear(); }),
                    "corsRules[1].allowedOrigins must not be empty");
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.allowed_origins[1] = ""; }),
                    "corsRules[1].allowedOrigins[1] must not be empty");
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.allowed_origins[0] = "https://*.*.com"; }),
                    "corsRules[1].allowedOrigins[0] may contain at most one '*'");
}

TEST(ValidateCorsTest, RefusesBadMethods) {
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.allowed_methods.clear(); }),
                    "corsRules[1].allowedMethods must not be empty");
  CorsConfiguration cors;
  CorsRule rule = GoodRule();
  rule.allowed_methods = {"GET", "get"};
  cors.cors_rules = {rule};
  ExpectCorsRefused(cors,
                    "corsRules[0].allowedMethods[1] must be one of GET, PUT, POST, "
                    "DELETE, HEAD (got \"get\")");
  rule.allowed_methods = {"PATCH"};
  cors.cors_rules = {rule};
  ExpectCorsRefused(cors, "corsRules[0].allowedMethods[0]");
  rule.allowed_methods = {"OPTIONS"};
  cors.cors_rules = {rule};
  ExpectCorsRefused(cors, "corsRules[0].allowedMethods[0]");
  rule.allowed_methods = {" GET"};
  cors.cors_rules = {rule};
  ExpectCorsRefused(cors, "corsRules[0].allowedMethods[0]");
}

TEST(ValidateCorsTest, RefusesBadHeaders) {
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.allowed_headers.push_back(""); }),
                    "corsRules[1].allowedHeaders[3] must not be empty");
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.allowed_headers = {"x-*-*"}; }),
                    "corsRules[1].allowedHeaders[0] may contain at most one '*'");
  ExpectCorsRefused(SecondRule([](CorsRule& r) {
                      r.expose_headers = {"ETag", ""};
                    }),
                    "corsRules[1].exposeHeaders[1] must not be empty");
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.expose_headers = {"*"}; }),
                    "corsRules[1].exposeHeaders[0] must not contain '*'");
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.expose_headers = {"x-amz-*"}; }),
                    "corsRules[1].exposeHeaders[0] must not contain '*'");
}

TEST(ValidateCorsTest, RefusesNegativeMaxAge) {
  ExpectCorsRefused(SecondRule([](CorsRule& r) { r.max_age_seconds = -1; }),
                    "corsRules[1].maxAgeSeconds must be >= 0 (got -1)");
  EXPECT_TRUE(ValidateCors(SecondRule([](CorsRule& r) { r.max_age_seconds = 0; })).ok());
}

TEST(ValidateCorsTest, ReportsTheFirstProblem) {
  CorsConfiguration cors = SecondRule([](CorsRule& r) {
    r.allowed_methods = {"GET", "BREW"};
    r.max_age_seconds = -1;
  });
  cors.cors_rules.push_back(CorsRule{});
  Status s = ValidateCors(cors);
  EXPECT_EQ(s.message(),
            "corsRules[1].allowedMethods[1] must be one of GET, PUT, POST, DELETE, HEAD (got "
            "\"BREW\")");
}

}  // namespace
}  // namespace k3::storage
