"""`python -m ezchat`: backup under load and restore, migrations, settings, users and stats,
against a running server sharing the same settings."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.e2e.processes import ROOT, ServerProcess, call, new_group, post, register

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sqlite_v0.sql"


def ezchat(data_dir: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PASSWORD_HASH_N": "16",
        "LOG_LEVEL": "WARNING",
        "STORAGE": "sqlite",
        **env,
    }
    run = subprocess.run(
        [sys.executable, "-m", "ezchat", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in run.stderr, run.stderr
    return run


def status_of(base: str, token: str) -> int:
    try:
        call(base, "GET", "/api/users/me", token=token)
        return 200
    except AssertionError as exc:
        return int(str(exc).split(":")[1].split()[0])


def wait_until(check, what: str, deadline_s: float = 10) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < end, what
        time.sleep(0.05)


def test_a_backup_under_steady_sends_restores_every_message_acked_before_it(tmp_path):
    server = ServerProcess(tmp_path, MESSAGE_RATE_PER_SEC="100000", MESSAGE_BURST="100000")
    server.wait_ready()
    _, token = register(server.base, "alice")
    cid = new_group(server.base, token)
    acked: list[int] = []
    sending = threading.Event()
    sending.set()

    def send() -> None:
        i = 0
        while sending.is_set():
            i += 1
            acked.append(post(server.base, token, cid, f"k{i}", f"message {i}")["seq"])

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    wait_until(lambda: len(acked) >= 30, "no sends were acked")
    before = set(acked)
    backup = tmp_path / "backups" / "ezchat-backup.db"
    run = ezchat(tmp_path, "backup", str(backup))
    assert run.returncode == 0, run.stderr
    wait_until(lambda: len(acked) >= len(before) + 10, "sends stopped during the backup")
    sending.clear()
    sender.join(10)
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    refused = ezchat(tmp_path, "restore", str(backup))
    assert refused.returncode == 2 and "running" in refused.stderr
    server.stop()

    run = ezchat(tmp_path, "restore", str(backup))
    assert run.returncode == 0, run.stderr
    server = ServerProcess(tmp_path)
    try:
        server.wait_ready()
        seqs, after = set(), 0
        while True:
            page = call(
                server.base,
                "GET",
                f"/api/conversations/{cid}/messages?after={after}&limit=100",
                token=token,
            )
            seqs |= {m["seq"] for m in page["messages"]}
            if not page["has_more"]:
                break
            after = max(seqs)
        assert before <= seqs
    finally:
        server.stop()


def test_migrate_lists_pending_steps_then_applies_them(tmp_path):
    conn = sqlite3.connect(tmp_path / "ezchat.db")
    conn.executescript(FIXTURE.read_text())
    conn.close()
    dry = ezchat(tmp_path, "migrate")
    assert dry.returncode == 0 and "pending: 1" in dry.stdout and "dry run" in dry.stdout
    with sqlite3.connect(tmp_path / "ezchat.db") as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 0
    applied = ezchat(tmp_path, "migrate", "--apply")
    assert applied.returncode == 0 and "applying: 2" in applied.stdout
    assert ezchat(tmp_path, "migrate").stdout.strip() == "up to date"


def test_check_config_masks_secrets_and_a_bad_value_is_one_line(tmp_path):
    run = ezchat(
        tmp_path,
        "check-config",
        SECRET_KEY="top-secret-key",
        REDIS_URL="redis://:hunter2@127.0.0.1:6379/0",
        NOTIFY_WEBHOOK_URL="https://hooks.example/x",
        NOTIFY_WEBHOOK_SECRET="hook-secret",
        VAPID_PRIVATE_KEY="vapid-secret",
    )
    assert run.returncode == 0
    assert "SECRET_KEY=****" in run.stdout and "top-secret-key" not in run.stdout
    assert "NOTIFY_WEBHOOK_SECRET=****" in run.stdout and "hook-secret" not in run.stdout
    assert "VAPID_PRIVATE_KEY=****" in run.stdout and "vapid-secret" not in run.stdout
    assert "hunter2" not in run.stdout and "REDIS_URL=redis://:****@" in run.stdout
    bad = ezchat(tmp_path, "check-config", MESSAGE_BATCH_SIZE="lots")
    assert bad.returncode == 2 and "MESSAGE_BATCH_SIZE" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_users_are_managed_while_the_server_runs(tmp_path):
    server = ServerProcess(tmp_path, REVOCATION_POLL_S="0.2")
    try:
        server.wait_ready()
        made = ezchat(tmp_path, "users", "create", "bob", "--password-stdin", stdin="password-9\n")
        assert made.returncode == 0, made.stderr
        assert "bob" in ezchat(tmp_path, "users", "list").stdout
        login = {"username": "bob", "password": "password-9"}
        token = call(server.base, "POST", "/api/auth/login", login)["token"]
        assert ezchat(tmp_path, "users", "disable", "bob").returncode == 0
        wait_until(lambda: status_of(server.base, token) == 401, "the token still works")
        try:
            call(server.base, "POST", "/api/auth/login", login)
            raise AssertionError("a disabled user logged in")
        except AssertionError as exc:
            assert ": 403" in str(exc), exc
        assert ezchat(tmp_path, "users", "enable", "bob").returncode == 0
        token = call(server.base, "POST", "/api/auth/login", login)["token"]
        reset = ezchat(
            tmp_path, "users", "reset-password", "bob", "--password-stdin", stdin="password-10\n"
        )
        assert reset.returncode == 0, reset.stderr
        wait_until(lambda: status_of(server.base, token) == 401, "the token survived a reset")
        call(server.base, "POST", "/api/auth/login", {"username": "bob", "password": "password-10"})
        stats = ezchat(tmp_path, "stats")
        assert stats.returncode == 0 and "users: 1" in stats.stdout
        assert "notifications: open 0, sending 0, dead 0" in stats.stdout
        nobody = ezchat(tmp_path, "users", "disable", "nobody")
        assert nobody.returncode == 2 and "no user" in nobody.stderr
    finally:
        server.stop()


def test_errors_are_one_line_and_a_non_zero_exit(tmp_path):
    for args in (("restore", str(tmp_path / "missing.db")), ("stats",), ("users", "disable")):
        run = ezchat(tmp_path, *args)
        assert run.returncode == 2, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_migrate_on_mongodb_lists_then_applies(tmp_path, nx_server):
    env = {"STORAGE": "mongo", "MONGODB_URL": nx_server.url, "MONGODB_DB": f"m{time.time_ns()}"}
    dry = ezchat(tmp_path, "migrate", **env)
    assert dry.returncode == 0 and "pending: 1" in dry.stdout, dry.stderr
    applied = ezchat(tmp_path, "migrate", "--apply", **env)
    assert applied.returncode == 0 and "applying: 1" in applied.stdout, applied.stderr
    assert ezchat(tmp_path, "migrate", **env).stdout.strip() == "up to date"


def test_an_unusable_data_dir_is_one_line_and_exit_2_at_start_and_in_check_config(tmp_path):
    for args in ((), ("check-config",)):
        run = subprocess.run(
            [sys.executable, "main.py"] if not args else [sys.executable, "-m", "ezchat", *args],
            cwd=ROOT,
            env={**os.environ, "DATA_DIR": "/proc/nope", "PORT": "0", "LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2, (args, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "DATA_DIR" in lines[0], run.stderr
    bad_origin = ezchat(tmp_path, "check-config", ALLOWED_ORIGINS="foo")
    assert bad_origin.returncode == 2 and "ALLOWED_ORIGINS" in bad_origin.stderr


def test_commands_never_create_a_store_where_there_is_none(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    for args in (("users", "list"), ("users", "disable", "bob"), ("stats",), ("migrate",)):
        run = ezchat(elsewhere, *args)
        assert run.returncode == 2 and "no database" in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1
    assert not elsewhere.exists()  # no database, no secret key, no VAPID key


def test_a_password_without_a_terminal_is_asked_for_on_stdin(tmp_path):
    server = ServerProcess(tmp_path)
    try:
        server.wait_ready()
        run = ezchat(tmp_path, "users", "create", "carol")  # stdin is a pipe, not a terminal
        assert run.returncode == 2 and "--password-stdin" in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
    finally:
        server.stop()


def test_restore_refuses_what_is_not_an_ezchat_database_and_keeps_what_it_replaces(tmp_path):
    server = ServerProcess(tmp_path)
    server.wait_ready()
    _, token = register(server.base, "dave")
    server.stop()
    empty, other = tmp_path / "empty.db", tmp_path / "other.db"
    sqlite3.connect(empty).close()
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    for wrong in (empty, other):
        run = ezchat(tmp_path, "restore", str(wrong))
        assert run.returncode == 2 and "not an EZChat database" in run.stderr, run.stderr
    backup = tmp_path / "good.db"
    assert ezchat(tmp_path, "backup", str(backup)).returncode == 0
    run = ezchat(tmp_path, "restore", str(backup))
    assert run.returncode == 0, run.stderr
    [kept] = list(tmp_path.glob("ezchat.db.before-restore-*"))
    assert str(kept) in run.stdout
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT username FROM users").fetchall() == [("dave",)]


def test_a_backup_holds_the_uploaded_files_and_restore_puts_them_back(tmp_path):
    import urllib.request

    server = ServerProcess(tmp_path)
    server.wait_ready()
    _, token = register(server.base, "alice")

    def upload(data: bytes) -> dict:
        req = urllib.request.Request(
            f"{server.base}/api/files?name=a.bin",
            data=data,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-a"},
            method="POST",
        )
        import json

        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def download(file_id: str) -> bytes:
        req = urllib.request.Request(
            f"{server.base}/api/files/{file_id}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    kept = upload(b"in the backup")
    backup = tmp_path / "backups" / "b.db"
    run = ezchat(tmp_path, "backup", str(backup))
    assert run.returncode == 0 and "copied 1 uploaded files" in run.stdout, run.stdout
    assert (tmp_path / "backups" / "b.db.files").is_dir()
    server.stop()
    shutil_root = tmp_path / "files"
    for path in sorted(shutil_root.rglob("*"), reverse=True):  # the disk is lost
        path.unlink() if path.is_file() else path.rmdir()

    run = ezchat(tmp_path, "restore", str(backup))
    assert run.returncode == 0 and "restored 1 uploaded files" in run.stdout, run.stdout
    server = ServerProcess(tmp_path)
    try:
        server.wait_ready()
        assert download(kept["id"]) == b"in the backup"
    finally:
        server.stop()
