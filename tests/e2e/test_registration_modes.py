"""Registration modes (issue 28, item 2): open by default; with REGISTRATION=invite only a
server admin's code admits (used up, expired, made-up or missing codes are 403, and a code
used at once by more people than its uses admits only as many); closed: only admins (and the
CLI) make accounts."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Api


async def register(api: Api, name: str, **extra):
    body = {"username": name, "password": "password-1", **extra}
    return await api.call("POST", "/api/auth/register", body)


async def an_admin(running, api: Api) -> str:
    """An account made admin the way the CLI makes one (its store), logged in afresh."""
    made = await running.app.services.auth.register("root", "password-1")
    await running.app.services.access.set_admin(made[0].id, True)
    r = await api.call("POST", "/api/auth/login", {"username": "root", "password": "password-1"})
    assert r.status == 200 and r.body["user"]["role"] == "admin", r.body
    return r.body["token"]


@pytest.mark.gen_test(timeout=60)
async def test_with_invites_only_a_valid_code_admits(start_server):
    running = await start_server(registration="invite")
    api = Api(running.base)
    admin = await an_admin(running, api)
    r = await register(api, "ann")
    assert r.status == 403, r.body
    made = await api.call("POST", "/api/admin/invites", {"uses": 2}, token=admin)
    assert made.status == 201, made.body
    code = made.body["code"]
    assert made.body["url"].endswith(f"/?invite={code}") and made.body["invite"]["left"] == 2
    assert (await register(api, "ann", invite=code)).status == 201
    # A taken name does not use the code up.
    assert (await register(api, "ann", invite=code)).status == 409
    assert (await register(api, "ben", invite=code)).status == 201
    assert (await register(api, "cat", invite=code)).status == 403  # used up
    assert (await register(api, "cat", invite="ezi_" + "x" * 24)).status == 403
    assert (await register(api, "cat", invite="nonsense")).status == 403
    # More people at once than the code has uses: only as many get in.
    many = await api.call("POST", "/api/admin/invites", {"uses": 3}, token=admin)
    answers = await asyncio.gather(
        *(register(api, f"rush{i}", invite=many.body["code"]) for i in range(10))
    )
    assert sorted(a.status for a in answers) == [201] * 3 + [403] * 7
    listed = await api.call("GET", "/api/admin/invites", token=admin)
    assert [i["left"] for i in listed.body["invites"]] == [0, 0]
    gone = listed.body["invites"][0]["id"]
    assert (await api.call("DELETE", f"/api/admin/invites/{gone}", token=admin)).status == 204
    assert (await api.call("DELETE", f"/api/admin/invites/{gone}", token=admin)).status == 404
    ann = {"username": "ann", "password": "password-1"}
    user = (await api.call("POST", "/api/auth/login", ann)).body["token"]
    assert (await api.call("POST", "/api/admin/invites", {}, token=user)).status == 403
    for bad in ({"uses": 0}, {"uses": 5000}, {"expires_in": 5}, {"uses": "two"}):
        r = await api.call("POST", "/api/admin/invites", bad, token=admin)
        assert r.status == 400, (bad, r.body)


@pytest.mark.gen_test(timeout=60)
async def test_an_expired_code_admits_nobody(start_server):
    running = await start_server(registration="invite")
    api = Api(running.base)
    admin = await an_admin(running, api)
    made = await api.call("POST", "/api/admin/invites", {"expires_in": 60}, token=admin)
    stored = running.app.services.stores.invites
    (invite,) = await stored.all()
    assert await stored.use(invite.code_hash, now=invite.expires_at + 1) is None
    assert (await register(api, "ann", invite=made.body["code"])).status == 201  # not yet


@pytest.mark.gen_test(timeout=60)
async def test_closed_registration_leaves_accounts_to_admins(start_server):
    running = await start_server(registration="closed")
    api = Api(running.base)
    assert (await register(api, "ann")).status == 403
    admin = await an_admin(running, api)
    r = await api.call("POST", "/api/admin/users",
                       {"username": "ann", "password": "password-1"}, token=admin)  # fmt: skip
    assert r.status == 201 and r.body["username"] == "ann" and r.body["role"] == "user", r.body
    login = await api.call("POST", "/api/auth/login", {"username": "ann", "password": "password-1"})
    assert login.status == 200
    user = login.body["token"]
    again = await api.call("POST", "/api/admin/users",
                           {"username": "bob", "password": "password-1"}, token=user)  # fmt: skip
    assert again.status == 403


@pytest.mark.gen_test(timeout=30)
async def test_registration_is_open_by_default(api):
    assert (await register(api, "ann")).status == 201
