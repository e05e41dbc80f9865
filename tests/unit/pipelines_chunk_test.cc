// Tests for pipelines/chunk/: chunker names and options, golden chunk lists for each chunker
// (inline and in tests/data/chunkers/), overlap and sentence rules, and invariants checked
// over many generated inputs (ASCII and multibyte UTF-8, random sizes and overlaps).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "pipelines/chunk/chunker.h"
#include "pipelines/chunk/text.h"
#include "util/utf8.h"

namespace k3::pipelines {
namespace {

// Byte offsets of each code point of `s` (plus s.size()), decoded independently of the
// library from UTF-8 lead bytes.
std::vector<size_t> CodePointOffsets(const std::string& s) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(s.size());
  return offsets;
}

bool IsWhitespace(const std::string& s, size_t begin, size_t end) {
  return chunk::IsSpace(chunk::CodePointText(std::string_view(s).substr(begin, end - begin)).at(0));
}

std::string ReadFile(const std::string& name) {
  std::ifstream in(std::string(K3_TEST_DATA_DIR) + "/chunkers/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << name;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string HeadingOf(const Chunk& c) {
  for (const auto& [name, value] : c.metadata) {
    if (name == "heading") return value;
  }
  return "";
}

nlohmann::json ToJson(const std::vector<Chunk>& chunks) {
  nlohmann::json out = nlohmann::json::array();
  for (const Chunk& c : chunks) {
    nlohmann::json j = {{"start", c.start}, {"end", c.end}, {"text", c.text}};
    if (!HeadingOf(c).empty()) j["heading"] = HeadingOf(c);
    out.push_back(j);
  }
  return out;
}

// Compares with tests/data/chunkers/<name>; K3_UPDATE_CHUNK_GOLDEN=1 rewrites the file (review
// the diff before committing).
void ExpectGolden(const std::vector<Chunk>& chunks, const std::string& name) {
  const nlohmann::json actual = ToJson(chunks);
  if (std::getenv("K3_UPDATE_CHUNK_GOLDEN") != nullptr) {
    std::ofstream(std::string(K3_TEST_DATA_DIR) + "/chunkers/" + name) << actual.dump(2) << "\n";
  }
  nlohmann::json expected;
  try {
    expected = nlohmann::json::parse(ReadFile(name));
  } catch (const nlohmann::json::exception& e) {
    FAIL() << name << ": " << e.what();
  }
  EXPECT_EQ(actual, expected) << "actual chunks:\n" << actual.dump(2);
}

std::vector<Chunk> Chunked(const std::string& text, ChunkerKind kind, int64_t size, int64_t overlap,
                           int64_t start = 0, Metadata metadata = {}) {
  Section section{text, start, std::move(metadata)};
  ChunkOptions options{kind, size, overlap};
  EXPECT_TRUE(ValidateChunkOptions(options).ok());
  return ChunkSection(section, options);
}

std::vector<std::string> Texts(const std::vector<Chunk>& chunks) {
  std::vector<std::string> texts;
  for (const Chunk& c : chunks) texts.push_back(c.text);
  return texts;
}

// Every documented invariant of ChunkSection for one section.
void ExpectInvariants(const Section& section, const ChunkOptions& options,
                      const std::vector<Chunk>& chunks) {
  const std::vector<size_t> offsets = CodePointOffsets(section.text);
  const auto n = static_cast<int64_t>(offsets.size()) - 1;
  std::vector<bool> covered(n, false);
  int64_t previous_start = -1;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    SCOPED_TRACE("chunk " + std::to_string(i) + " [" + std::to_string(c.start) + ", " +
                 std::to_string(c.end) + ")");
    const int64_t b = c.start - section.start;
    const int64_t e = c.end - section.start;
    ASSERT_GE(b, 0);
    ASSERT_LT(b, e);
    ASSERT_LE(e, n);
    EXPECT_GT(c.start, previous_start) << "chunks out of order";
    previous_start = c.start;
    EXPECT_LE(e - b, options.chunk_size);
    EXPECT_TRUE(util::IsValidUtf8(c.text));
    ASSERT_EQ(c.text, section.text.substr(offsets[b], offsets[e] - offsets[b]));
    EXPECT_FALSE(IsWhitespace(section.text, offsets[e - 1], offsets[e])) << "trailing space";
    if (options.kind != ChunkerKind::kCode) {
      EXPECT_FALSE(IsWhitespace(section.text, offsets[b], offsets[b + 1])) << "leading space";
    }
    // The section's metadata comes first, unchanged except for "heading" (markdown).
    ASSERT_GE(c.metadata.size(), section.metadata.size());
    for (size_t m = 0; m < section.metadata.size(); ++m) {
      EXPECT_EQ(c.metadata[m].first, section.metadata[m].first);
      if (section.metadata[m].first != "heading") {
        EXPECT_EQ(c.metadata[m].second, section.metadata[m].second);
      }
    }
    for (int64_t k = b; k < e; ++k) covered[k] = true;
  }
  for (int64_t k = 0; k < n; ++k) {
    if (!covered[k] && !IsWhitespace(section.text, offsets[k], offsets[k + 1])) {
      ADD_FAILURE() << "character " << k << " ("
                    << section.text.substr(offsets[k], offsets[k + 1] - offsets[k])
                    << ") is in no chunk";
      return;
    }
  }
}

// Random text made of pieces that exercise every chunker's rules.
std::string RandomText(std::mt19937& rng, int pieces) {
  static const std::vector<std::string> kPieces = {
      "a",  "bc",   "word", "Lorem", "ipsum", "é",     "漢字",   "😀",      " ",    "  ",
      "\n", "\n\n", "\t",   ". ",    "! ",    "? ",    "…",      "e.g. ",  "Dr. ", "3.14",
      "。", "\n# ", "## ",  "```\n", "~~~",   "{",     "}",      "(",      ")",    "\"",
      "'",  "//",   "/*",   "*/",    "    ",  "x = 1", "\u00a0", "\u3000", "\r\n"};
  std::uniform_int_distribution<size_t> pick(0, kPieces.size() - 1);
  std::string text;
  for (int i = 0; i < pieces; ++i) text += kPieces[pick(rng)];
  return text;
}

TEST(ChunkNamesTest, RoundTripAndUnknownRefused) {
  for (ChunkerKind kind :
       {ChunkerKind::kFixed, ChunkerKind::kSentence, ChunkerKind::kMarkdown, ChunkerKind::kCode}) {
    Result<ChunkerKind> parsed = ChunkerFromName(ChunkerName(kind));
    ASSERT_TRUE(parsed.ok()) << ChunkerName(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(ChunkerName(ChunkerKind::kMarkdown), "markdown");
  for (const char* bad : {"Fixed", "paragraph", "", "code "}) {
    Result<ChunkerKind> parsed = ChunkerFromName(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << parsed.status().ToString();
    EXPECT_NE(parsed.status().message().find("\"sentence\""), std::string::npos);
  }
}

TEST(ChunkOptionsTest, BadOptionsNameTheOption) {
  struct Case {
    int64_t size;
    int64_t overlap;
    const char* option;
  };
  for (const Case& c : {Case{0, 0, "chunk_size"}, Case{-5, 0, "chunk_size"},
                        Case{1'000'001, 0, "chunk_size"}, Case{100, -1, "chunk_overlap"},
                        Case{100, 100, "chunk_overlap"}, Case{1, 1, "chunk_overlap"}}) {
    Status s = ValidateChunkOptions({ChunkerKind::kSentence, c.size, c.overlap});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.size << "/" << c.overlap;
    EXPECT_NE(s.message().find(std::string("\"") + c.option + "\""), std::string::npos)
        << s.ToString();
  }
  EXPECT_TRUE(ValidateChunkOptions({ChunkerKind::kFixed, 1, 0}).ok());
  EXPECT_TRUE(ValidateChunkOptions({ChunkerKind::kFixed, 1'000'000, 999'999}).ok());
  EXPECT_TRUE(ValidateChunkOptions({}).ok());
}

TEST(ChunkFixedTest, GoldenWindowsPreferWhitespaceAndWordStarts) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  const std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kFixed, 15, 5, 100);
  ASSERT_EQ(chunks.size(), 4u) << nlohmann::json(Texts(chunks)).dump();
  EXPECT_EQ(chunks[0].text, "The quick brown");
  EXPECT_EQ(chunks[0].start, 100);
  EXPECT_EQ(chunks[0].end, 115);
  EXPECT_EQ(chunks[1].text, "brown fox jumps");
  EXPECT_EQ(chunks[1].start, 110);
  EXPECT_EQ(chunks[2].text, "jumps over the");
  EXPECT_EQ(chunks[3].text, "the lazy dog");
  EXPECT_EQ(chunks[3].end, 143);
}

TEST(ChunkFixedTest, NoOverlapAndMultibyte) {
  // 12 characters, 30 bytes: windows of 5 code points, never a split sequence.
  const std::string text = "漢字漢字漢😀😀😀é";
  const std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kFixed, 5, 0);
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"漢字漢字漢", "😀😀😀é"}));
  EXPECT_EQ(chunks[1].start, 5);
  EXPECT_EQ(chunks[1].end, 9);
}

TEST(ChunkFixedTest, OverlapStartsAtAWordWithinTheOverlap) {
  std::mt19937 rng(7);
  std::string text;
  std::uniform_int_distribution<int> length(1, 9);
  for (int w = 0; w < 400; ++w) text += std::string(length(rng), 'a' + w % 26) + " ";
  for (int64_t overlap : {0, 5, 20, 40}) {
    SCOPED_TRACE("overlap " + std::to_string(overlap));
    const std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kFixed, 60, overlap);
    ASSERT_GT(chunks.size(), 10u);
    for (size_t i = 1; i < chunks.size(); ++i) {
      const Chunk& prev = chunks[i - 1];
      const Chunk& next = chunks[i];
      // Single spaces between words: a window that ends at whitespace ends at prev.end.
      EXPECT_EQ(text[prev.end], ' ') << "chunk " << i - 1 << " ends mid-word";
      if (overlap == 0) {
        EXPECT_EQ(next.start, prev.end + 1);  // just the space skipped
        continue;
      }
      // The first word start in [prev.end - overlap, prev.end), else prev.end - overlap.
      int64_t expected = prev.end - overlap;
      for (int64_t j = prev.end - overlap; j < prev.end; ++j) {
        if (text[j - 1] == ' ' && text[j] != ' ') {
          expected = j;
          break;
        }
      }
      EXPECT_EQ(next.start, expected) << "chunk " << i;
    }
  }
}

TEST(ChunkSentenceTest, SentenceRulesKeepAbbreviationsAndDecimals) {
  const std::string text =
      "Dr. Smith met Mr. Jones, e.g. at noon. Pi is 3.14 today! Is it?\" He said (i.e. yes). "
      "Wait… ok\n\nNew paragraph without a stop\nsame paragraph 漢字。次";
  const chunk::CodePointText cp(text);
  std::vector<std::string> sentences;
  for (chunk::Span s : chunk::SplitSentences(cp, {0, cp.size()})) {
    sentences.emplace_back(cp.Slice(s.begin, s.end));
  }
  EXPECT_EQ(sentences, (std::vector<std::string>{
                           "Dr. Smith met Mr. Jones, e.g. at noon.",
                           "Pi is 3.14 today!",
                           "Is it?\"",
                           "He said (i.e. yes).",
                           "Wait…",
                           "ok",
                           "New paragraph without a stop\nsame paragraph 漢字。",
                           "次",
                       }));
}

TEST(ChunkSentenceTest, GoldenPackingAndOverlapOfWholeSentences) {
  // Sentences of 5 characters: the overlap holds as many whole ones as fit.
  std::vector<Chunk> chunks =
      Chunked("Aaaa. Bbbb. Cccc. Dddd. Eeee. Ffff.", ChunkerKind::kSentence, 17, 11, 3);
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"Aaaa. Bbbb. Cccc.", "Bbbb. Cccc. Dddd.",
                                                     "Cccc. Dddd. Eeee.", "Dddd. Eeee. Ffff."}))
      << nlohmann::json(Texts(chunks)).dump();
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[1].start, 9);
  EXPECT_EQ(chunks[1].end, 26);
  // Sentences of 10, 10, 10, 25 and 10 characters.
  const std::string text = "Aaaa aaaa. Bbbb bbbb. Cccc cccc. Dddd dddd dddd dddd dddd. Eeee eeee.";
  chunks = Chunked(text, ChunkerKind::kSentence, 36, 12);
  EXPECT_EQ(Texts(chunks),
            (std::vector<std::string>{"Aaaa aaaa. Bbbb bbbb. Cccc cccc.",
                                      "Cccc cccc. Dddd dddd dddd dddd dddd.", "Eeee eeee."}))
      << nlohmann::json(Texts(chunks)).dump();
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1].start, 22);
  EXPECT_EQ(chunks[1].end, 58);
  // The overlap holds the 25-character sentence when it fits...
  chunks = Chunked(text, ChunkerKind::kSentence, 40, 26);
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"Aaaa aaaa. Bbbb bbbb. Cccc cccc.",
                                                     "Cccc cccc. Dddd dddd dddd dddd dddd.",
                                                     "Dddd dddd dddd dddd dddd. Eeee eeee."}))
      << nlohmann::json(Texts(chunks)).dump();
  // ...and nothing when the last sentence alone is longer than the overlap.
  chunks = Chunked(text, ChunkerKind::kSentence, 40, 9);
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"Aaaa aaaa. Bbbb bbbb. Cccc cccc.",
                                                     "Dddd dddd dddd dddd dddd. Eeee eeee."}))
      << nlohmann::json(Texts(chunks)).dump();
}

TEST(ChunkSentenceTest, LongSentenceIsCutAsFixed) {
  const std::string text = "Short one. " + std::string(50, 'x') + " tail words here. End.";
  // 67 characters: windows of 25, the second ending at the space after the x's.
  const std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kSentence, 25, 0);
  EXPECT_EQ(Texts(chunks),
            (std::vector<std::string>{"Short one.", std::string(25, 'x'), std::string(25, 'x'),
                                      "tail words here.", "End."}))
      << nlohmann::json(Texts(chunks)).dump();
}

TEST(ChunkMarkdownTest, GoldenHeadingsAndFences) {
  const std::string text = ReadFile("guide.md");
  Metadata metadata = {{"page", "1"}};
  std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kMarkdown, 72, 20, 1000, metadata);
  ExpectGolden(chunks, "guide.md.chunks.json");
  ExpectInvariants({text, 1000, metadata}, {ChunkerKind::kMarkdown, 72, 20}, chunks);
}

TEST(ChunkMarkdownTest, SectionHeadingFromTheParserIsKeptOrCombined) {
  // The parser cut at "## Setup" and set its path: keep it, nest below it.
  std::vector<Chunk> chunks =
      Chunked("## Setup\nRun it.\n### Linux\nUse apt.\n", ChunkerKind::kMarkdown, 100, 0, 0,
              {{"heading", "Guide > Setup"}});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(HeadingOf(chunks[0]), "Guide > Setup");
  EXPECT_EQ(HeadingOf(chunks[1]), "Guide > Setup > Linux");
  // A section that starts without a heading continues the parser's heading.
  chunks = Chunked("more text.\n## Next\nbody\n", ChunkerKind::kMarkdown, 100, 0, 0,
                   {{"heading", "Guide"}});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "more text.");
  EXPECT_EQ(HeadingOf(chunks[0]), "Guide");
  EXPECT_EQ(HeadingOf(chunks[1]), "Guide > Next");
  // No heading anywhere: no "heading" metadata; small parts are not merged across headings.
  chunks = Chunked("plain\n# A\nx\n# B\ny", ChunkerKind::kMarkdown, 100, 0);
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"plain", "# A\nx", "# B\ny"}));
  EXPECT_EQ(HeadingOf(chunks[0]), "");
  EXPECT_EQ(chunks[0].metadata.size(), 0u);
  EXPECT_EQ(HeadingOf(chunks[2]), "B");
}

TEST(ChunkCodeTest, GoldenCpp) {
  const std::string text = ReadFile("sample_cpp.txt");
  Metadata metadata = {{"language", "cpp"}};
  std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kCode, 120, 50, 0, metadata);
  ExpectGolden(chunks, "sample_cpp.chunks.json");
  ExpectInvariants({text, 0, metadata}, {ChunkerKind::kCode, 120, 50}, chunks);
}

TEST(ChunkCodeTest, GoldenPython) {
  const std::string text = ReadFile("sample_py.txt");
  std::vector<Chunk> chunks = Chunked(text, ChunkerKind::kCode, 100, 0, 7);
  ExpectGolden(chunks, "sample_py.chunks.json");
  ExpectInvariants({text, 7, {}}, {ChunkerKind::kCode, 100, 0}, chunks);
}

TEST(ChunkCodeTest, BlocksPackedAndKeptWhole) {
  const std::string text = "int a() {\n\n  return 1;\n}\n\nint b;\n\nint c() { return \"{\"; }\n";
  // Everything fits: one chunk. Smaller: each top-level block whole, a() with its blank line.
  EXPECT_EQ(Texts(Chunked(text, ChunkerKind::kCode, 1000, 0)).size(), 1u);
  EXPECT_EQ(Texts(Chunked(text, ChunkerKind::kCode, 33, 0)),
            (std::vector<std::string>{"int a() {\n\n  return 1;\n}\n\nint b;",
                                      "int c() { return \"{\"; }"}));
  EXPECT_EQ(Texts(Chunked(text, ChunkerKind::kCode, 24, 0)),
            (std::vector<std::string>{"int a() {\n\n  return 1;\n}", "int b;",
                                      "int c() { return \"{\"; }"}));
}

TEST(ChunkPropertiesTest, InvariantsOverGeneratedInputs) {
  std::mt19937 rng(20240611);
  const ChunkerKind kinds[] = {ChunkerKind::kFixed, ChunkerKind::kSentence, ChunkerKind::kMarkdown,
                               ChunkerKind::kCode};
  for (int iteration = 0; iteration < 1200; ++iteration) {
    const ChunkerKind kind = kinds[iteration % 4];
    std::uniform_int_distribution<int> pieces(0, iteration % 10 == 0 ? 2000 : 200);
    const int64_t size = std::uniform_int_distribution<int64_t>(1, 120)(rng);
    const int64_t overlap = std::uniform_int_distribution<int64_t>(0, size - 1)(rng);
    Section section{RandomText(rng, pieces(rng)), iteration * 3, {{"page", "2"}}};
    if (iteration % 3 == 0) section.metadata.emplace_back("heading", "Top");
    const ChunkOptions options{kind, size, overlap};
    SCOPED_TRACE("iteration " + std::to_string(iteration) + " " + std::string(ChunkerName(kind)) +
                 " size " + std::to_string(size) + " overlap " + std::to_string(overlap) +
                 " text " + nlohmann::json(section.text).dump());
    ExpectInvariants(section, options, ChunkSection(section, options));
    if (HasFatalFailure() || HasFailure()) return;  // one readable failure, not hundreds
  }
}

TEST(ChunkPropertiesTest, OneMegabyteIsChunkedInOnePass) {
  std::mt19937 rng(99);
  Section section{RandomText(rng, 1), 0, {}};
  while (section.text.size() < (1u << 20)) section.text += RandomText(rng, 1000);
  for (ChunkerKind kind :
       {ChunkerKind::kFixed, ChunkerKind::kSentence, ChunkerKind::kMarkdown, ChunkerKind::kCode}) {
    const ChunkOptions options{kind, 1000, 200};
    const std::vector<Chunk> chunks = ChunkSection(section, options);
    SCOPED_TRACE(std::string(ChunkerName(kind)));
    EXPECT_GT(chunks.size(), 500u);
    ExpectInvariants(section, options, chunks);
  }
}

}  // namespace
}  // namespace k3::pipelines
