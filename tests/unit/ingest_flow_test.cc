// The main path of IngestService end to end: a put fires a rule, the job runs, a delete removes
// the output, and unfinished work survives a close.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr int64_t kDeadlineMs = 60'000;

class IngestFlowTest : public ::testing::Test {
 protected:
  void Open(Options options = {}) {
    db_.reset();
    auto opened = Db::open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_.emplace(std::move(opened).value());
  }
  void SetUp() override {
    Open();
    ASSERT_TRUE(db_->storage().create_bucket({.name = "kbase"}).ok());
    auto p = db_->pipelines().create_pipeline({.bucket = "kbase",
                                               .name = "embed",
                                               .template_id = "text_embedding_index",
                                               .options = {{"chunk_size", "400"}}});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pipeline_ = *p;
  }

  IngestRule Rule(std::vector<std::string> include) {
    IngestRule rule;
    rule.bucket = "kbase";
    rule.pipeline_id = pipeline_.pipeline_id;
    rule.include_patterns = std::move(include);
    auto created = db_->ingest().create_rule(rule);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : IngestRule{};
  }

  void Put(const std::string& key, const std::string& body) {
    auto put = db_->storage().put_object("kbase", key, body, {.content_type = "text/plain"});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }

  uint64_t Vectors() {
    auto c = db_->vectors().get_collection("kbase", "embed");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->vector_count : 0;
  }

  std::vector<IngestJob> Jobs() {
    auto jobs = db_->ingest().list_jobs({.bucket = "kbase", .page_size = 1000});
    EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
    return jobs.ok() ? jobs->jobs : std::vector<IngestJob>{};
  }

  test::TempDir dir_;
  std::optional<Db> db_;
  Pipeline pipeline_;
};

TEST_F(IngestFlowTest, PutFiresMatchingRuleAndDeleteRemovesOutput) {
  const IngestRule rule = Rule({"docs/**"});
  EXPECT_EQ(rule.binding.pipeline_name, "embed");
  Put("docs/a.txt", "Refunds are paid within thirty days of the request.");
  Put("other/b.txt", "Not matched by the rule.");
  ASSERT_TRUE(db_->ingest().wait_idle("kbase", kDeadlineMs).ok());
  std::vector<IngestJob> jobs = Jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, IngestStatus::kCompleted) << jobs[0].error_message;
  EXPECT_EQ(jobs[0].object.key, "docs/a.txt");
  EXPECT_EQ(jobs[0].rule_id, rule.rule_id);
  EXPECT_EQ(jobs[0].attempts, 1u);
  EXPECT_GT(jobs[0].chunks_created, 0u);
  EXPECT_EQ(jobs[0].vector_status, "success");
  EXPECT_EQ(Vectors(), jobs[0].chunks_created);

  ASSERT_TRUE(db_->storage().delete_object("kbase", "docs/a.txt").ok());
  ASSERT_TRUE(db_->ingest().wait_idle("kbase", kDeadlineMs).ok());
  EXPECT_EQ(Vectors(), 0u);
  const IngestMetrics m = db_->ingest().metrics();
  EXPECT_EQ(m.jobs_completed, 1u);
  EXPECT_EQ(m.queue_depth, 0u);
  EXPECT_EQ(m.latency_count, 1u);
  EXPECT_EQ(m.latency_bucket_counts.back(), 1u);
}

TEST_F(IngestFlowTest, UnfinishedJobsRunAfterReopen) {
  Rule({"**/*.txt"});
  // One worker held by nothing: close right after the puts, whatever state the jobs are in.
  for (int i = 0; i < 20; ++i)
    Put("k" + std::to_string(i) + ".txt", "text number " + std::to_string(i));
  Open();
  ASSERT_TRUE(db_->ingest().wait_idle("kbase", kDeadlineMs).ok());
  std::vector<IngestJob> jobs = Jobs();
  ASSERT_EQ(jobs.size(), 20u);
  for (const IngestJob& j : jobs) EXPECT_EQ(j.status, IngestStatus::kCompleted) << j.error_message;
  EXPECT_EQ(Vectors(), 20u);
}

TEST_F(IngestFlowTest, TriggerWaitAndSync) {
  Put("docs/a.txt", "Put before any rule existed.");
  ASSERT_TRUE(db_->ingest().wait_idle("kbase", kDeadlineMs).ok());
  EXPECT_TRUE(Jobs().empty());
  const IngestRule rule = Rule({"docs/*"});
  auto bucket = db_->storage().get_bucket("kbase");
  ASSERT_TRUE(bucket.ok());
  const std::string source = bucket->internal_source_id;
  auto found = db_->ingest().trigger_discovery({.bucket = "kbase", .source_id = source});
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  auto status = db_->ingest().get_sync_status("kbase", source);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->discovered, 1u);
  EXPECT_EQ(status->pending, 1u);
  auto ingestion = db_->ingest().trigger_ingestion({.bucket = "kbase", .source_id = source});
  ASSERT_TRUE(ingestion.ok()) << ingestion.status().ToString();
  EXPECT_EQ(ingestion->jobs_created, 1u);
  ASSERT_TRUE(db_->ingest().wait_idle("kbase", kDeadlineMs).ok());
  status = db_->ingest().get_sync_status("kbase", source);
  EXPECT_EQ(status->ingested, 1u);
  EXPECT_EQ(status->pending, 0u);

  auto job = db_->ingest().trigger({.object = {"kbase", "docs/a.txt"}});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->rule_id, rule.rule_id);
  auto done = db_->ingest().wait("kbase", job->job_id, kDeadlineMs);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, IngestStatus::kCompleted);
  EXPECT_EQ(Vectors(), 1u);
}

}  // namespace
}  // namespace k3
