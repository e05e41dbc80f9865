#!/usr/bin/env python3
"""Writes the example event tables examples/data/events.csv and examples/data/events.jsonl.

The output is deterministic (fixed seed, fixed start time): running this again reproduces
the committed files byte for byte. Only the Python standard library is used.

    python3 examples/data/tools/gen_events.py            # writes next to tools/
    python3 examples/data/tools/gen_events.py OUT_DIR    # writes into OUT_DIR

events.csv columns:   id, kind, created_at (ISO-8601 UTC), duration_ms, payload (a JSON string)
events.jsonl fields:  the same, one object per line, with payload as a nested JSON object
Every payload carries customer_tier (free | plus | pro); the other keys depend on the kind.
"""

import csv
import datetime
import json
import pathlib
import random
import sys

SEED = 20260105
CSV_ROWS = 200
JSONL_ROWS = 150
START = datetime.datetime(2026, 1, 5, 8, 0, 0, tzinfo=datetime.timezone.utc)

# kind -> (relative weight, (min, max) duration in ms)
KINDS = {
    "page.view": (30, (4, 180)),
    "search.query": (14, (12, 420)),
    "cart.add": (12, (6, 90)),
    "order.placed": (10, (80, 1400)),
    "order.shipped": (8, (40, 600)),
    "refund.requested": (4, (50, 900)),
    "refund.completed": (3, (200, 4000)),
    "support.ticket": (6, (30, 700)),
    "login.failed": (3, (3, 60)),
}
TIERS = (("free", 55), ("plus", 30), ("pro", 15))
REGIONS = ("eu-west", "eu-north", "us-east", "us-west", "ap-south")
PAGES = ("/", "/kettles", "/kettles/finch-k2", "/grinders", "/help/refunds", "/help/shipping",
         "/cart", "/account")
QUERIES = ("kettle descaling", "refund status", "gooseneck kettle", "burr grinder", "gift card",
           "shipping to norway", "warranty claim", "replacement lid")
SKUS = ("FK2-STEEL", "FK2-MATTE", "BG40-BURR", "LID-FK2", "FLTR-100", "MUG-SET-2")
CARRIERS = ("postnord", "dhl", "ups", "bring")
REASONS = ("arrived damaged", "changed mind", "wrong colour", "late delivery", "defective")
TOPICS = ("descaling", "temperature drift", "app pairing", "missing parts", "billing")


def weighted(rng, pairs):
    names = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(names, weights=weights, k=1)[0]


def payload_for(rng, kind, tier):
    p = {"customer_tier": tier, "region": rng.choice(REGIONS)}
    if kind == "page.view":
        p["path"] = rng.choice(PAGES)
    elif kind == "search.query":
        p["query"] = rng.choice(QUERIES)
        p["results"] = rng.randint(0, 40)
    elif kind == "cart.add":
        p["sku"] = rng.choice(SKUS)
        p["quantity"] = rng.randint(1, 3)
    elif kind == "order.placed":
        p["order_id"] = "ord_%05d" % rng.randint(1, 99999)
        p["items"] = rng.randint(1, 5)
        p["amount_cents"] = rng.randint(1200, 38000)
        p["currency"] = "EUR"
    elif kind == "order.shipped":
        p["order_id"] = "ord_%05d" % rng.randint(1, 99999)
        p["carrier"] = rng.choice(CARRIERS)
    elif kind == "refund.requested":
        p["order_id"] = "ord_%05d" % rng.randint(1, 99999)
        p["reason"] = rng.choice(REASONS)
        p["amount_cents"] = rng.randint(900, 24000)
    elif kind == "refund.completed":
        p["order_id"] = "ord_%05d" % rng.randint(1, 99999)
        p["amount_cents"] = rng.randint(900, 24000)
        p["method"] = rng.choice(("card", "store_credit", "bank_transfer"))
    elif kind == "support.ticket":
        p["ticket_id"] = "tkt_%04d" % rng.randint(1, 9999)
        p["topic"] = rng.choice(TOPICS)
        p["priority"] = rng.choice(("low", "normal", "normal", "high"))
    elif kind == "login.failed":
        p["attempts"] = rng.randint(1, 6)
    return p


def events(rng, count, id_prefix, start):
    kinds = [(k, v[0]) for k, v in KINDS.items()]
    t = start
    for i in range(1, count + 1):
        t += datetime.timedelta(seconds=rng.randint(20, 1800), milliseconds=rng.randint(0, 999))
        kind = weighted(rng, kinds)
        lo, hi = KINDS[kind][1]
        yield {
            "id": "%s_%04d" % (id_prefix, i),
            "kind": kind,
            "created_at": t.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "duration_ms": rng.randint(lo, hi),
            "payload": payload_for(rng, kind, weighted(rng, TIERS)),
        }


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    rng = random.Random(SEED)

    with open(out / "events.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "kind", "created_at", "duration_ms", "payload"])
        for e in events(rng, CSV_ROWS, "evt", START):
            w.writerow([e["id"], e["kind"], e["created_at"], e["duration_ms"],
                        json.dumps(e["payload"], separators=(",", ":"), sort_keys=True)])

    # The JSONL events continue a week after the CSV ones, with their own ids.
    with open(out / "events.jsonl", "w", encoding="utf-8") as f:
        for e in events(rng, JSONL_ROWS, "evj", START + datetime.timedelta(days=7)):
            f.write(json.dumps(e, separators=(",", ":"), sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
