// k3::Status: codes, ToString, and the cap on message size.
#include "k3/status.h"

#include <gtest/gtest.h>

#include <string>

namespace k3 {
namespace {

TEST(StatusTest, ShortMessagesAreKeptAsTheyAre) {
  const std::string exact(Status::kMaxMessageBytes, 'x');
  EXPECT_EQ(Status(StatusCode::kNotFound, exact).message(), exact);
  EXPECT_EQ(Status(StatusCode::kNotFound, "bucket \"b\" does not exist").ToString(),
            "NOT_FOUND: bucket \"b\" does not exist");
  EXPECT_EQ(Status().ToString(), "OK");
}

TEST(StatusTest, HugeMessagesAreCutAndSayHowMuchWasLeftOut) {
  const std::string huge = "invalid name \"" + std::string(64 << 20, 'a') + "\"";
  const Status s(StatusCode::kInvalidArgument, huge);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), Status::kMaxMessageBytes + 40);
  EXPECT_EQ(s.message().substr(0, 14), "invalid name \"");
  const std::string suffix =
      "... (" + std::to_string(huge.size() - Status::kMaxMessageBytes) + " more bytes)";
  ASSERT_GE(s.message().size(), suffix.size());
  EXPECT_EQ(s.message().substr(s.message().size() - suffix.size()), suffix);
}

TEST(StatusTest, TheCutNeverSplitsAUtf8Character) {
  // "é" is two bytes; with an odd prefix, the limit falls inside one of them.
  const std::string message = "x" + [] {
    std::string s;
    for (size_t i = 0; i < Status::kMaxMessageBytes; ++i) s += "\xc3\xa9";
    return s;
  }();
  const Status s(StatusCode::kInvalidArgument, message);
  const std::string kept = s.message().substr(0, s.message().find("... ("));
  EXPECT_EQ(kept.size() % 2, 1u);  // "x" plus whole characters
  EXPECT_LE(kept.size(), Status::kMaxMessageBytes);
  EXPECT_EQ(kept.substr(kept.size() - 2), "\xc3\xa9");
}

}  // namespace
}  // namespace k3
