"""The pure parts of files: kept names, signed links, byte ranges, type sniffing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ezchat.adapters.files.images import sniff
from ezchat.domain.errors import InvalidRequest
from ezchat.domain.files import FileLinks, file_name
from ezchat.entry.filelinks import LinkSigner
from ezchat.entry.ranges import Unsatisfiable, byte_range
from tests.support import FakeClock


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("  .hidden ", "hidden"),
        ("e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"),  # NFC
        ("x" * 300 + ".tar.gz", "x" * 252 + ".gz"),
    ],
)
def test_a_name_keeps_only_its_base_name_in_clean_text(given, kept):
    assert file_name(given) == kept


@pytest.mark.parametrize("bad", [None, "", "/", "..", "a/", "\ud800.txt", "\x00\x01"])
def test_names_that_are_nothing_or_not_text_are_refused(bad):
    with pytest.raises(InvalidRequest) as e:
        file_name(bad)
    assert e.value.field == "name"


@given(st.text(max_size=400))
def test_any_name_is_refused_or_kept_short_and_without_separators(name):
    try:
        kept = file_name(name)
    except InvalidRequest:
        return
    assert 0 < len(kept) <= 255 and "/" not in kept and "\\" not in kept
    assert kept.encode("utf-8") and all(ord(c) >= 32 for c in kept)


def test_a_link_opens_its_file_for_its_user_until_it_expires():
    links = FileLinks(b"k", ttl_s=3600)
    now = 1_000_000.0
    q = dict(p.split("=", 1) for p in links.query("f1", "alice", now).split("&"))
    assert now + 2700 <= int(q["exp"]) <= now + 3600
    assert links.user_of("f1", q["exp"], q["sig"], now) == "alice"
    assert links.user_of("f2", q["exp"], q["sig"], now) is None  # another file
    assert links.user_of("f1", q["exp"], q["sig"].replace("alice", "bob"), now) is None
    assert links.user_of("f1", str(int(q["exp"]) + 1), q["sig"], now) is None
    assert links.user_of("f1", q["exp"], q["sig"], int(q["exp"]) + 1) is None
    assert FileLinks(b"other", 3600).user_of("f1", q["exp"], q["sig"], now) is None
    assert links.query("f1", "alice", now + 1) == links.query("f1", "alice", now)  # cacheable


@given(st.text(max_size=30), st.text(max_size=300))
def test_no_made_up_link_opens_anything(exp, sig):
    assert FileLinks(b"k", 3600).user_of("f1", exp, sig, 0.0) is None


def test_file_paths_in_json_are_signed_for_the_reader_and_nothing_else_is():
    clock = FakeClock()
    signer = LinkSigner(FileLinks(b"k", 3600), clock)
    fid = "a" * 32
    text = (
        f'{{"text":"\\"url\\":\\"/api/files/{fid}\\"","url":"/api/files/{fid}",'
        f'"thumbnail_url":"/api/files/{fid}/thumbnail"}}'
    )
    out = signer.text(text, "bob")
    assert out.count("sig=bob.") == 2
    assert f'"text":"\\"url\\":\\"/api/files/{fid}\\""' in out  # what a user wrote is kept
    assert signer.text('{"url":"https://x/y"}', "bob") == '{"url":"https://x/y"}'


@pytest.mark.parametrize(
    ("header", "span"),
    [
        (None, None),
        ("bytes=0-9", (0, 10)),
        ("bytes=90-", (90, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-500", (0, 100)),
        ("bytes=95-200", (95, 100)),
        ("bytes=9-3", None),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_byte_ranges(header, span):
    assert byte_range(header, 100) == span


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=150-160", "bytes=-0"])
def test_ranges_past_the_end_cannot_be_met(header):
    with pytest.raises(Unsatisfiable):
        byte_range(header, 100)


@given(st.text(max_size=40), st.integers(0, 10**6))
def test_any_range_header_is_a_span_inside_the_file_or_refused(header, size):
    try:
        span = byte_range(header, size)
    except Unsatisfiable:
        return
    if span is not None:
        start, end = span
        assert 0 <= start < end <= size


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "text/plain"),
        ("caf\u00e9 ".encode() * 10 + "\u00e9".encode()[:1], "text/plain"),
        (b"\x00\x01\x02\xff", "application/octet-stream"),
        (b"", "text/plain"),
    ],
)
def test_the_type_is_what_the_bytes_say(head, kind):
    assert sniff(head) == kind
