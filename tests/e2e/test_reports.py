"""Reports (issue 28, item 6) on SQLite and nx-27017: a member reports a message (once), may
block its sender in the same step; admins list open reports with the text as reported (an edit
since does not change it) and resolve them by dismissing, deleting the message (not being a
member) or disabling its sender; non-members get 404, non-admins 403."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_registration_modes import an_admin
from tests.e2e.test_threads import register, send, storage_overrides


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_members_report_and_admins_resolve(request, start_server, storage):
    running = await start_server(**storage_overrides(request, storage, "rep"))
    api = Api(running.base)
    admin = await an_admin(running, api)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    _, d = await register(api, "dan")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id]},
                           token=a)).body["id"]  # fmt: skip
    rude = await send(api, team, b, "r1", "something rude")
    spam = await send(api, team, b, "r2", "buy now")
    path = f"/api/conversations/{team}/messages/{rude['id']}/report"
    r = await api.call("POST", path, {"reason": "rude to me", "category": "harassment"}, token=a)
    assert r.status == 201, r.body
    report = r.body["report"]
    assert (report["text"], report["status"], report["sender_id"]) == ("something rude", "open",
                                                                      b_id)  # fmt: skip
    again = await api.call("POST", path, {"reason": "still rude"}, token=a)
    assert again.status == 200 and again.body["report"]["id"] == report["id"]
    # Edited since: the report keeps what was reported.
    await api.call("PATCH", f"/api/conversations/{team}/messages/{rude['id']}",
                   {"text": "something nice"}, token=b)  # fmt: skip

    async def status(method, p, body=None, token=a):
        return (await api.call(method, p, body, token=token)).status

    assert await status("POST", path, {"reason": "x"}, token=d) == 404  # not a member
    assert await status("POST", path, {"reason": ""}) == 400
    assert await status("POST", path, {"reason": "x", "category": "bad"}) == 400
    own = f"/api/conversations/{team}/messages/{rude['id']}/report"
    assert await status("POST", own, {"reason": "me"}, token=b) == 400
    assert await status("GET", "/api/admin/reports", token=a) == 403

    listed = await api.call("GET", "/api/admin/reports?status=open", token=admin)
    assert [x["id"] for x in listed.body["reports"]] == [report["id"]]
    assert listed.body["reports"][0]["text"] == "something rude"
    resolve = f"/api/admin/reports/{report['id']}/resolve"
    assert await status("POST", resolve, {"action": "ban"}, token=admin) == 400
    done = await api.call("POST", resolve, {"action": "delete_message"}, token=admin)
    assert done.status == 200 and done.body["report"]["action"] == "delete_message", done.body
    history = (await api.call("GET", f"/api/conversations/{team}/messages", token=a)).body
    assert {m["id"]: m["deleted"] for m in history["messages"]}[rude["id"]] is True
    assert await status("POST", resolve, {"action": "dismiss"}, token=admin) == 409

    # Reporting and blocking at once; then the sender disabled.
    spam_path = f"/api/conversations/{team}/messages/{spam['id']}/report"
    r = await api.call("POST", spam_path, {"reason": "spam", "block": True}, token=a)
    assert r.status == 201
    contacts = (await api.call("GET", "/api/contacts", token=a)).body["contacts"]
    assert [(c["user"]["id"], c["state"]) for c in contacts] == [(b_id, "blocked")]
    done = await api.call("POST", f"/api/admin/reports/{r.body['report']['id']}/resolve",
                          {"action": "disable_user"}, token=admin)  # fmt: skip
    assert done.status == 200
    assert await status("GET", "/api/users/me", token=b) == 401
    resolved = await api.call("GET", "/api/admin/reports?status=resolved", token=admin)
    assert len(resolved.body["reports"]) == 2
    assert await status("GET", "/api/admin/reports?status=nope", token=admin) == 400
    log = (await api.call("GET", "/api/admin/audit?action=report.resolve", token=admin)).body
    assert len(log["entries"]) == 2
