// IngestService: rules (CRUD, filters, paging, PATCH, binding), puts that fire rules, re-puts
// and deletes replacing and removing output, bad input refused without side effects, cancel,
// retries, fairness between buckets, metrics, sync of the internal source, and jobs that
// survive closing the Db.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/ingest_fixtures.h"

namespace k3::test {
namespace {

constexpr char kBucket[] = "kbase";

bool MentionsAny(const std::string& message, const std::vector<std::string>& words) {
  return std::any_of(words.begin(), words.end(),
                     [&](const std::string& w) { return message.find(w) != std::string::npos; });
}

// Releases a blocking embedder when the test leaves its scope, so that a failing assertion
// never leaves a worker blocked while the Db closes.
class ReleaseOnExit {
 public:
  explicit ReleaseOnExit(ScriptedEmbedder* e) : e_(e) {}
  ~ReleaseOnExit() { e_->Release(); }

 private:
  ScriptedEmbedder* e_;
};

class IngestServiceTest : public IngestFixture {
 protected:
  void SetUp() override {
    Open();
    CreateBucket(kBucket);
  }

  // Reopens with one worker (so one blocked job holds every other) and fast retries.
  void OpenSingleWorker() {
    Options options;
    options.worker_threads = 1;
    options.ingest_retry_backoff_ms = 1;
    Open(options);
  }

  std::shared_ptr<ScriptedEmbedder> Register(const std::string& name) {
    auto e = std::make_shared<ScriptedEmbedder>(name);
    Status s = db().register_embedder(name, e);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return e;
  }

  IngestJob Trigger(const std::string& pipeline_id, const std::string& key,
                    const std::string& bucket = kBucket) {
    auto j = ingest().trigger({.object = {bucket, key}, .pipeline_id = pipeline_id});
    EXPECT_TRUE(j.ok()) << key << ": " << j.status().ToString();
    return j.ok() ? *j : IngestJob{};
  }

  IngestJob Wait(const std::string& job_id, const std::string& bucket = kBucket) {
    auto j = ingest().wait(bucket, job_id, kIdleTimeoutMs);
    EXPECT_TRUE(j.ok()) << job_id << ": " << j.status().ToString();
    return j.ok() ? *j : IngestJob{};
  }

  std::vector<IngestJob> JobsOf(const std::string& key, const std::string& bucket = kBucket) {
    std::vector<IngestJob> out;
    for (IngestJob& j : AllJobs(bucket)) {
      if (j.object.key == key) out.push_back(std::move(j));
    }
    return out;
  }

  std::string InternalSource() {
    auto b = db().storage().get_bucket(kBucket);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? b->internal_source_id : "";
  }
};

// A text of several sentences about one subject, `n` of them.
std::string Text(const std::string& subject, int n) {
  std::string t;
  for (int i = 0; i < n; ++i) {
    t += "The " + subject + " note number " + std::to_string(i) + " explains " + subject + ". ";
  }
  return t;
}

TEST_F(IngestServiceTest, RulesCrudFiltersPagesPatchAndBinding) {
  Pipeline vec = VectorPipeline(kBucket, "vec");
  Pipeline tab = CreatePipeline(kBucket, "tab", "csv_table", {}, "people");
  const std::string source = InternalSource();
  ASSERT_FALSE(source.empty());
  std::vector<IngestRule> made;
  for (int i = 0; i < 5; ++i) {
    made.push_back(CreateRule({.bucket = kBucket,
                               .source_id = i < 2 ? source : "",
                               .pipeline_id = i < 3 ? vec.pipeline_id : tab.pipeline_id,
                               .name = "rule" + std::to_string(i),
                               .description = "d" + std::to_string(i),
                               .include_patterns = {"docs/**/*.md", "x" + std::to_string(i)},
                               .exclude_patterns = {"docs/private/**"},
                               .include_mime_types = {"text/*"},
                               .exclude_mime_types = {"text/csv"},
                               .min_size_bytes = 1,
                               .max_size_bytes = 1000,
                               .priority = i}));
  }
  ASSERT_FALSE(HasFailure());
  const IngestRule& r0 = made[0];
  EXPECT_EQ(r0.rule_id.rfind("rule_", 0), 0u) << r0.rule_id;
  EXPECT_GT(r0.created_at, 0);
  auto got = ingest().get_rule(kBucket, r0.rule_id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, "rule0");
  EXPECT_EQ(got->description, "d0");
  EXPECT_EQ(got->source_id, source);
  EXPECT_EQ(got->pipeline_id, vec.pipeline_id);
  EXPECT_EQ(got->include_patterns, (std::vector<std::string>{"docs/**/*.md", "x0"}));
  EXPECT_EQ(got->exclude_patterns, (std::vector<std::string>{"docs/private/**"}));
  EXPECT_EQ(got->include_mime_types, (std::vector<std::string>{"text/*"}));
  EXPECT_EQ(got->exclude_mime_types, (std::vector<std::string>{"text/csv"}));
  EXPECT_EQ(got->min_size_bytes, 1u);
  EXPECT_EQ(got->max_size_bytes, 1000u);
  EXPECT_TRUE(got->enabled);
  EXPECT_EQ(got->binding.pipeline_name, "vec");
  EXPECT_EQ(got->binding.pipeline_kind, PipelineKind::kVector);
  EXPECT_EQ(got->binding.destination, "vec");
  auto tab_rule = ingest().get_rule(kBucket, made[4].rule_id);
  ASSERT_TRUE(tab_rule.ok());
  EXPECT_EQ(tab_rule->binding.pipeline_kind, PipelineKind::kWarehouse);
  EXPECT_EQ(tab_rule->binding.destination, "people");

  // Listing: creation order, filters, pages of 2 over 5.
  auto all = ingest().list_rules({.bucket = kBucket});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->rules.size(), 5u);
  EXPECT_EQ(all->pagination.total_count, 5);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(all->rules[i].rule_id, made[i].rule_id);
  auto by_pipe = ingest().list_rules({.bucket = kBucket, .pipeline_id = tab.pipeline_id});
  ASSERT_TRUE(by_pipe.ok());
  ASSERT_EQ(by_pipe->rules.size(), 2u);
  EXPECT_EQ(by_pipe->rules[0].rule_id, made[3].rule_id);
  auto by_source = ingest().list_rules({.bucket = kBucket, .source_id = source});
  ASSERT_TRUE(by_source.ok());
  ASSERT_EQ(by_source->rules.size(), 2u);
  EXPECT_EQ(by_source->rules[1].rule_id, made[1].rule_id);
  std::vector<std::string> paged;
  std::vector<size_t> sizes;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    auto p = ingest().list_rules({.bucket = kBucket, .page_size = 2, .page_token = token});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    sizes.push_back(p->rules.size());
    for (const IngestRule& r : p->rules) paged.push_back(r.rule_id);
    token = p->pagination.next_page_token;
    if (token.empty()) break;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));
  ASSERT_EQ(paged.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(paged[i], made[i].rule_id);

  // PATCH: absent fields stay, a present empty list clears, a negative priority is allowed.
  auto renamed = ingest().update_rule({.bucket = kBucket, .rule_id = r0.rule_id, .name = "first"});
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->name, "first");
  EXPECT_EQ(renamed->description, "d0");
  EXPECT_EQ(renamed->include_patterns, got->include_patterns);
  EXPECT_EQ(renamed->include_mime_types, got->include_mime_types);
  EXPECT_EQ(renamed->max_size_bytes, 1000u);
  EXPECT_EQ(renamed->created_at, r0.created_at);
  EXPECT_GE(renamed->updated_at, r0.updated_at);
  auto cleared = ingest().update_rule({.bucket = kBucket,
                                       .rule_id = r0.rule_id,
                                       .include_patterns = std::vector<std::string>{},
                                       .enabled = false,
                                       .priority = -3});
  ASSERT_TRUE(cleared.ok()) << cleared.status().ToString();
  EXPECT_TRUE(cleared->include_patterns.empty());
  EXPECT_EQ(cleared->exclude_patterns, got->exclude_patterns);
  EXPECT_FALSE(cleared->enabled);
  EXPECT_EQ(cleared->priority, -3);
  EXPECT_EQ(cleared->name, "first");
  auto reread = ingest().get_rule(kBucket, r0.rule_id);
  ASSERT_TRUE(reread.ok());
  EXPECT_TRUE(reread->include_patterns.empty());
  EXPECT_FALSE(reread->enabled);
  auto moved = ingest().update_rule(
      {.bucket = kBucket, .rule_id = r0.rule_id, .pipeline_id = tab.pipeline_id});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->binding.pipeline_name, "tab");
  auto bad_patch = ingest().update_rule({.bucket = kBucket,
                                         .rule_id = r0.rule_id,
                                         .include_patterns = std::vector<std::string>{"[a-"}});
  EXPECT_EQ(bad_patch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ingest().get_rule(kBucket, r0.rule_id)->include_patterns.empty());
  EXPECT_EQ(ingest()
                .update_rule({.bucket = kBucket, .rule_id = "rule_nope", .name = "x"})
                .status()
                .code(),
            StatusCode::kNotFound);

  // Deleting the pipeline empties the binding of its rules; the rules stay.
  ASSERT_TRUE(db().pipelines().delete_pipeline(kBucket, tab.pipeline_id).ok());
  auto orphan = ingest().get_rule(kBucket, made[4].rule_id);
  ASSERT_TRUE(orphan.ok()) << orphan.status().ToString();
  EXPECT_EQ(orphan->pipeline_id, tab.pipeline_id);
  EXPECT_EQ(orphan->binding.pipeline_name, "");
  EXPECT_EQ(orphan->binding.pipeline_kind, PipelineKind::kUnspecified);
  EXPECT_EQ(orphan->binding.destination, "");

  // Delete.
  ASSERT_TRUE(ingest().delete_rule(kBucket, made[2].rule_id).ok());
  EXPECT_EQ(ingest().get_rule(kBucket, made[2].rule_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().delete_rule(kBucket, made[2].rule_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().list_rules({.bucket = kBucket})->rules.size(), 4u);
  EXPECT_EQ(ingest().get_rule("nope", made[0].rule_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().list_rules({.bucket = "nope"}).status().code(), StatusCode::kNotFound);
}

TEST_F(IngestServiceTest, APutFiresOnlyMatchingEnabledRules) {
  Pipeline vec = VectorPipeline(kBucket, "vec");
  Pipeline vec2 = VectorPipeline(kBucket, "vec2");
  IngestRule md = CreateRule({.bucket = kBucket,
                              .pipeline_id = vec.pipeline_id,
                              .name = "markdown",
                              .include_patterns = {"docs/**/*.md"},
                              .exclude_patterns = {"docs/private/**"},
                              .include_mime_types = {"text/*"},
                              .max_size_bytes = 10000,
                              .priority = 1});
  CreateRule({.bucket = kBucket,
              .pipeline_id = vec2.pipeline_id,
              .name = "off",
              .include_patterns = {"notes/**"},
              .enabled = false});
  const std::string body = Text("refund", 12);
  ObjectInfo info = Put(kBucket, "docs/a/intro.md", body, "text/markdown");
  WaitIdle(kBucket);
  std::vector<IngestJob> jobs = AllJobs(kBucket);
  ASSERT_EQ(jobs.size(), 1u);
  const IngestJob& j = jobs[0];
  EXPECT_EQ(j.job_id.rfind("job_", 0), 0u) << j.job_id;
  EXPECT_EQ(j.status, IngestStatus::kCompleted) << j.error_message;
  EXPECT_EQ(j.object.bucket, kBucket);
  EXPECT_EQ(j.object.key, "docs/a/intro.md");
  EXPECT_EQ(j.etag, info.etag);
  EXPECT_EQ(j.object_size, body.size());
  EXPECT_EQ(j.rule_id, md.rule_id);
  EXPECT_EQ(j.pipeline_id, vec.pipeline_id);
  EXPECT_EQ(j.pipeline_name, "vec");
  EXPECT_EQ(j.pipeline_kind, PipelineKind::kVector);
  EXPECT_GT(j.chunks_created, 1u);
  EXPECT_EQ(j.embeddings_created, j.chunks_created);
  EXPECT_EQ(j.embeddings_written, j.chunks_created);
  EXPECT_GE(j.batches_received, 1u);
  EXPECT_GT(j.output_size, 0u);
  EXPECT_EQ(j.vector_status, "success");
  EXPECT_EQ(j.attempts, 1u);
  EXPECT_FALSE(j.thread_id.empty());
  EXPECT_TRUE(j.error_message.empty()) << j.error_message;
  EXPECT_GT(j.started_at, 0);
  EXPECT_GE(j.finished_at, j.started_at);
  EXPECT_GE(j.started_at, j.created_at);
  EXPECT_EQ(VectorCount(kBucket, "vec"), j.chunks_created);
  auto waited = ingest().wait(kBucket, j.job_id, 0);
  ASSERT_TRUE(waited.ok()) << waited.status().ToString();
  EXPECT_EQ(waited->status, IngestStatus::kCompleted);
  auto fetched = ingest().get_job(kBucket, j.job_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->chunks_created, j.chunks_created);
  auto hits = db().vectors().search(
      {.bucket = kBucket, .collection = "vec", .text = "refund note explains", .top_k = 3});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_FALSE(hits->results[0].empty());
  EXPECT_EQ(hits->results[0][0].object_key, "docs/a/intro.md");

  // No job: another key, an excluded key, another content type, too large, a disabled rule.
  Put(kBucket, "other/a.md", body, "text/markdown");
  Put(kBucket, "docs/private/a.md", body, "text/markdown");
  Put(kBucket, "docs/b.md", body, "application/octet-stream");
  Put(kBucket, "docs/big.md", std::string(20000, 'w'), "text/markdown");
  Put(kBucket, "notes/x.md", body, "text/markdown");
  WaitIdle(kBucket);
  EXPECT_EQ(AllJobs(kBucket).size(), 1u);

  // Two matching rules: two jobs. Case-insensitive globs.
  IngestRule all_docs = CreateRule({.bucket = kBucket,
                                    .pipeline_id = vec2.pipeline_id,
                                    .name = "all docs",
                                    .include_patterns = {"DOCS/**"},
                                    .priority = 5});
  Put(kBucket, "docs/c/two.md", Text("shipping", 3), "text/markdown");
  WaitIdle(kBucket);
  std::vector<IngestJob> two = JobsOf("docs/c/two.md");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ((std::set<std::string>{two[0].rule_id, two[1].rule_id}),
            (std::set<std::string>{md.rule_id, all_docs.rule_id}));
  for (const IngestJob& t : two) EXPECT_EQ(t.status, IngestStatus::kCompleted) << t.error_message;

  // A trigger without ids takes the highest-priority matching rule.
  auto picked = ingest().trigger({.object = {kBucket, "docs/c/two.md"}});
  ASSERT_TRUE(picked.ok()) << picked.status().ToString();
  EXPECT_EQ(picked->rule_id, all_docs.rule_id);
  EXPECT_EQ(picked->pipeline_id, vec2.pipeline_id);
  auto by_rule = ingest().trigger({.object = {kBucket, "docs/c/two.md"}, .rule_id = md.rule_id});
  ASSERT_TRUE(by_rule.ok()) << by_rule.status().ToString();
  EXPECT_EQ(by_rule->pipeline_id, vec.pipeline_id);
  auto explicit_pipe =
      ingest().trigger({.object = {kBucket, "docs/c/two.md"}, .pipeline_id = vec.pipeline_id});
  ASSERT_TRUE(explicit_pipe.ok()) << explicit_pipe.status().ToString();
  EXPECT_EQ(explicit_pipe->rule_id, "");
  WaitIdle(kBucket);
  EXPECT_EQ(Wait(picked->job_id).status, IngestStatus::kCompleted);
  EXPECT_EQ(JobsOf("docs/c/two.md").size(), 5u);
  EXPECT_EQ(AllJobs(kBucket, IngestStatus::kCompleted, all_docs.rule_id).size(), 2u);
}

TEST_F(IngestServiceTest, RePutReplacesOutputAndDeleteRemovesIt) {
  Pipeline vec = VectorPipeline(kBucket, "vec", 60);
  Pipeline csv = CreatePipeline(kBucket, "load", "csv_table", {}, "people");
  CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"*.txt"}});
  CreateRule({.bucket = kBucket, .pipeline_id = csv.pipeline_id, .include_patterns = {"*.csv"}});
  Put(kBucket, "a.txt", Text("alpha", 10));
  Put(kBucket, "keep.txt", Text("kept", 4));
  Put(kBucket, "p.csv", "id,name\n1,ann\n2,bob\n3,cy\n", "text/csv");
  WaitIdle(kBucket);
  auto last_chunks = [&](const std::string& key) -> uint64_t {
    std::vector<IngestJob> jobs = JobsOf(key);  // newest first
    EXPECT_FALSE(jobs.empty()) << key;
    if (jobs.empty()) return 0;
    EXPECT_EQ(jobs[0].status, IngestStatus::kCompleted) << key << ": " << jobs[0].error_message;
    return jobs[0].chunks_created;
  };
  const uint64_t a1 = last_chunks("a.txt");
  const uint64_t keep = last_chunks("keep.txt");
  ASSERT_GT(a1, 2u);
  EXPECT_EQ(VectorCount(kBucket, "vec"), a1 + keep);
  EXPECT_TRUE(MissingVectors(kBucket, "vec", ChunkIds("a.txt", a1)).empty());
  EXPECT_EQ(Scalar(kBucket, "SELECT count(*) FROM people WHERE _k3_source_key = 'p.csv'"), 3);

  // A shorter version, then the same bytes again: one copy of the latest output each time.
  Put(kBucket, "a.txt", Text("alpha", 3));
  Put(kBucket, "p.csv", "id,name\n7,zed\n8,yan\n", "text/csv");
  WaitIdle(kBucket);
  EXPECT_EQ(JobsOf("a.txt").size(), 2u);
  const uint64_t a2 = last_chunks("a.txt");
  ASSERT_LT(a2, a1);
  EXPECT_EQ(VectorCount(kBucket, "vec"), a2 + keep);
  EXPECT_EQ(MissingVectors(kBucket, "vec", ChunkIds("a.txt", a1)).size(), a1 - a2)
      << "stale chunks of the longer version remain";
  EXPECT_EQ(Scalar(kBucket, "SELECT count(*) FROM people"), 2);
  EXPECT_EQ(Scalar(kBucket, "SELECT count(*) FROM people WHERE id = 1"), 0);
  Put(kBucket, "a.txt", Text("alpha", 3));
  Put(kBucket, "p.csv", "id,name\n7,zed\n8,yan\n", "text/csv");
  WaitIdle(kBucket);
  EXPECT_EQ(JobsOf("a.txt").size(), 3u);
  EXPECT_EQ(VectorCount(kBucket, "vec"), a2 + keep);
  EXPECT_EQ(Scalar(kBucket, "SELECT count(*) FROM people"), 2);

  // Deleting the objects removes their output, and only theirs.
  ASSERT_TRUE(db().storage().delete_object(kBucket, "a.txt").ok());
  ASSERT_TRUE(db().storage().delete_object(kBucket, "p.csv").ok());
  WaitIdle(kBucket);
  EXPECT_EQ(VectorCount(kBucket, "vec"), keep);
  EXPECT_EQ(MissingVectors(kBucket, "vec", ChunkIds("a.txt", a2)).size(), a2);
  EXPECT_TRUE(MissingVectors(kBucket, "vec", ChunkIds("keep.txt", keep)).empty());
  EXPECT_EQ(Scalar(kBucket, "SELECT count(*) FROM people"), 0);
  for (const IngestJob& j : AllJobs(kBucket)) {
    EXPECT_EQ(j.status, IngestStatus::kCompleted) << j.object.key << ": " << j.error_message;
  }
}

TEST_F(IngestServiceTest, BadInputIsRefusedClearlyAndWritesNothing) {
  Pipeline vec = VectorPipeline(kBucket, "vec");
  Put(kBucket, "a.txt", Text("alpha", 2));
  WaitIdle(kBucket);

  // Rules.
  auto unknown = ingest().create_rule(
      {.bucket = kBucket, .pipeline_id = "pipe_nope", .include_patterns = {"**"}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("pipe_nope"), std::string::npos)
      << unknown.status().message();
  struct BadRule {
    std::string label;
    IngestRule rule;
    StatusCode code;
    std::vector<std::string> mentions;  // the message names one of them
  };
  const std::vector<BadRule> cases = {
      {"bad include glob",
       {.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"ok/**", "[a-"}},
       StatusCode::kInvalidArgument,
       {"include_patterns", "includePatterns"}},
      {"bad exclude glob",
       {.bucket = kBucket, .pipeline_id = vec.pipeline_id, .exclude_patterns = {"x\\"}},
       StatusCode::kInvalidArgument,
       {"exclude_patterns", "excludePatterns"}},
      {"bad include mime",
       {.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_mime_types = {"textplain"}},
       StatusCode::kInvalidArgument,
       {"include_mime_types", "includeMimeTypes"}},
      {"bad exclude mime",
       {.bucket = kBucket, .pipeline_id = vec.pipeline_id, .exclude_mime_types = {"*/plain"}},
       StatusCode::kInvalidArgument,
       {"exclude_mime_types", "excludeMimeTypes"}},
      {"min above max",
       {.bucket = kBucket,
        .pipeline_id = vec.pipeline_id,
        .min_size_bytes = 10,
        .max_size_bytes = 5},
       StatusCode::kInvalidArgument,
       {"min_size", "minSize"}},
      {"name too long",
       {.bucket = kBucket, .pipeline_id = vec.pipeline_id, .name = std::string(129, 'n')},
       StatusCode::kInvalidArgument,
       {"name"}},
      {"missing bucket",
       {.bucket = "nope", .pipeline_id = vec.pipeline_id},
       StatusCode::kNotFound,
       {"nope"}},
      {"unknown source",
       {.bucket = kBucket, .source_id = "src_nope", .pipeline_id = vec.pipeline_id},
       StatusCode::kNotFound,
       {"src_nope"}},
  };
  for (const BadRule& c : cases) {
    auto r = ingest().create_rule(c.rule);
    EXPECT_EQ(r.status().code(), c.code) << c.label << ": " << r.status().ToString();
    EXPECT_TRUE(MentionsAny(r.status().message(), c.mentions))
        << c.label << ": " << r.status().message();
  }
  auto rules = ingest().list_rules({.bucket = kBucket});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->rules.empty()) << "a refused rule was created";

  // Triggers.
  auto missing =
      ingest().trigger({.object = {kBucket, "missing.txt"}, .pipeline_id = vec.pipeline_id});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("missing.txt"), std::string::npos);
  auto no_bucket = ingest().trigger({.object = {"nope", "a.txt"}, .pipeline_id = vec.pipeline_id});
  EXPECT_EQ(no_bucket.status().code(), StatusCode::kNotFound);
  auto no_pipe = ingest().trigger({.object = {kBucket, "a.txt"}, .pipeline_id = "pipe_nope"});
  EXPECT_EQ(no_pipe.status().code(), StatusCode::kNotFound);
  auto no_rule = ingest().trigger({.object = {kBucket, "a.txt"}, .rule_id = "rule_nope"});
  EXPECT_EQ(no_rule.status().code(), StatusCode::kNotFound);
  auto both = ingest().trigger(
      {.object = {kBucket, "a.txt"}, .pipeline_id = vec.pipeline_id, .rule_id = "rule_x"});
  EXPECT_EQ(both.status().code(), StatusCode::kInvalidArgument) << both.status().ToString();
  auto option = ingest().trigger({.object = {kBucket, "a.txt"},
                                  .pipeline_id = vec.pipeline_id,
                                  .options = {{"chunksize", "10"}}});
  EXPECT_EQ(option.status().code(), StatusCode::kInvalidArgument) << option.status().ToString();
  EXPECT_NE(option.status().message().find("chunksize"), std::string::npos);
  auto typed = ingest().trigger({.object = {kBucket, "a.txt"},
                                 .pipeline_id = vec.pipeline_id,
                                 .options = {{"chunk_size", "big"}}});
  EXPECT_EQ(typed.status().code(), StatusCode::kInvalidArgument) << typed.status().ToString();
  EXPECT_NE(typed.status().message().find("chunk_size"), std::string::npos);
  auto unmatched = ingest().trigger({.object = {kBucket, "a.txt"}});
  EXPECT_EQ(unmatched.status().code(), StatusCode::kFailedPrecondition)
      << unmatched.status().ToString();
  WaitIdle(kBucket);
  EXPECT_TRUE(AllJobs(kBucket).empty()) << "a refused trigger created a job";

  // Unknown jobs.
  EXPECT_EQ(ingest().get_job(kBucket, "job_nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().cancel_job(kBucket, "job_nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().wait(kBucket, "job_nope", 1000).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().wait_idle("nope", 1000).code(), StatusCode::kNotFound);
  EXPECT_EQ(ingest().list_jobs({.bucket = "nope"}).status().code(), StatusCode::kNotFound);

  // A job of another bucket is not found through this one.
  CreateBucket("other");
  IngestJob ok = Trigger(vec.pipeline_id, "a.txt");
  EXPECT_EQ(ingest().get_job("other", ok.job_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Wait(ok.job_id).status, IngestStatus::kCompleted) << ok.error_message;

  // Status names and filters.
  for (IngestStatus s :
       {IngestStatus::kPending, IngestStatus::kProcessing, IngestStatus::kCompleted,
        IngestStatus::kFailed, IngestStatus::kCancelled}) {
    EXPECT_EQ(ParseIngestStatus(IngestStatusName(s)), s) << IngestStatusName(s);
  }
  EXPECT_STREQ(IngestStatusName(IngestStatus::kCompleted), "INGEST_STATUS_COMPLETED");
  EXPECT_EQ(ParseIngestStatus("pending"), IngestStatus::kPending);
  EXPECT_EQ(ParseIngestStatus("cancelled"), IngestStatus::kCancelled);
  EXPECT_EQ(ParseIngestStatus("garbage"), std::nullopt);
  EXPECT_EQ(ParseIngestStatus(""), std::nullopt);
  EXPECT_EQ(AllJobs(kBucket, IngestStatus::kCompleted).size(), 1u);
  EXPECT_TRUE(AllJobs(kBucket, IngestStatus::kFailed).empty());
  EXPECT_TRUE(AllJobs(kBucket, IngestStatus::kPending).empty());

  // Page tokens: garbage, and one of list_rules, are refused by list_jobs.
  CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"r1/**"}});
  CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"r2/**"}});
  auto rule_page = ingest().list_rules({.bucket = kBucket, .page_size = 1});
  ASSERT_TRUE(rule_page.ok());
  ASSERT_FALSE(rule_page->pagination.next_page_token.empty());
  EXPECT_EQ(ingest()
                .list_jobs({.bucket = kBucket, .page_token = rule_page->pagination.next_page_token})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ingest().list_jobs({.bucket = kBucket, .page_token = "garbage"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ingest().list_rules({.bucket = kBucket, .page_token = "garbage"}).status().code(),
            StatusCode::kInvalidArgument);
  // A token of a filtered job listing does not continue another filter.
  Trigger(vec.pipeline_id, "a.txt");
  WaitIdle(kBucket);
  auto job_page = ingest().list_jobs({.bucket = kBucket, .page_size = 1});
  ASSERT_TRUE(job_page.ok());
  ASSERT_FALSE(job_page->pagination.next_page_token.empty());
  EXPECT_EQ(ingest()
                .list_jobs({.bucket = kBucket,
                            .status_filter = IngestStatus::kFailed,
                            .page_token = job_page->pagination.next_page_token})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(IngestServiceTest, ARuleWhosePipelineWasDeletedFailsItsJobsOnceNamingThePipeline) {
  OpenSingleWorker();
  Pipeline vec = VectorPipeline(kBucket, "vec");
  IngestRule rule =
      CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"**"}});
  ASSERT_TRUE(db().pipelines().delete_pipeline(kBucket, vec.pipeline_id).ok());
  Put(kBucket, "a.txt", Text("alpha", 2));
  WaitIdle(kBucket);
  std::vector<IngestJob> jobs = AllJobs(kBucket);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, IngestStatus::kFailed);
  EXPECT_EQ(jobs[0].rule_id, rule.rule_id);
  EXPECT_EQ(jobs[0].attempts, 1u) << "no retries for a deleted pipeline";
  EXPECT_NE(jobs[0].error_message.find(vec.pipeline_id), std::string::npos)
      << jobs[0].error_message;
  EXPECT_NE(jobs[0].error_message.find("deleted"), std::string::npos) << jobs[0].error_message;
  EXPECT_GT(jobs[0].finished_at, 0);
  EXPECT_EQ(ingest().metrics().job_retries, 0u);
}

TEST_F(IngestServiceTest, APendingJobCanBeCancelledOnce) {
  OpenSingleWorker();
  auto gate = Register("gate");
  ReleaseOnExit release(gate.get());
  Pipeline slow = VectorPipeline(kBucket, "slow", 200, "gate");
  Put(kBucket, "hold.txt", "HOLD this worker");
  Put(kBucket, "b.txt", Text("beta", 2));
  gate->BlockOn("HOLD");
  IngestJob held = Trigger(slow.pipeline_id, "hold.txt");
  ASSERT_TRUE(gate->WaitEntered(1, std::chrono::seconds(60))) << "the job never ran";
  IngestJob queued = Trigger(slow.pipeline_id, "b.txt");
  ASSERT_FALSE(queued.job_id.empty());
  EXPECT_EQ(ingest().get_job(kBucket, held.job_id)->status, IngestStatus::kProcessing);
  EXPECT_EQ(ingest().get_job(kBucket, queued.job_id)->status, IngestStatus::kPending);
  auto activity = ingest().activity(kBucket);
  ASSERT_TRUE(activity.ok());
  EXPECT_EQ(activity->pending, 1u);
  EXPECT_EQ(activity->processing, 1u);
  auto timed_out = ingest().wait(kBucket, queued.job_id, 1);
  EXPECT_EQ(timed_out.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(MentionsAny(timed_out.status().message(), {"PENDING", "pending"}))
      << timed_out.status().message();
  EXPECT_EQ(ingest().wait_idle(kBucket, 1).code(), StatusCode::kDeadlineExceeded);

  auto cancelled = ingest().cancel_job(kBucket, queued.job_id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(cancelled->status, IngestStatus::kCancelled);
  EXPECT_GT(cancelled->finished_at, 0);
  EXPECT_EQ(ingest().cancel_job(kBucket, queued.job_id).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ingest().cancel_job(kBucket, held.job_id).status().code(),
            StatusCode::kFailedPrecondition)
      << "a PROCESSING job is not cancelled";
  EXPECT_EQ(ingest().metrics().jobs_cancelled, 1u);

  gate->Release();
  EXPECT_EQ(Wait(held.job_id).status, IngestStatus::kCompleted);
  EXPECT_EQ(Wait(queued.job_id).status, IngestStatus::kCancelled);
  WaitIdle(kBucket);
  EXPECT_EQ(ingest().get_job(kBucket, queued.job_id)->attempts, 0u);
  EXPECT_EQ(ingest().get_job(kBucket, queued.job_id)->status, IngestStatus::kCancelled);
  EXPECT_EQ(VectorCount(kBucket, "slow"), 1u) << "only hold.txt was indexed";
  EXPECT_EQ(ingest().cancel_job(kBucket, held.job_id).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(IngestServiceTest, TransientErrorsAreRetriedOthersFailAtOnce) {
  Options options;
  options.worker_threads = 2;
  options.ingest_retry_backoff_ms = 1;
  options.ingest_max_attempts = 3;
  Open(options);
  auto flaky = Register("flaky");
  Pipeline p = VectorPipeline(kBucket, "flaky", 200, "flaky");
  Put(kBucket, "retry.txt", "RETRY me twice");
  Put(kBucket, "down.txt", "DOWN always");
  Put(kBucket, "bad.txt", "BADARG refused");

  flaky->FailOn("RETRY", 2, Unavailable("embedder warming up"));
  IngestJob retried = Wait(Trigger(p.pipeline_id, "retry.txt").job_id);
  EXPECT_EQ(retried.status, IngestStatus::kCompleted) << retried.error_message;
  EXPECT_EQ(retried.attempts, 3u);
  EXPECT_EQ(VectorCount(kBucket, "flaky"), 1u);
  EXPECT_GE(ingest().metrics().job_retries, 2u);

  flaky->FailOn("DOWN", -1, Unavailable("embedder down"));
  IngestJob down = Wait(Trigger(p.pipeline_id, "down.txt").job_id);
  EXPECT_EQ(down.status, IngestStatus::kFailed);
  EXPECT_EQ(down.attempts, 3u);
  EXPECT_NE(down.error_message.find("embedder down"), std::string::npos) << down.error_message;

  flaky->FailOn("BADARG", -1, InvalidArgument("text refused"));
  IngestJob bad = Wait(Trigger(p.pipeline_id, "bad.txt").job_id);
  EXPECT_EQ(bad.status, IngestStatus::kFailed);
  EXPECT_EQ(bad.attempts, 1u) << "INVALID_ARGUMENT is not transient";
  EXPECT_NE(bad.error_message.find("text refused"), std::string::npos) << bad.error_message;
  WaitIdle(kBucket);
  EXPECT_EQ(VectorCount(kBucket, "flaky"), 1u);
  EXPECT_EQ(ingest().metrics().jobs_failed, 2u);
}

TEST_F(IngestServiceTest, ABusyBucketDoesNotStarveAnother) {
  OpenSingleWorker();
  auto gate = Register("gate");
  auto log = Register("log");
  ReleaseOnExit release(gate.get());
  CreateBucket("aaa");
  CreateBucket("bbb");
  Pipeline hold = VectorPipeline(kBucket, "hold", 200, "gate");
  for (const char* b : {"aaa", "bbb"}) {
    Pipeline p = VectorPipeline(b, "logged", 200, "log");
    CreateRule({.bucket = b, .pipeline_id = p.pipeline_id});
  }
  Put(kBucket, "hold.txt", "HOLD the only worker");
  gate->BlockOn("HOLD");
  IngestJob held = Trigger(hold.pipeline_id, "hold.txt");
  ASSERT_TRUE(gate->WaitEntered(1, std::chrono::seconds(60)));
  constexpr int kBusy = 300;
  for (int i = 0; i < kBusy; ++i) {
    Put("aaa", "a" + std::to_string(i) + ".txt", "busy object " + std::to_string(i));
  }
  ASSERT_TRUE(WaitUntil([&] { return ingest().activity("aaa")->pending == kBusy; }))
      << "the dispatcher did not queue the busy bucket's jobs";
  Put("bbb", "b.txt", "lonely object");
  ASSERT_TRUE(WaitUntil([&] { return ingest().activity("bbb")->pending == 1; }));
  gate->Release();
  WaitIdle("bbb");
  WaitIdle("aaa");
  EXPECT_EQ(Wait(held.job_id).status, IngestStatus::kCompleted);

  // The order the workers embedded in: b's job ran before most of a's, queued before it.
  int a_before_b = -1, a_seen = 0;
  for (const std::vector<std::string>& batch : log->Log()) {
    for (const std::string& text : batch) {
      if (text.find("lonely") != std::string::npos) {
        a_before_b = a_seen;
      } else if (text.find("busy") != std::string::npos) {
        ++a_seen;
      }
    }
  }
  std::printf("bbb's job ran after %d of aaa's %d\n", a_before_b, kBusy);
  EXPECT_EQ(a_seen, kBusy);
  ASSERT_GE(a_before_b, 0) << "bbb's object was never embedded";
  EXPECT_LE(a_before_b, 3) << "bbb waited behind " << a_before_b << " of aaa's jobs";
  EXPECT_EQ(AllJobs("aaa", IngestStatus::kCompleted).size(), static_cast<size_t>(kBusy));
  EXPECT_EQ(AllJobs("bbb", IngestStatus::kCompleted).size(), 1u);
}

TEST_F(IngestServiceTest, MetricsCountJobsObjectsBytesAndLatency) {
  const IngestMetrics m0 = ingest().metrics();
  Pipeline vec = VectorPipeline(kBucket, "vec");
  CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"**"}});
  uint64_t bytes = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string body = Text("metric", i + 1);
    bytes += body.size();
    Put(kBucket, "m" + std::to_string(i) + ".txt", body);
  }
  Put(kBucket, "blank.txt", "   \n  ");  // no text: FAILED
  WaitIdle(kBucket);
  const IngestMetrics m1 = ingest().metrics();
  EXPECT_EQ(m1.jobs_created - m0.jobs_created, 4u);
  EXPECT_EQ(m1.jobs_completed - m0.jobs_completed, 3u);
  EXPECT_EQ(m1.jobs_failed - m0.jobs_failed, 1u);
  EXPECT_EQ(m1.objects_ingested - m0.objects_ingested, 3u);
  EXPECT_EQ(m1.bytes_ingested - m0.bytes_ingested, bytes);
  EXPECT_GE(m1.events_dispatched - m0.events_dispatched, 4u);
  EXPECT_EQ(m1.latency_count - m0.latency_count, 4u);
  EXPECT_EQ(m1.queue_depth, 0u);
  EXPECT_EQ(m1.jobs_processing, 0u);
  constexpr size_t kBounds = std::size(IngestMetrics::kLatencyBucketsMs);
  ASSERT_EQ(m1.latency_bucket_counts.size(), kBounds + 1);
  for (size_t i = 1; i < m1.latency_bucket_counts.size(); ++i) {
    EXPECT_GE(m1.latency_bucket_counts[i], m1.latency_bucket_counts[i - 1]) << "not cumulative";
  }
  EXPECT_EQ(m1.latency_bucket_counts.back(), m1.latency_count);
  auto activity = ingest().activity(kBucket);
  ASSERT_TRUE(activity.ok());
  EXPECT_EQ(activity->pending, 0u);
  EXPECT_EQ(activity->processing, 0u);
  EXPECT_EQ(ingest().activity("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(IngestServiceTest, SyncOfTheInternalSourceDiscoversAndIngestsWhatChanged) {
  Put(kBucket, "s0.txt", Text("zero", 2));
  Put(kBucket, "s1.txt", Text("one", 2));
  Put(kBucket, "s2.txt", Text("two", 2));
  WaitIdle(kBucket);  // their events are dispatched while no rule exists
  const std::string source = InternalSource();
  ASSERT_FALSE(source.empty());
  Pipeline vec = VectorPipeline(kBucket, "vec");
  IngestRule rule = CreateRule({.bucket = kBucket,
                                .source_id = source,
                                .pipeline_id = vec.pipeline_id,
                                .include_patterns = {"*.txt"}});
  WaitIdle(kBucket);
  EXPECT_TRUE(AllJobs(kBucket).empty()) << "objects put before the rule fired it";
  auto status = [&]() {
    auto s = ingest().get_sync_status(kBucket, source);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : SyncStatus{};
  };
  auto discover = [&]() {
    auto d = ingest().trigger_discovery({.bucket = kBucket, .source_id = source});
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : SyncTriggerResponse{};
  };
  auto ingestion = [&](TriggerIngestionRequest r) -> uint64_t {
    r.bucket = kBucket;
    r.source_id = source;
    auto i = ingest().trigger_ingestion(r);
    EXPECT_TRUE(i.ok()) << i.status().ToString();
    return i.ok() ? i->jobs_created : 9999;
  };

  SyncTriggerResponse d = discover();
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.job_id.rfind("sync_", 0), 0u) << d.job_id;
  SyncStatus s = status();
  EXPECT_EQ(s.discovered, 3u);
  EXPECT_EQ(s.pending, 3u);
  EXPECT_EQ(s.ingested, 0u);
  EXPECT_GT(s.last_discovery_at, 0);
  EXPECT_EQ(ingestion({}), 3u);
  WaitIdle(kBucket);
  EXPECT_EQ(AllJobs(kBucket, IngestStatus::kCompleted, rule.rule_id).size(), 3u);
  s = status();
  EXPECT_EQ(s.ingested, 3u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_GT(s.last_ingestion_at, 0);
  EXPECT_FALSE(s.last_sync_id.empty());
  discover();
  EXPECT_EQ(ingestion({}), 0u) << "nothing changed";

  // A change made while the rule is off is found by the next discovery.
  ASSERT_TRUE(
      ingest().update_rule({.bucket = kBucket, .rule_id = rule.rule_id, .enabled = false}).ok());
  Put(kBucket, "s1.txt", Text("one changed", 3));
  WaitIdle(kBucket);
  EXPECT_EQ(AllJobs(kBucket).size(), 3u);
  ASSERT_TRUE(
      ingest().update_rule({.bucket = kBucket, .rule_id = rule.rule_id, .enabled = true}).ok());
  discover();
  s = status();
  EXPECT_EQ(s.discovered, 3u);
  EXPECT_EQ(s.pending, 1u);
  EXPECT_EQ(ingestion({}), 1u);
  WaitIdle(kBucket);
  EXPECT_EQ(JobsOf("s1.txt").size(), 2u);
  EXPECT_EQ(status().pending, 0u);
  EXPECT_EQ(status().ingested, 3u);
  EXPECT_EQ(ingestion({.full_sync = true, .source_object_id = "s0.txt"}), 1u);
  WaitIdle(kBucket);

  // full_sync: every discovered object again.
  EXPECT_EQ(ingestion({.full_sync = true}), 3u);
  WaitIdle(kBucket);
  EXPECT_EQ(AllJobs(kBucket, IngestStatus::kCompleted).size(), 8u);
  uint64_t chunks = 0;
  for (const char* k : {"s0.txt", "s1.txt", "s2.txt"}) chunks += JobsOf(k)[0].chunks_created;
  EXPECT_EQ(VectorCount(kBucket, "vec"), chunks);

  // A failed object is re-run only with retry_failed.
  ASSERT_TRUE(
      ingest().update_rule({.bucket = kBucket, .rule_id = rule.rule_id, .enabled = false}).ok());
  Put(kBucket, "blank.txt", "   \n ");
  WaitIdle(kBucket);
  ASSERT_TRUE(
      ingest().update_rule({.bucket = kBucket, .rule_id = rule.rule_id, .enabled = true}).ok());
  discover();
  EXPECT_EQ(ingestion({}), 1u);
  WaitIdle(kBucket);
  ASSERT_EQ(JobsOf("blank.txt").size(), 1u);
  EXPECT_EQ(JobsOf("blank.txt")[0].status, IngestStatus::kFailed);
  s = status();
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.ingested, 3u);
  discover();
  EXPECT_EQ(ingestion({}), 0u);
  EXPECT_EQ(ingestion({.retry_failed = true}), 1u);
  WaitIdle(kBucket);
  EXPECT_EQ(JobsOf("blank.txt").size(), 2u);

  // Bad input.
  EXPECT_EQ(
      ingest().trigger_discovery({.bucket = kBucket, .source_id = "src_nope"}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(ingest().trigger_discovery({.bucket = "nope", .source_id = source}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ingest()
                .trigger_ingestion({.bucket = kBucket, .source_id = source, .rule_id = "rule_nope"})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ingest().get_sync_status(kBucket, "src_nope").status().code(), StatusCode::kNotFound);
}

TEST_F(IngestServiceTest, JobsQueuedAtCloseRunExactlyOnceAfterReopen) {
  OpenSingleWorker();
  auto gate = Register("gate");
  ReleaseOnExit release(gate.get());
  Pipeline hold = VectorPipeline(kBucket, "hold", 200, "gate");
  Pipeline vec = VectorPipeline(kBucket, "vec", 50);
  CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"docs/**"}});
  Put(kBucket, "hold.txt", "HOLD the worker");
  gate->BlockOn("HOLD");
  IngestJob held = Trigger(hold.pipeline_id, "hold.txt");
  ASSERT_TRUE(gate->WaitEntered(1, std::chrono::seconds(60)));
  constexpr int kDocs = 20;
  for (int i = 0; i < kDocs; ++i) {
    Put(kBucket, "docs/d" + std::to_string(i) + ".txt", Text("doc" + std::to_string(i), 1 + i % 4));
  }
  ASSERT_TRUE(WaitUntil([&] { return ingest().activity(kBucket)->pending == kDocs; }));
  gate->Release();
  EXPECT_EQ(Wait(held.job_id).status, IngestStatus::kCompleted);
  Close();  // most of the docs' jobs are still PENDING

  OpenSingleWorker();
  WaitIdle(kBucket);
  std::map<std::string, int> per_key;
  uint64_t chunks = 0;
  for (const IngestJob& j : AllJobs(kBucket)) {
    ++per_key[j.object.key];
    EXPECT_EQ(j.status, IngestStatus::kCompleted) << j.object.key << ": " << j.error_message;
    if (j.pipeline_id == vec.pipeline_id) {
      chunks += j.chunks_created;
      EXPECT_TRUE(MissingVectors(kBucket, "vec", ChunkIds(j.object.key, j.chunks_created)).empty())
          << j.object.key;
    }
  }
  EXPECT_EQ(per_key.size(), static_cast<size_t>(kDocs + 1));
  for (const auto& [key, n] : per_key) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(VectorCount(kBucket, "vec"), chunks);
}

// Jobs pending from the last session start when the Db opens, before the host could call
// register_embedder: a host embedder given in Options::embedders is there in time.
TEST_F(IngestServiceTest, PendingJobsOfAHostEmbedderRunAfterReopenWithOptionsEmbedders) {
  OpenSingleWorker();
  auto gate = Register("gate");
  ReleaseOnExit release(gate.get());
  Register("host");
  Pipeline hold = VectorPipeline(kBucket, "hold", 200, "gate");
  Pipeline host = VectorPipeline(kBucket, "host", 200, "host");
  CreateRule({.bucket = kBucket, .pipeline_id = host.pipeline_id, .include_patterns = {"docs/**"}});
  Put(kBucket, "hold.txt", "HOLD the worker");
  gate->BlockOn("HOLD");
  IngestJob held = Trigger(hold.pipeline_id, "hold.txt");
  ASSERT_TRUE(gate->WaitEntered(1, std::chrono::seconds(60)));
  constexpr int kDocs = 10;
  for (int i = 0; i < kDocs; ++i) Put(kBucket, "docs/d" + std::to_string(i) + ".txt", "text");
  ASSERT_TRUE(WaitUntil([&] { return ingest().activity(kBucket)->pending == kDocs; }));
  gate->Release();
  EXPECT_EQ(Wait(held.job_id).status, IngestStatus::kCompleted);
  Close();

  Options bad;
  bad.embedders["hash"] = std::make_shared<ScriptedEmbedder>("hash");
  auto refused = Db::open(dir_.path(), bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << refused.status().ToString();

  Options options;
  options.worker_threads = 1;
  options.embedders["host"] = std::make_shared<ScriptedEmbedder>("host");
  Open(options);
  WaitIdle(kBucket);
  const std::vector<IngestJob> jobs = AllJobs(kBucket, std::nullopt);
  int completed = 0;
  for (const IngestJob& j : jobs) {
    EXPECT_EQ(j.status, IngestStatus::kCompleted) << j.object.key << ": " << j.error_message;
    completed += j.status == IngestStatus::kCompleted;
  }
  EXPECT_EQ(completed, kDocs + 1);
  EXPECT_EQ(VectorCount(kBucket, "host"), static_cast<uint64_t>(kDocs));
}

}  // namespace
}  // namespace k3::test
