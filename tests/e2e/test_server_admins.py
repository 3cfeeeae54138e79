"""Server admins (issue 28, item 1): made and unmade with the CLI while the server runs (their
tokens stop at once, the next login carries the role), and /api/admin for them alone: every
account listed with its state, paged; disabling (every token stops) and enabling; an admin
cannot disable themselves; others get 403."""

from __future__ import annotations

import pytest

from tests.e2e.processes import ServerProcess, call, register
from tests.e2e.test_admin import ezchat, status_of, wait_until


def status(base: str, method: str, path: str, token: str, body=None) -> int:
    try:
        call(base, method, path, body, token=token)
        return 200
    except AssertionError as exc:
        return int(str(exc).split(":")[1].split()[0])


def login(base: str, name: str) -> dict:
    return call(base, "POST", "/api/auth/login", {"username": name, "password": "password-1"})


@pytest.fixture
def server(tmp_path):
    s = ServerProcess(tmp_path, REVOCATION_POLL_S="0.2")
    s.wait_ready()
    yield s
    s.stop()


def test_admins_are_made_by_the_cli_and_alone_manage_accounts(server, tmp_path):
    base = server.base
    ann, old = register(base, "ann")
    ben, tb = register(base, "ben")
    register(base, "cat")
    assert call(base, "GET", "/api/users/me", token=tb)["role"] == "user"
    assert status(base, "GET", "/api/admin/users", old) == 403
    promoted = ezchat(tmp_path, "users", "promote", "ann")
    assert promoted.returncode == 0, promoted.stderr
    wait_until(lambda: status_of(base, old) == 401, "the old token still works")
    session = login(base, "ann")
    ta = session["token"]
    assert session["user"]["role"] == "admin"
    assert "admin" in ezchat(tmp_path, "users", "list").stdout

    listed = call(base, "GET", "/api/admin/users", token=ta)
    assert [u["username"] for u in listed["users"]] == ["ann", "ben", "cat"]
    assert all(u["disabled"] is False for u in listed["users"])
    first = call(base, "GET", "/api/admin/users?limit=2", token=ta)
    assert [u["username"] for u in first["users"]] == ["ann", "ben"] and first["next_cursor"]
    rest = call(base, "GET", f"/api/admin/users?limit=2&cursor={first['next_cursor']}", token=ta)
    assert [u["username"] for u in rest["users"]] == ["cat"] and rest["next_cursor"] is None
    found = call(base, "GET", "/api/admin/users?q=be", token=ta)
    assert [u["username"] for u in found["users"]] == ["ben"]

    # Disabling stops every token of the account at once, and its logins.
    off = call(base, "POST", f"/api/admin/users/{ben['id']}/disable", token=ta)
    assert off["disabled"] is True
    wait_until(lambda: status_of(base, tb) == 401, "a disabled user's token still works")
    credentials = {"username": "ben", "password": "password-1"}
    assert status(base, "POST", "/api/auth/login", "", credentials) == 403
    on = call(base, "POST", f"/api/admin/users/{ben['id']}/enable", token=ta)
    assert on["disabled"] is False
    tb = login(base, "ben")["token"]
    assert status(base, "POST", f"/api/admin/users/{ann['id']}/disable", tb) == 403  # not an admin
    assert status(base, "GET", "/api/admin/users", tb) == 403
    assert status(base, "POST", f"/api/admin/users/{ann['id']}/disable", ta) == 409  # herself
    assert status(base, "POST", "/api/admin/users/nobody/disable", ta) == 404
    assert status(base, "GET", "/api/admin/users?cursor=forged", ta) == 400

    # Demoted: the tokens stop, and the next session has no admin rights.
    assert ezchat(tmp_path, "users", "demote", "ann").returncode == 0
    wait_until(lambda: status_of(base, ta) == 401, "a demoted admin's token still works")
    again = login(base, "ann")
    assert again["user"]["role"] == "user"
    assert status(base, "GET", "/api/admin/users", again["token"]) == 403
    assert ezchat(tmp_path, "users", "promote", "nobody").returncode != 0


def test_what_admins_the_cli_and_apps_change_is_in_the_audit_log(server, tmp_path):
    base = server.base
    _, old = register(base, "ann")
    ben, _ = register(base, "ben")
    assert ezchat(tmp_path, "users", "promote", "ann").returncode == 0
    # Each process hears of the change with the revocation (REVOCATION_POLL_S): until then a
    # new session may still be served the role from before (the safe way round for a promotion).
    wait_until(lambda: status_of(base, old) == 401, "the old token still works")
    ta = login(base, "ann")["token"]
    call(base, "POST", f"/api/admin/users/{ben['id']}/disable", token=ta)
    try:  # a disabled account's login: refused, and written down
        login(base, "ben")
    except AssertionError as exc:
        assert ": 403" in str(exc)
    made = call(base, "POST", "/api/admin/invites", {"uses": 1}, token=ta)
    key = ezchat(tmp_path, "keys", "create", "backend")
    assert key.returncode == 0, key.stderr
    server_key = key.stdout.splitlines()[0].strip()
    hook = call_with_key(base, server_key, "POST", "/api/server/webhooks",
                         {"url": "http://127.0.0.1:9/hook", "events": ["*"]})  # fmt: skip
    call_with_key(base, server_key, "DELETE", f"/api/server/webhooks/{hook['id']}")

    log = call(base, "GET", "/api/admin/audit?limit=100", token=ta)["entries"]
    seen = [(e["actor"], e["action"], e["target"]) for e in log]
    ann_id = call(base, "GET", "/api/users/me", token=ta)["id"]
    for expected in [
        ("cli", "user.promote", ann_id),
        (ann_id, "user.disable", ben["id"]),
        (ben["id"], "login.refused", ben["id"]),
        (ann_id, "invite.create", made["invite"]["id"]),
        ("cli", "key.create", "backend"),
        ("app", "webhook.create", hook["id"]),
        ("app", "webhook.remove", hook["id"]),
    ]:
        assert expected in seen, (expected, seen)
    assert seen[0] == ("app", "webhook.remove", hook["id"])  # newest first
    by_admin = {e["action"]: e for e in log if e["actor"] == ann_id}
    assert all(e["request_id"] for e in by_admin.values())  # each with its request's id
    only = call(base, "GET", "/api/admin/audit?action=user.disable", token=ta)["entries"]
    assert [e["target"] for e in only] == [ben["id"]]
    paged = call(base, "GET", "/api/admin/audit?limit=2", token=ta)
    more = call(base, "GET", f"/api/admin/audit?limit=100&cursor={paged['next_cursor']}", token=ta)
    assert [e["id"] for e in paged["entries"] + more["entries"]] == [e["id"] for e in log]
    printed = ezchat(tmp_path, "audit", "--action", "user.promote").stdout
    assert "cli\tuser.promote" in printed
    tb = register(base, "cat")[1]
    assert status(base, "GET", "/api/admin/audit", tb) == 403


def call_with_key(base: str, key: str, method: str, path: str, body=None):
    import json
    import urllib.request

    req = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")
