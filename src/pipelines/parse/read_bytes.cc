// pipelines/parse/read_bytes.cc: block-wise and whole-document reading.
#include "pipelines/parse/read_bytes.h"

#include <memory>

namespace k3::pipelines::parse_internal {

Status ReadBlocks(const ByteReader& reader, ParseStats* stats,
                  const std::function<Status(std::string_view)>& consume) {
  auto buffer = std::make_unique<char[]>(kReadBlockBytes);
  while (true) {
    Result<size_t> n = reader(buffer.get(), kReadBlockBytes);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::Ok();
    if (*n > kReadBlockBytes) {
      return Internal("object reader returned " + std::to_string(*n) + " bytes for a buffer of " +
                      std::to_string(kReadBlockBytes));
    }
    if (stats != nullptr) stats->bytes_read += static_cast<int64_t>(*n);
    K3_RETURN_IF_ERROR(consume(std::string_view(buffer.get(), *n)));
  }
}

Result<std::string> ReadWhole(const ByteReader& reader, ParseStats* stats,
                              std::string_view format) {
  std::string all;
  Status status = ReadBlocks(reader, stats, [&](std::string_view block) -> Status {
    if (all.size() + block.size() > kMaxWholeDocumentBytes) {
      return ResourceExhausted(std::string(format) + " document is larger than " +
                               std::to_string(kMaxWholeDocumentBytes) +
                               " bytes, the limit for whole-document formats "
                               "(kMaxWholeDocumentBytes)");
    }
    all.append(block);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return all;
}

}  // namespace k3::pipelines::parse_internal
