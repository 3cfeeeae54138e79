"""Input no store or client can hold (lone surrogates, huge numbers) is refused at the edge with
the contract's error, naming the field, and never hurts another user."""

import json

import pytest

from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test

LONE = "\ud800"


def raw(body: dict) -> bytes:
    """JSON as a hostile client writes it: lone surrogates as escapes (valid JSON)."""
    return json.dumps(body).encode()


async def test_a_stranger_cannot_poison_a_victims_conversations_with_a_lone_surrogate(running, api):
    victim, victim_token = await api.register("victim")
    _, stranger_token = await api.register("stranger")
    cid = await api.direct(stranger_token, victim["id"])
    sent = await api.call(
        "POST",
        f"/api/conversations/{cid}/messages",
        {"client_id": "c1", "text": "hi"},
        token=victim_token,
    )
    mid = sent.body["id"]
    ws = await Ws.connect(running.ws_base, stranger_token)
    reply = await ws.request(
        "reaction.add", {"conversation_id": cid, "message_id": mid, "emoji": LONE}
    )
    assert reply["type"] == "error" and reply["payload"]["code"] == "invalid_request"
    assert reply["payload"]["field"] == "payload.emoji"
    attach = {"url": "https://x.example/a", "name": "a" + LONE, "mime_type": "t/p", "size": 1}
    r = await api.call(
        "POST",
        f"/api/conversations/{cid}/messages",
        raw=raw({"client_id": "c2", "text": "x", "attachments": [attach]}),
        token=stranger_token,
    )
    assert (r.status, r.error, r.body["error"]["field"]) == (
        400,
        "invalid_request",
        "attachments[0].name",
    )
    # The victim's every read still works.
    for path in (
        "/api/conversations",
        f"/api/conversations/{cid}",
        f"/api/conversations/{cid}/messages",
        "/api/search?q=hi",
    ):
        assert (await api.call("GET", path, token=victim_token)).status == 200, path
    victim_ws = await Ws.connect(running.ws_base, victim_token)
    synced = await victim_ws.request("sync", {"conversations": {cid: 0}})
    assert synced["type"] == "ack"
    assert [m["text"] for m in synced["payload"]["conversations"][cid]["messages"]] == ["hi"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/api/auth/register",
            {"username": "eve", "password": "pass" + LONE + "word"},
            "password",
        ),
        (
            "POST",
            "/api/auth/register",
            {"username": "eve", "password": "password-1", "display_name": LONE},
            "display_name",
        ),
        ("POST", "/api/auth/login", {"username": "e" + LONE, "password": "password-1"}, "username"),
        ("PATCH", "/api/users/me", {"display_name": "x" + LONE}, "display_name"),
        ("POST", "/api/contacts", {"user_id": LONE}, "user_id"),
        ("POST", "/api/conversations", {"type": "group", "name": LONE, "member_ids": []}, "name"),
        (
            "POST",
            "/api/conversations",
            {"type": "group", "name": "g", "member_ids": ["a", LONE]},
            "member_ids[1]",
        ),
        ("POST", "/api/conversations", {"type": "group", "name": "g", LONE: 1}, "\\ud800"),
    ],
)
async def test_every_body_field_refuses_a_lone_surrogate_by_name(api, method, path, body, field):
    _, token = await api.register("alice")
    r = await api.call(method, path, raw=raw(body), token=token)
    assert r.status == 400 and r.error == "invalid_request", r.body
    assert r.body["error"]["field"] == field


@pytest.mark.parametrize(
    "path",
    [
        "/api/users?q=%ED%A0%80",
        "/api/search?q=a%ED%A0%80",
        "/api/users/%ED%A0%80",
        "/api/conversations/%ED%A0%80",
    ],
)
async def test_query_and_path_values_that_are_not_utf8_text_get_400(api, path):
    _, token = await api.register("alice")
    r = await api.call("GET", path, token=token)
    assert r.status == 400 and r.error == "invalid_request", r.body


async def test_a_frame_whose_id_holds_a_lone_surrogate_gets_an_error_and_the_socket_lives(
    running, api
):
    _, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)
    ws.send_raw(json.dumps({"type": "ping", "id": "x" + LONE, "payload": {}}))
    err = await ws.expect("error")
    assert err["payload"]["code"] == "invalid_request" and err["payload"]["field"] == "id"
    ws.send_raw(json.dumps({"type": "ping", "id": 10**400, "payload": {}}))
    err = await ws.expect("error")
    assert err["payload"]["field"] == "id"
    # A surrogate elsewhere: the error carries the frame's id.
    reply = await ws.request("sync", {"conversations": {LONE: 0}})
    assert reply["type"] == "error" and reply["payload"]["code"] == "invalid_request"
    assert reply["payload"]["field"] == "payload.conversations.\\ud800"
    await ws.barrier()
