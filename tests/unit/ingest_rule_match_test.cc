// Tests for ingest/rule_match and ingest/glob: a table of rule-matching cases over the three
// axes (key globs, MIME types, sizes), glob syntax edge cases, refusals naming the field and
// index, MatchOrder, and patterns that would take exponential time with naive backtracking.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "ingest/glob.h"
#include "ingest/rule_match.h"

namespace k3::ingest {
namespace {

struct MatchCase {
  const char* name;
  RuleCriteria criteria;
  ObjectFacts object;
  bool want;
};

RuleCriteria Keys(std::vector<std::string> include, std::vector<std::string> exclude = {}) {
  RuleCriteria c;
  c.include_patterns = std::move(include);
  c.exclude_patterns = std::move(exclude);
  return c;
}

RuleCriteria Mimes(std::vector<std::string> include, std::vector<std::string> exclude = {}) {
  RuleCriteria c;
  c.include_mime_types = std::move(include);
  c.exclude_mime_types = std::move(exclude);
  return c;
}

RuleCriteria Sizes(uint64_t min, uint64_t max) {
  RuleCriteria c;
  c.min_size_bytes = min;
  c.max_size_bytes = max;
  return c;
}

ObjectFacts Obj(std::string key, std::string type = "text/plain", uint64_t size = 100) {
  return {std::move(key), std::move(type), size};
}

RuleCriteria All() {
  RuleCriteria c;
  c.include_patterns = {"docs/**/*.md", "notes/*.txt"};
  c.exclude_patterns = {"**/draft-*"};
  c.include_mime_types = {"text/*"};
  c.exclude_mime_types = {"text/html"};
  c.min_size_bytes = 10;
  c.max_size_bytes = 1000;
  return c;
}

const std::vector<MatchCase>& Cases() {
  static const std::vector<MatchCase> cases = {
      // Key axis: '*'.
      {"star_matches_in_segment", Keys({"*.md"}), Obj("readme.md"), true},
      {"star_not_across_slash", Keys({"*.md"}), Obj("docs/readme.md"), false},
      {"star_empty_run", Keys({"a*b"}), Obj("ab"), true},
      {"star_whole_key_only", Keys({"*.md"}), Obj("readme.md.bak"), false},
      {"star_in_dir_segment", Keys({"docs/*/a.md"}), Obj("docs/x/a.md"), true},
      {"star_segment_not_empty_dirs", Keys({"docs/*/a.md"}), Obj("docs/x/y/a.md"), false},
      // '**'.
      {"double_star_across_slashes", Keys({"docs/**"}), Obj("docs/a/b/c.pdf"), true},
      {"double_star_empty", Keys({"docs/**"}), Obj("docs/"), true},
      {"double_star_needs_prefix", Keys({"docs/**"}), Obj("doc/a"), false},
      {"dirs_zero_dirs", Keys({"docs/**/a.md"}), Obj("docs/a.md"), true},
      {"dirs_many_dirs", Keys({"docs/**/a.md"}), Obj("docs/x/y/z/a.md"), true},
      {"dirs_leading_zero", Keys({"**/a.md"}), Obj("a.md"), true},
      {"dirs_leading_some", Keys({"**/a.md"}), Obj("x/y/a.md"), true},
      {"dirs_not_partial_name", Keys({"**/a.md"}), Obj("xa.md"), false},
      {"double_star_mid_word", Keys({"a**/b"}), Obj("ax/y/b"), true},
      {"double_star_mid_word_no_zero_dirs", Keys({"a**/b"}), Obj("ab"), false},
      // '?'.
      {"question_one_char", Keys({"file?.txt"}), Obj("file1.txt"), true},
      {"question_not_zero", Keys({"file?.txt"}), Obj("file.txt"), false},
      {"question_not_slash", Keys({"a?b"}), Obj("a/b"), false},
      {"question_one_code_point", Keys({"caf?"}), Obj("caf\xC3\xA9"), true},
      {"question_not_two_code_points", Keys({"?"}), Obj("\xC3\xA9\xC3\xA9"), false},
      {"question_four_byte_code_point", Keys({"x?y"}), Obj("x\xF0\x9F\x98\x80y"), true},
      // Classes.
      {"class_set", Keys({"[abc].txt"}), Obj("b.txt"), true},
      {"class_set_miss", Keys({"[abc].txt"}), Obj("d.txt"), false},
      {"class_range", Keys({"log-[0-9].txt"}), Obj("log-7.txt"), true},
      {"class_range_miss", Keys({"log-[0-9].txt"}), Obj("log-x.txt"), false},
      {"class_negated_bang", Keys({"[!a-c]x"}), Obj("dx"), true},
      {"class_negated_bang_miss", Keys({"[!a-c]x"}), Obj("bx"), false},
      {"class_negated_caret", Keys({"[^0-9]"}), Obj("q"), true},
      {"class_negated_never_slash", Keys({"a[!x]b"}), Obj("a/b"), false},
      {"class_case_insensitive", Keys({"[a-c]"}), Obj("B"), true},
      {"class_upper_range_lower_key", Keys({"[A-C]"}), Obj("b"), true},
      {"class_unicode_member", Keys({"caf[\xC3\xA9\x65]"}), Obj("caf\xC3\xA9"), true},
      {"class_escaped_bracket", Keys({"[\\]]"}), Obj("]"), true},
      {"class_literal_dash_at_end", Keys({"[a-]"}), Obj("-"), true},
      // Escapes.
      {"escape_star_literal", Keys({"a\\*b"}), Obj("a*b"), true},
      {"escape_star_not_wildcard", Keys({"a\\*b"}), Obj("axb"), false},
      {"escape_question", Keys({"what\\?"}), Obj("what?"), true},
      {"escape_bracket", Keys({"\\[x]"}), Obj("[x]"), true},
      // Case-insensitivity.
      {"case_insensitive_literal", Keys({"Docs/*.MD"}), Obj("docs/README.md"), true},
      {"case_insensitive_non_ascii_bytes_exact", Keys({"\xC3\x89"}), Obj("\xC3\xA9"), false},
      // Key excludes.
      {"key_exclude_wins", Keys({"docs/**"}, {"**/*.tmp"}), Obj("docs/a/b.tmp"), false},
      {"key_exclude_other_key", Keys({"docs/**"}, {"**/*.tmp"}), Obj("docs/a/b.md"), true},
      {"key_exclude_only", Keys({}, {"private/**"}), Obj("private/x"), false},
      {"key_exclude_only_other", Keys({}, {"private/**"}), Obj("public/x"), true},
      {"key_or_within_axis", Keys({"*.md", "*.txt"}), Obj("a.txt"), true},
      {"key_empty_includes_any", Keys({}), Obj("any/key/at/all.bin"), true},
      // MIME axis.
      {"mime_exact", Mimes({"application/pdf"}), Obj("a", "application/pdf"), true},
      {"mime_exact_miss", Mimes({"application/pdf"}), Obj("a", "application/json"), false},
      {"mime_type_wildcard", Mimes({"text/*"}), Obj("a", "text/markdown"), true},
      {"mime_type_wildcard_miss", Mimes({"text/*"}), Obj("a", "image/png"), false},
      {"mime_any", Mimes({"*/*"}), Obj("a", "image/png"), true},
      {"mime_params_stripped", Mimes({"text/plain"}), Obj("a", "text/plain; charset=utf-8"), true},
      {"mime_params_stripped_no_space", Mimes({"text/plain"}), Obj("a", "text/plain;charset=x"),
       true},
      {"mime_case_object", Mimes({"text/plain"}), Obj("a", "Text/PLAIN"), true},
      {"mime_case_pattern", Mimes({"Application/PDF"}), Obj("a", "application/pdf"), true},
      {"mime_empty_is_octet_stream", Mimes({"application/octet-stream"}), Obj("a", ""), true},
      {"mime_empty_not_text", Mimes({"text/*"}), Obj("a", ""), false},
      {"mime_no_slash_only_any", Mimes({"text/*"}), Obj("a", "text"), false},
      {"mime_prefix_is_not_type", Mimes({"text/*"}), Obj("a", "textual/plain"), false},
      {"mime_or_within_axis", Mimes({"application/pdf", "text/*"}), Obj("a", "text/csv"), true},
      {"mime_exclude_wins", Mimes({"text/*"}, {"text/html"}), Obj("a", "text/html"), false},
      {"mime_exclude_wins_with_params", Mimes({"*/*"}, {"text/html"}),
       Obj("a", "TEXT/HTML; charset=utf-8"), false},
      {"mime_exclude_other", Mimes({"text/*"}, {"text/html"}), Obj("a", "text/plain"), true},
      {"mime_exclude_only", Mimes({}, {"image/*"}), Obj("a", "image/jpeg"), false},
      {"mime_empty_includes_any", Mimes({}), Obj("a", "video/mp4"), true},
      // Size axis.
      {"size_unbounded", Sizes(0, 0), Obj("a", "x/y", 123456789), true},
      {"size_unbounded_zero", Sizes(0, 0), Obj("a", "x/y", 0), true},
      {"size_min_below", Sizes(10, 0), Obj("a", "x/y", 9), false},
      {"size_min_inclusive", Sizes(10, 0), Obj("a", "x/y", 10), true},
      {"size_min_no_upper", Sizes(10, 0), Obj("a", "x/y", UINT64_MAX), true},
      {"size_max_inclusive", Sizes(0, 100), Obj("a", "x/y", 100), true},
      {"size_max_above", Sizes(0, 100), Obj("a", "x/y", 101), false},
      {"size_max_zero_size", Sizes(0, 100), Obj("a", "x/y", 0), true},
      {"size_both_inside", Sizes(10, 100), Obj("a", "x/y", 50), true},
      {"size_both_below", Sizes(10, 100), Obj("a", "x/y", 0), false},
      {"size_both_equal_bounds", Sizes(7, 7), Obj("a", "x/y", 7), true},
      {"size_both_equal_bounds_miss", Sizes(7, 7), Obj("a", "x/y", 8), false},
      // AND across axes.
      {"and_all_axes_match", All(), Obj("docs/x/a.md", "text/markdown", 500), true},
      {"and_zero_dirs_all_match", All(), Obj("docs/a.md", "text/plain; charset=utf-8", 10), true},
      {"and_key_fails", All(), Obj("docs/x/a.pdf", "text/markdown", 500), false},
      {"and_mime_fails", All(), Obj("docs/x/a.md", "application/pdf", 500), false},
      {"and_size_fails_low", All(), Obj("docs/x/a.md", "text/markdown", 9), false},
      {"and_size_fails_high", All(), Obj("docs/x/a.md", "text/markdown", 1001), false},
      {"and_key_exclude_wins", All(), Obj("docs/x/draft-a.md", "text/markdown", 500), false},
      {"and_mime_exclude_wins", All(), Obj("notes/a.txt", "text/html", 500), false},
      {"and_second_include", All(), Obj("NOTES/A.TXT", "text/plain", 1000), true},
      {"empty_criteria_match_everything", RuleCriteria{}, Obj("", "", 0), true},
  };
  return cases;
}

TEST(IngestRuleMatchTable, EveryCase) {
  ASSERT_GE(Cases().size(), 40u);
  for (const MatchCase& tc : Cases()) {
    SCOPED_TRACE(tc.name);
    ASSERT_TRUE(ValidateCriteria(tc.criteria).ok()) << ValidateCriteria(tc.criteria).ToString();
    EXPECT_EQ(Matches(tc.criteria, tc.object), tc.want)
        << tc.name << ": key=\"" << tc.object.key << "\" type=\"" << tc.object.content_type
        << "\" size=" << tc.object.size;
    Result<CompiledCriteria> compiled = CompiledCriteria::Compile(tc.criteria);
    ASSERT_TRUE(compiled.ok());
    EXPECT_EQ(compiled->Matches(tc.object), tc.want) << tc.name << " (compiled)";
  }
}

TEST(IngestRuleMatchTable, CaseNamesAreUnique) {
  std::set<std::string> names;
  for (const MatchCase& tc : Cases()) EXPECT_TRUE(names.insert(tc.name).second) << tc.name;
}

TEST(IngestRuleGlob, KeepsPatternAndMatchesRepeatedly) {
  Result<Glob> g = Glob::Compile("a/**/b?");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->pattern(), "a/**/b?");
  EXPECT_TRUE(g->Match("a/bc"));
  EXPECT_TRUE(g->Match("a/x/y/bc"));
  EXPECT_FALSE(g->Match("a/x/y/b"));
  EXPECT_FALSE(g->Match(""));
}

TEST(IngestRuleGlob, StarRunsCollapse) {
  Result<Glob> g = Glob::Compile("a/***");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->Match("a/b/c"));
  Result<Glob> dirs = Glob::Compile("***/z");
  ASSERT_TRUE(dirs.ok());
  EXPECT_TRUE(dirs->Match("z"));
  EXPECT_TRUE(dirs->Match("q/r/z"));
}

TEST(IngestRuleGlob, InvalidUtf8KeyIsDeterministic) {
  // Each invalid byte counts as one character; no class contains it.
  Result<Glob> g = Glob::Compile("a?b");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(
      g->Match("a\xFF"
               "b"));
  EXPECT_FALSE(
      g->Match("a\xFF\xFE"
               "b"));
  Result<Glob> cls = Glob::Compile("[\xC3\xBF]");  // U+00FF, not the byte 0xFF
  ASSERT_TRUE(cls.ok());
  EXPECT_FALSE(cls->Match("\xFF"));
  EXPECT_TRUE(cls->Match("\xC3\xBF"));
}

struct BadCase {
  RuleCriteria criteria;
  const char* want_prefix;  // field and index
  const char* want_detail;  // a fragment of the reason
};

RuleCriteria IncludeAt2(std::string bad) {
  RuleCriteria c;
  c.include_patterns = {"ok/*", "fine/**", std::move(bad)};
  return c;
}

TEST(IngestRuleValidate, BadCriteriaNameFieldAndIndex) {
  RuleCriteria bad_excl;
  bad_excl.exclude_patterns = {"[z-a]"};
  RuleCriteria bad_mime0;
  bad_mime0.include_mime_types = {"text"};
  RuleCriteria bad_mime1;
  bad_mime1.include_mime_types = {"text/*", "*/plain"};
  RuleCriteria bad_mime_space;
  bad_mime_space.exclude_mime_types = {"*/*", "text/ plain"};
  RuleCriteria bad_mime_params;
  bad_mime_params.exclude_mime_types = {"text/plain; charset=utf-8"};
  RuleCriteria bad_mime_empty;
  bad_mime_empty.include_mime_types = {""};
  RuleCriteria bad_mime_sub_empty;
  bad_mime_sub_empty.include_mime_types = {"text/"};
  RuleCriteria bad_size = Sizes(11, 10);

  const std::vector<BadCase> cases = {
      {IncludeAt2("docs/[ab"), "includePatterns[2]: ", "unclosed '['"},
      {IncludeAt2(""), "includePatterns[2]: ", "empty pattern"},
      {IncludeAt2("a[]b"), "includePatterns[2]: ", "empty class '[]'"},
      {IncludeAt2("a[!]b"), "includePatterns[2]: ", "empty class '[!]'"},
      {IncludeAt2("[z-a]"), "includePatterns[2]: ", "bad range 'z-a'"},
      {IncludeAt2(std::string(1025, 'x')), "includePatterns[2]: ", "limit is 1024"},
      {IncludeAt2("trailing\\"), "includePatterns[2]: ", "dangling '\\'"},
      {IncludeAt2("bad\xC3(utf8"), "includePatterns[2]: ", "invalid UTF-8"},
      {IncludeAt2("[a-"), "includePatterns[2]: ", "unclosed '['"},
      {IncludeAt2("[\\]"), "includePatterns[2]: ", "unclosed '['"},
      {bad_excl, "excludePatterns[0]: ", "bad range"},
      {bad_mime0, "includeMimeTypes[0]: ", "not type/subtype"},
      {bad_mime1, "includeMimeTypes[1]: ", "\"*/plain\""},
      {bad_mime_space, "excludeMimeTypes[1]: ", "not type/subtype"},
      {bad_mime_params, "excludeMimeTypes[0]: ", "not type/subtype"},
      {bad_mime_empty, "includeMimeTypes[0]: ", "not type/subtype"},
      {bad_mime_sub_empty, "includeMimeTypes[0]: ", "not type/subtype"},
      {bad_size, "minSizeBytes: ", "greater than maxSizeBytes 10"},
  };
  ASSERT_GE(cases.size(), 10u);
  for (const BadCase& bc : cases) {
    Status s = ValidateCriteria(bc.criteria);
    SCOPED_TRACE(bc.want_prefix + std::string(bc.want_detail));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_EQ(s.message().rfind(bc.want_prefix, 0), 0u) << s.message();
    EXPECT_NE(s.message().find(bc.want_detail), std::string::npos) << s.message();
    // Invalid criteria fail closed, and do not compile.
    EXPECT_FALSE(Matches(bc.criteria, Obj("ok/x", "text/plain", 10)));
    EXPECT_FALSE(CompiledCriteria::Compile(bc.criteria).ok());
  }
}

TEST(IngestRuleValidate, GoodEdgeCasesAccepted) {
  RuleCriteria c;
  c.include_patterns = {std::string(1024, 'x'), "[a-]", "[\\]]", "\\[", "**", "?"};
  c.include_mime_types = {"*/*", "application/vnd.ms-excel", "application/ld+json", "TEXT/*"};
  c.min_size_bytes = 5;  // max 0: no upper bound, so any min is fine
  EXPECT_TRUE(ValidateCriteria(c).ok()) << ValidateCriteria(c).ToString();
  c.max_size_bytes = 5;
  EXPECT_TRUE(ValidateCriteria(c).ok()) << ValidateCriteria(c).ToString();
}

TEST(IngestRuleValidate, NormalizeContentType) {
  EXPECT_EQ(NormalizeContentType(" Text/Plain ; charset=UTF-8"), "text/plain");
  EXPECT_EQ(NormalizeContentType(""), "application/octet-stream");
  EXPECT_EQ(NormalizeContentType("; charset=utf-8"), "application/octet-stream");
  EXPECT_EQ(NormalizeContentType("application/pdf"), "application/pdf");
}

TEST(IngestRuleOrder, PriorityThenOlderThenDisabledLeftOut) {
  const std::vector<RankedRule> rules = {
      {"rule_01J0000000000000000000000C", 0, true},    // 0
      {"rule_01J0000000000000000000000B", 10, true},   // 1
      {"rule_01J0000000000000000000000A", 10, true},   // 2: same priority as 1, older
      {"rule_01J0000000000000000000000D", 99, false},  // 3: disabled, highest priority
      {"rule_01J0000000000000000000000E", -5, true},   // 4
      {"rule_01J00000000000000000000000", 0, true},    // 5: oldest of priority 0
      {"rule_01J0000000000000000000000F", 10, false},  // 6: disabled
  };
  EXPECT_EQ(MatchOrder(rules), (std::vector<size_t>{2, 1, 5, 0, 4}));
}

TEST(IngestRuleOrder, EmptyAndAllDisabled) {
  EXPECT_TRUE(MatchOrder({}).empty());
  EXPECT_TRUE(MatchOrder({{"rule_a", 1, false}, {"rule_b", 2, false}}).empty());
  EXPECT_EQ(MatchOrder({{"rule_a", 1, true}}), (std::vector<size_t>{0}));
}

TEST(IngestRuleOrder, ExtremePrioritiesAndEqualIdsKeepIndexOrder) {
  const std::vector<RankedRule> rules = {
      {"rule_x", INT32_MIN, true}, {"rule_x", INT32_MAX, true}, {"rule_x", INT32_MIN, true}};
  EXPECT_EQ(MatchOrder(rules), (std::vector<size_t>{1, 0, 2}));
}

TEST(IngestRulePerformance, PathologicalPatternsFinish) {
  const std::string as(10000, 'a');
  Result<Glob> stars = Glob::Compile("*a*a*a*a*a*b");
  ASSERT_TRUE(stars.ok());
  EXPECT_FALSE(stars->Match(as));
  EXPECT_TRUE(stars->Match(as + "b"));

  Result<Glob> double_stars = Glob::Compile("**a**a**a**a**a**a**a**b");
  ASSERT_TRUE(double_stars.ok());
  EXPECT_FALSE(double_stars->Match(as));

  std::string slashes;
  for (int i = 0; i < 3000; ++i) slashes += "a/";
  Result<Glob> dirs = Glob::Compile("**/a/**/a/**/a/**/a/**/b");
  ASSERT_TRUE(dirs.ok());
  EXPECT_FALSE(dirs->Match(slashes));
  EXPECT_TRUE(dirs->Match(slashes + "b"));

  Result<Glob> qs = Glob::Compile("*?*?*?*?*?*?*?*?*!");
  ASSERT_TRUE(qs.ok());
  EXPECT_FALSE(qs->Match(as));

  // Through the rule API too: a long key against many excludes.
  RuleCriteria c;
  c.exclude_patterns = {"*a*a*a*a*a*a*a*c", "*a*a*a*a*a*a*a*d"};
  EXPECT_TRUE(Matches(c, Obj(as + "b")));
}

}  // namespace
}  // namespace k3::ingest
