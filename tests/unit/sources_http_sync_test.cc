// SourceService, SOURCE_PROVIDER_HTTP, end to end against a loopback cpp-httplib server that
// serves documents with ETag and/or Last-Modified, answers conditional requests with 304 and
// counts, per path, the answers that carried a body: unchanged URLs are not downloaded again
// (304) nor re-put (a 200 with the recorded ETag), a changed one is downloaded and re-put
// alone, a URL removed from the list is deleted from the bucket, a 500 puts the source in
// ERROR with the URL and the status in last_error (the other URLs still import), and the next
// good sync clears it. Sitemap mode (<loc> list, removal, a sitemap that is not XML), and bad
// URLs refused at creation.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "k3/k3.hpp"
#include "support/sources_fixtures.h"

namespace k3::test {
namespace {

constexpr char kBucket[] = "web-kb";

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

constexpr char kDateA[] = "Wed, 21 Oct 2015 07:28:00 GMT";
constexpr char kDateC[] = "Thu, 22 Oct 2015 08:00:00 GMT";

class HttpSyncTest : public SourcesFixture {
 protected:
  void SetUp() override {
    Open();
    CreateBucket(kBucket);
    ASSERT_GT(server_.Start(), 0);
  }

  // The object key of a server path for a source with key prefix `prefix`.
  std::string Key(const std::string& prefix, const std::string& path) const {
    std::string key = prefix + "/" + server_.HostPort() + path;
    if (!path.empty() && path.back() == '/') key += "index.html";
    return key;
  }

  CreateSourceRequest HttpRequest(const std::string& name) const {
    CreateSourceRequest r;
    r.bucket = kBucket;
    r.provider = SourceProvider::kHttp;
    r.name = name;
    return r;
  }

  // Jobs per key, as the list of ETags they ran at (oldest first); all must be COMPLETED.
  std::map<std::string, std::vector<std::string>> JobEtags() {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [key, jobs] : JobsByKey(kBucket)) {
      for (const IngestJob& j : jobs) {
        EXPECT_EQ(j.status, IngestStatus::kCompleted) << key << ": " << j.error_message;
        out[key].push_back(j.etag);
      }
    }
    return out;
  }

  DocServer server_;
};

TEST_F(HttpSyncTest, ConditionalFetchesChangesRemovalsAndAnErrorThatClears) {
  const std::string pa = "/docs/a.txt", pb = "/docs/b.txt", pc = "/docs/c.txt", pi = "/docs/";
  server_.SetDoc(pa, "document a, version 1\n", "\"a1\"", kDateA);  // ETag and Last-Modified
  server_.SetDoc(pb, "document b, version 1\n", "\"b1\"");          // ETag only
  server_.SetDoc(pc, "document c\n", "", kDateC);                   // Last-Modified only
  server_.SetDoc(pi, "<html><body>the index</body></html>", "\"i1\"", "", "text/html");
  CreateSourceRequest req = HttpRequest("web");
  req.urls = {server_.Url(pa), server_.Url(pb), server_.Url(pc), server_.Url(pi)};
  const Source src = CreateSource(req);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(src.provider, SourceProvider::kHttp);
  EXPECT_EQ(src.urls, req.urls);
  EXPECT_EQ(src.key_prefix, "web");
  Pipeline vec = VectorPipeline(kBucket, "vec", 1000);
  CreateRule({.bucket = kBucket, .source_id = src.source_id, .pipeline_id = vec.pipeline_id});
  ASSERT_FALSE(HasFailure());
  const std::string ka = Key("web", pa), kb = Key("web", pb), kc = Key("web", pc),
                    ki = Key("web", pi);
  EXPECT_EQ(ki, "web/" + server_.HostPort() + "/docs/index.html");
  std::map<std::string, std::string> bodies = {{ka, "document a, version 1\n"},
                                               {kb, "document b, version 1\n"},
                                               {kc, "document c\n"},
                                               {ki, "<html><body>the index</body></html>"}};
  std::map<std::string, std::vector<std::string>> job_etags;
  for (const auto& [key, body] : bodies) job_etags[key].push_back(Md5Hex(body));

  // 1. Everything is new: one download each.
  SourceSyncReport r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.discovered, 4u);
  EXPECT_EQ(r.added, 4u);
  EXPECT_EQ(r.failed, 0u) << Joined(r.problems);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  uint64_t total = 0;
  for (const auto& [key, body] : bodies) total += body.size();
  EXPECT_EQ(r.bytes_imported, total);
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, "web/"), bodies);
  EXPECT_EQ(JobEtags(), job_etags);
  for (const std::string& p : {pa, pb, pc, pi}) EXPECT_EQ(server_.BodyGets(p), 1) << p;
  Source s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kActive);
  EXPECT_EQ(s.total_objects, 4u);
  EXPECT_EQ(s.total_bytes, total);
  EXPECT_GE(s.last_success_at, r.started_at);
  const TimestampMs updated_a = Head(kBucket, ka).value_or(ObjectInfo{}).updated_at;

  // 2. Nothing changed: every URL answers 304 to its validators; nothing downloaded.
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.unchanged, 4u);
  EXPECT_EQ(r.added + r.changed + r.deleted + r.failed, 0u) << Joined(r.problems);
  EXPECT_EQ(r.bytes_imported, 0u);
  WaitIdle(kBucket);
  for (const std::string& p : {pa, pb, pc, pi}) {
    EXPECT_EQ(server_.BodyGets(p), 1) << p << " was downloaded again";
    EXPECT_EQ(server_.NotModified(p), 1) << p;
  }
  EXPECT_EQ(server_.IfNoneMatchSeen(pa).back(), "\"a1\"");
  EXPECT_EQ(server_.IfNoneMatchSeen(pb).back(), "\"b1\"");
  EXPECT_EQ(JobEtags(), job_etags) << "an unchanged URL was re-put";

  // 3. b changes: only b is downloaded and re-put.
  server_.SetDoc(pb, "document b, version 2 is longer\n", "\"b2\"");
  bodies[kb] = "document b, version 2 is longer\n";
  job_etags[kb].push_back(Md5Hex(bodies[kb]));
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.changed, 1u);
  EXPECT_EQ(r.unchanged, 3u);
  EXPECT_EQ(r.added + r.deleted + r.failed, 0u) << Joined(r.problems);
  EXPECT_EQ(r.bytes_imported, bodies[kb].size());
  WaitIdle(kBucket);
  EXPECT_EQ(server_.BodyGets(pa), 1);
  EXPECT_EQ(server_.BodyGets(pb), 2);
  EXPECT_EQ(server_.BodyGets(pc), 1);
  EXPECT_EQ(server_.BodyGets(pi), 1);
  EXPECT_EQ(Objects(kBucket, "web/"), bodies);
  EXPECT_EQ(JobEtags(), job_etags);

  // 4. A server that ignores the validators and answers 200 with the recorded ETag: unchanged,
  // not re-put.
  server_.IgnoreConditional(pa, true);
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.unchanged, 4u);
  EXPECT_EQ(r.added + r.changed + r.failed, 0u) << Joined(r.problems);
  WaitIdle(kBucket);
  EXPECT_EQ(server_.BodyGets(pa), 2);
  EXPECT_EQ(JobEtags(), job_etags) << "a 200 with the same ETag was re-put";
  EXPECT_EQ(Head(kBucket, ka).value_or(ObjectInfo{}).updated_at, updated_a);
  server_.IgnoreConditional(pa, false);

  // 5. c leaves the list: its object is deleted, with its vectors.
  auto upd = sources().update_source(
      {.bucket = kBucket,
       .source_id = src.source_id,
       .urls = std::vector<std::string>{server_.Url(pa), server_.Url(pb), server_.Url(pi)}});
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  EXPECT_EQ(upd->urls.size(), 3u);
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.discovered, 3u);
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_EQ(r.unchanged, 3u);
  WaitIdle(kBucket);
  bodies.erase(kc);
  EXPECT_EQ(Objects(kBucket, "web/"), bodies);
  EXPECT_FALSE(FirstChunk(kBucket, "vec", kc).has_value());
  EXPECT_EQ(VectorCount(kBucket, "vec"), 3u);
  EXPECT_EQ(server_.Requests(pc), 4) << "c was requested after it left the list";
  s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.total_objects, 3u);

  // 6. b answers 500 while a changes: a imports, b fails, the source is in ERROR naming b.
  const TimestampMs success_before = GetSource(kBucket, src.source_id).last_success_at;
  server_.FailWith(pb, 500);
  server_.SetDoc(pa, "document a, version 2\n", "\"a2\"", kDateA);
  bodies[ka] = "document a, version 2\n";
  job_etags[ka].push_back(Md5Hex(bodies[ka]));
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kError) << r.message;
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.changed, 1u);
  EXPECT_EQ(r.unchanged, 1u);
  EXPECT_EQ(r.deleted, 0u) << "a failing URL is not a removed one";
  EXPECT_TRUE(Has(Joined(r.problems), "500")) << Joined(r.problems);
  WaitIdle(kBucket);
  s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kError);
  EXPECT_TRUE(Has(s.last_error, server_.Url(pb))) << s.last_error;
  EXPECT_TRUE(Has(s.last_error, "500")) << s.last_error;
  EXPECT_GE(s.last_sync_at, r.started_at);
  EXPECT_EQ(s.last_success_at, success_before) << "a failed sync is not a success";
  EXPECT_EQ(Objects(kBucket, "web/"), bodies) << "b keeps its last good version";
  EXPECT_EQ(JobEtags(), job_etags);

  // 7. b recovers: ACTIVE, no error, and b was unchanged all along (304).
  server_.FailWith(pb, 0);
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  EXPECT_EQ(r.failed, 0u) << Joined(r.problems);
  EXPECT_EQ(r.unchanged, 3u);
  WaitIdle(kBucket);
  s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kActive);
  EXPECT_EQ(s.last_error, "");
  EXPECT_GE(s.last_success_at, r.started_at);
  EXPECT_EQ(server_.BodyGets(pb), 2);
  EXPECT_EQ(Objects(kBucket, "web/"), bodies);
  EXPECT_EQ(JobEtags(), job_etags);
}

TEST_F(HttpSyncTest, SitemapListsTheUrlsAndABadSitemapIsAnError) {
  const std::string pa = "/site/a.html", pb = "/site/b.html";
  server_.SetDoc(pa, "<html><body>page a</body></html>", "\"pa1\"", "", "text/html");
  server_.SetDoc(pb, "<html><body>page b</body></html>", "\"pb1\"", "", "text/html");
  auto sitemap = [&](const std::vector<std::string>& paths) {
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    for (const std::string& p : paths) xml += "  <url><loc>" + server_.Url(p) + "</loc></url>\n";
    return xml + "</urlset>\n";
  };
  server_.SetDoc("/sitemap.xml", sitemap({pa, pb}), "", "", "application/xml");
  CreateSourceRequest req = HttpRequest("site");
  req.sitemap_url = server_.Url("/sitemap.xml");
  const Source src = CreateSource(req);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(src.sitemap_url, req.sitemap_url);
  EXPECT_TRUE(src.urls.empty());
  const std::string ka = Key("site", pa), kb = Key("site", pb);

  SourceSyncReport r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  EXPECT_EQ(r.discovered, 2u);
  EXPECT_EQ(r.added, 2u);
  EXPECT_EQ(Objects(kBucket, "site/"),
            (std::map<std::string, std::string>{{ka, "<html><body>page a</body></html>"},
                                                {kb, "<html><body>page b</body></html>"}}))
      << "exactly the sitemap's pages (not the sitemap itself)";

  // b leaves the sitemap: deleted.
  server_.SetDoc("/sitemap.xml", sitemap({pa}), "", "", "application/xml");
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  EXPECT_EQ(r.discovered, 1u);
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_EQ(r.unchanged, 1u);
  EXPECT_EQ(server_.BodyGets(pa), 1);
  EXPECT_EQ(Objects(kBucket, "site/"),
            (std::map<std::string, std::string>{{ka, "<html><body>page a</body></html>"}}));

  // The sitemap stops being XML: the sync fails, naming the sitemap, and deletes nothing.
  server_.SetDoc("/sitemap.xml", "this is { not xml at all <<<", "", "", "text/plain");
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kError) << r.message;
  EXPECT_EQ(r.deleted, 0u);
  Source s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kError);
  EXPECT_TRUE(Has(s.last_error, "sitemap")) << s.last_error;
  EXPECT_EQ(Objects(kBucket, "site/"),
            (std::map<std::string, std::string>{{ka, "<html><body>page a</body></html>"}}))
      << "an unreadable sitemap must not delete what it listed before";

  // Fixed: b is back, the error clears.
  server_.SetDoc("/sitemap.xml", sitemap({pa, pb}), "", "", "application/xml");
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.unchanged, 1u);
  s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kActive);
  EXPECT_EQ(s.last_error, "");
  EXPECT_EQ(Objects(kBucket, "site/").size(), 2u);

  // A source whose sitemap was never XML imports nothing and is in ERROR from the start.
  server_.SetDoc("/broken.xml", "{\"json\": \"not a sitemap\"}", "", "", "application/json");
  CreateSourceRequest broken = HttpRequest("broken");
  broken.sitemap_url = server_.Url("/broken.xml");
  const Source b = CreateSource(broken);
  ASSERT_FALSE(HasFailure());
  r = Sync(kBucket, b.source_id);
  EXPECT_EQ(r.status, SourceStatus::kError) << r.message;
  EXPECT_EQ(r.added, 0u);
  EXPECT_TRUE(Has(GetSource(kBucket, b.source_id).last_error, "sitemap"))
      << GetSource(kBucket, b.source_id).last_error;
  EXPECT_TRUE(Objects(kBucket, "broken/").empty());
}

TEST_F(HttpSyncTest, BadUrlsAreRefusedAndCreateNothing) {
  server_.SetDoc("/ok.txt", "ok\n", "\"ok\"");
  const std::string good = server_.Url("/ok.txt");
  struct Case {
    std::string label;
    std::vector<std::string> urls;
    std::string sitemap;
    std::string mention;  // a substring of the message
  };
  const std::vector<Case> cases = {
      {"ftp", {"ftp://127.0.0.1/x.txt"}, "", "ftp"},
      {"ftp after a good one", {good, "ftp://example.com/y"}, "", "ftp"},
      {"file", {"file:///etc/passwd"}, "", "file"},
      {"not a url", {"not a url"}, "", ""},
      {"empty url", {""}, "", ""},
      {"both", {good}, server_.Url("/sitemap.xml"), "sitemap"},
      {"neither", {}, "", ""},
      {"ftp sitemap", {}, "ftp://127.0.0.1/sitemap.xml", "ftp"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    CreateSourceRequest req = HttpRequest("bad" + std::to_string(i));
    req.urls = c.urls;
    req.sitemap_url = c.sitemap;
    auto s = sources().create_source(req);
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument)
        << c.label << ": " << s.status().ToString();
    EXPECT_TRUE(Has(s.status().message(), c.mention)) << c.label << ": " << s.status().message();
  }
  EXPECT_EQ(SourceCount(kBucket), 1u) << "only the internal source";

  // Update: a bad URL is refused and the list stays.
  CreateSourceRequest req = HttpRequest("fine");
  req.urls = {good};
  const Source src = CreateSource(req);
  ASSERT_FALSE(HasFailure());
  auto upd = sources().update_source({.bucket = kBucket,
                                      .source_id = src.source_id,
                                      .urls = std::vector<std::string>{"ftp://h/x"}});
  EXPECT_EQ(upd.status().code(), StatusCode::kInvalidArgument) << upd.status().ToString();
  EXPECT_EQ(GetSource(kBucket, src.source_id).urls, std::vector<std::string>{good});
  EXPECT_EQ(server_.TotalRequests(), 0) << "refused requests must not reach the network";
}

}  // namespace
}  // namespace k3::test
