"""Forwarding (issue 27, item 6): a message the sender can read is copied, text and files,
into a conversation they are in, with where it came from (ids only); over REST and
``message.send``; on SQLite and nx-27017."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_files import fetch, upload
from tests.e2e.wsclient import Ws


async def register(api: Api, name: str) -> tuple[str, str]:
    r = await api.call("POST", "/api/auth/register", {"username": name, "password": "password-1"})
    return r.body["user"]["id"], r.body["token"]


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_a_forward_copies_text_and_files_and_names_its_source(request, start_server, storage):
    overrides = {}
    if storage == "mongo":
        url = request.getfixturevalue("mongo_urls")["nx"]
        overrides = {"storage": "mongo", "mongodb_url": url, "mongodb_db": f"fw{id(request)}"}
    running = await start_server(**overrides)
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    c_id, c = await register(api, "cat")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id]},
                           token=a)).body["id"]  # fmt: skip
    with_cat = (await api.call("POST", "/api/conversations", {"type": "direct", "user_id": c_id},
                               token=b)).body["id"]  # fmt: skip
    made = await upload(api, a, b"report bytes", "report.txt", "text/plain")
    assert made.status == 201, made.body
    source = await api.call(
        "POST", f"/api/conversations/{team}/messages",
        {"client_id": "s1", "text": "the report", "attachments": [{"file_id": made.body["id"]}]},
        token=a,
    )  # fmt: skip
    assert source.status == 201, source.body
    # Cat cannot read the file yet: it was never in a conversation of hers.
    file_path = source.body["attachments"][0]["url"]
    assert (await fetch(api, file_path, c)).code == 404

    ws = await Ws.connect(running.ws_base, c, header=True)
    of = {"conversation_id": team, "message_id": source.body["id"]}
    fwd = await api.call(
        "POST", f"/api/conversations/{with_cat}/messages",
        {"client_id": "f1", "forward_of": of}, token=b,
    )  # fmt: skip
    assert fwd.status == 201, fwd.body
    m = fwd.body
    assert m["text"] == "the report" and m["sender_id"] == b_id
    assert [x["file_id"] for x in m["attachments"]] == [made.body["id"]]
    assert m["forwarded_from"] == {
        "conversation_id": team,
        "message_id": source.body["id"],
        "sender_id": a_id,
    }
    heard = await ws.expect("message.new")
    assert heard["payload"]["message"]["forwarded_from"] == m["forwarded_from"]
    # Now in a conversation of hers, the file reads.
    fetched = await fetch(api, heard["payload"]["message"]["attachments"][0]["url"], c)
    assert fetched.code == 200 and fetched.body == b"report bytes"

    # Over the socket too, and into the same conversation.
    reply = await ws.request(
        "message.send",
        {"conversation_id": with_cat, "client_id": "f2",
         "forward_of": {"conversation_id": with_cat, "message_id": m["id"]}},
    )  # fmt: skip
    assert reply["type"] == "ack", reply
    assert reply["payload"]["message"]["forwarded_from"]["sender_id"] == b_id

    async def refused(body, token):
        r = await api.call("POST", f"/api/conversations/{with_cat}/messages", body, token=token)
        return r.status, (r.body or {}).get("error", {}).get("field")

    assert await refused({"client_id": "x1", "forward_of": of}, c) == (404, None)  # not hers
    assert await refused({"client_id": "x2", "text": "and", "forward_of": of}, b) == (
        400,
        "forward_of",
    )
    missing = {"conversation_id": team, "message_id": "nope"}
    assert (await refused({"client_id": "x3", "forward_of": missing}, b))[0] == 404
    assert (await refused({"client_id": "x4", "forward_of": {"conversation_id": team}}, b))[
        0
    ] == 400
    assert (await refused({"client_id": "x5", "forward_of": "team"}, b))[0] == 400
    await api.call("DELETE", f"/api/conversations/{team}/messages/{source.body['id']}", token=a)
    assert (await refused({"client_id": "x6", "forward_of": of}, b))[0] == 409
    plain = await api.call(
        "POST", f"/api/conversations/{with_cat}/messages", {"client_id": "p", "text": "hi"}, token=b
    )
    assert plain.body["forwarded_from"] is None
    api.http.close()
