"""The notification's JSON, for any text and names the rules allow: valid UTF-8 JSON that fits a
Web Push message, with the preview cut at 200 characters and never inside a character."""

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.adapters.notify.http import MAX_PAYLOAD_BYTES, payload
from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation, ConversationType, User
from ezchat.domain.notify import Notice

T = datetime(2026, 11, 27, tzinfo=UTC)
# Any character but a lone surrogate (the edge refuses those), astral ones included.
CHARS = st.characters(exclude_categories=["Cs"])
NAME = st.text(CHARS, min_size=1, max_size=64)


def notice(text: str, display_name: str, group_name: str | None) -> Notice:
    conv = Conversation(
        id="c" * 32,
        type=ConversationType.GROUP if group_name else ConversationType.DIRECT,
        created_by="u" * 32,
        created_at=T,
        last_activity=T,
        name=group_name,
        members=(),
    )
    message = Message(
        id="m" * 32,
        conversation_id=conv.id,
        seq=2**40,
        rev=2**40,
        client_id="k",
        sender_id="s" * 32,
        text=text,
        created_at=T,
    )
    sender = User(id="s" * 32, username="x" * 32, display_name=display_name, created_at=T)
    return Notice(
        id="m" * 32 + ".999",
        user_id="u" * 32,
        conversation=conv,
        count=10**6,
        mentioned=True,
        message=message,
        sender=sender,
    )


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(CHARS, max_size=4000),
    display_name=NAME,
    group_name=st.none() | st.text(CHARS, min_size=1, max_size=100),
)
def test_the_payload_fits_a_push_message_and_previews_the_text(text, display_name, group_name):
    raw = payload(notice(text, display_name, group_name), T)
    assert len(raw) <= MAX_PAYLOAD_BYTES
    body = json.loads(raw.decode("utf-8"))
    preview = body["preview"]
    assert len(preview) <= 200
    if len(text) <= 200:
        assert preview == text
    else:
        assert preview == text[:199] + "\u2026"
    assert body["sender"]["display_name"] == display_name
    assert body["conversation_name"] == group_name


def test_the_largest_names_and_widest_characters_still_fit():
    widest = "\U0001f600"  # 4 bytes in UTF-8, 12 as JSON escapes
    raw = payload(notice(widest * 4000, widest * 64, widest * 100), T)
    assert len(raw) <= MAX_PAYLOAD_BYTES
