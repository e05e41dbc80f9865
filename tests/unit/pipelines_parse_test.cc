// Tests for pipelines/parse: content-type sniffing, parser choice, and the text, Markdown,
// HTML, JSON and PDF parsers (golden files in tests/data/parsers/).
//
// Golden files: `<fixture>.golden` holds the expected sections, each as a header line
// "=== start=<code points> [<name>=<value>]..." followed by the section's text. To regenerate
// after an intended change, run the tests with K3_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "pipelines/parse/parser.h"
#include "util/utf8.h"

namespace k3::pipelines {
namespace {

std::string DataPath(const std::string& name) {
  return std::string(K3_TEST_DATA_DIR) + "/parsers/" + name;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(DataPath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << DataPath(name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A reader over `data` that yields at most `piece` bytes per call.
ByteReader StringReader(std::string data, size_t piece = SIZE_MAX) {
  auto state = std::make_shared<std::pair<std::string, size_t>>(std::move(data), 0);
  return [state, piece](char* buffer, size_t capacity) -> Result<size_t> {
    auto& [bytes, offset] = *state;
    size_t n = std::min({capacity, piece, bytes.size() - offset});
    std::memcpy(buffer, bytes.data() + offset, n);
    offset += n;
    return n;
  };
}

int64_t CodePoints(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Parses and checks the invariants every parser keeps: valid UTF-8, no blank section,
// continuous offsets, stats->sections.
Result<std::vector<Section>> ParseAll(ParserKind kind, const ByteReader& reader,
                                      std::string_view content_type, ParseStats* stats = nullptr) {
  ParseStats local;
  if (stats == nullptr) stats = &local;
  std::vector<Section> sections;
  int64_t next_start = 0;
  Status status = Parse(
      kind, reader, content_type,
      [&](Section&& section) -> Status {
        EXPECT_TRUE(util::IsValidUtf8(section.text)) << section.text;
        EXPECT_NE(section.text.find_first_not_of(" \t\r\n\f\v"), std::string::npos);
        EXPECT_EQ(section.start, next_start);
        next_start += CodePoints(section.text);
        sections.push_back(std::move(section));
        return Status::Ok();
      },
      stats);
  if (!status.ok()) return status;
  EXPECT_EQ(stats->sections, static_cast<int64_t>(sections.size()));
  return sections;
}

Result<std::vector<Section>> ParseString(ParserKind kind, std::string data,
                                         std::string_view content_type = "",
                                         ParseStats* stats = nullptr, size_t piece = SIZE_MAX) {
  return ParseAll(kind, StringReader(std::move(data), piece), content_type, stats);
}

std::string Render(const std::vector<Section>& sections) {
  std::string out;
  for (const Section& section : sections) {
    out += "=== start=" + std::to_string(section.start);
    for (const auto& [name, value] : section.metadata) out += " " + name + "=" + value;
    out += "\n" + section.text;
    if (section.text.empty() || section.text.back() != '\n') out += "\n[no final newline]\n";
  }
  return out;
}

std::string JoinTexts(const std::vector<Section>& sections) {
  std::string all;
  for (const Section& section : sections) all += section.text;
  return all;
}

void ExpectGolden(const std::vector<Section>& sections, const std::string& golden_name) {
  std::string actual = Render(sections);
  if (std::getenv("K3_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(DataPath(golden_name), std::ios::binary) << actual;
  }
  EXPECT_EQ(actual, ReadFixture(golden_name)) << "golden " << golden_name;
}

std::string MetadataValue(const Section& section, std::string_view name) {
  for (const auto& [n, v] : section.metadata) {
    if (n == name) return v;
  }
  return "<none>";
}

// ---- content types -------------------------------------------------------------------------

TEST(ParseContentTypeTest, SniffsFromExtensionOnlyWhenTypeSaysNothing) {
  struct Case {
    std::string_view type, key, want;
  };
  const Case cases[] = {
      {"", "notes.txt", "text/plain"},
      {"", "app.LOG", "text/plain"},
      {"application/octet-stream", "readme.md", "text/markdown"},
      {"binary/octet-stream", "a/b/Guide.Markdown", "text/markdown"},
      {"", "index.html", "text/html"},
      {"", "index.htm", "text/html"},
      {"", "data.json", "application/json"},
      {"", "paper.pdf", "application/pdf"},
      {"", "table.csv", "text/csv"},
      {"", "table.tsv", "text/tab-separated-values"},
      {"", "events.jsonl", "application/x-ndjson"},
      {"", "events.ndjson", "application/x-ndjson"},
      {"", "src/main.cc", "text/x-cpp"},
      {"", "lib.h", "text/x-c"},
      {"", "tool.py", "text/x-python"},
      {"", "main.go", "text/x-go"},
      {"", "lib.rs", "text/x-rust"},
      {"", "run.sh", "text/x-shell"},
      {"", "q.sql", "text/x-sql"},
      {"", "photo.png", ""},
      {"", "no_extension", ""},
      {"", "dir.v2/Makefile", ""},
      {"application/octet-stream", "photo.jpeg", "application/octet-stream"},
      {"Text/HTML; charset=ISO-8859-1", "x.json", "text/html"},
      {"  application/PDF ", "x.txt", "application/pdf"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EffectiveContentType(c.type, c.key), c.want) << c.type << " / " << c.key;
  }
}

TEST(ParseContentTypeTest, LanguageForKey) {
  EXPECT_EQ(LanguageForKey("a/b.cpp"), "cpp");
  EXPECT_EQ(LanguageForKey("x.HPP"), "cpp");
  EXPECT_EQ(LanguageForKey("x.ts"), "typescript");
  EXPECT_EQ(LanguageForKey("x.java"), "java");
  EXPECT_EQ(LanguageForKey("x.rb"), "ruby");
  EXPECT_EQ(LanguageForKey("x.txt"), "");
  EXPECT_EQ(LanguageForKey("cpp"), "");
  EXPECT_EQ(LanguageForKey(".cpp"), "");  // a hidden file named ".cpp", not an extension
}

TEST(ParseContentTypeTest, ParserForTypes) {
  struct Case {
    std::string_view type;
    ParserKind want;
  };
  const Case cases[] = {
      {"text/plain", ParserKind::kText},        {"text/x-cpp", ParserKind::kText},
      {"text/xml", ParserKind::kText},          {"application/javascript", ParserKind::kText},
      {"text/markdown", ParserKind::kMarkdown}, {"text/x-markdown", ParserKind::kMarkdown},
      {"text/html", ParserKind::kHtml},         {"application/xhtml+xml", ParserKind::kHtml},
      {"application/json", ParserKind::kJson},  {"application/ld+json", ParserKind::kJson},
      {"application/pdf", ParserKind::kPdf},
  };
  for (const Case& c : cases) {
    Result<ParserKind> kind = ParserFor(c.type, "k");
    ASSERT_TRUE(kind.ok()) << c.type << ": " << kind.status().ToString();
    EXPECT_EQ(*kind, c.want) << c.type;
  }
}

TEST(ParseContentTypeTest, UnsupportedTypesAreRefusedNamingTheType) {
  for (std::string_view type : {"image/png", "application/zip", "", "text/csv",
                                "application/x-ndjson", "application/octet-stream", "text/"}) {
    Result<ParserKind> kind = ParserFor(type, "bucket/key.bin");
    ASSERT_FALSE(kind.ok()) << type;
    EXPECT_EQ(kind.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(kind.status().message().find("'" + std::string(type) + "'"), std::string::npos)
        << kind.status().message();
    EXPECT_NE(kind.status().message().find("bucket/key.bin"), std::string::npos);
  }
}

// ---- plain text ----------------------------------------------------------------------------

TEST(ParseTextTest, SmallTextIsOneSection) {
  ParseStats stats;
  auto sections = ParseString(ParserKind::kText, "hello\nworld\n", "text/plain", &stats);
  ASSERT_TRUE(sections.ok()) << sections.status().ToString();
  ASSERT_EQ(sections->size(), 1u);
  EXPECT_EQ((*sections)[0].text, "hello\nworld\n");
  EXPECT_EQ((*sections)[0].start, 0);
  EXPECT_TRUE((*sections)[0].metadata.empty());
  EXPECT_EQ(stats.bytes_read, 12);
  EXPECT_EQ(stats.invalid_bytes_replaced, 0);
}

TEST(ParseTextTest, EmptyAndWhitespaceOnlyGiveNoSections) {
  for (std::string input : {"", " ", "\n\n\t  \r\n"}) {
    ParseStats stats;
    auto sections = ParseString(ParserKind::kText, input, "text/plain", &stats);
    ASSERT_TRUE(sections.ok());
    EXPECT_TRUE(sections->empty()) << "input '" << input << "'";
    EXPECT_EQ(stats.sections, 0);
  }
}

TEST(ParseTextTest, BomIsStrippedAndCrlfBecomesLf) {
  auto sections = ParseString(ParserKind::kText, "\xEF\xBB\xBFline one\r\nline two\rthree\r\n");
  ASSERT_TRUE(sections.ok());
  ASSERT_EQ(sections->size(), 1u);
  EXPECT_EQ((*sections)[0].text, "line one\nline two\nthree\n");
  // Split in single bytes: the BOM and the CRLF pairs straddle reads.
  auto pieces =
      ParseString(ParserKind::kText, "\xEF\xBB\xBFline one\r\nline two\rthree\r\n", "", nullptr, 1);
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ(JoinTexts(*pieces), "line one\nline two\nthree\n");
  // A BOM anywhere else is text.
  auto inner = ParseString(ParserKind::kText, "a\xEF\xBB\xBF");
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(JoinTexts(*inner), "a\xEF\xBB\xBF");
}

TEST(ParseTextTest, Latin1WithAndWithoutCharset) {
  const std::string latin1 = "caf\xE9 na\xEFve \x80";  // é, ï, and 0x80 (€ in windows-1252)
  ParseStats stats;
  auto decoded = ParseString(ParserKind::kText, latin1, "text/plain; charset=ISO-8859-1", &stats);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(JoinTexts(*decoded), "caf\xC3\xA9 na\xC3\xAFve \xE2\x82\xAC");
  EXPECT_EQ(stats.invalid_bytes_replaced, 0);
  EXPECT_EQ((*decoded)[0].start, 0);

  for (std::string_view type :
       {"text/plain;charset=\"latin1\"", "text/plain; Charset=windows-1252"}) {
    auto again = ParseString(ParserKind::kText, latin1, type);
    ASSERT_TRUE(again.ok()) << type;
    EXPECT_EQ(JoinTexts(*again), "caf\xC3\xA9 na\xC3\xAFve \xE2\x82\xAC") << type;
  }

  // Without a charset the bytes are taken as UTF-8: each invalid byte becomes U+FFFD.
  auto replaced = ParseString(ParserKind::kText, latin1, "text/plain", &stats);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(JoinTexts(*replaced), "caf\xEF\xBF\xBD na\xEF\xBF\xBDve \xEF\xBF\xBD");
  EXPECT_EQ(stats.invalid_bytes_replaced, 3);
}

TEST(ParseTextTest, InvalidUtf8IsReplacedAndCounted) {
  struct Case {
    std::string input, want;
    int64_t replaced;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  const Case cases[] = {
      {"ok \xE2\x82\xAC", "ok \xE2\x82\xAC", 0},              // valid 3-byte
      {"a\x80z", "a" + fffd + "z", 1},                        // lone continuation byte
      {"a\xE2\x82z", "a" + fffd + "z", 2},                    // truncated 3-byte sequence
      {"a\xF0\x9F\x98", "a" + fffd, 3},                       // truncated at the end
      {"a\xC0\xAFz", "a" + fffd + fffd + "z", 2},             // overlong '/'
      {"a\xE0\x80\xAFz", "a" + fffd + fffd + fffd + "z", 3},  // overlong, 3 bytes
      {"a\xED\xA0\x80z", "a" + fffd + fffd + fffd + "z", 3},  // surrogate U+D800
      {"a\xF4\x90\x80\x80z", "a" + fffd + fffd + fffd + fffd + "z", 4},  // > U+10FFFF
      {"\xFF\xFE", fffd + fffd, 2},
  };
  for (const Case& c : cases) {
    for (size_t piece : {SIZE_MAX, size_t{1}, size_t{2}}) {
      ParseStats stats;
      auto sections =
          ParseString(ParserKind::kText, c.input, "text/plain; charset=utf-8", &stats, piece);
      ASSERT_TRUE(sections.ok());
      EXPECT_EQ(JoinTexts(*sections), c.want) << "piece " << piece;
      EXPECT_EQ(stats.invalid_bytes_replaced, c.replaced) << "piece " << piece;
    }
  }
}

TEST(ParseTextTest, UnsupportedCharsetIsRefused) {
  auto sections = ParseString(ParserKind::kText, "x", "text/plain; charset=shift_jis");
  ASSERT_FALSE(sections.ok());
  EXPECT_EQ(sections.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sections.status().message().find("shift_jis"), std::string::npos);
}

TEST(ParseTextTest, LongLineIsCutAtCharacterBoundaries) {
  // 3 MiB of "é" with no line break or space: cut at UTF-8 boundaries, never inside "é".
  std::string input;
  for (size_t i = 0; i < (3u << 20) / 2; ++i) input += "\xC3\xA9";
  auto sections = ParseString(ParserKind::kText, input);
  ASSERT_TRUE(sections.ok());
  ASSERT_GE(sections->size(), 3u);
  for (const Section& s : *sections) EXPECT_LE(s.text.size(), kMaxSectionBytes);
  EXPECT_EQ(JoinTexts(*sections), input);
}

TEST(ParseTextTest, CutsPreferLineBreaksThenSpaces) {
  std::string line(1000, 'x');
  line += '\n';
  std::string input;
  while (input.size() < kMaxSectionBytes + 5000) input += line;
  auto sections = ParseString(ParserKind::kText, input);
  ASSERT_TRUE(sections.ok());
  ASSERT_EQ(sections->size(), 2u);
  EXPECT_EQ((*sections)[0].text.back(), '\n');
  EXPECT_EQ((*sections)[0].text.size() % line.size(), 0u);

  std::string words;
  while (words.size() < kMaxSectionBytes + 5000) words += "word ";
  auto cut = ParseString(ParserKind::kText, words);
  ASSERT_TRUE(cut.ok());
  ASSERT_EQ(cut->size(), 2u);
  EXPECT_EQ((*cut)[0].text.substr((*cut)[0].text.size() - 5), "word ");
}

// A deterministic generator of text with multi-byte characters and line breaks, for the
// large streamed input; two instances produce the same bytes.
class TextGenerator {
 public:
  explicit TextGenerator(size_t total) : remaining_(total) {}
  // Fills up to `capacity` bytes; 0 at the end.
  size_t Fill(char* buffer, size_t capacity) {
    size_t n = 0;
    while (n < capacity && remaining_ > 0) {
      if (pos_ == line_.size()) NextLine();
      size_t take = std::min({capacity - n, line_.size() - pos_, remaining_});
      std::memcpy(buffer + n, line_.data() + pos_, take);
      pos_ += take;
      n += take;
      remaining_ -= take;
    }
    return n;
  }

 private:
  void NextLine() {
    ++line_number_;
    line_ = "line " + std::to_string(line_number_) + " h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x98\x80";
    line_.append(line_number_ % 97, 'z');  // varying lengths
    line_ += '\n';
    pos_ = 0;
  }
  size_t remaining_;
  size_t line_number_ = 0;
  std::string line_;
  size_t pos_ = 0;
};

TEST(ParseTextTest, LargeInputIsStreamedInBoundedSections) {
  // 50 MB, generated as it is read: the parser never sees it whole.
  const size_t total = 50u << 20;
  auto generator = std::make_shared<TextGenerator>(total);
  ByteReader reader = [generator](char* buffer, size_t capacity) -> Result<size_t> {
    return generator->Fill(buffer, capacity);
  };
  TextGenerator expected(total);
  std::string expected_buffer;
  int64_t count = 0, next_start = 0, total_code_points = 0;
  bool texts_match = true;
  ParseStats stats;
  Status status = Parse(
      ParserKind::kText, reader, "text/plain",
      [&](Section&& s) -> Status {
        ++count;
        if (s.text.size() > kMaxSectionBytes) return Internal("section too large");
        if (s.start != next_start) return Internal("offsets not continuous");
        int64_t cps = CodePoints(s.text);
        next_start += cps;
        total_code_points += cps;
        expected_buffer.resize(s.text.size());
        size_t got = expected.Fill(expected_buffer.data(), s.text.size());
        expected_buffer.resize(got);
        texts_match = texts_match && expected_buffer == s.text;
        return Status::Ok();
      },
      &stats);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(texts_match);
  EXPECT_GE(count, 50);
  EXPECT_EQ(stats.sections, count);
  EXPECT_EQ(stats.bytes_read, static_cast<int64_t>(total));
  EXPECT_EQ(stats.invalid_bytes_replaced, 0);
  char probe;
  EXPECT_EQ(expected.Fill(&probe, 1), 0u);  // every byte came out
  EXPECT_GT(total_code_points, static_cast<int64_t>(total / 2));
}

TEST(ParseTextTest, ReaderErrorMidwayIsReturned) {
  int calls = 0;
  ByteReader reader = [&calls](char* buffer, size_t capacity) -> Result<size_t> {
    if (++calls == 3) return DataLoss("disk gone at block 3");
    std::memset(buffer, 'a', capacity);
    buffer[capacity - 1] = '\n';
    return capacity;
  };
  std::vector<Section> seen;
  Status status = Parse(
      ParserKind::kText, reader, "text/plain",
      [&](Section&& s) {
        seen.push_back(std::move(s));
        return Status::Ok();
      },
      nullptr);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "disk gone at block 3");
}

TEST(ParseTextTest, SinkErrorStopsParsing) {
  int calls = 0;
  std::string input;
  while (input.size() < 3 * kMaxSectionBytes) input += "some words on a line\n";
  Status status = Parse(
      ParserKind::kText, StringReader(input), "text/plain",
      [&](Section&&) { return ++calls == 1 ? Status::Ok() : Cancelled("enough"); }, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
}

// ---- Markdown ------------------------------------------------------------------------------

TEST(ParseMarkdownTest, GoldenSectionsWithHeadingPaths) {
  std::string input = ReadFixture("guide.md");
  auto sections = ParseString(ParserKind::kMarkdown, input, "text/markdown");
  ASSERT_TRUE(sections.ok()) << sections.status().ToString();
  ExpectGolden(*sections, "guide.md.golden");
  ASSERT_EQ(sections->size(), 6u);
  EXPECT_EQ(MetadataValue((*sections)[0], "heading"), "<none>");
  EXPECT_EQ(MetadataValue((*sections)[2], "heading"), "Setup Guide > Requirements");
  EXPECT_EQ(MetadataValue((*sections)[3], "heading"), "Setup Guide > Requirements > Linux");
  EXPECT_EQ(MetadataValue((*sections)[4], "heading"), "Setup Guide > Usage");
  EXPECT_EQ(MetadataValue((*sections)[5], "heading"), "Appendix");
  // Nothing is lost: the sections are the document.
  EXPECT_EQ(JoinTexts(*sections), input);
  // The same result when read byte by byte, with CRLF line endings.
  std::string crlf;
  for (char c : input) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  auto pieces = ParseString(ParserKind::kMarkdown, crlf, "text/markdown", nullptr, 1);
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ(Render(*pieces), Render(*sections));
}

TEST(ParseMarkdownTest, LongSectionIsCutAndKeepsItsHeading) {
  std::string input = "# Big\n";
  while (input.size() < 2 * kMaxSectionBytes + 100) input += "a line of text in the big part\n";
  auto sections = ParseString(ParserKind::kMarkdown, input);
  ASSERT_TRUE(sections.ok());
  ASSERT_EQ(sections->size(), 3u);
  for (const Section& s : *sections) {
    EXPECT_LE(s.text.size(), kMaxSectionBytes);
    EXPECT_EQ(MetadataValue(s, "heading"), "Big");
  }
  EXPECT_EQ(JoinTexts(*sections), input);
}

// ---- HTML ----------------------------------------------------------------------------------

TEST(ParseHtmlTest, GoldenVisibleTextAndHeadings) {
  auto sections = ParseString(ParserKind::kHtml, ReadFixture("page.html"), "text/html");
  ASSERT_TRUE(sections.ok()) << sections.status().ToString();
  ExpectGolden(*sections, "page.html.golden");
  std::string all = JoinTexts(*sections);
  EXPECT_EQ(all.find("do not index"), std::string::npos);
  EXPECT_EQ(all.find("font-family"), std::string::npos);
  EXPECT_EQ(all.find("enable JavaScript"), std::string::npos);
  EXPECT_EQ(all.find("Template text"), std::string::npos);
  EXPECT_EQ(all.rfind("Field Guide to Garden Birds\n", 0), 0u);  // the title comes first
}

TEST(ParseHtmlTest, CharsetFromContentTypeOrMeta) {
  const std::string latin1_body = "<p>caf\xE9</p>";
  auto from_type = ParseString(ParserKind::kHtml, "<html><body>" + latin1_body + "</body></html>",
                               "text/html; charset=iso-8859-1");
  ASSERT_TRUE(from_type.ok());
  EXPECT_EQ(JoinTexts(*from_type), "caf\xC3\xA9\n");

  auto from_meta = ParseString(
      ParserKind::kHtml,
      "<html><head><meta charset=\"windows-1252\"></head><body>" + latin1_body + "</body></html>",
      "text/html");
  ASSERT_TRUE(from_meta.ok());
  EXPECT_EQ(JoinTexts(*from_meta), "caf\xC3\xA9\n");

  // The content type wins over <meta>.
  auto type_wins = ParseString(
      ParserKind::kHtml,
      "<html><head><meta charset=\"windows-1252\"></head><body><p>caf\xC3\xA9</p></body></html>",
      "text/html; charset=utf-8");
  ASSERT_TRUE(type_wins.ok());
  EXPECT_EQ(JoinTexts(*type_wins), "caf\xC3\xA9\n");

  // No declaration: UTF-8, invalid bytes replaced and counted.
  ParseStats stats;
  auto replaced = ParseString(ParserKind::kHtml, "<p>caf\xE9</p>", "text/html", &stats);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(JoinTexts(*replaced), "caf\xEF\xBF\xBD\n");
  EXPECT_EQ(stats.invalid_bytes_replaced, 1);
}

TEST(ParseHtmlTest, EmptyAndTextlessDocumentsGiveNoSections) {
  for (std::string input :
       {"", "   ", "<html><head><script>x()</script></head><body></body></html>"}) {
    auto sections = ParseString(ParserKind::kHtml, input, "text/html");
    ASSERT_TRUE(sections.ok()) << input;
    EXPECT_TRUE(sections->empty()) << input;
  }
}

TEST(ParseHtmlTest, OverTheSizeLimitIsRefused) {
  // A lazily generated document one byte over the limit.
  size_t remaining = kMaxWholeDocumentBytes + 1;
  ByteReader reader = [&remaining](char* buffer, size_t capacity) -> Result<size_t> {
    size_t n = std::min(capacity, remaining);
    std::memset(buffer, 'x', n);
    remaining -= n;
    return n;
  };
  Status status = Parse(
      ParserKind::kHtml, reader, "text/html", [](Section&&) { return Status::Ok(); }, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find(std::to_string(kMaxWholeDocumentBytes)), std::string::npos)
      << status.message();
}

// ---- JSON ----------------------------------------------------------------------------------

TEST(ParseJsonTest, OneSectionPerStringLeafWithPath) {
  auto sections = ParseString(ParserKind::kJson, ReadFixture("nested.json"), "application/json");
  ASSERT_TRUE(sections.ok()) << sections.status().ToString();
  std::vector<std::pair<std::string, std::string>> got;
  for (const Section& s : *sections) got.emplace_back(MetadataValue(s, "json_path"), s.text);
  std::vector<std::pair<std::string, std::string>> want = {
      {"$.title", "Nested document"},
      {"$.author.name", "Ada"},
      {"$.author.tags[0]", "math"},
      {"$.author.tags[2]", "engines"},
      {"$[\"weird key\"]", "spaces in key"},
      {"$[\"quote\\\"key\"][\"a.b\"]", "dotted"},
      {"$.sections[0].heading", "One"},
      {"$.sections[0].body", "First body"},
      {"$.sections[1][0]", "nested array item"},
      {"$.unicode", "caf\xC3\xA9 \xF0\x9F\x98\x80"},
      {"$._id2", "identifier"},
  };
  EXPECT_EQ(got, want);
}

TEST(ParseJsonTest, TopLevelStringAndEmptyDocuments) {
  auto sections = ParseString(ParserKind::kJson, "\"just text\"");
  ASSERT_TRUE(sections.ok());
  ASSERT_EQ(sections->size(), 1u);
  EXPECT_EQ(MetadataValue((*sections)[0], "json_path"), "$");
  for (std::string input : {"", "  \n", "{}", "[1, 2, true, null]"}) {
    auto none = ParseString(ParserKind::kJson, input);
    ASSERT_TRUE(none.ok()) << input;
    EXPECT_TRUE(none->empty()) << input;
  }
}

TEST(ParseJsonTest, Latin1AndBom) {
  auto latin1 = ParseString(ParserKind::kJson, "{\"k\": \"caf\xE9\"}",
                            "application/json; charset=iso-8859-1");
  ASSERT_TRUE(latin1.ok()) << latin1.status().ToString();
  EXPECT_EQ(JoinTexts(*latin1), "caf\xC3\xA9");
  ParseStats stats;
  auto invalid = ParseString(ParserKind::kJson, "{\"k\": \"caf\xE9\"}", "application/json", &stats);
  ASSERT_TRUE(invalid.ok()) << invalid.status().ToString();
  EXPECT_EQ(JoinTexts(*invalid), "caf\xEF\xBF\xBD");
  EXPECT_EQ(stats.invalid_bytes_replaced, 1);
  auto bom = ParseString(ParserKind::kJson, "\xEF\xBB\xBF[\"a\"]");
  ASSERT_TRUE(bom.ok()) << bom.status().ToString();
  EXPECT_EQ(JoinTexts(*bom), "a");
}

TEST(ParseJsonTest, InvalidJsonNamesTheByteOffset) {
  // The second comma is byte 12 (0-based).
  auto sections = ParseString(ParserKind::kJson, "{\"a\": [1, 2,, 3]}");
  ASSERT_FALSE(sections.ok());
  EXPECT_EQ(sections.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sections.status().message().find("byte offset 12"), std::string::npos)
      << sections.status().message();
  auto trailing = ParseString(ParserKind::kJson, "{} x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().code(), StatusCode::kInvalidArgument);
  auto truncated = ParseString(ParserKind::kJson, "{\"a\": \"b");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseJsonTest, DeepNestingIsRefused) {
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  auto sections = ParseString(ParserKind::kJson, deep);
  ASSERT_FALSE(sections.ok());
  EXPECT_EQ(sections.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sections.status().message().find("deeper"), std::string::npos);
}

// ---- PDF -----------------------------------------------------------------------------------

// three_pages.pdf was made once with `groff -ms -Tpdf three_pages.ms > three_pages.pdf`
// (Debian groff 1.22.4); its source, three_pages.ms, is next to it.
TEST(ParsePdfTest, OneSectionPerPage) {
  ParseStats stats;
  auto sections =
      ParseString(ParserKind::kPdf, ReadFixture("three_pages.pdf"), "application/pdf", &stats);
  ASSERT_TRUE(sections.ok()) << sections.status().ToString();
  ExpectGolden(*sections, "three_pages.pdf.golden");
  ASSERT_EQ(sections->size(), 3u);
  EXPECT_EQ(stats.pages, 3);
  EXPECT_EQ((*sections)[0].text,
            "Page one talks about apples. Apples grow on trees in orchards.\n");
  EXPECT_EQ(MetadataValue((*sections)[0], "page"), "1");
  EXPECT_EQ((*sections)[1].text, "Page two is about bicycles. A bicycle has two wheels.\n");
  EXPECT_EQ(MetadataValue((*sections)[1], "page"), "2");
  EXPECT_EQ(MetadataValue((*sections)[2], "page"), "3");
  EXPECT_NE((*sections)[2].text.find("Comets have icy nuclei"), std::string::npos);
}

TEST(ParsePdfTest, TruncatedOrGarbagePdfIsRefused) {
  std::string pdf = ReadFixture("three_pages.pdf");
  for (std::string input : {pdf.substr(0, pdf.size() / 3), std::string("%PDF-1.4\ngarbage"),
                            std::string("definitely not a pdf")}) {
    auto sections = ParseString(ParserKind::kPdf, input, "application/pdf");
    ASSERT_FALSE(sections.ok()) << input.size();
    EXPECT_EQ(sections.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(sections.status().message().find("not a readable PDF"), std::string::npos);
  }
  auto empty = ParseString(ParserKind::kPdf, "", "application/pdf");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// ---- every format ---------------------------------------------------------------------------

TEST(ParseAllKindsTest, ZeroByteObjectGivesNoSections) {
  for (ParserKind kind : {ParserKind::kText, ParserKind::kMarkdown, ParserKind::kHtml,
                          ParserKind::kJson, ParserKind::kPdf}) {
    ParseStats stats;
    stats.sections = 99;  // Parse resets the stats
    auto sections = ParseString(kind, "", "", &stats);
    ASSERT_TRUE(sections.ok()) << ParserKindName(kind) << ": " << sections.status().ToString();
    EXPECT_TRUE(sections->empty()) << ParserKindName(kind);
    EXPECT_EQ(stats.sections, 0);
  }
}

TEST(ParseAllKindsTest, SinkErrorIsReturnedByEveryParser) {
  const std::pair<ParserKind, std::string> inputs[] = {
      {ParserKind::kText, "text"},
      {ParserKind::kMarkdown, "# A\ntext\n# B\nmore\n"},
      {ParserKind::kHtml, ReadFixture("page.html")},
      {ParserKind::kJson, ReadFixture("nested.json")},
      {ParserKind::kPdf, ReadFixture("three_pages.pdf")},
  };
  for (const auto& [kind, input] : inputs) {
    int calls = 0;
    Status status = Parse(
        kind, StringReader(input), "",
        [&](Section&&) { return ++calls == 1 ? Status::Ok() : Aborted("sink full"); }, nullptr);
    EXPECT_EQ(status.code(), calls == 1 ? StatusCode::kOk : StatusCode::kAborted)
        << ParserKindName(kind);
    if (kind != ParserKind::kText) {
      EXPECT_EQ(calls, 2) << ParserKindName(kind);  // stopped at the first error
      EXPECT_EQ(status.message(), "sink full");
    }
  }
}

}  // namespace
}  // namespace k3::pipelines
