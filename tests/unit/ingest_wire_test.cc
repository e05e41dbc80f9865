// IngestService through the RPC table (Db::call), end to end on a temporary data directory, in
// K3's JSON wire form: rules (create / get / list / PATCH / delete, every field emitted,
// snake_case accepted, wrong-typed fields named), jobs (trigger, wait, status, listing filters,
// cancel), rule-fired jobs, source sync, activity and metrics, and the method list.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"
#include "util/hash.h"
#include "wire/json_util.h"

namespace k3::test {
namespace {

using wire::Json;

constexpr int64_t kWaitMs = 60000;  // a deadline, not a sleep: calls return as soon as done

// ~900 characters of prose: several chunks at chunk_size 200.
std::string LongText() {
  std::string text;
  for (int i = 0; i < 15; ++i) {
    text += "Refunds are possible within thirty days of purchase, item " + std::to_string(i) + ". ";
  }
  return text;
}

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (const auto& [k, v] : object.items()) keys.insert(k);
  return keys;
}

class IngestWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Db::open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_.emplace(std::move(opened).value());
    Ok("StorageService.CreateBucket", {{"name", "kbase"}});
    Json p = Ok("PipelineService.CreatePipeline", {{"bucket", "kbase"},
                                                   {"name", "embed-docs"},
                                                   {"templateId", "text_embedding_index"},
                                                   {"options",
                                                    {{"embedder", "hash"},
                                                     {"dimensions", "64"},
                                                     {"chunk_size", "200"},
                                                     {"chunk_overlap", "0"}}},
                                                   {"storeEntityId", "docs"}});
    pipeline_id_ = p.value("pipelineId", "");
    ASSERT_FALSE(pipeline_id_.empty());
  }

  Json Ok(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_TRUE(r.ok()) << method << ": " << r.status().ToString();
    if (!r.ok()) return Json::object();
    return Json::parse(*r);
  }

  Status Fails(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_FALSE(r.ok()) << method << " answered " << (r.ok() ? *r : "");
    return r.status();
  }

  // INVALID_ARGUMENT whose message contains `field`.
  void ExpectNamed(std::string_view method, const Json& request, const std::string& field) {
    Status s = Fails(method, request);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(field), std::string::npos)
        << "message does not name " << field << ": " << s.message();
  }

  void Put(const std::string& key, const std::string& body,
           const std::string& content_type = "text/plain") {
    Ok("StorageService.PutObject", {{"bucket", "kbase"},
                                    {"key", key},
                                    {"contentType", content_type},
                                    {"body", util::Base64Encode(body)}});
  }

  TempDir dir_;
  std::optional<Db> db_;
  std::string pipeline_id_;
};

const std::set<std::string> kRuleKeys = {
    "ruleId",       "bucket",          "sourceId",        "pipelineId",       "name",
    "description",  "includePatterns", "excludePatterns", "includeMimeTypes", "excludeMimeTypes",
    "minSizeBytes", "maxSizeBytes",    "enabled",         "priority",         "binding",
    "createdAt",    "updatedAt"};

const std::set<std::string> kJobKeys = {"jobId",        "object",          "etag",
                                        "objectSize",   "status",          "pipelineId",
                                        "pipelineName", "pipelineKind",    "ruleId",
                                        "options",      "chunksCreated",   "embeddingsCreated",
                                        "rowsWritten",  "batchesReceived", "embeddingsWritten",
                                        "outputSize",   "rowsSkipped",     "vectorStatus",
                                        "threadId",     "errorMessage",    "attempts",
                                        "createdAt",    "updatedAt",       "startedAt",
                                        "finishedAt"};

TEST_F(IngestWireTest, MethodsAreListed) {
  const std::vector<std::string> methods = Db::methods();
  for (const char* m :
       {"IngestService.CreateRule", "IngestService.GetRule", "IngestService.ListRules",
        "IngestService.UpdateRule", "IngestService.DeleteRule", "IngestService.TriggerIngest",
        "IngestService.GetIngestStatus", "IngestService.ListIngestJobs",
        "IngestService.CancelIngestJob", "IngestService.WaitIngestJob", "IngestService.WaitIdle",
        "IngestService.GetIngestActivity", "IngestService.GetIngestMetrics",
        "IngestService.TriggerDiscovery", "IngestService.TriggerIngestion",
        "IngestService.GetSyncStatus"}) {
    EXPECT_TRUE(std::find(methods.begin(), methods.end(), m) != methods.end()) << m;
  }
  // The gRPC spelling reaches the same handler.
  Json rules = Ok("/dodil.k3.ingest.v1.IngestService/ListRules", {{"bucket", "kbase"}});
  EXPECT_TRUE(rules["rules"].is_array());
}

TEST_F(IngestWireTest, RuleRoundTrip) {
  Json created = Ok("IngestService.CreateRule", {{"bucket", "kbase"},
                                                 {"pipelineId", pipeline_id_},
                                                 {"name", "markdown"},
                                                 {"description", "the docs"},
                                                 {"includePatterns", {"docs/**/*.md", "*.txt"}},
                                                 {"excludePatterns", {"**/draft-*"}},
                                                 {"includeMimeTypes", {"text/*"}},
                                                 {"excludeMimeTypes", {"text/html"}},
                                                 {"minSizeBytes", "1"},
                                                 {"maxSizeBytes", 1048576},
                                                 {"priority", 7}});
  ASSERT_TRUE(created.contains("rule")) << created.dump();
  Json rule = created["rule"];
  EXPECT_EQ(Keys(rule), kRuleKeys) << rule.dump();
  const std::string rule_id = rule.value("ruleId", "");
  EXPECT_EQ(rule_id.rfind("rule_", 0), 0u) << rule_id;
  EXPECT_EQ(rule["bucket"], "kbase");
  EXPECT_EQ(rule["sourceId"], "");
  EXPECT_EQ(rule["pipelineId"], pipeline_id_);
  EXPECT_EQ(rule["name"], "markdown");
  EXPECT_EQ(rule["description"], "the docs");
  EXPECT_EQ(rule["includePatterns"], Json({"docs/**/*.md", "*.txt"}));
  EXPECT_EQ(rule["excludePatterns"], Json({"**/draft-*"}));
  EXPECT_EQ(rule["includeMimeTypes"], Json({"text/*"}));
  EXPECT_EQ(rule["excludeMimeTypes"], Json({"text/html"}));
  EXPECT_EQ(rule["minSizeBytes"], "1");
  EXPECT_EQ(rule["maxSizeBytes"], "1048576");
  EXPECT_EQ(rule["enabled"], true);  // the default
  EXPECT_EQ(rule["priority"], 7);
  EXPECT_EQ(
      rule["binding"],
      Json({{"pipelineName", "embed-docs"}, {"pipelineKind", "vector"}, {"destination", "docs"}}));
  ASSERT_TRUE(rule["createdAt"].is_string());
  EXPECT_GT(std::stoll(rule["createdAt"].get<std::string>()), 0);
  EXPECT_TRUE(rule["updatedAt"].is_string());

  EXPECT_EQ(Ok("IngestService.GetRule", {{"bucket", "kbase"}, {"ruleId", rule_id}}),
            Json({{"rule", rule}}));

  // snake_case, the nested form, defaults emitted.
  Json second = Ok("IngestService.CreateRule", {{"bucket", "kbase"},
                                                {"rule",
                                                 {{"pipeline_id", pipeline_id_},
                                                  {"name", "csvs"},
                                                  {"include_patterns", {"*.csv"}},
                                                  {"max_size_bytes", "4096"},
                                                  {"enabled", false}}}})["rule"];
  EXPECT_EQ(Keys(second), kRuleKeys) << second.dump();
  EXPECT_EQ(second["bucket"], "kbase");
  EXPECT_EQ(second["includePatterns"], Json({"*.csv"}));
  EXPECT_EQ(second["excludePatterns"], Json::array());
  EXPECT_EQ(second["maxSizeBytes"], "4096");
  EXPECT_EQ(second["minSizeBytes"], "0");
  EXPECT_EQ(second["enabled"], false);
  EXPECT_EQ(second["priority"], 0);
  const std::string second_id = second["ruleId"];

  // Listing: filters, pages.
  Json all = Ok("IngestService.ListRules", {{"bucket", "kbase"}});
  ASSERT_EQ(all["rules"].size(), 2u) << all.dump();
  EXPECT_EQ(all["rules"][0]["ruleId"], rule_id);  // creation order
  EXPECT_EQ(all["pagination"]["totalCount"], "2");
  EXPECT_EQ(all["pagination"]["nextPageToken"], "");
  Json page = Ok("IngestService.ListRules",
                 {{"bucket", "kbase"}, {"pipeline_id", pipeline_id_}, {"page_size", 1}});
  ASSERT_EQ(page["rules"].size(), 1u);
  const std::string token = page["pagination"]["nextPageToken"];
  ASSERT_FALSE(token.empty());
  Json rest = Ok(
      "IngestService.ListRules",
      {{"bucket", "kbase"}, {"pipelineId", pipeline_id_}, {"pageSize", 1}, {"pageToken", token}});
  ASSERT_EQ(rest["rules"].size(), 1u);
  EXPECT_EQ(rest["rules"][0]["ruleId"], second_id);
  // A token belongs to its listing (filters included).
  EXPECT_EQ(Fails("IngestService.ListRules", {{"bucket", "kbase"}, {"pageToken", token}}).code(),
            StatusCode::kInvalidArgument);
  Json none = Ok("IngestService.ListRules", {{"bucket", "kbase"}, {"pipelineId", "pipe_other"}});
  EXPECT_TRUE(none["rules"].empty()) << none.dump();

  // PATCH: only the present fields change; [] clears a list.
  Json patched = Ok("IngestService.UpdateRule", {{"bucket", "kbase"},
                                                 {"ruleId", rule_id},
                                                 {"description", "all docs"},
                                                 {"includePatterns", Json::array()},
                                                 {"priority", -2},
                                                 {"enabled", false}})["rule"];
  EXPECT_EQ(Keys(patched), kRuleKeys);
  EXPECT_EQ(patched["description"], "all docs");
  EXPECT_EQ(patched["includePatterns"], Json::array());
  EXPECT_EQ(patched["priority"], -2);
  EXPECT_EQ(patched["enabled"], false);
  for (const char* unchanged :
       {"ruleId", "bucket", "sourceId", "pipelineId", "name", "excludePatterns", "includeMimeTypes",
        "excludeMimeTypes", "minSizeBytes", "maxSizeBytes", "binding", "createdAt"}) {
    EXPECT_EQ(patched[unchanged], rule[unchanged]) << unchanged;
  }
  EXPECT_EQ(Ok("IngestService.GetRule", {{"bucket", "kbase"}, {"ruleId", rule_id}})["rule"],
            patched);
  // snake_case on update; a null is an absent field.
  Json snake = Ok("IngestService.UpdateRule", {{"bucket", "kbase"},
                                               {"rule_id", rule_id},
                                               {"max_size_bytes", "0"},
                                               {"exclude_mime_types", Json::array()},
                                               {"name", nullptr}})["rule"];
  EXPECT_EQ(snake["maxSizeBytes"], "0");
  EXPECT_EQ(snake["excludeMimeTypes"], Json::array());
  EXPECT_EQ(snake["name"], "markdown");
  EXPECT_EQ(snake["description"], "all docs");

  EXPECT_EQ(Ok("IngestService.DeleteRule", {{"bucket", "kbase"}, {"ruleId", rule_id}}),
            Json::object());
  EXPECT_EQ(Fails("IngestService.GetRule", {{"bucket", "kbase"}, {"ruleId", rule_id}}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Fails("IngestService.DeleteRule", {{"bucket", "kbase"}, {"ruleId", rule_id}}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Ok("IngestService.ListRules", {{"bucket", "kbase"}})["rules"].size(), 1u);
}

TEST_F(IngestWireTest, BadRulesNameTheField) {
  const Json base = {{"bucket", "kbase"}, {"pipelineId", pipeline_id_}};
  auto with = [&](const char* field, Json value) {
    Json r = base;
    r[field] = std::move(value);
    return r;
  };
  ExpectNamed("IngestService.CreateRule", with("priority", "high"), "priority");
  ExpectNamed("IngestService.CreateRule", with("includePatterns", "x"), "includePatterns");
  ExpectNamed("IngestService.CreateRule", with("exclude_patterns", {"a", 3}),
              "exclude_patterns[1]");
  ExpectNamed("IngestService.CreateRule", with("minSizeBytes", -1), "minSizeBytes");
  ExpectNamed("IngestService.CreateRule", with("enabled", "maybe"), "enabled");
  ExpectNamed("IngestService.CreateRule", {{"bucket", "kbase"}, {"rule", {{"priority", 1.5}}}},
              "rule.priority");
  ExpectNamed("IngestService.CreateRule", {{"bucket", "kbase"}, {"rule", "x"}}, "rule");
  // The service's validation, through the wire: the field and its index.
  ExpectNamed("IngestService.CreateRule", with("includePatterns", {"docs/*.md", "docs/[a"}),
              "includePatterns[1]");
  ExpectNamed("IngestService.CreateRule", with("includeMimeTypes", {"text"}),
              "includeMimeTypes[0]");
  Status s = Fails("IngestService.CreateRule",
                   {{"bucket", "kbase"}, {"pipelineId", "pipe_missing"}, {"name", "x"}});
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();

  Json rule = Ok("IngestService.CreateRule", base)["rule"];
  const std::string id = rule.value("ruleId", "");
  ExpectNamed("IngestService.UpdateRule",
              {{"bucket", "kbase"}, {"ruleId", id}, {"includePatterns", "x"}}, "includePatterns");
  ExpectNamed("IngestService.UpdateRule", {{"bucket", "kbase"}, {"ruleId", id}, {"priority", "h"}},
              "priority");
  ExpectNamed("IngestService.UpdateRule",
              {{"bucket", "kbase"}, {"ruleId", id}, {"excludePatterns", {"[z"}}},
              "excludePatterns[0]");
  ExpectNamed("IngestService.GetRule", {{"bucket", "kbase"}, {"ruleId", 5}}, "ruleId");
  ExpectNamed("IngestService.ListRules", {{"bucket", "kbase"}, {"pageSize", "ten"}}, "pageSize");
  EXPECT_EQ(Fails("IngestService.ListRules", {{"bucket", "kbase"}, {"pageToken", "zzz"}}).code(),
            StatusCode::kInvalidArgument);
  // Nothing was changed by the refused update.
  EXPECT_EQ(Ok("IngestService.GetRule", {{"bucket", "kbase"}, {"ruleId", id}})["rule"], rule);
}

TEST_F(IngestWireTest, TriggerWaitAndList) {
  Put("notes/a.txt", LongText());
  // The top-level bucket (the HTTP route's) fills the object's; options may be numbers.
  Json triggered = Ok("IngestService.TriggerIngest", {{"bucket", "kbase"},
                                                      {"object", {{"key", "notes/a.txt"}}},
                                                      {"pipelineId", pipeline_id_},
                                                      {"options", {{"chunk_size", 150}}}});
  ASSERT_TRUE(triggered.contains("job")) << triggered.dump();
  Json job = triggered["job"];
  EXPECT_EQ(Keys(job), kJobKeys) << job.dump();
  const std::string job_id = job.value("jobId", "");
  EXPECT_EQ(job_id.rfind("job_", 0), 0u) << job_id;
  EXPECT_EQ(job["object"], Json({{"bucket", "kbase"}, {"key", "notes/a.txt"}}));
  EXPECT_EQ(job["pipelineId"], pipeline_id_);
  EXPECT_EQ(job["pipelineName"], "embed-docs");
  EXPECT_EQ(job["pipelineKind"], "vector");
  EXPECT_EQ(job["ruleId"], "");
  EXPECT_EQ(job["options"], Json({{"chunk_size", "150"}}));
  EXPECT_TRUE(job["objectSize"].is_string());
  EXPECT_EQ(job["objectSize"], std::to_string(LongText().size()));
  EXPECT_TRUE(job["chunksCreated"].is_number());
  EXPECT_TRUE(job["attempts"].is_number());
  EXPECT_TRUE(job["createdAt"].is_string());
  const std::string status = job.value("status", "");
  EXPECT_TRUE(status == "INGEST_STATUS_PENDING" || status == "INGEST_STATUS_PROCESSING" ||
              status == "INGEST_STATUS_COMPLETED")
      << status;

  Json done = Ok("IngestService.WaitIngestJob",
                 {{"bucket", "kbase"}, {"jobId", job_id}, {"timeoutMs", kWaitMs}})["job"];
  EXPECT_EQ(Keys(done), kJobKeys);
  ASSERT_EQ(done["status"], "INGEST_STATUS_COMPLETED") << done.dump();
  ASSERT_TRUE(done["chunksCreated"].is_number_unsigned()) << done.dump();
  EXPECT_GT(done["chunksCreated"].get<uint64_t>(), 1u) << done.dump();
  EXPECT_EQ(done["embeddingsWritten"], done["chunksCreated"]);
  EXPECT_TRUE(done["rowsWritten"].is_number());
  EXPECT_EQ(done["vectorStatus"], "success");
  EXPECT_EQ(done["errorMessage"], "");
  EXPECT_EQ(done["attempts"], 1);
  EXPECT_NE(done["startedAt"], "0");
  EXPECT_NE(done["finishedAt"], "0");

  Json status_of = Ok("IngestService.GetIngestStatus", {{"bucket", "kbase"}, {"job_id", job_id}});
  EXPECT_EQ(status_of, Json({{"job", done}}));
  EXPECT_EQ(
      Fails("IngestService.GetIngestStatus", {{"bucket", "kbase"}, {"jobId", "job_nope"}}).code(),
      StatusCode::kNotFound);
  // A finished job cannot be cancelled.
  EXPECT_EQ(Fails("IngestService.CancelIngestJob", {{"bucket", "kbase"}, {"jobId", job_id}}).code(),
            StatusCode::kFailedPrecondition);

  // Listing with a status filter: the wire name and the short form.
  for (const char* completed : {"INGEST_STATUS_COMPLETED", "completed", "Completed"}) {
    Json list =
        Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"statusFilter", completed}});
    ASSERT_EQ(list["jobs"].size(), 1u) << completed << ": " << list.dump();
    EXPECT_EQ(list["jobs"][0]["jobId"], job_id);
    EXPECT_EQ(list["pagination"]["totalCount"], "1");
  }
  Json pending =
      Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"status_filter", "pending"}});
  EXPECT_TRUE(pending["jobs"].empty()) << pending.dump();
  Json unfiltered = Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"statusFilter", ""}});
  EXPECT_EQ(unfiltered["jobs"].size(), 1u);
  Json by_pipe =
      Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"pipelineId", pipeline_id_}});
  EXPECT_EQ(by_pipe["jobs"].size(), 1u);
  Json by_rule = Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"ruleId", "rule_x"}});
  EXPECT_TRUE(by_rule["jobs"].empty());
  ExpectNamed("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"statusFilter", "done"}},
              "statusFilter");
  ExpectNamed("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"status_filter", 99}},
              "status_filter");
  EXPECT_EQ(
      Fails("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"pageToken", "zzz"}}).code(),
      StatusCode::kInvalidArgument);

  // Bad triggers.
  ExpectNamed("IngestService.TriggerIngest",
              {{"bucket", "kbase"}, {"object", "notes/a.txt"}, {"pipelineId", pipeline_id_}},
              "object");
  ExpectNamed("IngestService.TriggerIngest",
              {{"object", {{"bucket", "kbase"}, {"key", 7}}}, {"pipelineId", pipeline_id_}},
              "object.key");
  ExpectNamed("IngestService.TriggerIngest",
              {{"object", {{"bucket", "kbase"}, {"key", "notes/a.txt"}}},
               {"pipelineId", pipeline_id_},
               {"options", {{"chunk_size", {1}}}}},
              "options.chunk_size");
  EXPECT_EQ(
      Fails("IngestService.TriggerIngest",
            {{"object", {{"bucket", "kbase"}, {"key", "nope"}}}, {"pipelineId", pipeline_id_}})
          .code(),
      StatusCode::kNotFound);
  ExpectNamed("IngestService.WaitIngestJob",
              {{"bucket", "kbase"}, {"jobId", job_id}, {"timeoutMs", "soon"}}, "timeoutMs");
}

TEST_F(IngestWireTest, RuleFiredJobsActivityAndMetrics) {
  Json rule = Ok("IngestService.CreateRule", {{"bucket", "kbase"},
                                              {"pipelineId", pipeline_id_},
                                              {"includePatterns", {"docs/**/*.md"}}})["rule"];
  const std::string rule_id = rule.value("ruleId", "");
  Put("docs/guide/intro.md", LongText(), "text/markdown");
  Put("other/skip.md", LongText(), "text/markdown");  // matches no rule
  EXPECT_EQ(Ok("IngestService.WaitIdle", {{"bucket", "kbase"}, {"timeoutMs", kWaitMs}}),
            Json::object());

  Json jobs = Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}, {"ruleId", rule_id}});
  ASSERT_EQ(jobs["jobs"].size(), 1u) << jobs.dump();
  Json job = jobs["jobs"][0];
  EXPECT_EQ(job["status"], "INGEST_STATUS_COMPLETED") << job.dump();
  EXPECT_EQ(job["ruleId"], rule_id);
  EXPECT_EQ(job["object"]["key"], "docs/guide/intro.md");
  EXPECT_FALSE(job["etag"].get<std::string>().empty());
  EXPECT_GT(job["chunksCreated"].get<uint64_t>(), 0u);
  EXPECT_EQ(Ok("IngestService.ListIngestJobs", {{"bucket", "kbase"}})["jobs"].size(), 1u);

  Json activity = Ok("IngestService.GetIngestActivity", {{"bucket", "kbase"}});
  EXPECT_EQ(Keys(activity), (std::set<std::string>{"undispatchedEvents", "pending", "processing"}));
  EXPECT_EQ(activity["pending"], "0");
  EXPECT_EQ(activity["processing"], "0");
  EXPECT_TRUE(activity["undispatchedEvents"].is_string());
  EXPECT_EQ(Fails("IngestService.GetIngestActivity", {{"bucket", "nope"}}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Fails("IngestService.WaitIdle", {{"bucket", "nope"}, {"timeoutMs", 1000}}).code(),
            StatusCode::kNotFound);

  Json m = Ok("IngestService.GetIngestMetrics", Json::object());
  EXPECT_EQ(Keys(m),
            (std::set<std::string>{"jobsCreated", "jobsCompleted", "jobsFailed", "jobsCancelled",
                                   "jobRetries", "queueDepth", "jobsProcessing", "objectsIngested",
                                   "bytesIngested", "eventsDispatched", "latencyBucketsMs",
                                   "latencyBucketCounts", "latencyCount", "latencySumMs"}))
      << m.dump();
  for (const auto& [k, v] : m.items()) {
    if (k.rfind("latencyBucket", 0) != 0) {
      EXPECT_TRUE(v.is_string()) << k;
    }
  }
  EXPECT_EQ(m["jobsCreated"], "1");
  EXPECT_EQ(m["jobsCompleted"], "1");
  EXPECT_EQ(m["jobsFailed"], "0");
  EXPECT_EQ(m["queueDepth"], "0");
  EXPECT_EQ(m["objectsIngested"], "1");
  EXPECT_EQ(m["bytesIngested"], std::to_string(LongText().size()));
  EXPECT_EQ(m["latencyCount"], "1");
  const Json bounds = m["latencyBucketsMs"];
  const Json counts = m["latencyBucketCounts"];
  ASSERT_EQ(bounds.size(), std::size(IngestMetrics::kLatencyBucketsMs) + 1);
  EXPECT_EQ(bounds[0], "10");
  EXPECT_EQ(bounds.back(), "+Inf");
  ASSERT_EQ(counts.size(), bounds.size()) << m.dump();
  EXPECT_EQ(counts.back(), "1");  // cumulative: every observation is under +Inf
}

TEST_F(IngestWireTest, SyncShapes) {
  Json bucket = Ok("StorageService.GetBucket", {{"name", "kbase"}});
  const std::string source_id = bucket.value("internalSourceId", "");
  ASSERT_FALSE(source_id.empty()) << bucket.dump();
  Json rule = Ok(
      "IngestService.CreateRule",
      {{"bucket", "kbase"}, {"pipelineId", pipeline_id_}, {"includePatterns", {"*.txt"}}})["rule"];
  Put("a.txt", LongText());
  Put("b.md", LongText(), "text/markdown");
  Ok("IngestService.WaitIdle", {{"bucket", "kbase"}, {"timeoutMs", kWaitMs}});

  const std::set<std::string> trigger_keys = {"jobId", "accepted", "message", "jobsCreated"};
  Json discovery = Ok("IngestService.TriggerDiscovery",
                      {{"bucket", "kbase"}, {"source_id", source_id}, {"fullSync", false}});
  EXPECT_EQ(Keys(discovery), trigger_keys) << discovery.dump();
  EXPECT_TRUE(discovery["jobId"].is_string());
  EXPECT_FALSE(discovery["jobId"].get<std::string>().empty());
  EXPECT_EQ(discovery["accepted"], true);
  EXPECT_TRUE(discovery["message"].is_string());
  EXPECT_TRUE(discovery["jobsCreated"].is_string());

  // a.txt was ingested by the rule already; full_sync re-runs it.
  Json ingestion = Ok("IngestService.TriggerIngestion", {{"bucket", "kbase"},
                                                         {"sourceId", source_id},
                                                         {"ruleId", rule["ruleId"]},
                                                         {"full_sync", true},
                                                         {"retryFailed", true}});
  EXPECT_EQ(Keys(ingestion), trigger_keys) << ingestion.dump();
  EXPECT_EQ(ingestion["accepted"], true);
  EXPECT_EQ(ingestion["jobsCreated"], "1") << ingestion.dump();
  Ok("IngestService.WaitIdle", {{"bucket", "kbase"}, {"timeoutMs", kWaitMs}});

  Json status = Ok("IngestService.GetSyncStatus", {{"bucket", "kbase"}, {"sourceId", source_id}});
  EXPECT_EQ(Keys(status),
            (std::set<std::string>{"bucket", "sourceId", "discovered", "pending", "ingested",
                                   "failed", "lastDiscoveryAt", "lastIngestionAt", "lastSyncId"}))
      << status.dump();
  EXPECT_EQ(status["bucket"], "kbase");
  EXPECT_EQ(status["sourceId"], source_id);
  EXPECT_EQ(status["discovered"], "1") << status.dump();  // (rule, a.txt)
  EXPECT_EQ(status["pending"], "0");
  EXPECT_EQ(status["ingested"], "1");
  EXPECT_EQ(status["failed"], "0");
  EXPECT_NE(status["lastDiscoveryAt"], "0");
  EXPECT_NE(status["lastIngestionAt"], "0");
  EXPECT_EQ(status["lastSyncId"], ingestion["jobId"]);

  ExpectNamed("IngestService.TriggerDiscovery",
              {{"bucket", "kbase"}, {"sourceId", source_id}, {"fullSync", "yes"}}, "fullSync");
  ExpectNamed("IngestService.TriggerIngestion",
              {{"bucket", "kbase"}, {"sourceId", source_id}, {"retry_failed", 3}}, "retry_failed");
  EXPECT_EQ(
      Fails("IngestService.GetSyncStatus", {{"bucket", "kbase"}, {"sourceId", "src_nope"}}).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(Fails("IngestService.TriggerDiscovery", {{"bucket", "kbase"}, {"sourceId", "src_nope"}})
                .code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace k3::test
