// capi/embedder.cc: embedders implemented as C callbacks — k3_register_embedder and
// k3_options_register_embedder — wrapped as k3::Embedder and handed to k3::Db::register_embedder
// or k3::Options::embedders.
#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/embedder.h"
#include "k3/k3.h"
#include "k3/options.h"
#include "k3/status.h"
#include "k3/vectors.h"

using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

namespace {

// Owns a callback's user data: calls destroy(user_data) once, when the owner goes (unless
// the ownership moved on).
class UserData {
 public:
  UserData(void* user_data, k3_destroy_fn destroy) : user_data_(user_data), destroy_(destroy) {}
  UserData(UserData&& other) noexcept
      : user_data_(other.user_data_), destroy_(std::exchange(other.destroy_, nullptr)) {}
  UserData(const UserData&) = delete;
  UserData& operator=(const UserData&) = delete;
  UserData& operator=(UserData&&) = delete;
  ~UserData() {
    if (destroy_ != nullptr) destroy_(user_data_);
  }

  void* get() const { return user_data_; }

 private:
  void* user_data_;
  k3_destroy_fn destroy_;
};

// A k3::Embedder whose embed() calls a k3_embed_fn.
class CallbackEmbedder final : public k3::Embedder {
 public:
  CallbackEmbedder(std::string name, int dims, k3_embed_fn embed, UserData&& user_data)
      : name_(std::move(name)), dims_(dims), embed_(embed), user_data_(std::move(user_data)) {}

  std::string name() const override { return name_; }
  int dimensions() const override { return dims_; }

  // Never throws (k3::Embedder's contract): running out of memory is RESOURCE_EXHAUSTED.
  k3::Result<std::vector<std::vector<float>>> embed(
      const std::vector<std::string>& texts) override {
    try {
      return EmbedOrThrow(texts);
    } catch (const std::bad_alloc&) {
      return k3::Status(k3::StatusCode::kResourceExhausted,
                        "out of memory embedding with \"" + name_ + "\"");
    } catch (...) {
      return k3::Status(k3::StatusCode::kInternal, "embedder \"" + name_ + "\" failed");
    }
  }

 private:
  k3::Result<std::vector<std::vector<float>>> EmbedOrThrow(const std::vector<std::string>& texts) {
    std::vector<std::vector<float>> vectors;
    if (texts.empty()) return vectors;
    std::vector<const char*> pointers;
    std::vector<size_t> lens;
    pointers.reserve(texts.size());
    lens.reserve(texts.size());
    for (const std::string& text : texts) {
      pointers.push_back(text.c_str());
      lens.push_back(text.size());
    }
    const size_t dims = static_cast<size_t>(dims_);
    std::vector<float> out(texts.size() * dims, 0.0f);
    char* message = nullptr;
    const int rc =
        embed_(user_data_.get(), pointers.data(), lens.data(), texts.size(), out.data(), &message);
    std::unique_ptr<char, decltype(&k3_free)> owned_message(message, &k3_free);
    if (rc != 0) {
      const int code = rc > K3_OK && rc <= K3_UNAUTHENTICATED ? rc : K3_UNKNOWN;
      std::string text = "embedder \"" + name_ + "\" failed";
      if (message != nullptr && *message != '\0') {
        text += ": ";
        text += message;
      } else {
        text += " (its callback returned " + std::to_string(rc) + ")";
      }
      return k3::Status(static_cast<k3::StatusCode>(code), std::move(text));
    }
    vectors.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      vectors.emplace_back(out.begin() + static_cast<ptrdiff_t>(i * dims),
                           out.begin() + static_cast<ptrdiff_t>((i + 1) * dims));
    }
    return vectors;
  }

  const std::string name_;
  const int dims_;
  const k3_embed_fn embed_;
  UserData user_data_;
};

// K3_OK when dims is a vector length k3 accepts, else K3_INVALID_ARGUMENT (with *errmsg).
int CheckDims(int dims, char** errmsg) {
  if (dims >= 1 && dims <= k3::kMaxVectorDimensions) return K3_OK;
  return Fail(
      K3_INVALID_ARGUMENT,
      "dims " + std::to_string(dims) + " is outside 1.." + std::to_string(k3::kMaxVectorDimensions),
      errmsg);
}

}  // namespace

extern "C" {

int k3_register_embedder(k3_db* db, const char* name, int dims, k3_embed_fn embed, void* user_data,
                         k3_destroy_fn destroy, char** errmsg) {
  UserData owner(user_data, destroy);  // destroys user_data on every path that does not keep it
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(name, errmsg);
    K3_CAPI_REQUIRE(embed, errmsg);
    if (int rc = CheckDims(dims, errmsg); rc != K3_OK) return rc;
    auto embedder = std::make_shared<CallbackEmbedder>(name, dims, embed, std::move(owner));
    k3::Status status = db->db.register_embedder(name, std::move(embedder));
    if (!status.ok()) return Fail(status, errmsg);
    return Ok(errmsg);
  });
}

int k3_options_register_embedder(k3_options* opts, const char* name, int dims, k3_embed_fn embed,
                                 void* user_data, k3_destroy_fn destroy) {
  UserData owner(user_data, destroy);
  return Guard(nullptr, [&]() -> int {
    if (opts == nullptr || name == nullptr || embed == nullptr) return K3_INVALID_ARGUMENT;
    if (int rc = CheckDims(dims, nullptr); rc != K3_OK) return rc;
    opts->options.embedders[name] =
        std::make_shared<CallbackEmbedder>(name, dims, embed, std::move(owner));
    return K3_OK;
  });
}

}  // extern "C"
