#include "sources/secret_box.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "util/hash.h"

namespace k3::sources {
namespace {

constexpr size_t kVersionSize = 1;
constexpr size_t kFingerprintSize = 4;
constexpr size_t kHeaderSize = kVersionSize + kFingerprintSize;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
static_assert(kSecretBoxOverhead == kHeaderSize + kNonceSize + kTagSize);
// Larger than libstdc++'s small-string capacity, so a secret always lives on the heap and a move
// hands over the pointer instead of copying the bytes.
constexpr size_t kMinSecretCapacity = 32;

// Wipes a string's bytes (all of its capacity that we wrote) before it is freed or reused.
void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// A string that wipes itself when it goes out of scope.
struct WipedString {
  std::string bytes;
  ~WipedString() { Wipe(bytes); }
};

std::string ErrnoText(int err) { return std::strerror(err); }

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the error, if any.
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string_view OriginName(MasterKeyOrigin origin) {
  switch (origin) {
    case MasterKeyOrigin::kOption:
      return "the master key in Options";
    case MasterKeyOrigin::kEnvironment:
      return "the K3_MASTER_KEY environment variable";
    case MasterKeyOrigin::kKeyFile:
      return "the master key file";
    case MasterKeyOrigin::kRawBytes:
      return "the raw master key";
  }
  return "the master key";
}

// Decodes a text key (64 hex or 44 base64 characters of 32 bytes) into `out` (32 bytes).
// The error never contains the text.
Status DecodeTextKey(std::string_view text, MasterKeyOrigin origin,
                     std::array<unsigned char, MasterKey::kSize>* out) {
  WipedString decoded;
  bool ok = false;
  if (text.size() == 2 * MasterKey::kSize) {
    ok = util::HexDecode(text, &decoded.bytes);
  } else if (text.size() == 44) {
    ok = util::Base64Decode(text, &decoded.bytes);
  }
  if (!ok || decoded.bytes.size() != MasterKey::kSize) {
    return InvalidArgument(std::string(OriginName(origin)) +
                           " is not a valid master key: expected 64 hex characters or the "
                           "44-character base64 of 32 bytes, got " +
                           std::to_string(text.size()) +
                           " characters that are neither (the value is not shown)");
  }
  std::memcpy(out->data(), decoded.bytes.data(), MasterKey::kSize);
  return Status::Ok();
}

// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
bool WriteAll(int fd, const unsigned char* bytes, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// fsyncs a directory so that a new name in it survives a crash.
Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return Unavailable("cannot sync directory \"" + dir + "\": " + ErrnoText(errno));
  }
  return Status::Ok();
}

// Creates `path` with 32 fresh random bytes, mode 0600, without ever exposing a partial file
// under `path` and without replacing a file that another creator put there first. Returns OK
// also when another creator won the race (the caller then reads whatever is at `path`).
Status CreateKeyFile(const std::string& data_dir, const std::string& path) {
  std::array<unsigned char, MasterKey::kSize> key;
  std::array<unsigned char, 8> suffix;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1 ||
      RAND_bytes(suffix.data(), static_cast<int>(suffix.size())) != 1) {
    OPENSSL_cleanse(key.data(), key.size());
    return Internal("cannot create the master key: the random generator failed");
  }
  std::string tmp = path + ".tmp-" +
                    util::HexEncode(std::string_view(reinterpret_cast<const char*>(suffix.data()),
                                                     suffix.size()));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    OPENSSL_cleanse(key.data(), key.size());
    return Unavailable("cannot create the master key file \"" + tmp + "\": " + ErrnoText(errno));
  }
  // The umask can only remove bits; fchmod makes the mode exactly 0600 whatever it is.
  bool written = ::fchmod(fd.get(), 0600) == 0 && WriteAll(fd.get(), key.data(), key.size()) &&
                 ::fsync(fd.get()) == 0;
  int err = errno;
  OPENSSL_cleanse(key.data(), key.size());
  if (fd.Close() != 0 && written) {
    written = false;
    err = errno;
  }
  if (!written) {
    ::unlink(tmp.c_str());
    return Unavailable("cannot write the master key file \"" + tmp + "\": " + ErrnoText(err));
  }
  // link() never replaces: if another process created the key file meanwhile, its key stands.
  bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  err = errno;
  ::unlink(tmp.c_str());
  if (!linked && err != EEXIST) {
    return Unavailable("cannot install the master key file \"" + path + "\": " + ErrnoText(err));
  }
  return SyncDir(data_dir);
}

// Reads and checks an existing key file. NOT_FOUND (only) when the file does not exist.
Result<MasterKey> ReadKeyFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));  // a FIFO must not block
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFound("no master key file \"" + path + "\"");
    return Unavailable("cannot open the master key file \"" + path + "\": " + ErrnoText(errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return Unavailable("cannot stat the master key file \"" + path + "\": " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return FailedPrecondition("master key file \"" + path + "\" is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return FailedPrecondition("master key file \"" + path + "\" has mode " + mode +
                              ", which gives group or others access; it must be 0600 (chmod 600)");
  }
  if (st.st_size != static_cast<off_t>(MasterKey::kSize)) {
    return FailedPrecondition("master key file \"" + path + "\" is " + std::to_string(st.st_size) +
                              " bytes; it must be exactly " + std::to_string(MasterKey::kSize) +
                              " bytes");
  }
  // Read one byte more than needed, to notice a file that grew after fstat.
  std::array<unsigned char, MasterKey::kSize + 1> buf;
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      OPENSSL_cleanse(buf.data(), buf.size());
      return Unavailable("cannot read the master key file \"" + path + "\": " + ErrnoText(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != MasterKey::kSize) {
    OPENSSL_cleanse(buf.data(), buf.size());
    return FailedPrecondition("master key file \"" + path + "\" is not exactly " +
                              std::to_string(MasterKey::kSize) + " bytes");
  }
  Result<MasterKey> key = MasterKey::FromBytes(
      std::string_view(reinterpret_cast<const char*>(buf.data()), MasterKey::kSize));
  OPENSSL_cleanse(buf.data(), buf.size());
  return key;
}

}  // namespace

MasterKey::MasterKey(const unsigned char* raw, MasterKeyOrigin origin) : origin_(origin) {
  std::memcpy(key_.data(), raw, kSize);
  std::string digest =
      util::Sha256Digest(std::string_view(reinterpret_cast<const char*>(raw), kSize));
  std::memcpy(fingerprint_.data(), digest.data(), fingerprint_.size());
}

MasterKey::~MasterKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string MasterKey::fingerprint() const {
  return util::HexEncode(
      std::string_view(reinterpret_cast<const char*>(fingerprint_.data()), fingerprint_.size()));
}

Result<MasterKey> MasterKey::FromBytes(std::string_view raw) {
  if (raw.size() != kSize) {
    return InvalidArgument("a master key is exactly " + std::to_string(kSize) + " bytes, got " +
                           std::to_string(raw.size()));
  }
  return MasterKey(reinterpret_cast<const unsigned char*>(raw.data()), MasterKeyOrigin::kRawBytes);
}

Result<MasterKey> MasterKey::Resolve(std::string_view option_key, const std::string& data_dir) {
  std::array<unsigned char, kSize> raw;
  if (!option_key.empty()) {
    K3_RETURN_IF_ERROR(DecodeTextKey(option_key, MasterKeyOrigin::kOption, &raw));
    MasterKey key(raw.data(), MasterKeyOrigin::kOption);
    OPENSSL_cleanse(raw.data(), raw.size());
    return key;
  }
  const char* env = std::getenv(kMasterKeyEnvVar);
  if (env != nullptr && env[0] != '\0') {
    K3_RETURN_IF_ERROR(DecodeTextKey(env, MasterKeyOrigin::kEnvironment, &raw));
    MasterKey key(raw.data(), MasterKeyOrigin::kEnvironment);
    OPENSSL_cleanse(raw.data(), raw.size());
    return key;
  }

  struct stat st;
  if (data_dir.empty() || ::stat(data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition("cannot use a master key file: the data directory \"" + data_dir +
                              "\" does not exist or is not a directory");
  }
  std::string path = data_dir + "/" + kMasterKeyFileName;
  Result<MasterKey> existing = ReadKeyFile(path);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) {
    if (!existing.ok()) return existing.status();
    MasterKey key = existing.value();
    key.origin_ = MasterKeyOrigin::kKeyFile;
    return key;
  }
  K3_RETURN_IF_ERROR(CreateKeyFile(data_dir, path));
  // Read back what is on disk: ours, or the key of a creator that won the race.
  K3_ASSIGN_OR_RETURN(MasterKey key, ReadKeyFile(path));
  key.origin_ = MasterKeyOrigin::kKeyFile;
  return key;
}

Result<std::string> Seal(const MasterKey& key, std::string_view plaintext,
                         std::string_view associated_data) {
  if (plaintext.size() > kSecretBoxMaxInput) {
    return InvalidArgument("credential secret is too large to seal (" +
                           std::to_string(plaintext.size()) + " bytes; the limit is " +
                           std::to_string(kSecretBoxMaxInput) + ")");
  }
  if (associated_data.size() > kSecretBoxMaxInput) {
    return InvalidArgument("associated data is too large (" +
                           std::to_string(associated_data.size()) + " bytes)");
  }
  std::string blob(kSecretBoxOverhead + plaintext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  out[0] = kSecretBoxVersion;
  std::memcpy(out + kVersionSize, key.fingerprint_.data(), kFingerprintSize);
  unsigned char* nonce = out + kHeaderSize;
  unsigned char* ciphertext = nonce + kNonceSize;
  unsigned char* tag = ciphertext + plaintext.size();
  if (RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1) {
    return Internal("cannot seal a credential secret: the random generator failed");
  }

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.key_.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, out, static_cast<int>(kHeaderSize)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(associated_data.data()),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ciphertext, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      static_cast<size_t>(len) == plaintext.size() &&
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &len) == 1 && len == 0 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) == 1;
  if (!ok) return Internal("cannot seal a credential secret: OpenSSL AES-256-GCM failed");
  return blob;
}

Result<std::string> Open(const MasterKey& key, std::string_view blob,
                         std::string_view associated_data) {
  if (associated_data.size() > kSecretBoxMaxInput) {
    return InvalidArgument("associated data is too large (" +
                           std::to_string(associated_data.size()) + " bytes)");
  }
  if (blob.size() < kSecretBoxOverhead) {
    return DataLoss("credential secret is damaged: " + std::to_string(blob.size()) +
                    " bytes is shorter than any sealed secret (" +
                    std::to_string(kSecretBoxOverhead) + ")");
  }
  if (blob.size() > kSecretBoxOverhead + kSecretBoxMaxInput) {
    return DataLoss("credential secret is damaged: " + std::to_string(blob.size()) +
                    " bytes is larger than any sealed secret");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(blob.data());
  if (in[0] != kSecretBoxVersion) {
    return DataLoss("credential secret is damaged or from a newer version: unknown format " +
                    std::to_string(in[0]) + " (this build reads " +
                    std::to_string(kSecretBoxVersion) + ")");
  }
  if (std::memcmp(in + kVersionSize, key.fingerprint_.data(), kFingerprintSize) != 0) {
    std::string theirs = util::HexEncode(blob.substr(kVersionSize, kFingerprintSize));
    return FailedPrecondition("credential was encrypted with another master key (fingerprint " +
                              theirs + ", this key is " + key.fingerprint() + ")");
  }
  const unsigned char* nonce = in + kHeaderSize;
  const unsigned char* ciphertext = nonce + kNonceSize;
  size_t ciphertext_size = blob.size() - kSecretBoxOverhead;
  const unsigned char* tag = ciphertext + ciphertext_size;

  std::string plaintext;
  plaintext.reserve(std::max(ciphertext_size, kMinSecretCapacity));
  plaintext.resize(ciphertext_size);
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer but only reads it.
  std::array<unsigned char, kTagSize> expected_tag;
  std::memcpy(expected_tag.data(), tag, kTagSize);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool setup =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.key_.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, in, static_cast<int>(kHeaderSize)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(associated_data.data()),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &len, ciphertext, static_cast<int>(ciphertext_size)) == 1 &&
      static_cast<size_t>(len) == ciphertext_size &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          expected_tag.data()) == 1;
  if (!setup) {
    Wipe(plaintext);
    return Internal("cannot open a credential secret: OpenSSL AES-256-GCM failed");
  }
  // The tag is checked here; until it passes, `plaintext` holds unauthenticated bytes.
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + ciphertext_size, &final_len) != 1 || final_len != 0) {
    Wipe(plaintext);
    return DataLoss("credential secret failed authentication");
  }
  return plaintext;
}

}  // namespace k3::sources
