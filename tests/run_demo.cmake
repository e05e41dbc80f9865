# Runs a quickstart tour (DEMO, with DEMO_SCRIPT as its first argument when set: the Python one)
# twice on DATA_DIR (removed first) with the corpus CORPUS. KIND is cpp (examples/quickstart.cpp),
# c (examples/quickstart.c) or python (examples/python/quickstart.py). Each run must exit 0 and
# print the two rules (created by the first run, reused by the second), the corpus put, the
# ingest jobs the puts fired (all 9 of this run completed: 8 documents and the CSV; none failed
# or cancelled, none still pending), what the jobs produced (a text search under a metadata
# filter whose best hit is the refunds answer, SQL over the CSV table). The C++ tour also loads
# events.jsonl into a table for the whole cheat sheet and fills a collection by hand; those
# lines are checked for it alone.
set(common_lines
  "rule docs-to-vectors: docs/\\*\\* -> pipeline embed-docs \\(docs\\)"
  "rule csv-to-table: docs/\\*\\*/\\*\\.csv -> pipeline load-events \\(events_csv\\)"
  "put 10 objects"
  "ingest: 9/9 jobs done, 0 processing, 0 pending\n"
  "\n  COMPLETED +load-events +docs/events\\.csv +200 rows\n"
  "\n  COMPLETED +embed-docs +docs/refunds-policy\\.md +[1-9][0-9]* chunks\n"
  "jobs of this run: 9 in all, 9 completed, 0 failed, 0 cancelled"
  "pipeline embed-docs: 8 documents -> [1-9][0-9]* chunks in collection docs \\([1-9][0-9]* vectors\\)"
  "pipeline load-events: events.csv -> 200 rows in table events_csv \\(200 rows\\)"
  "text search \"how many days do I have to return a kettle\\?\" where content_type = text/markdown:\n +0\\.[0-9]+ +docs/(faq|refunds-policy)\\.md"
  "page.view +66 ")
set(cpp_lines
  "table kb-demo/events: 150 rows"
  "page.view +48"
  "2026-01-12 08:00:00 +4"
  "evj_0125 +cart.add +1"
  "free +99"
  "p95_ms *\n +[0-9]"
  "upserted 200 vectors into collection faq"
  "filter topic = refunds AND year >= 2023:\n +faq-")
set(expected_lines ${common_lines})
if(KIND STREQUAL "cpp")
  list(APPEND expected_lines ${cpp_lines})
elseif(DEFINED EXTRA_LINES)
  list(APPEND expected_lines ${EXTRA_LINES})
endif()

file(REMOVE_RECURSE "${DATA_DIR}")
foreach(run first second)
  execute_process(COMMAND "${DEMO}" ${DEMO_SCRIPT} "${DATA_DIR}" "${CORPUS}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${KIND} quickstart (${run} run) exited with ${rc}: ${err}")
  endif()
  foreach(expected IN LISTS expected_lines)
    if(NOT out MATCHES "${expected}")
      message(FATAL_ERROR "${KIND} quickstart (${run} run): output lacks \"${expected}\"")
    endif()
  endforeach()
endforeach()
