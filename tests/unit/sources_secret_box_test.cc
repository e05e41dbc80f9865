// Tests for sources/secret_box.h: master key resolution (option, environment, key file) and the
// AES-256-GCM credential blob (round trip, binding, tampering, wrong key, bad input).
#include "sources/secret_box.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "util/hash.h"

namespace k3::sources {
namespace {

namespace fs = std::filesystem;

// 32 distinct bytes 0x00..0x1f, and the same key as text.
std::string TestKeyBytes(char first = 0) {
  std::string raw(MasterKey::kSize, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(first + i);
  return raw;
}
MasterKey TestKey(char first = 0) { return MasterKey::FromBytes(TestKeyBytes(first)).value(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, std::string_view bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
}

mode_t FileMode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// Every test starts with K3_MASTER_KEY unset and leaves the environment as it found it.
class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv(kMasterKeyEnvVar)) saved_env_ = v;
    ::unsetenv(kMasterKeyEnvVar);
  }
  void TearDown() override {
    if (saved_env_) {
      ::setenv(kMasterKeyEnvVar, saved_env_->c_str(), 1);
    } else {
      ::unsetenv(kMasterKeyEnvVar);
    }
  }
  std::string KeyPath() const { return dir_.path() + "/master.key"; }

  test::TempDir dir_;
  std::optional<std::string> saved_env_;
};

// ---------------------------------------------------------------------------------------
// Seal / Open

TEST_F(SecretBoxTest, RoundTripsSecretsOfManySizes) {
  MasterKey key = TestKey();
  for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 4096}) {
    std::string secret(n, '\0');
    for (size_t i = 0; i < n; ++i) secret[i] = static_cast<char>('a' + i % 26);
    Result<std::string> blob = Seal(key, secret, "cred_01");
    ASSERT_TRUE(blob.ok()) << blob.status().ToString();
    EXPECT_EQ(blob->size(), n + kSecretBoxOverhead);
    EXPECT_EQ(static_cast<uint8_t>((*blob)[0]), kSecretBoxVersion);
    EXPECT_EQ(util::HexEncode(blob->substr(1, 4)), key.fingerprint());
    Result<std::string> opened = Open(key, *blob, "cred_01");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, secret);
  }
}

TEST_F(SecretBoxTest, RoundTripsBinarySecretAndEmptyAssociatedData) {
  MasterKey key = TestKey();
  std::string secret("\0\xff\x01zero\0inside", 13);
  Result<std::string> blob = Seal(key, secret, "");
  ASSERT_TRUE(blob.ok());
  Result<std::string> opened = Open(key, *blob, "");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, secret);
}

TEST_F(SecretBoxTest, BlobIsBoundToItsAssociatedData) {
  MasterKey key = TestKey();
  Result<std::string> blob_a = Seal(key, "ghp_secretA", "cred_A");
  ASSERT_TRUE(blob_a.ok());
  for (std::string_view other : {"cred_B", "cred_", "cred_A ", "", "CRED_A"}) {
    Result<std::string> opened = Open(key, *blob_a, other);
    ASSERT_FALSE(opened.ok()) << "opened as \"" << other << "\"";
    EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(opened.status().message(), "credential secret failed authentication");
  }
  EXPECT_TRUE(Open(key, *blob_a, "cred_A").ok());
}

TEST_F(SecretBoxTest, EveryBitFlipIsDetected) {
  MasterKey key = TestKey();
  Result<std::string> blob = Seal(key, "s3cr3t-token-value", "cred_X");
  ASSERT_TRUE(blob.ok());
  for (size_t byte = 0; byte < blob->size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = *blob;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      Result<std::string> opened = Open(key, bad, "cred_X");
      ASSERT_FALSE(opened.ok()) << "flip of byte " << byte << " bit " << bit << " went unnoticed";
      // Version byte and ciphertext/tag: DATA_LOSS; the fingerprint: another key.
      StatusCode want =
          (byte >= 1 && byte < 5) ? StatusCode::kFailedPrecondition : StatusCode::kDataLoss;
      EXPECT_EQ(opened.status().code(), want)
          << "byte " << byte << ": " << opened.status().ToString();
    }
  }
}

TEST_F(SecretBoxTest, WrongKeyIsFailedPreconditionNamingBothFingerprints) {
  MasterKey right = TestKey(0);
  MasterKey wrong = TestKey(1);
  ASSERT_NE(right.fingerprint(), wrong.fingerprint());
  Result<std::string> blob = Seal(right, "hunter2", "cred_1");
  ASSERT_TRUE(blob.ok());
  Result<std::string> opened = Open(wrong, *blob, "cred_1");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(opened.status().message(),
            "credential was encrypted with another master key (fingerprint " + right.fingerprint() +
                ", this key is " + wrong.fingerprint() + ")");
  EXPECT_EQ(opened.status().message().find("hunter2"), std::string::npos);
}

TEST_F(SecretBoxTest, WrongKeyWithForgedFingerprintFailsAuthentication) {
  // A key whose fingerprint happens to match (simulated by rewriting the header) still cannot
  // open the blob: the tag, which also covers the header, fails.
  MasterKey right = TestKey(0);
  MasterKey wrong = TestKey(1);
  std::string blob = Seal(right, "hunter2", "cred_1").value();
  std::string fp;
  ASSERT_TRUE(util::HexDecode(wrong.fingerprint(), &fp));
  blob.replace(1, 4, fp);
  Result<std::string> opened = Open(wrong, blob, "cred_1");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
}

TEST_F(SecretBoxTest, TruncatedAndExtendedBlobsAreRefused) {
  MasterKey key = TestKey();
  std::string blob = Seal(key, "a-secret-of-some-length", "cred_T").value();
  for (size_t n = 0; n < blob.size(); ++n) {
    Result<std::string> opened = Open(key, blob.substr(0, n), "cred_T");
    ASSERT_FALSE(opened.ok()) << "prefix of " << n << " bytes opened";
    EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss) << n;
  }
  // Short of the fixed overhead: a clear "damaged" message.
  Result<std::string> tiny = Open(key, blob.substr(0, 10), "cred_T");
  EXPECT_NE(tiny.status().message().find("shorter than any sealed secret"), std::string::npos)
      << tiny.status().ToString();
  // Appended bytes, and a front-truncated blob.
  EXPECT_EQ(Open(key, blob + "x", "cred_T").status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(Open(key, blob.substr(1), "cred_T").ok());
}

TEST_F(SecretBoxTest, UnknownVersionIsDataLoss) {
  MasterKey key = TestKey();
  std::string blob = Seal(key, "x", "c").value();
  for (int v : {0, 2, 255}) {
    blob[0] = static_cast<char>(v);
    Result<std::string> opened = Open(key, blob, "c");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(opened.status().message().find("unknown format"), std::string::npos);
  }
}

TEST_F(SecretBoxTest, OversizedInputsAreRefused) {
  MasterKey key = TestKey();
  std::string big(kSecretBoxMaxInput + 1, 'a');
  EXPECT_EQ(Seal(key, big, "c").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Seal(key, "s", big).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(key, std::string(kSecretBoxOverhead, '\1'), big).status().code(),
            StatusCode::kInvalidArgument);
  std::string huge_blob(kSecretBoxOverhead + kSecretBoxMaxInput + 1, '\1');
  EXPECT_EQ(Open(key, huge_blob, "c").status().code(), StatusCode::kDataLoss);
  // The limit itself is accepted.
  std::string max(kSecretBoxMaxInput, 'm');
  Result<std::string> blob = Seal(key, max, "c");
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(Open(key, *blob, "c").value(), max);
}

TEST_F(SecretBoxTest, SealingTwiceGivesDifferentBlobs) {
  MasterKey key = TestKey();
  std::set<std::string> blobs;
  std::set<std::string> nonces;
  for (int i = 0; i < 50; ++i) {
    std::string blob = Seal(key, "same plaintext", "cred_same").value();
    nonces.insert(blob.substr(5, 12));
    blobs.insert(std::move(blob));
  }
  EXPECT_EQ(blobs.size(), 50u);
  EXPECT_EQ(nonces.size(), 50u);
}

TEST_F(SecretBoxTest, CiphertextNeverContainsThePlaintext) {
  MasterKey key = TestKey();
  const std::string secret = "AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  for (int i = 0; i < 20; ++i) {
    std::string blob = Seal(key, secret, "cred_S").value();
    EXPECT_EQ(blob.find(secret), std::string::npos);
    // Not even an 8-byte window of it.
    for (size_t at = 0; at + 8 <= secret.size(); ++at) {
      ASSERT_EQ(blob.find(secret.substr(at, 8)), std::string::npos) << at;
    }
    // Nor its hex or base64 forms (in case something encodes instead of encrypting).
    EXPECT_EQ(blob.find(util::HexEncode(secret)), std::string::npos);
    EXPECT_EQ(blob.find(util::Base64Encode(secret)), std::string::npos);
  }
}

TEST_F(SecretBoxTest, ConcurrentSealAndOpenWithOneKey) {
  MasterKey key = TestKey();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string secret = "secret-" + std::to_string(t) + "-" + std::to_string(i);
        std::string ad = "cred_" + std::to_string(t);
        Result<std::string> blob = Seal(key, secret, ad);
        if (!blob.ok()) {
          ++failures[t];
          continue;
        }
        Result<std::string> opened = Open(key, *blob, ad);
        if (!opened.ok() || *opened != secret) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ---------------------------------------------------------------------------------------
// MasterKey

TEST_F(SecretBoxTest, FingerprintIsFirstEightHexOfSha256) {
  std::string raw = TestKeyBytes();
  MasterKey key = MasterKey::FromBytes(raw).value();
  EXPECT_EQ(key.fingerprint(), util::HexEncode(util::Sha256Digest(raw)).substr(0, 8));
  EXPECT_EQ(key.fingerprint().size(), 8u);
  EXPECT_EQ(key.origin(), MasterKeyOrigin::kRawBytes);
  EXPECT_EQ(MasterKey::FromBytes(raw.substr(1)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MasterKey::FromBytes(raw + "x").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SecretBoxTest, OptionKeyInHexOrBase64IsUsed) {
  std::string raw = TestKeyBytes(7);
  MasterKey expected = MasterKey::FromBytes(raw).value();
  std::string hex = util::HexEncode(raw);
  std::string upper_hex = hex;
  for (char& c : upper_hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string b64 = util::Base64Encode(raw);
  ASSERT_EQ(b64.size(), 44u);
  for (const std::string& text : {hex, upper_hex, b64}) {
    Result<MasterKey> key = MasterKey::Resolve(text, dir_.path());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->fingerprint(), expected.fingerprint());
    EXPECT_EQ(key->origin(), MasterKeyOrigin::kOption);
  }
  // A given key never creates the key file.
  EXPECT_FALSE(fs::exists(KeyPath()));
  // And blobs sealed with the raw key open with the resolved one.
  std::string blob = Seal(expected, "pat", "cred").value();
  EXPECT_EQ(Open(MasterKey::Resolve(b64, dir_.path()).value(), blob, "cred").value(), "pat");
}

TEST_F(SecretBoxTest, BadOptionKeysAreRefusedWithoutEchoingThem) {
  std::string raw = TestKeyBytes(3);
  std::string hex = util::HexEncode(raw);
  std::string b64 = util::Base64Encode(raw);
  std::string b64url = util::Base64UrlEncode(raw);  // 43 chars, '-'/'_' alphabet, no padding
  std::vector<std::string> bad = {
      "short",
      hex.substr(0, 62),                            // 31 bytes of hex
      hex + "00",                                   // 33 bytes of hex
      hex.substr(0, 63) + "g",                      // non-hex character
      " " + hex,                                    // surrounding whitespace
      hex + "\n",                                   // trailing newline
      b64.substr(0, 43),                            // base64 without its padding
      b64.substr(0, 42) + "!=",                     // not base64
      util::Base64Encode(raw.substr(0, 31)) + "=",  // 44 chars but not 32 bytes
      b64url,                                       // URL-safe alphabet
      std::string(44, '='),                         // all padding
      "correct horse battery staple correct horse battery staple xxxxxx",  // 64 chars, not hex
  };
  for (const std::string& text : bad) {
    Result<MasterKey> key = MasterKey::Resolve(text, dir_.path());
    ASSERT_FALSE(key.ok()) << "accepted \"" << text << "\"";
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
    const std::string msg = key.status().message();
    EXPECT_NE(msg.find("Options"), std::string::npos) << msg;
    EXPECT_NE(msg.find("64 hex characters"), std::string::npos) << msg;
    // Neither the text nor any 6-character piece of it appears in the message.
    for (size_t at = 0; at + 6 <= text.size(); ++at) {
      std::string piece = text.substr(at, 6);
      if (piece.find_first_not_of("= \n") == std::string::npos) continue;  // padding only
      ASSERT_EQ(msg.find(piece), std::string::npos)
          << "message echoes \"" << piece << "\": " << msg;
    }
  }
  // A bad option key is an error even when a good key file exists: never a silent fallback.
  ASSERT_TRUE(MasterKey::Resolve("", dir_.path()).ok());
  EXPECT_EQ(MasterKey::Resolve("bad", dir_.path()).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SecretBoxTest, EnvironmentKeyIsUsedWhenNoOptionKey) {
  std::string env_raw = TestKeyBytes(40);
  std::string opt_raw = TestKeyBytes(80);
  ASSERT_EQ(::setenv(kMasterKeyEnvVar, util::HexEncode(env_raw).c_str(), 1), 0);
  Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->fingerprint(), MasterKey::FromBytes(env_raw)->fingerprint());
  EXPECT_EQ(key->origin(), MasterKeyOrigin::kEnvironment);
  EXPECT_FALSE(fs::exists(KeyPath()));

  // Base64 works too.
  ASSERT_EQ(::setenv(kMasterKeyEnvVar, util::Base64Encode(env_raw).c_str(), 1), 0);
  EXPECT_EQ(MasterKey::Resolve("", dir_.path())->fingerprint(),
            MasterKey::FromBytes(env_raw)->fingerprint());

  // The option key wins over the environment.
  Result<MasterKey> opt = MasterKey::Resolve(util::HexEncode(opt_raw), dir_.path());
  ASSERT_TRUE(opt.ok());
  EXPECT_EQ(opt->fingerprint(), MasterKey::FromBytes(opt_raw)->fingerprint());
  EXPECT_EQ(opt->origin(), MasterKeyOrigin::kOption);

  // An empty variable counts as unset: the key file is used (and created).
  ASSERT_EQ(::setenv(kMasterKeyEnvVar, "", 1), 0);
  Result<MasterKey> file = MasterKey::Resolve("", dir_.path());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->origin(), MasterKeyOrigin::kKeyFile);
  EXPECT_TRUE(fs::exists(KeyPath()));
}

TEST_F(SecretBoxTest, BadEnvironmentKeyIsRefusedWithoutEchoingIt) {
  const std::string bad = "this-is-not-a-key-but-a-passphrase-0123456789";
  ASSERT_EQ(::setenv(kMasterKeyEnvVar, bad.c_str(), 1), 0);
  Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find("K3_MASTER_KEY"), std::string::npos);
  EXPECT_EQ(key.status().message().find("passphrase"), std::string::npos);
  EXPECT_EQ(key.status().message().find(bad), std::string::npos);
  // No fallback to a key file either.
  EXPECT_FALSE(fs::exists(KeyPath()));
}

TEST_F(SecretBoxTest, KeyFileIsCreated0600AndReused) {
  ASSERT_FALSE(fs::exists(KeyPath()));
  Result<MasterKey> first = MasterKey::Resolve("", dir_.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->origin(), MasterKeyOrigin::kKeyFile);
  ASSERT_TRUE(fs::is_regular_file(KeyPath()));
  EXPECT_EQ(FileMode(KeyPath()), 0600u);
  std::string bytes = ReadFile(KeyPath());
  ASSERT_EQ(bytes.size(), MasterKey::kSize);
  EXPECT_EQ(first->fingerprint(), MasterKey::FromBytes(bytes)->fingerprint());
  // No temporary files are left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "master.key");
  }
  EXPECT_EQ(entries, 1);

  // The next Resolve reads the same key; the blob sealed before opens after.
  std::string blob = Seal(*first, "refresh-token", "cred_oauth").value();
  Result<MasterKey> second = MasterKey::Resolve("", dir_.path());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->fingerprint(), first->fingerprint());
  EXPECT_EQ(Open(*second, blob, "cred_oauth").value(), "refresh-token");
  EXPECT_EQ(ReadFile(KeyPath()), bytes);

  // A different data directory gets a different random key.
  test::TempDir other;
  Result<MasterKey> third = MasterKey::Resolve("", other.path());
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->fingerprint(), first->fingerprint());
  EXPECT_EQ(Open(*third, blob, "cred_oauth").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SecretBoxTest, KeyFileIsCreated0600EvenUnderAPermissiveUmask) {
  mode_t old = ::umask(0);
  Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
  ::umask(old);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(FileMode(KeyPath()), 0600u);
}

TEST_F(SecretBoxTest, KeyFileReadableByOthersIsRefused) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0606}) {
    WriteFile(KeyPath(), TestKeyBytes(), mode);
    Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
    const std::string msg = key.status().message();
    EXPECT_NE(msg.find(KeyPath()), std::string::npos) << msg;
    char want[8];
    std::snprintf(want, sizeof(want), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(msg.find(want), std::string::npos) << msg;
    EXPECT_NE(msg.find("0600"), std::string::npos) << msg;
    // The file is left alone (no silent repair or replacement).
    EXPECT_EQ(FileMode(KeyPath()), mode);
    EXPECT_EQ(ReadFile(KeyPath()), TestKeyBytes());
  }
  // 0400 (owner read-only) is fine.
  WriteFile(KeyPath(), TestKeyBytes(), 0400);
  Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->fingerprint(), TestKey().fingerprint());
}

TEST_F(SecretBoxTest, KeyFileOfWrongSizeIsRefused) {
  for (size_t n : {0, 1, 16, 31, 33, 64}) {
    WriteFile(KeyPath(), std::string(n, 'k'), 0600);
    Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
    ASSERT_FALSE(key.ok()) << n;
    EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
    const std::string msg = key.status().message();
    EXPECT_NE(msg.find(KeyPath()), std::string::npos) << msg;
    EXPECT_NE(msg.find("is " + std::to_string(n) + " bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("exactly 32 bytes"), std::string::npos) << msg;
    EXPECT_EQ(ReadFile(KeyPath()), std::string(n, 'k'));  // never overwritten
  }
}

TEST_F(SecretBoxTest, KeyFileThatIsADirectoryIsRefused) {
  fs::create_directory(KeyPath());
  ::chmod(KeyPath().c_str(), 0700);
  Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(key.status().message().find("not a regular file"), std::string::npos)
      << key.status().ToString();
}

TEST_F(SecretBoxTest, MissingDataDirectoryIsRefused) {
  std::string missing = dir_.path() + "/does-not-exist";
  Result<MasterKey> key = MasterKey::Resolve("", missing);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(key.status().message().find(missing), std::string::npos);
  EXPECT_FALSE(fs::exists(missing));
  EXPECT_EQ(MasterKey::Resolve("", "").status().code(), StatusCode::kFailedPrecondition);
  // A file where the directory should be.
  WriteFile(dir_.path() + "/plain", "x", 0600);
  EXPECT_EQ(MasterKey::Resolve("", dir_.path() + "/plain").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(SecretBoxTest, StaleTemporaryFileDoesNotInterfere) {
  // What a crash between create and link would leave: a temp file, never the key file.
  WriteFile(KeyPath() + ".tmp-0011223344556677", "partial", 0600);
  Result<MasterKey> key = MasterKey::Resolve("", dir_.path());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(ReadFile(KeyPath()).size(), MasterKey::kSize);
}

TEST_F(SecretBoxTest, ConcurrentFirstResolvesAgreeOnOneKey) {
  for (int round = 0; round < 20; ++round) {
    test::TempDir dir;
    constexpr int kThreads = 4;
    std::vector<std::string> fingerprints(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Result<MasterKey> key = MasterKey::Resolve("", dir.path());
        fingerprints[t] = key.ok() ? key->fingerprint() : key.status().ToString();
      });
    }
    for (auto& th : threads) th.join();
    std::string on_disk = MasterKey::FromBytes(ReadFile(dir.path() + "/master.key"))->fingerprint();
    for (const std::string& fp : fingerprints) ASSERT_EQ(fp, on_disk) << "round " << round;
  }
}

}  // namespace
}  // namespace k3::sources
