"""Reports, the admin page, exports and deleting one's account in the web client, in two real
browsers at once (the reporter at phone width): Ben reports Ann's message and blocks her in the
same step; Ann, a server admin, reads the report as it was sent and resolves it, makes an
invite and finds the accounts; Ben downloads his export and deletes his account."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import playwright.sync_api as playwright

from tests.e2e.processes import call, new_group, post, register
from tests.e2e.test_admin import ezchat
from tests.e2e.test_browser import WAIT_MS, browser  # noqa: F401 - the fixture
from tests.e2e.test_browser_daily import (
    DESKTOP,
    PHONE,
    item_of,
    log_in,
    messages,
    nothing_wider_than_the_window,
    server,  # noqa: F401 - the fixture
)

__all__ = ["browser", "server"]


def test_a_report_reaches_the_admin_page_and_a_user_exports_then_deletes(
    browser,  # noqa: F811
    server,  # noqa: F811 - test_browser_daily's, on this test's tmp_path
    tmp_path,
):
    base = server.base
    _, ta = register(base, "ann")
    ben, tb = register(base, "ben")
    cid = new_group(base, ta, ben, name="team")
    post(base, ta, cid, "m0", "buy my pills now")
    post(base, tb, cid, "b0", "ben was here")
    promoted = ezchat(tmp_path, "users", "promote", "ann")
    assert promoted.returncode == 0, promoted.stderr
    errors: list[str] = []
    ann = browser.new_context(viewport=DESKTOP).new_page()
    bens_context = browser.new_context(viewport=PHONE, accept_downloads=True)
    bens = bens_context.new_page()
    for page, name in ((ann, "ann"), (bens, "ben")):
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())
        log_in(page, base, name)

    # Ben reports Ann's message, and blocks her in the same step; his own has no "report".
    item_of(bens, "team").click()
    theirs = messages(bens).filter(has_text="buy my pills now")
    playwright.expect(messages(bens).filter(has_text="ben was here").get_by_test_id(
        "report-action")).to_have_count(0, timeout=WAIT_MS)  # fmt: skip
    theirs.get_by_test_id("report-action").click()
    bens.get_by_test_id("report-reason").fill("spam, and " + "x" * 900)
    bens.get_by_test_id("report-category").select_option("spam")
    bens.get_by_test_id("report-block").check()
    nothing_wider_than_the_window(bens)
    bens.get_by_test_id("report-send").click()
    playwright.expect(bens.get_by_test_id("notice")).to_contain_text("Reported", timeout=WAIT_MS)
    playwright.expect(bens.get_by_test_id("report-panel")).to_be_hidden()

    # Ann edits the message afterwards; the report keeps what Ben saw.
    call(base, "PATCH", f"/api/conversations/{cid}/messages/{_id_of(base, ta, cid, 'm0')}",
         {"text": "nothing to see"}, token=_token(base, "ann"))  # fmt: skip
    ann.get_by_test_id("admin-open").click()
    panel = ann.get_by_test_id("admin-panel")
    playwright.expect(panel).to_be_visible(timeout=WAIT_MS)
    report = panel.get_by_test_id("admin-report")
    playwright.expect(report).to_have_count(1, timeout=WAIT_MS)
    playwright.expect(report).to_contain_text("buy my pills now")
    playwright.expect(report).to_contain_text("spam")
    nothing_wider_than_the_window(ann)
    report.get_by_test_id("admin-resolve-dismiss").click()
    playwright.expect(panel.get_by_test_id("admin-report")).to_contain_text(
        "resolved: dismiss", timeout=WAIT_MS
    )
    users = panel.get_by_test_id("admin-user")
    playwright.expect(users).to_have_count(2, timeout=WAIT_MS)
    panel.get_by_test_id("admin-user-q").fill("be")
    panel.get_by_test_id("admin-user-q").press("Enter")
    playwright.expect(users).to_have_count(1, timeout=WAIT_MS)
    playwright.expect(users).to_have_attribute("data-state", "active")
    panel.get_by_test_id("admin-invite-form").get_by_role("button").click()
    playwright.expect(panel.get_by_test_id("admin-invite-made")).to_contain_text(
        "?invite=ezi_", timeout=WAIT_MS
    )
    playwright.expect(panel.get_by_test_id("admin-invite")).to_have_count(1)

    # Ben's export, downloaded from his profile; then his account goes.
    bens.get_by_test_id("back").click()
    bens.get_by_test_id("profile-open").click()
    bens.get_by_test_id("export-request").click()
    ready = bens.get_by_test_id("export-download")
    playwright.expect(ready).to_have_count(1, timeout=WAIT_MS)
    with bens.expect_download(timeout=WAIT_MS) as got:
        ready.click()
    data = zipfile.ZipFile(io.BytesIO(Path(got.value.path()).read_bytes()))
    said = json.loads(data.read(f"conversations/{cid}.json"))
    assert [m["text"] for m in said["messages"]] == ["ben was here"]
    assert [c["state"] for c in json.loads(data.read("contacts.json"))] == ["blocked"]
    nothing_wider_than_the_window(bens)
    bens.get_by_test_id("delete-account-password").fill("password-1")
    # The page reloads itself once the account is gone: wait for that navigation to end
    # (a reload of our own while it runs is aborted), then come back to the address anew.
    with bens.expect_navigation(wait_until="load", timeout=WAIT_MS):
        bens.get_by_test_id("delete-account").click()
    playwright.expect(bens.get_by_test_id("auth-login")).to_be_visible(timeout=WAIT_MS)
    bens.goto(base)
    playwright.expect(bens.get_by_test_id("auth-login")).to_be_visible(timeout=WAIT_MS)
    panel.get_by_test_id("admin-user-q").press("Enter")
    playwright.expect(users).to_have_attribute("data-state", "deleted", timeout=WAIT_MS)
    assert errors == []


def _token(base: str, name: str) -> str:
    return str(call(base, "POST", "/api/auth/login",
                    {"username": name, "password": "password-1"})["token"])  # fmt: skip


def _id_of(base: str, token: str, cid: str, client_id: str) -> str:
    page = call(base, "GET", f"/api/conversations/{cid}/messages", token=_token(base, "ann"))
    return str(next(m["id"] for m in page["messages"] if m["client_id"] == client_id))
