// sources/secret_box.h: credential secrets encrypted at rest. MasterKey finds (or creates) the
// 32-byte master key; Seal and Open turn a secret into a self-describing AES-256-GCM blob and
// back, bound to associated data (the credential id) so a blob cannot be moved to another
// credential.
//
// Thread-safety: MasterKey is an immutable value; one key may be used by any number of threads
// at once. Seal and Open are thread-safe. Resolve may race with another Resolve on the same
// data directory (in this or another process): both end up with the key that is on disk.
#ifndef K3_SOURCES_SECRET_BOX_H_
#define K3_SOURCES_SECRET_BOX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "k3/status.h"

namespace k3::sources {

// The environment variable consulted when no key is given in the options.
inline constexpr char kMasterKeyEnvVar[] = "K3_MASTER_KEY";
// The key file's name inside the data directory.
inline constexpr char kMasterKeyFileName[] = "master.key";

// Where a MasterKey came from (for log lines such as "using the master key from ...").
enum class MasterKeyOrigin { kOption, kEnvironment, kKeyFile, kRawBytes };

// A 32-byte AES-256 key. The bytes are wiped (OPENSSL_cleanse) when the object is destroyed or
// overwritten. Never printed: fingerprint() is the only derived form meant for messages.
class MasterKey {
 public:
  static constexpr size_t kSize = 32;

  // Finds the master key, in this order:
  //  1. `option_key` when non-empty (Options' master key);
  //  2. else the K3_MASTER_KEY environment variable when set and non-empty;
  //  3. else the file `<data_dir>/master.key`, created on first use.
  // A key given as text (1 or 2) is 64 hex characters (either case) or the 44-character
  // standard base64 (with its '=' padding) of exactly 32 bytes; anything else, including
  // surrounding whitespace, is INVALID_ARGUMENT naming the origin but never echoing the text.
  // A text key that is given is never silently replaced by a later source.
  // The key file, when missing, is created with 32 random bytes (RAND_bytes), mode 0600, through
  // a temporary file that is fsync'ed and then hard-linked into place (never replacing a file
  // that appeared meanwhile), so a crash never leaves a short key file and two concurrent
  // creators agree on one key (a crash may leave an unused `master.key.tmp-<hex>`, mode 0600,
  // which is ignored; the file system must support hard links). An existing key file must be a
  // regular file of exactly 32 bytes with no permission bits for group or others; otherwise
  // FAILED_PRECONDITION naming the path and the problem. `data_dir` must be an existing directory
  // (FAILED_PRECONDITION otherwise). Other I/O failures are UNAVAILABLE (or INTERNAL when the
  // random generator fails).
  static Result<MasterKey> Resolve(std::string_view option_key, const std::string& data_dir);

  // A key from its raw bytes (exactly kSize, else INVALID_ARGUMENT). For tests and for hosts
  // that keep the key elsewhere.
  static Result<MasterKey> FromBytes(std::string_view raw);

  // Copyable (moving copies: there is no empty, moved-from key). Assignment overwrites the old
  // bytes in place.
  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
  ~MasterKey();  // wipes the key bytes

  // The key id: the first 8 lowercase hex characters of SHA-256(key). Identifies the key in
  // errors and lets Open detect "wrong master key" before decrypting. Not secret.
  std::string fingerprint() const;
  MasterKeyOrigin origin() const { return origin_; }

 private:
  friend Result<std::string> Seal(const MasterKey&, std::string_view, std::string_view);
  friend Result<std::string> Open(const MasterKey&, std::string_view, std::string_view);

  // `raw` is exactly kSize bytes.
  MasterKey(const unsigned char* raw, MasterKeyOrigin origin);

  std::array<unsigned char, kSize> key_;
  std::array<unsigned char, 4> fingerprint_;  // first 4 bytes of SHA-256(key_)
  MasterKeyOrigin origin_;
};

// The blob layout (version 1), all fields fixed-size except the ciphertext:
//   1 byte version (0x01) | 4 bytes key fingerprint | 12-byte random nonce |
//   ciphertext (same length as the plaintext) | 16-byte GCM tag
// The GCM additional authenticated data is the 5-byte header (version + fingerprint) followed
// by `associated_data`, so neither the header nor the binding can be altered undetected.
inline constexpr uint8_t kSecretBoxVersion = 1;
inline constexpr size_t kSecretBoxOverhead = 1 + 4 + 12 + 16;
// Plaintext and associated data above this size are refused (credentials are small).
inline constexpr size_t kSecretBoxMaxInput = 1 << 20;

// Encrypts `plaintext` under `key`, bound to `associated_data` (the credential id: the same
// bytes must be given to Open). Each call draws a fresh random nonce, so sealing the same
// plaintext twice gives different blobs. The result is binary (not text) and exactly
// plaintext.size() + kSecretBoxOverhead bytes. Errors: INVALID_ARGUMENT when the plaintext or
// the associated data exceeds kSecretBoxMaxInput; INTERNAL when OpenSSL fails. Does not copy the
// plaintext anywhere but into the cipher.
Result<std::string> Seal(const MasterKey& key, std::string_view plaintext,
                         std::string_view associated_data);

// Decrypts and authenticates a blob made by Seal. Never returns unauthenticated bytes:
//  - shorter than kSecretBoxOverhead, larger than any Seal output, or an unknown version byte:
//    DATA_LOSS;
//  - sealed under another key (fingerprint mismatch): FAILED_PRECONDITION "credential was
//    encrypted with another master key (fingerprint X, this key is Y)";
//  - authentication failure (tampered blob, or other associated data): DATA_LOSS "credential
//    secret failed authentication".
// INVALID_ARGUMENT when the associated data exceeds kSecretBoxMaxInput. On success the caller
// owns the plaintext and should wipe it (OPENSSL_cleanse) when done; its buffer is heap
// allocated (never in the small-string buffer), so moving the string does not copy the secret.
Result<std::string> Open(const MasterKey& key, std::string_view blob,
                         std::string_view associated_data);

}  // namespace k3::sources

#endif  // K3_SOURCES_SECRET_BOX_H_
