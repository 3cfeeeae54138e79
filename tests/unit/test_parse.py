"""The parsing layer, property-based: any text is either a JSON object whose every string is
text, or an ``InvalidRequest`` naming what is wrong; nothing else ever escapes it."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.domain.errors import InvalidRequest
from ezchat.entry import parse

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None)
texts = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=20)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=15,
)


@SETTINGS
@given(value=values)
def test_any_json_parses_to_text_only_fields_or_a_named_refusal(value):
    raw = json.dumps(value)
    try:
        fields = parse.json_object(raw)
    except InvalidRequest as exc:
        assert exc.message
        return
    # Accepted: every string in it encodes as UTF-8.
    json.dumps(fields.data, ensure_ascii=False).encode("utf-8")


@SETTINGS
@given(raw=st.binary(max_size=200) | texts.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_parse_or_are_refused(raw):
    try:
        fields = parse.json_object(raw)
    except InvalidRequest as exc:
        assert exc.code == "invalid_request" and exc.message
    else:
        assert isinstance(fields.data, dict)


@SETTINGS
@given(value=values, key=st.sampled_from(["a", "b"]))
def test_every_typed_accessor_answers_or_refuses_naming_the_field(value, key):
    fields = parse.Fields({"a": value}, prefix="payload.")
    for read in (
        lambda: fields.text(key),
        lambda: fields.optional_text(key),
        lambda: fields.patch_text(key),
        lambda: fields.patch_nullable_text(key),
        lambda: fields.integer(key),
        lambda: fields.optional_integer(key),
        lambda: fields.optional_bool(key),
        lambda: fields.text_list(key),
        lambda: fields.object(key),
        lambda: fields.attachments(key),
    ):
        try:
            read()
        except InvalidRequest as exc:
            assert exc.field is not None and exc.field.startswith("payload.")


def test_deep_nesting_is_refused_not_a_crash():
    for raw in ("[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        with pytest.raises(InvalidRequest):
            parse.json_object(raw)


def test_a_surrogate_pair_written_as_escapes_is_one_character_and_accepted():
    fields = parse.json_object('{"emoji": "\\ud83d\\ude00"}')
    assert fields.text("emoji") == "😀"


@given(
    st.sampled_from(["token", "ticket", "access_token", "password", "q", "endpoint"]),
    st.lists(st.booleans(), min_size=12, max_size=12),
    st.booleans(),
)
@settings(derandomize=True, database=None)
def test_a_secret_parameter_is_redacted_however_its_name_is_written(name, encode, upper):
    from ezchat.entry.logs import redact

    written = "".join(
        (f"%{ord(c):02X}" if enc else c.upper() if upper else c)
        for c, enc in zip(name, encode, strict=False)
    )
    uri = f"/ws?a=1&{written}=SECRET-VALUE&b=2"
    out = redact(uri)
    assert "SECRET-VALUE" not in out, (uri, out)
    assert out.startswith("/ws?a=1&") and out.endswith("&b=2")
