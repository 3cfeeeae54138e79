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
