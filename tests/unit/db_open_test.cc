// Opening data directories: creation, locking, foreign and incompatible directories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

namespace fs = std::filesystem;

TEST(DbOpen, CreatesMissingDirectoryAndReopens) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/nested/data";
  {
    auto db = Db::open(dir);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->storage().create_bucket({.name = "keep"}).ok());
  }
  EXPECT_TRUE(fs::exists(dir + "/K3DATA"));
  auto db = Db::open(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(db->storage().get_bucket("keep").ok());
}

TEST(DbOpen, MissingDirectoryWithoutCreateIsNotFound) {
  test::TempDir tmp;
  Options options;
  options.create_if_missing = false;
  auto db = Db::open(tmp.path() + "/absent", options);
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(tmp.path() + "/absent"));
}

TEST(DbOpen, SecondOpenInSameProcessIsRefusedAndFirstKeepsWorking) {
  test::TempDir tmp;
  auto first = Db::open(tmp.path());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->storage().create_bucket({.name = "live"}).ok());
  auto second = Db::open(tmp.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("already open"), std::string::npos);
  EXPECT_TRUE(first->storage().put_object("live", "k", "v").ok());
  EXPECT_EQ(first->storage().get_object("live", "k")->body, "v");
}

TEST(DbOpen, LockIsReleasedOnClose) {
  test::TempDir tmp;
  { ASSERT_TRUE(Db::open(tmp.path()).ok()); }
  EXPECT_TRUE(Db::open(tmp.path()).ok());
}

TEST(DbOpen, ForeignDirectoryIsRefusedUntouched) {
  test::TempDir tmp;
  { std::ofstream(tmp.path() + "/notes.txt") << "mine"; }
  auto db = Db::open(tmp.path());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("not a k3 data directory"), std::string::npos);
  // Nothing was created next to the user's file.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(DbOpen, PathThatIsAFileIsRefused) {
  test::TempDir tmp;
  { std::ofstream(tmp.path() + "/file") << "x"; }
  auto db = Db::open(tmp.path() + "/file");
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
}

TEST(DbOpen, ForeignMarkerIsRefused) {
  test::TempDir tmp;
  { std::ofstream(tmp.path() + "/K3DATA") << "something else\n"; }
  auto db = Db::open(tmp.path());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
}

TEST(DbOpen, IncompatibleFormatVersionIsRefused) {
  test::TempDir tmp;
  { ASSERT_TRUE(Db::open(tmp.path()).ok()); }
  { std::ofstream(tmp.path() + "/K3DATA", std::ios::trunc) << "k3 data directory\nformat 999\n"; }
  auto db = Db::open(tmp.path());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("format version 999"), std::string::npos);
}

TEST(DbOpen, LostStoreIsDataLoss) {
  test::TempDir tmp;
  { ASSERT_TRUE(Db::open(tmp.path()).ok()); }
  fs::remove_all(tmp.path() + "/meta");
  auto db = Db::open(tmp.path());
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kDataLoss) << db.status().ToString();
}

}  // namespace
}  // namespace k3
