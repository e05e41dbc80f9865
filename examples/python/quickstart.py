"""examples/python/quickstart.py: the k3 quickstart tour from Python, over the C ABI (k3.py).

    python3 examples/python/quickstart.py [DATA_DIR] [CORPUS_DIR]

(defaults ./k3-data and ./examples/data; K3_LIB, the path of libk3.so, is optional: k3.py
finds build/libk3.so of this repository itself.)

The same tour as examples/quickstart.cpp, on the bucket "kb-demo": two pipelines and the rules
that fire them (documents under docs/ into the vector collection `docs`, CSV files into the
table `events_csv`), the corpus put (each matching put creates an ingest job), a wait for the
jobs with progress, this run's jobs, what they produced, a filtered text search, and SQL over
the CSV table. Run it again on the same directory: it reuses the bucket, pipelines and rules.
Exits 0 on success, 1 with a message on stderr on any failure.
"""

import contextlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import k3  # noqa: E402

BUCKET = "kb-demo"
GIVE_UP_S = 120

# K3's "DuckDB SQL Cheat Sheet" queries, as in quickstart.cpp; {table} is the table queried.
CHEAT_SHEET = [
    "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC;",
    "SELECT date_trunc('hour', created_at) AS hour_bucket, COUNT(*) FROM {table} GROUP BY 1 "
    "ORDER BY 1;",
    "SELECT id, kind, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn FROM "
    "{table};",
    "SELECT json_extract_string(payload, '$.customer_tier') AS tier, COUNT(*) FROM {table} "
    "GROUP BY tier;",
    "SELECT quantile_cont(duration_ms, 0.95) AS p95_ms FROM {table};",
]


class Failed(Exception):
    """The tour cannot go on; the message says what failed."""


@contextlib.contextmanager
def step(what):
    """Turns a K3Error inside the block into Failed("<what>: <code>: <message>")."""
    try:
        yield
    except k3.K3Error as e:
        raise Failed("%s: %s" % (what, e)) from None


def content_type_for(path):
    ext = os.path.splitext(path)[1]
    return {".md": "text/markdown", ".html": "text/html", ".htm": "text/html",
            ".csv": "text/csv", ".jsonl": "application/x-ndjson", ".json": "application/json",
            ".txt": "text/plain"}.get(ext, "application/octet-stream")


def show(v):
    """A SQL value as quickstart.cpp prints it."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "%.6g" % v
    if isinstance(v, bytes):
        return "<%d bytes>" % len(v)
    return str(v)


def list_all(db, method, request, field):
    """Every item of a paginated List* call, following its page tokens."""
    request, items = dict(request), []
    while True:
        page = db.call(method, request)
        items.extend(page[field])
        token = page.get("pagination", {}).get("nextPageToken")
        if not token:
            return items
        request["pageToken"] = token


def ensure_pipeline(db, name, template_id, options, destination):
    """The pipeline `name` of the demo bucket, created when missing."""
    with step("create pipeline " + name):
        for p in list_all(db, "PipelineService.ListPipelines", {"bucket": BUCKET}, "pipelines"):
            if p["name"] == name:
                return p
        return db.call("PipelineService.CreatePipeline", {
            "bucket": BUCKET, "name": name, "templateId": template_id, "options": options,
            "storeEntityId": destination})


def ensure_rule(db, rule):
    """The rule named rule["name"] of the demo bucket, created from `rule` when missing."""
    with step("create rule " + rule["name"]):
        request = {"bucket": BUCKET, "pipelineId": rule["pipelineId"]}
        for r in list_all(db, "IngestService.ListRules", request, "rules"):
            if r["name"] == rule["name"]:
                return r
        return db.call("IngestService.CreateRule", dict(rule, bucket=BUCKET))["rule"]


def set_up_ingest(db):
    """The pipelines and the rules that fire them (SetUpIngest of quickstart.cpp)."""
    docs = ensure_pipeline(db, "embed-docs", "text_embedding_index",
                           {"chunker": "markdown", "chunk_size": "600"}, "docs")
    csv = ensure_pipeline(db, "load-events", "csv_table", {}, "events_csv")
    rules = [
        ensure_rule(db, {"pipelineId": docs["pipelineId"], "name": "docs-to-vectors",
                         "includePatterns": ["docs/**"], "includeMimeTypes": ["text/*"],
                         "excludeMimeTypes": ["text/csv"]}),
        ensure_rule(db, {"pipelineId": csv["pipelineId"], "name": "csv-to-table",
                         "includePatterns": ["docs/**/*.csv"], "includeMimeTypes": ["text/csv"]}),
    ]
    for r in rules:
        print("rule %s: %s -> pipeline %s (%s)" % (r["name"], ", ".join(r["includePatterns"]),
                                                   r["binding"]["pipelineName"],
                                                   r["binding"]["destination"]))


def put_corpus(db, corpus):
    """Puts every file of the corpus (but tools/) as docs/<path>; returns how many."""
    put = 0
    for root, dirs, files in os.walk(corpus):
        if root == corpus:
            dirs[:] = [d for d in dirs if d != "tools"]  # the corpus generator, not the corpus
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if not os.path.isfile(path):
                continue
            key = "docs/" + os.path.relpath(path, corpus).replace(os.sep, "/")
            with step("put " + key), open(path, "rb") as f:
                db.put_object_stream(BUCKET, key, f, content_type=content_type_for(path))
            put += 1
    return put


def wait_for_ingest(db):
    """Waits until the bucket's ingest is idle, printing progress when it changes."""
    start, last = time.monotonic(), None
    while True:
        idle = True
        try:
            db.wait_idle(BUCKET, 200)
        except k3.K3Error as e:
            if e.code != k3.DEADLINE_EXCEEDED:
                raise Failed("wait for ingest: %s" % e) from None
            idle = False
        with step("ingest progress"):
            m = db.call("IngestService.GetIngestMetrics")  # counts since this Db opened
            a = db.call("IngestService.GetIngestActivity", {"bucket": BUCKET})
        done = int(m["jobsCompleted"]) + int(m["jobsFailed"]) + int(m["jobsCancelled"])
        line = "ingest: %d/%d jobs done, %d processing, %d pending" % (
            done, int(m["jobsCreated"]), int(a["processing"]), int(a["pending"]))
        if int(a["undispatchedEvents"]) > 0:
            line += ", %d events to dispatch" % int(a["undispatchedEvents"])
        if line != last:
            print(line, flush=True)
        last = line
        if idle:
            return
        if time.monotonic() - start > GIVE_UP_S:
            raise Failed("ingest did not finish in %d s" % GIVE_UP_S)


def list_jobs(db, since_ms):
    """Prints this run's jobs (created since since_ms), oldest first, and their counts by
    status; returns what the completed ones wrote. Fails when one did not complete."""
    jobs, request = [], {"bucket": BUCKET, "pageSize": 1000}
    with step("list jobs"):
        while True:
            page = db.call("IngestService.ListIngestJobs", request)  # newest first
            fresh = [j for j in page["jobs"] if int(j["createdAt"]) >= since_ms]
            jobs.extend(fresh)
            token = page["pagination"].get("nextPageToken")
            if len(fresh) < len(page["jobs"]) or not token:
                break
            request["pageToken"] = token
    summary = {"documents": 0, "chunks": 0, "rows": 0}
    counts = {"COMPLETED": 0, "FAILED": 0, "CANCELLED": 0}
    print("\njobs of this run, oldest first:")
    for j in reversed(jobs):
        status = j["status"].rsplit("_", 1)[-1]  # "INGEST_STATUS_COMPLETED"
        counts[status] = counts.get(status, 0) + 1
        if status == "COMPLETED" and j["pipelineName"] == "embed-docs":
            summary["documents"] += 1
            summary["chunks"] += int(j["chunksCreated"])
        elif status == "COMPLETED" and j["pipelineName"] == "load-events":
            summary["rows"] += int(j["rowsWritten"])
        output = ("%d rows" % int(j["rowsWritten"]) if j["pipelineKind"] == "warehouse"
                  else "%d chunks" % int(j["chunksCreated"]))
        error = j.get("errorMessage", "")
        print("  %-10s %-12s %-34s %s%s%s" % (status, j["pipelineName"], j["object"]["key"],
                                              output, "  " if error else "", error))
    print("jobs of this run: %d in all, %d completed, %d failed, %d cancelled"
          % (len(jobs), counts["COMPLETED"], counts["FAILED"], counts["CANCELLED"]))
    if counts["COMPLETED"] != len(jobs):
        raise Failed("ingest: not every job of this run completed")
    return summary


def pipeline_demo(db, run):
    """What the jobs produced: the collection and the table, a text search, SQL."""
    with step("describe collection docs"):
        vectors = int(db.call("VectorService.GetCollection",
                              {"bucket": BUCKET, "collectionName": "docs"})["vectorCount"])
    with step("count events_csv"):
        [(table_rows,)] = db.query_all(BUCKET, "SELECT count(*) FROM events_csv")
    print("\npipeline embed-docs: %d documents -> %d chunks in collection docs (%d vectors)"
          % (run["documents"], run["chunks"], vectors))
    print("pipeline load-events: events.csv -> %d rows in table events_csv (%d rows)"
          % (run["rows"], table_rows))
    if vectors != run["chunks"] or table_rows != run["rows"]:
        raise Failed("pipeline output: the destinations do not hold what this run's jobs wrote")

    question = "how many days do I have to return a kettle?"
    with step("text search"):
        hits = db.search_text(BUCKET, "docs", question, top_k=3,
                              filter={"field": "content_type", "op": "eq",
                                      "value": "text/markdown"})
    print('\ntext search "%s" where content_type = text/markdown:' % question)
    for h in hits:
        snippet = (h.text or "")[:70].replace("\n", " ")
        print("  %.4f  %-32s %s..." % (h.score, h.object_key, snippet))

    for template in CHEAT_SHEET:
        sql = template.replace("{table}", "events_csv")
        with step("cheat-sheet query"), db.query(BUCKET, sql) as rows:
            columns, rows = rows.columns, list(rows)
        print("\n%s\n  %s" % (sql, "".join("%-26s" % c for c in columns)))
        for row in rows[:6]:
            print("  " + "".join("%-26s" % show(v) for v in row))
        if len(rows) > 6:
            print("  ... %d rows in all" % len(rows))

    sql = ("SELECT kind, count(*) AS events, round(avg(duration_ms), 1) AS avg_ms "
           "FROM events_csv GROUP BY kind ORDER BY events DESC LIMIT 4")
    with step("query events_csv"):
        rows = db.query_all(BUCKET, sql)
    print("\n" + sql)
    for row in rows:
        print("  " + "".join("%-16s" % show(v) for v in row))


def tour(data_dir, corpus):
    if not os.path.isdir(corpus):
        raise Failed("corpus directory %s does not exist" % corpus)
    with step("open"):
        db = k3.Db(data_dir)
    with db:
        print("k3 %s: opened %s" % (k3.version(), data_dir))
        with step("create bucket"):
            try:
                db.call("StorageService.GetBucket", {"name": BUCKET})
            except k3.K3Error as e:
                if e.code != k3.NOT_FOUND:
                    raise
                bucket = db.call("StorageService.CreateBucket", {
                    "name": BUCKET, "description": "the quickstart's corpus"})
                print("created bucket %s (internal source %s)"
                      % (bucket["name"], bucket["internalSourceId"]))
        set_up_ingest(db)  # rules first: the puts below fire them
        put_start_ms = int(time.time() * 1000)
        print("put %d objects" % put_corpus(db, corpus))
        wait_for_ingest(db)
        run = list_jobs(db, put_start_ms)
        pipeline_demo(db, run)
    return 0


def main(argv):
    data_dir = argv[1] if len(argv) > 1 else "./k3-data"
    corpus = argv[2] if len(argv) > 2 else "./examples/data"
    try:
        return tour(data_dir, corpus)
    except (Failed, k3.K3Error, OSError) as e:
        sys.stdout.flush()
        print("quickstart: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
