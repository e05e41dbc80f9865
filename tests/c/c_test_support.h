/* tests/c/c_test_support.h: what the C test programs share: a temporary directory removed at
 * the end, pass/fail counting, and CHECK / CHECK_RC, which stop the program at the first
 * failure with the tally. Header-only (each program is one translation unit); requires
 * _XOPEN_SOURCE 700 before the first include, for mkdtemp and nftw. */
#ifndef K3_TESTS_C_TEST_SUPPORT_H_
#define K3_TESTS_C_TEST_SUPPORT_H_

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "k3/k3.h"

static int g_passed = 0;
static int g_failed = 0;
/* The test's temporary directory; "" until make_test_dir. */
static char g_dir[256] = "";

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Creates the temporary directory /tmp/<prefix>.XXXXXX into g_dir; exits 1 when it cannot. */
static inline void make_test_dir(const char* prefix) {
  snprintf(g_dir, sizeof g_dir, "/tmp/%s.XXXXXX", prefix);
  if (mkdtemp(g_dir) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
}

/* Removes the temporary directory and everything in it. */
static inline void remove_test_dir(void) {
  if (g_dir[0] != '\0') nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Prints "N passed, M failed", removes the directory and exits: 0 when nothing failed. */
static inline void finish(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  remove_test_dir();
  exit(g_failed == 0 ? 0 : 1);
}

/* Counts a pass, or prints the failure and the tally and exits 1. */
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++g_passed;                                                              \
    } else {                                                                   \
      ++g_failed;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      finish();                                                                \
    }                                                                          \
  } while (0)

/* Checks that `expr` returns the status `want`, printing both names when it does not. */
#define CHECK_RC(expr, want)                                                         \
  do {                                                                               \
    int rc_ = (expr);                                                                \
    if (rc_ == (want)) {                                                             \
      ++g_passed;                                                                    \
    } else {                                                                         \
      ++g_failed;                                                                    \
      fprintf(stderr, "%s:%d: %s returned %s, want %s\n", __FILE__, __LINE__, #expr, \
              k3_status_str(rc_), k3_status_str(want));                              \
      finish();                                                                      \
    }                                                                                \
  } while (0)

#endif /* K3_TESTS_C_TEST_SUPPORT_H_ */
