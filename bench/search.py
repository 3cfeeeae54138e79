"""Search at a million messages: the FTS5 index against the scan it replaced, on SQLite.

    .venv/bin/python -m bench.search [--messages 1000000] [--queries 60]

Builds a database with the server's own schema (5,000 users, 2,000 conversations, messages of
3-30 words drawn from a 30,000-word vocabulary with a Zipf distribution; generated, seeded),
first without the index, then builds the index as the schema step does (timed; its size read
from dbstat). Then, for a user in 50 conversations, times queries of common words, rare words,
two-word phrases and words that occur nowhere, through the store's own search (FTS5) and
through the substring scan the store used before (`instr` over every message of those
conversations), in the same run. Last, group-commit inserts (batches of 64, the default) with
and without indexing (the queue's trigger, the bulk indexer, and what is left queued at the end
of a round), alternated. Writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import conditions, save, summary_ms, table
from ezchat.adapters.codec import time_out
from ezchat.adapters.sqlite import open_sqlite_stores
from ezchat.adapters.sqlite.schema import FTS
from ezchat.adapters.sqlite.search import index_all_queued
from ezchat.domain.messages import NewMessage
from ezchat.domain.search import SearchQuery, parse
from tests.contract.builders import T0, at

USERS = 5000
CONVERSATIONS = 2000
VOCABULARY = 30_000
SEARCHER_CONVERSATIONS = 50
SYLLABLES = [
    c + v
    for c in ["", "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
    for v in ["a", "e", "i", "o", "u", "é", "ou", "ai"]
]


def vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words, key=lambda w: rng.random())


def build(path: Path, n_messages: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(VOCABULARY)))
    asyncio.run(_create_schema(path))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("DROP TRIGGER messages_fts_insert")  # loaded first, indexed after, as a migration
    created = time_out(T0)
    conn.executemany(
        "INSERT INTO users (id, username, display_name, created_at, password_hash)"
        " VALUES (?,?,?,?,'x')",
        [(f"u{i}", f"user{i}", f"User {i}", created) for i in range(USERS)],
    )
    conn.executemany(
        "INSERT INTO conversations (id, type, name, created_by, created_at) VALUES (?,?,?,?,?)",
        [(f"c{i}", "group", f"room {i}", "u0", created) for i in range(CONVERSATIONS)],
    )
    members = {
        f"c{i}": rng.sample(range(1, USERS), rng.randint(2, 40)) for i in range(CONVERSATIONS)
    }
    mine = rng.sample(range(CONVERSATIONS), SEARCHER_CONVERSATIONS)
    for i in mine:
        members[f"c{i}"].append(0)  # u0 is the one searching
    conn.executemany(
        "INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?,?,?,?)",
        [(c, f"u{u}", "member", created) for c, us in members.items() for u in set(us)],
    )
    busy = list(itertools.accumulate(rng.paretovariate(1.2) for _ in range(CONVERSATIONS)))
    seqs = [0] * CONVERSATIONS
    started = time.perf_counter()
    for chunk in range(0, n_messages, 50_000):
        rows = []
        lengths = [rng.randint(3, 30) for _ in range(min(50_000, n_messages - chunk))]
        words = rng.choices(vocab, cum_weights=weights, k=sum(lengths))
        convs = rng.choices(range(CONVERSATIONS), cum_weights=busy, k=len(lengths))
        at_word = 0
        for k, (n, c) in enumerate(zip(lengths, convs, strict=True)):
            seqs[c] += 1
            text = " ".join(words[at_word : at_word + n])
            at_word += n
            sender = rng.choice(members[f"c{c}"])
            when = time_out(at((chunk + k) * 0.5))
            rows.append(
                (
                    f"m{chunk + k}",
                    f"c{c}",
                    seqs[c],
                    seqs[c],
                    f"k{chunk + k}",
                    f"u{sender}",
                    text,
                    when,
                )
            )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, seq, rev, client_id, sender_id, text,"
            " created_at) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.commit()
    loaded_s = time.perf_counter() - started
    conn.executemany(
        "UPDATE conversations SET last_seq = ?, rev = ? WHERE id = ?",
        [(s, s, f"c{i}") for i, s in enumerate(seqs)],
    )
    conn.commit()
    without = _bytes(conn)
    started = time.perf_counter()
    conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    conn.execute(FTS[2])  # the insert trigger (the queue) again
    conn.commit()
    index_s = time.perf_counter() - started
    conn.execute("VACUUM")
    fts_bytes = conn.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'messages_fts%'"
    ).fetchone()[0]
    conn.close()
    return {
        "messages": n_messages,
        "load_s": round(loaded_s, 1),
        "index_build_s": round(index_s, 1),
        "database_bytes_without_index": without,
        "index_bytes": fts_bytes,
        "searcher_conversations": [f"c{i}" for i in mine],
        "vocab": vocab,
    }


async def _create_schema(path: Path) -> None:
    stores = await open_sqlite_stores(path)
    await stores.aclose()


def _bytes(conn: sqlite3.Connection) -> int:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return int(pages * conn.execute("PRAGMA page_size").fetchone()[0])


def scan(conn: sqlite3.Connection, ids: list[str], words: list[str], limit: int) -> list[Any]:
    """The search before the index (store code of the previous release)."""
    word_sql = " AND ".join("instr(casefold(text), ?) > 0" for _ in words)
    marks = ",".join("?" * len(ids))
    return conn.execute(
        f"SELECT * FROM messages WHERE conversation_id IN ({marks}) AND deleted = 0"
        f" AND {word_sql} ORDER BY created_at DESC, seq DESC LIMIT ?",
        (*ids, *words, limit),
    ).fetchall()


def query_sets(
    path: Path, vocab: list[str], ids: list[str], per: int, rng: random.Random
) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    marks = ",".join("?" * len(ids))
    texts = [
        r[0]
        for r in conn.execute(
            f"SELECT text FROM messages WHERE conversation_id IN ({marks}) ORDER BY random() LIMIT 2000",
            ids,
        )
    ]
    conn.close()
    phrases = []
    for text in rng.sample(texts, per):
        w = text.split()
        i = rng.randrange(len(w) - 1)
        phrases.append(f'"{w[i]} {w[i + 1]}"')
    return {
        "common word": [rng.choice(vocab[:20]) for _ in range(per)],
        "rare word": [rng.choice(vocab[5000:20000]) for _ in range(per)],
        "two common words": [
            f"{rng.choice(vocab[:50])} {rng.choice(vocab[:50])}" for _ in range(per)
        ],
        "phrase": phrases,
        "no hit": [f"zzq{rng.randrange(10**6)}" for _ in range(per)],
    }


async def measure_queries(
    path: Path, ids: list[str], sets: dict[str, list[str]], limit: int
) -> list[dict[str, Any]]:
    stores = await open_sqlite_stores(path)
    db = stores.messages._db  # the store's one database thread, for the scan too
    rows = []
    try:
        for name, queries in sets.items():
            fts, old = [], []
            for q in queries:
                words, phrases = parse(q)
                sq = SearchQuery(words=words, phrases=phrases)
                started = time.perf_counter()
                await stores.messages.search(ids, sq, limit)
                fts.append(time.perf_counter() - started)
                folded = [w.casefold() for w in q.replace('"', " ").split()]
                started = time.perf_counter()
                await db.run(lambda conn, f=folded: scan(conn, ids, f, limit))
                old.append(time.perf_counter() - started)
            f, o = summary_ms(fts), summary_ms(old)
            rows.append(
                {
                    "queries": name,
                    "fts_p50_ms": f["p50_ms"],
                    "fts_p99_ms": f["p99_ms"],
                    "scan_p50_ms": o["p50_ms"],
                    "scan_p99_ms": o["p99_ms"],
                }
            )
            print(
                f"  {name}: fts p50 {f['p50_ms']} p99 {f['p99_ms']} ms; scan p50 {o['p50_ms']} p99 {o['p99_ms']} ms",
                flush=True,
            )
    finally:
        await stores.aclose()
    return rows


async def measure_inserts(path: Path, rounds: int, per_round: int) -> dict[str, float]:
    """Messages per second through add_many in batches of 64, with the index's triggers and
    without, alternated so that both see the same database."""
    stores = await open_sqlite_stores(path)
    db = stores.messages._db
    rates: dict[str, list[float]] = {"with index": [], "without index": []}
    n = itertools.count()
    try:
        for r in range(rounds * 2):
            indexed = r % 2 == 0
            if not indexed:
                await db.run(
                    lambda conn: [
                        conn.execute(f"DROP TRIGGER {t}") for t in ("messages_fts_insert",)
                    ]
                )
            news = [
                NewMessage(
                    conversation_id=f"c{i % CONVERSATIONS}",
                    sender_id="u1",
                    client_id=f"ins{next(n)}",
                    text="a fresh message about lunch at the café and the report",
                    attachments=(),
                    reply_to=None,
                    created_at=T0,
                )
                for i in range(per_round)
            ]
            started = time.perf_counter()
            for i in range(0, len(news), 64):
                await stores.messages.add_many(news[i : i + 64])
            if indexed:  # what the indexer has not done yet counts too
                await db.run(index_all_queued)
            rates["with index" if indexed else "without index"].append(
                per_round / (time.perf_counter() - started)
            )
            if not indexed:
                await db.run(lambda conn: conn.execute(FTS[2]))
    finally:
        await stores.aclose()
    return {k: round(sum(v) / len(v)) for k, v in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="search at scale")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, Any] = {"conditions": conditions()}
    with tempfile.TemporaryDirectory(prefix="ezchat-search-") as tmp:
        path = Path(tmp) / "search.db"
        print(f"building {args.messages} messages...", flush=True)
        built = build(path, args.messages, args.seed)
        vocab, ids = built.pop("vocab"), built.pop("searcher_conversations")
        results["database"] = built
        print(f"  {built}", flush=True)
        sets = query_sets(path, vocab, ids, args.queries, random.Random(args.seed))
        results["queries"] = asyncio.run(measure_queries(path, ids, sets, 50))
        results["inserts_per_s"] = asyncio.run(measure_inserts(path, 3, 4096))
        print(f"  inserts/s: {results['inserts_per_s']}", flush=True)
    print(
        table(
            results["queries"],
            ["queries", "fts_p50_ms", "fts_p99_ms", "scan_p50_ms", "scan_p99_ms"],
        )
    )
    print(f"results: {save('search', results)}")


if __name__ == "__main__":
    main()
