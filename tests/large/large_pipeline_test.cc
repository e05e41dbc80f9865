// A 200 MiB object through a pipeline with bounded memory, in a fresh process
// (k3_crash_child large-pipeline, see tests/crash/large_pipeline_workload.cc) so that its peak
// RSS is its own: the text is streamed through parse → chunk → embed → write (100 000-character
// chunks, so about 2 100 of them), and a 200 MiB HTML object — HTML is parsed whole — is
// refused with RESOURCE_EXHAUSTED before it is read into memory.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "crash/child_process.h"
#include "k3/status.h"
#include "support/temp_dir.h"

namespace k3 {
namespace {

// Sections of 1 MiB, embedding batches of 64 × 100 000 characters, 1 MiB object reads, the
// memtables and an 8 MiB block cache: well under this.
constexpr long kPeakRssLimitKb = 300 * 1024;

TEST(LargePipeline, TwoHundredMibObjectWithBoundedMemory) {
  test::TempDir dir;
  std::string error;
  auto child = crash::ChildProcess::Start({K3_CRASH_CHILD, "large-pipeline", dir.path()}, &error);
  ASSERT_NE(child, nullptr) << error;
  std::vector<std::vector<std::string>> report;
  for (std::string line; child->ReadLine(&line);) {
    std::printf("child: %s\n", line.c_str());
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    report.push_back(words);
  }
  const int status = child->Wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "k3_crash_child large-pipeline " << crash::ChildProcess::Describe(status);
  ASSERT_EQ(report.size(), 4u);

  const auto& text = report[0];  // TEXT <chunks> <written> <in collection> <seconds>
  ASSERT_EQ(text.size(), 5u);
  ASSERT_EQ(text[0], "TEXT");
  const long chunks = std::stol(text[1]);
  EXPECT_GE(chunks, 2097);  // 200 MiB / 100 000 characters, cut early at line ends
  EXPECT_LE(chunks, 2400);
  EXPECT_EQ(text[2], text[1]);
  EXPECT_EQ(text[3], text[1]);

  const auto& html = report[1];  // HTML <code> <message...>
  ASSERT_GE(html.size(), 2u);
  EXPECT_EQ(html[1], std::to_string(static_cast<int>(StatusCode::kResourceExhausted)));

  ASSERT_EQ(report[2][0], "PEAK_RSS_KB");
  const long peak_kb = std::stol(report[2][1]);
  EXPECT_GT(peak_kb, 0);
  EXPECT_LT(peak_kb, kPeakRssLimitKb) << "peak RSS " << peak_kb / 1024 << " MiB";
  EXPECT_EQ(report[3], std::vector<std::string>{"OK"});
  std::printf("peak RSS %.1f MiB; text pipeline %s s for %ld chunks\n", peak_kb / 1024.0,
              text[4].c_str(), chunks);
}

}  // namespace
}  // namespace k3
