// SourceService sync in the corners: objects the source no longer owns are not deleted, a
// server without validators is not re-imported for the same bytes, a bearer token goes only to
// the hosts the source was configured with (and only over https or to this machine), and a
// malformed request never echoes the secret it carried.
#include <gtest/gtest.h>

#include <string>

#include "k3/k3.hpp"
#include "support/sources_fixtures.h"

namespace k3::test {
namespace {

constexpr char kBucket[] = "edges";

class SyncEdgeTest : public SourcesFixture {
 protected:
  void SetUp() override {
    Open();
    CreateBucket(kBucket);
    ASSERT_GT(server_.Start(), 0);
  }

  DocServer server_;
};

TEST_F(SyncEdgeTest, AnObjectReplacedInTheBucketIsKeptWhenItsFileGoes) {
  TempDir root;
  WriteFile(root.path() + "/a.txt", "from the directory");
  WriteFile(root.path() + "/b.txt", "b");
  Source s = CreateSource({.bucket = kBucket,
                           .provider = SourceProvider::kLocalDir,
                           .name = "docs",
                           .root_path = root.path()});
  SourceSyncReport first = Sync(kBucket, s.source_id);
  EXPECT_EQ(first.added, 2u);
  // The host writes its own bytes over the imported object, then the file goes.
  ASSERT_TRUE(db().storage().put_object(kBucket, "docs/a.txt", "the host's own").ok());
  std::filesystem::remove(root.path() + "/a.txt");
  std::filesystem::remove(root.path() + "/b.txt");
  SourceSyncReport second = Sync(kBucket, s.source_id);
  EXPECT_EQ(second.deleted, 2u);
  EXPECT_EQ(second.failed, 0u);
  EXPECT_EQ(Objects(kBucket, "docs/"),
            (std::map<std::string, std::string>{{"docs/a.txt", "the host's own"}}))
      << "the replaced object stays; the untouched one is deleted";
  EXPECT_EQ(GetSource(kBucket, s.source_id).total_objects, 0u);
}

TEST_F(SyncEdgeTest, AUrlReplacedByAnotherOfTheSameObjectKeepsTheObject) {
  server_.SetDoc("/same.txt", "one object, two spellings", "\"s1\"");
  Source s = CreateSource({.bucket = kBucket,
                           .provider = SourceProvider::kHttp,
                           .name = "web",
                           .urls = {server_.Url("/same.txt")}});
  EXPECT_EQ(Sync(kBucket, s.source_id).added, 1u);
  // The list now spells the URL with a fragment: the same object key, another item. The new
  // item imports it; the old one goes without taking the object with it.
  auto updated = sources().update_source(
      {.bucket = kBucket,
       .source_id = s.source_id,
       .urls = std::vector<std::string>{server_.Url("/same.txt") + "#top"}});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  SourceSyncReport report = Sync(kBucket, s.source_id);
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_EQ(report.failed, 0u);
  const std::string key = "web/" + server_.HostPort() + "/same.txt";
  EXPECT_EQ(Objects(kBucket, "web/"),
            (std::map<std::string, std::string>{{key, "one object, two spellings"}}));
  EXPECT_EQ(GetSource(kBucket, s.source_id).total_objects, 1u);
}

TEST_F(SyncEdgeTest, AServerWithoutValidatorsIsNotReimportedForTheSameBytes) {
  server_.SetDoc("/plain.txt", "no validators here", /*etag=*/"");
  Source s = CreateSource({.bucket = kBucket,
                           .provider = SourceProvider::kHttp,
                           .name = "web",
                           .urls = {server_.Url("/plain.txt")}});
  EXPECT_EQ(Sync(kBucket, s.source_id).added, 1u);
  const std::string key = "web/" + server_.HostPort() + "/plain.txt";
  const auto before = Head(kBucket, key);
  ASSERT_TRUE(before.has_value());
  SourceSyncReport same = Sync(kBucket, s.source_id);
  EXPECT_EQ(same.unchanged, 1u);
  EXPECT_EQ(same.changed, 0u);
  EXPECT_EQ(Head(kBucket, key)->updated_at, before->updated_at) << "re-put";
  EXPECT_EQ(server_.BodyGets("/plain.txt"), 2) << "without validators the body is fetched";
  server_.SetDoc("/plain.txt", "new bytes, still no validators", "");
  SourceSyncReport changed = Sync(kBucket, s.source_id);
  EXPECT_EQ(changed.changed, 1u);
  EXPECT_EQ(Objects(kBucket, "web/")[key], "new bytes, still no validators");
}

TEST_F(SyncEdgeTest, TheTokenGoesOnlyToTheConfiguredHost) {
  server_.AcceptTokens({"tok-edge-1"});
  // The sitemap lives on 127.0.0.1 and lists one page there and one on "localhost": the same
  // server, another host name, so it must not get the token.
  const std::string same_host = server_.Url("/in.txt");
  const std::string other_host = "http://localhost:" + std::to_string(server_.port()) + "/out.txt";
  server_.SetDoc("/in.txt", "inside", "\"i\"");
  server_.SetDoc("/out.txt", "outside", "\"o\"");
  server_.SetDoc("/sitemap.xml",
                 "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>" +
                     same_host + "</loc></url><url><loc>" + other_host + "</loc></url></urlset>",
                 "\"s\"", "", "application/xml");
  auto cred = sources().store_credential({.provider = SourceProvider::kHttp,
                                          .credential_type = CredentialType::kPat,
                                          .pat = PatPayload{"tok-edge-1", ""}});
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  Source s = CreateSource({.bucket = kBucket,
                           .provider = SourceProvider::kHttp,
                           .name = "site",
                           .sitemap_url = server_.Url("/sitemap.xml"),
                           .credential_id = cred->credential_id});
  const size_t seen_before = server_.AuthSeen().size();
  SourceSyncReport report = Sync(kBucket, s.source_id);
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.failed, 1u) << "the other host answers 401 without the token";
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find("localhost"), std::string::npos) << report.problems[0];
  int with_token = 0;
  const std::vector<std::string> seen = server_.AuthSeen();
  for (size_t i = seen_before; i < seen.size(); ++i) with_token += seen[i].empty() ? 0 : 1;
  EXPECT_EQ(with_token, 2) << "the sitemap and the page on the configured host only";

  // A credential is refused for plain http to another machine.
  auto plain = sources().create_source({.bucket = kBucket,
                                        .provider = SourceProvider::kHttp,
                                        .name = "plain",
                                        .urls = {"http://example.com/x"},
                                        .credential_id = cred->credential_id});
  EXPECT_EQ(plain.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plain.status().message().find("https"), std::string::npos);
}

TEST_F(SyncEdgeTest, AMalformedRequestNeverEchoesTheSecretItCarried) {
  auto r = db().call("SourceService.StoreCredential",
                     R"({"provider": "http", "credentialType": "pat",
                         "pat": {"token": "tok-SECRET-echo-77" ,, }})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().find("SECRET"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos);
}

}  // namespace
}  // namespace k3::test
