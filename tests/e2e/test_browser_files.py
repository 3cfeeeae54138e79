"""Files in the web client, in real browsers: attach with the button, paste an image, drop a
file; the upload's progress; the other side sees the image as a thumbnail that opens full
size, other files as a chip with name and size, and attachment-only messages as messages."""

from __future__ import annotations

import base64
import io

import playwright.sync_api as playwright
import pytest
from PIL import Image

from tests.e2e.processes import ServerProcess
from tests.e2e.test_browser import WAIT_MS, browser, sign_up  # noqa: F401 - the fixture

__all__ = ["browser"]


def png_bytes(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def open_direct(page, other: str) -> None:
    page.get_by_test_id("new-direct-username").fill(other)
    page.get_by_test_id("new-direct-submit").click()


@pytest.mark.parametrize(
    "size",
    [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_people_share_images_and_files(browser, tmp_path, size):  # noqa: F811 - the fixture
    server = ServerProcess(tmp_path)
    server.wait_ready()
    try:
        alice = browser.new_context(viewport=size).new_page()
        bob = browser.new_context(viewport=size).new_page()
        sign_up(alice, server.base, "alice")
        sign_up(bob, server.base, "bob")
        open_direct(alice, "bob")

        # The button: an image and a text file, sent as one message without text.
        alice.get_by_test_id("attach-input").set_input_files(
            [
                {
                    "name": "red.png",
                    "mimeType": "image/png",
                    "buffer": png_bytes((900, 600), (220, 20, 20)),
                },
                {
                    "name": "notes.txt",
                    "mimeType": "text/plain",
                    "buffer": b"remember the milk\n" * 100,
                },
            ]
        )
        staged = alice.get_by_test_id("staged-file")
        playwright.expect(staged).to_have_count(2, timeout=WAIT_MS)
        playwright.expect(alice.locator("#staged li.uploaded")).to_have_count(2, timeout=WAIT_MS)
        assert alice.get_by_test_id("upload-progress").first.evaluate("e => e.value") == 1
        alice.get_by_test_id("message-send").click()
        playwright.expect(staged).to_have_count(0, timeout=WAIT_MS)

        # Bob, before opening the conversation: its entry says what came.
        item = bob.get_by_test_id("conversation-item")
        playwright.expect(item).to_contain_text("📎 red.png +1", timeout=WAIT_MS)
        item.click()
        image = bob.locator('[data-testid="attachment"][data-kind="image"]')
        playwright.expect(image).to_have_count(1, timeout=WAIT_MS)
        thumb = image.locator("img")
        bob.wait_for_function(
            "img => img.complete && img.naturalWidth > 0",
            arg=thumb.element_handle(),
            timeout=WAIT_MS,
        )
        assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 213]
        full = bob.request.get(image.get_attribute("href"))  # the signed link alone opens it
        assert full.status == 200 and full.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(full.body())).size == (900, 600)
        chip = bob.locator('[data-testid="attachment"][data-kind="file"]')
        playwright.expect(chip).to_contain_text("notes.txt")
        playwright.expect(chip).to_contain_text("1.8 KB")
        message = bob.get_by_test_id("message").filter(has=image)
        assert message.bounding_box()["height"] > 100, "an attachment-only message is not empty"

        # Pasting an image into the composer, and dropping a file on the conversation.
        pasted = base64.b64encode(png_bytes((40, 40), (0, 120, 0))).decode()
        bob.get_by_test_id("message-input").evaluate(
            """(input, data) => {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                const dt = new DataTransfer();
                dt.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
                const paste = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true });
                input.dispatchEvent(paste);
            }""",
            pasted,
        )
        bob.locator("#conversation").evaluate(
            """(area) => {
                const dt = new DataTransfer();
                dt.items.add(new File(["dropped text"], "dropped.txt", { type: "text/plain" }));
                const drop = { dataTransfer: dt, bubbles: true, cancelable: true };
                area.dispatchEvent(new DragEvent("drop", drop));
            }"""
        )
        playwright.expect(bob.locator("#staged li.uploaded")).to_have_count(2, timeout=WAIT_MS)
        bob.get_by_test_id("message-input").fill("from my side")
        bob.get_by_test_id("message-send").click()
        mine = alice.get_by_test_id("message").filter(has_text="from my side")
        playwright.expect(
            mine.locator('[data-testid="attachment"][data-kind="image"]')
        ).to_have_count(1, timeout=WAIT_MS)
        playwright.expect(
            mine.locator('[data-testid="attachment"][data-kind="file"]')
        ).to_contain_text("dropped.txt")

        # A reload: the images come back from history with fresh links.
        alice.reload()  # back in the open conversation (its id is in the address)
        playwright.expect(
            alice.locator('[data-testid="attachment"][data-kind="image"]')
        ).to_have_count(2, timeout=WAIT_MS)
        for page in (alice, bob):
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        server.stop()
