// pipelines/parse/text_parser.cc: plain text and source code, streamed block by block.
#include <string>

#include "pipelines/parse/formats.h"
#include "pipelines/parse/read_bytes.h"
#include "pipelines/parse/sections.h"
#include "pipelines/parse/text_decoder.h"

namespace k3::pipelines::parse_internal {

Status ParseText(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                 ParseStats* stats) {
  K3_ASSIGN_OR_RETURN(Charset charset, CharsetForLabel(CharsetParameter(content_type)));
  TextDecoder decoder(charset, /*normalize_newlines=*/true);
  SectionEmitter emitter(sink, stats);
  StreamingSectioner sectioner(&emitter);
  std::string decoded;
  Status status = ReadBlocks(reader, stats, [&](std::string_view block) {
    decoded.clear();
    decoder.Decode(block, &decoded);
    return sectioner.Append(decoded);
  });
  if (status.ok()) {
    decoded.clear();
    decoder.Finish(&decoded);
    status = sectioner.Append(decoded);
  }
  if (status.ok()) status = sectioner.Flush();
  if (stats != nullptr) stats->invalid_bytes_replaced = decoder.invalid_bytes();
  return status;
}

}  // namespace k3::pipelines::parse_internal
