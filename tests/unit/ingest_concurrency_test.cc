// IngestService under concurrent writers: four threads put and delete objects of their own
// key sets (texts under a vector rule, small CSV files under a csv_table rule) while the
// workers run the jobs those writes fire. Once ingest is idle, the collection must hold
// exactly the chunks of the texts that still exist, as an inline run of the same pipeline
// on the final objects produces them, and the table exactly the rows of the CSV files that
// still exist: nothing of a deleted object, nothing of an overwritten version, nothing twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "k3/k3.hpp"
#include "support/ingest_fixtures.h"

namespace k3::test {
namespace {

constexpr char kBucket[] = "conc";
constexpr int kThreads = 4;
constexpr int kOpsPerThread = 60;
constexpr int kKeysPerThread = 4;  // of each kind

const std::map<std::string, std::string> kVectorOptions = {{"embedder", "hash"},
                                                           {"dimensions", "32"},
                                                           {"chunker", "fixed"},
                                                           {"chunk_size", "60"},
                                                           {"chunk_overlap", "0"}};

// Version `v` of a text written by thread `t`: 1..6 sentences, so 1..several chunks.
std::string TextBody(int t, int v) {
  std::string body;
  for (int i = 0; i <= v % 6; ++i) {
    body += "Thread " + std::to_string(t) + " version " + std::to_string(v) + " sentence " +
            std::to_string(i) + " has words. ";
  }
  return body;
}

// Version `v` of a CSV file of thread `t`: 1..5 rows (n, word).
std::string CsvBody(int t, int v) {
  std::string body = "n,word\n";
  for (int r = 0; r <= v % 5; ++r) {
    body += std::to_string(r) + ",w" + std::to_string(t) + "_" + std::to_string(v) + "_" +
            std::to_string(r) + "\n";
  }
  return body;
}

struct FinalObject {
  std::string body;
  bool csv = false;
};

// A SQL value as text ("NULL", an integer, a real, a string), for comparing row sets.
std::string Text(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return "real:" + std::to_string(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  return "blob";
}

class IngestConcurrencyTest : public IngestFixture {};

TEST_F(IngestConcurrencyTest, ConcurrentPutsAndDeletesLeaveExactlyTheOutputOfWhatExists) {
  Options options;
  options.worker_threads = 2;
  Open(options);
  CreateBucket(kBucket);
  Pipeline vec = CreatePipeline(kBucket, "vec", "text_embedding_index", kVectorOptions);
  Pipeline csv = CreatePipeline(kBucket, "load", "csv_table", {}, "crows");
  CreateRule({.bucket = kBucket, .pipeline_id = vec.pipeline_id, .include_patterns = {"**/*.txt"}});
  CreateRule({.bucket = kBucket, .pipeline_id = csv.pipeline_id, .include_patterns = {"**/*.csv"}});
  ASSERT_FALSE(HasFailure());

  // Each thread owns its keys; the last operation on a key decides its final state.
  std::vector<std::map<std::string, std::optional<FinalObject>>> finals(kThreads);
  std::vector<std::set<std::string>> deleted(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      for (int op = 0; op < kOpsPerThread; ++op) {
        const bool is_csv = rng() % 2 == 0;
        const std::string key = "t" + std::to_string(t) + "/k" +
                                std::to_string(rng() % kKeysPerThread) + (is_csv ? ".csv" : ".txt");
        if (rng() % 10 < 3) {
          if (!db().storage().delete_object(kBucket, key).ok()) ++errors;
          finals[t][key] = std::nullopt;
          deleted[t].insert(key);
        } else {
          const std::string body = is_csv ? CsvBody(t, op) : TextBody(t, op);
          auto put = db().storage().put_object(
              kBucket, key, body, {.content_type = is_csv ? "text/csv" : "text/plain"});
          if (!put.ok()) ++errors;
          finals[t][key] = FinalObject{body, is_csv};
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(errors.load(), 0);
  WaitIdle(kBucket);

  // Jobs: none left running; a failure only for an object deleted at some point.
  std::set<std::string> ever_deleted;
  for (const auto& d : deleted) ever_deleted.insert(d.begin(), d.end());
  std::map<IngestStatus, int> by_status;
  for (const IngestJob& j : AllJobs(kBucket)) {
    ++by_status[j.status];
    EXPECT_TRUE(j.status == IngestStatus::kCompleted || j.status == IngestStatus::kFailed ||
                j.status == IngestStatus::kCancelled)
        << j.job_id << " " << IngestStatusName(j.status);
    if (j.status == IngestStatus::kFailed) {
      EXPECT_TRUE(ever_deleted.count(j.object.key))
          << j.object.key << " failed: " << j.error_message;
    }
  }
  std::printf("jobs: %d completed, %d failed, %d cancelled\n", by_status[IngestStatus::kCompleted],
              by_status[IngestStatus::kFailed], by_status[IngestStatus::kCancelled]);

  // The reference: the same pipelines run inline on the final objects in a fresh Db.
  TempDir ref_dir;
  auto ref = Db::open(ref_dir.path());
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ASSERT_TRUE(ref->storage().create_bucket({.name = kBucket}).ok());
  auto ref_vec = ref->pipelines().create_pipeline({.bucket = kBucket,
                                                   .name = "vec",
                                                   .template_id = "text_embedding_index",
                                                   .options = kVectorOptions});
  ASSERT_TRUE(ref_vec.ok()) << ref_vec.status().ToString();
  std::vector<std::string> expected_ids;
  std::multiset<std::string> expected_rows;  // "key|n|word"
  std::map<std::string, int64_t> expected_per_key;
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [key, object] : finals[t]) {
      if (!object) continue;
      if (object->csv) {
        // Rows as CsvBody wrote them (the table's own parsing is compared, not repeated).
        size_t line_start = object->body.find('\n') + 1;
        while (line_start < object->body.size()) {
          const size_t end = object->body.find('\n', line_start);
          const std::string line = object->body.substr(line_start, end - line_start);
          const size_t comma = line.find(',');
          expected_rows.insert(key + "|" + line.substr(0, comma) + "|" + line.substr(comma + 1));
          ++expected_per_key[key];
          line_start = end + 1;
        }
        continue;
      }
      ASSERT_TRUE(ref->storage()
                      .put_object(kBucket, key, object->body, {.content_type = "text/plain"})
                      .ok());
      auto run = ref->pipelines().run(
          {.bucket = kBucket, .pipeline_id = ref_vec->pipeline_id, .key = key});
      ASSERT_TRUE(run.ok()) << run.status().ToString();
      for (const std::string& id : ChunkIds(key, run->chunks_created)) expected_ids.push_back(id);
    }
  }

  // Vectors: the same count and every expected id, so exactly the expected set.
  EXPECT_EQ(VectorCount(kBucket, "vec"), expected_ids.size());
  const std::vector<std::string> missing = MissingVectors(kBucket, "vec", expected_ids);
  EXPECT_TRUE(missing.empty()) << missing.size() << " missing, e.g. " << missing[0];

  // Rows: the whole set of (source key, n, word), with multiplicity.
  auto q = db().tables().query({.bucket = kBucket,
                                .sql = "SELECT _k3_source_key AS src, n, word FROM crows",
                                .limit = 100000});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  std::multiset<std::string> rows;
  ASSERT_EQ(q->columns.size(), 3u) << "the hidden column is read through an alias";
  for (const auto& row : q->rows) {
    rows.insert(Text(row[0]) + "|" + Text(row[1]) + "|" + Text(row[2]));
  }
  EXPECT_EQ(rows.size(), expected_rows.size());
  if (rows != expected_rows) {
    std::vector<std::string> extra, lacking;
    std::set_difference(rows.begin(), rows.end(), expected_rows.begin(), expected_rows.end(),
                        std::back_inserter(extra));
    std::set_difference(expected_rows.begin(), expected_rows.end(), rows.begin(), rows.end(),
                        std::back_inserter(lacking));
    ADD_FAILURE() << "the table's rows differ from the existing CSV files': " << extra.size()
                  << " extra (e.g. " << (extra.empty() ? "" : extra[0]) << "), " << lacking.size()
                  << " lacking (e.g. " << (lacking.empty() ? "" : lacking[0]) << ")";
  }
  auto grouped = db().tables().query(
      {.bucket = kBucket, .sql = "SELECT _k3_source_key AS src, count(*) FROM crows GROUP BY src"});
  ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
  std::map<std::string, int64_t> per_key;
  ASSERT_EQ(grouped->columns.size(), 2u);
  for (const auto& row : grouped->rows) {
    per_key[Text(row[0])] = std::stoll(Text(row[1]));
  }
  EXPECT_EQ(per_key, expected_per_key);

  // Every object that exists has a COMPLETED job as its newest one.
  std::map<std::string, const IngestJob*> newest;
  std::vector<IngestJob> jobs = AllJobs(kBucket);  // newest first
  for (const IngestJob& j : jobs) newest.emplace(j.object.key, &j);
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [key, object] : finals[t]) {
      if (!object) continue;
      ASSERT_TRUE(newest.count(key)) << key << " has no job";
      EXPECT_EQ(newest[key]->status, IngestStatus::kCompleted)
          << key << ": " << IngestStatusName(newest[key]->status) << " "
          << newest[key]->error_message;
    }
  }
}

}  // namespace
}  // namespace k3::test
