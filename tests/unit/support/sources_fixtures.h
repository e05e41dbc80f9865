// Shared pieces of the SourceService acceptance tests: file helpers (write, set an mtime,
// list a directory the way a LOCAL_DIR source should see it), digests (MD5 = object ETags,
// SHA-256 = key fingerprints), a scan for secrets in any encoding a careless store might use,
// a loopback HTTP document server (ETag / Last-Modified / 304, per-path counters, failures on
// cue, bearer-token checks, a token endpoint) and a fixture with source helpers on top of
// IngestFixture.
// Thread-safety: DocServer's setters and counters may be called from the test thread while
// its handlers run on the server's threads (one mutex); everything else is for one thread.
#ifndef K3_TESTS_UNIT_SUPPORT_SOURCES_FIXTURES_H_
#define K3_TESTS_UNIT_SUPPORT_SOURCES_FIXTURES_H_

#include <httplib.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "k3/k3.hpp"
#include "support/ingest_fixtures.h"

namespace k3::test {

// --- files -----------------------------------------------------------------------------------

// Writes `content` to `path` (creating parent directories), replacing the file.
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFileBytes(const std::string& path);
// Sets the file's mtime (and atime) to `seconds` since the epoch, without following symlinks.
void SetMtime(const std::string& path, int64_t seconds);
int64_t MtimeSeconds(const std::string& path);
// Regular files under `root` (not following symlinks), by '/'-separated relative path.
std::map<std::string, std::string> DirFiles(const std::string& root);

// --- digests and encodings -------------------------------------------------------------------

std::string Md5Hex(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);
std::string HexDecode(std::string_view hex);
std::string HexEncode(std::string_view bytes);  // lowercase
std::string Base64(std::string_view bytes);     // standard, padded

// Byte patterns whose presence in storage would reveal `secret`: the secret itself, its hex
// (both cases), and the parts of its base64 that do not depend on the neighbouring bytes, for
// each of the three alignments it could have inside a larger base64-encoded blob.
std::vector<std::string> RevealingForms(const std::string& secret);
// The first of `secrets` of which some revealing form occurs in `haystack` ("" when none).
std::string FindAnySecret(std::string_view haystack, const std::vector<std::string>& secrets);

TimestampMs NowMs();

// --- a loopback document server ---------------------------------------------------------------

// Serves GET for every path from a table of documents. A document answers 200 with its body,
// its ETag and Last-Modified headers (each only when set), or 304 when the request's
// If-None-Match equals its ETag (or, without If-None-Match, If-Modified-Since equals its
// Last-Modified) unless conditional requests are ignored for it. Unknown paths answer 404. A
// path told to fail answers that status. When accepted tokens are set, a request whose
// Authorization header is not "Bearer <one of them>" answers 401 (on every path).
// POST /token answers the body set with SetTokenAnswer (an OAuth token endpoint stand-in).
class DocServer {
 public:
  DocServer();
  ~DocServer();
  DocServer(const DocServer&) = delete;
  DocServer& operator=(const DocServer&) = delete;

  // Starts on 127.0.0.1; the port, or 0 on failure.
  int Start();
  int port() const { return port_; }
  std::string Url(const std::string& path) const;  // "http://127.0.0.1:<port><path>"
  std::string HostPort() const;                    // "127.0.0.1:<port>"

  void SetDoc(const std::string& path, std::string body, std::string etag,
              std::string last_modified = "", std::string content_type = "text/plain");
  void RemoveDoc(const std::string& path);
  void FailWith(const std::string& path, int http_status);  // 0 = serve normally again
  void IgnoreConditional(const std::string& path, bool ignore);
  void AcceptTokens(std::set<std::string> tokens);  // empty = no authentication required
  void SetTokenAnswer(int http_status, std::string json_body);

  // Answers with a body (200), 304 answers, and every request, per path.
  int BodyGets(const std::string& path) const;
  int NotModified(const std::string& path) const;
  int Requests(const std::string& path) const;
  int TotalRequests() const;
  // The If-None-Match header of every request to `path`, in order ("" when absent).
  std::vector<std::string> IfNoneMatchSeen(const std::string& path) const;
  // The Authorization header of every request (any path, token endpoint included), in order.
  std::vector<std::string> AuthSeen() const;
  // The bodies POSTed to /token, in order.
  std::vector<std::string> TokenPosts() const;

 private:
  struct Doc {
    std::string body;
    std::string etag;
    std::string last_modified;
    std::string content_type;
    int fail = 0;
    bool ignore_conditional = false;
  };
  void Serve(const httplib::Request& req, httplib::Response& res);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, Doc> docs_;
  std::map<std::string, int> fail_;  // failures of paths without a document
  std::set<std::string> tokens_;
  int token_status_ = 200;
  std::string token_body_;
  std::map<std::string, int> body_gets_;
  std::map<std::string, int> not_modified_;
  std::map<std::string, int> requests_;
  std::map<std::string, std::vector<std::string>> if_none_match_;
  std::vector<std::string> auth_seen_;
  std::vector<std::string> token_posts_;
  int total_ = 0;
};

// --- a fixture with source helpers -----------------------------------------------------------

class SourcesFixture : public IngestFixture {
 protected:
  SourceService& sources() { return db().sources(); }

  // create_source that must succeed.
  Source CreateSource(const CreateSourceRequest& request);
  Source GetSource(const std::string& bucket, const std::string& source_id);
  // sync_source that must succeed (the sync itself may still report errors).
  SourceSyncReport Sync(const std::string& bucket, const std::string& source_id, bool full = false,
                        bool dry_run = false);
  size_t SourceCount(const std::string& bucket);
  std::string InternalSourceId(const std::string& bucket);

  // Every object of `bucket` whose key starts with `prefix`, with its bytes.
  std::map<std::string, std::string> Objects(const std::string& bucket, const std::string& prefix);
  // head_object; nullopt when the object does not exist.
  std::optional<ObjectInfo> Head(const std::string& bucket, const std::string& key);
  // The bucket's jobs grouped by object key, oldest first.
  std::map<std::string, std::vector<IngestJob>> JobsByKey(const std::string& bucket);
  // The vector "<key>#0" of `collection`, or nullopt when missing.
  std::optional<VectorRecord> FirstChunk(const std::string& bucket, const std::string& collection,
                                         const std::string& key);
};

// "<field>=<value>" pairs of every string a CredentialInfo shows, for leak checks.
std::vector<std::string> StringsOf(const CredentialInfo& info);

}  // namespace k3::test

#endif  // K3_TESTS_UNIT_SUPPORT_SOURCES_FIXTURES_H_
