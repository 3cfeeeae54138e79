"""People in the web client, at desktop width and at 390 px: a group renamed, a member made
admin, leaving; a contact blocked; a password changed and every session signed out; and
"jump to latest" after scrolling up."""

from __future__ import annotations

import playwright.sync_api as playwright
import pytest

from tests.e2e.processes import ServerProcess, call, new_group, post, register
from tests.e2e.test_browser import WAIT_MS, browser  # noqa: F401 - the fixture
from tests.e2e.test_browser_daily import DESKTOP, PHONE, item_of, log_in, to_list

__all__ = ["browser"]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_groups_contacts_and_ones_own_account(browser, tmp_path, size):  # noqa: F811
    server = ServerProcess(tmp_path, MESSAGE_RATE_PER_SEC="1000", MESSAGE_BURST="1000")
    server.wait_ready()
    try:
        base = server.base
        _, ta = register(base, "alice")
        bob, tb = register(base, "bobby")
        cid = new_group(base, ta, bob, name="first name")
        for i in range(80):
            post(base, ta, cid, f"m{i}", f"filler {i}")
        a = browser.new_context(viewport=size).new_page()
        b = browser.new_context(viewport=size).new_page()
        for page in (a, b):
            page.on("dialog", lambda d: d.accept())
        log_in(a, base, "alice")
        log_in(b, base, "bobby")

        # Scrolled up, "jump to latest" shows and takes the reader back down.
        item_of(a, "first name").click()
        playwright.expect(a.get_by_test_id("message").filter(has_text="filler 79")).to_be_visible(
            timeout=WAIT_MS
        )
        a.get_by_test_id("message-list").evaluate("l => { l.scrollTop = 0; }")
        jump = a.get_by_test_id("jump-latest")
        playwright.expect(jump).to_be_visible(timeout=WAIT_MS)
        jump.click()
        playwright.expect(jump).to_be_hidden(timeout=WAIT_MS)
        playwright.expect(
            a.get_by_test_id("message").filter(has_text="filler 79")
        ).to_be_in_viewport()

        # The admin renames the group and makes bob an admin; bob then leaves.
        a.locator("#members-open").click()
        a.locator("#rename input").fill("second name")
        a.locator("#rename button").click()
        playwright.expect(a.locator("#conversation-title")).to_have_text(
            "second name", timeout=WAIT_MS
        )
        playwright.expect(item_of(b, "second name")).to_be_visible(timeout=WAIT_MS)
        bob_item = a.get_by_test_id("member-item").filter(has_text="bobby")
        bob_item.get_by_role("button", name="make admin").click()
        playwright.expect(bob_item).to_contain_text("admin", timeout=WAIT_MS)
        item_of(b, "second name").click()
        b.locator("#members-open").click()
        playwright.expect(b.locator("#add-member")).to_be_visible(timeout=WAIT_MS)  # now an admin
        b.locator("#leave").click()
        playwright.expect(item_of(b, "second name")).to_have_count(0, timeout=WAIT_MS)
        playwright.expect(a.get_by_test_id("member-item")).to_have_count(1, timeout=WAIT_MS)

        # Contacts: bob asks, alice blocks.
        to_list(b)
        b.locator("#contacts summary").click()
        b.locator("#add-contact input").fill("alice")
        b.locator("#add-contact button").click()
        playwright.expect(b.get_by_test_id("contact-item")).to_have_attribute(
            "data-state", "outgoing", timeout=WAIT_MS
        )
        to_list(a)
        a.reload()
        playwright.expect(a.get_by_test_id("connection-state")).to_have_text(
            "online", timeout=WAIT_MS
        )
        to_list(a)
        a.locator("#contacts summary").click()
        contact = a.get_by_test_id("contact-item")
        playwright.expect(contact).to_have_attribute("data-state", "incoming", timeout=WAIT_MS)
        contact.get_by_role("button", name="block").click()
        playwright.expect(contact).to_have_attribute("data-state", "blocked", timeout=WAIT_MS)
        assert call(base, "GET", "/api/contacts", token=tb)["contacts"] == []

        # A new password, then every session signed out.
        a.get_by_test_id("profile-open").click()
        a.locator("#password-form input[name=current]").fill("password-1")
        a.locator("#password-form input[name=next]").fill("password-2")
        a.locator("#password-form button").click()
        playwright.expect(a.locator("#profile-note")).to_contain_text("changed", timeout=WAIT_MS)
        a.locator("#logout-all").click()
        playwright.expect(a.get_by_test_id("auth-login")).to_be_visible(timeout=WAIT_MS)
        a.get_by_test_id("auth-username").fill("alice")
        a.get_by_test_id("auth-password").fill("password-2")
        a.get_by_test_id("auth-login").click()
        playwright.expect(a.get_by_test_id("connection-state")).to_have_text(
            "online", timeout=WAIT_MS
        )
    finally:
        server.stop()
