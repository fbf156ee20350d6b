"""Sign-in, sessions, CSRF and the rate limit, in a real browser against a real server."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from gateway.web.accounts import MAX_FAILS_PER_ACCOUNT
from gateway.web.models import WebSession
from tests.web.conftest import Server, Staff, sign_in


async def test_sign_in_see_dashboard_sign_out(page: Page, staff: Staff, shot, db) -> None:
    await page.goto("/")
    await expect(page).to_have_url("/login?next=/")
    await shot("login")
    await sign_in(page, staff.biller)
    await expect(page.locator("#who")).to_contain_text(staff.biller)
    await expect(page.locator("#count-claim-errors .n")).to_have_text("0")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "gw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    await shot("dashboard")
    async with page.expect_navigation():
        await page.click("#sign-out")
    await expect(page).to_have_url("/login")
    await page.goto("/")
    await expect(page).to_have_url("/login?next=/")
    # the session row is gone, not just the cookie
    assert await db.scalar(select(func.count()).select_from(WebSession).where(
        WebSession.token_hash == _hash(cookie["value"]))) == 0


def _hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


async def test_wrong_password_then_rate_limited(page: Page, staff: Staff) -> None:
    for _ in range(MAX_FAILS_PER_ACCOUNT):
        await sign_in(page, staff.viewer, "not the password")
        await expect(page.locator("#login-error")).to_have_text("wrong email or password")
    # past the limit even the right password is refused for this account...
    await sign_in(page, staff.viewer)
    await expect(page.locator("#login-error")).to_contain_text("too many failed sign-ins")
    # ...while another account from elsewhere is not affected
    await sign_in(page, staff.admin)
    await expect(page.locator("#who")).to_contain_text(staff.admin)


async def test_forms_without_csrf_token_are_refused(page: Page, staff: Staff,
                                                    server: Server) -> None:
    await sign_in(page, staff.admin)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as client:
        r = await client.post("/logout")
        assert r.status_code == 403 and "security token" in r.text
        r = await client.post("/logout", data={"csrf_token": "forged"})
        assert r.status_code == 403
        # the sign-in form has its own (double-submit) token
        r = await client.post("/login", data={"email": staff.admin, "password": "x" * 12})
        assert r.status_code == 403
    # the session survived the forged requests
    await page.goto("/")
    await expect(page.locator("#who")).to_contain_text(staff.admin)


async def test_admin_adds_a_user_who_then_signs_in(page: Page, staff: Staff, shot,
                                                   browser) -> None:
    await sign_in(page, staff.admin)
    await page.goto("/users")
    await page.fill("#add-user input[name=email]", "new.biller@web.test")
    await page.select_option("#add-user select[name=role]", "biller")
    await page.fill("#add-user input[name=password]", "a fresh password")
    async with page.expect_navigation():
        await page.click("#add-user button")
    await expect(page.locator("#done-flash")).to_contain_text("User saved")
    await expect(page.locator("#users")).to_contain_text("new.biller@web.test")
    await shot("users")
    other = await browser.new_context(base_url=page.context.pages[0].url.split("/users")[0])
    newcomer = await other.new_page()
    await sign_in(newcomer, "new.biller@web.test", "a fresh password")
    await expect(newcomer.locator("#who")).to_contain_text("new.biller@web.test (biller)")
    response = await newcomer.goto("/users")
    assert response is not None and response.status == 403
    await other.close()


async def test_pages_fit_a_phone(browser, server: Server, staff: Staff, shots) -> None:
    context = await browser.new_context(base_url=server.url,
                                        viewport={"width": 390, "height": 844})
    phone = await context.new_page()
    await sign_in(phone, staff.biller)
    for name, path in (("dashboard", "/"), ("claim-queue", "/queues/claim"),
                       ("deposits", "/deposits"), ("receipts", "/receipts"), ("aging", "/aging"),
                       ("accounts", "/accounts"), ("epayments", "/statement-payments"),
                       ("jobs", "/jobs"), ("job-new", "/jobs/new"), ("connectors", "/connectors"),
                       ("notifications", "/notifications")):
        await phone.goto(path)
        # nothing wider than the screen but the tables, which scroll inside their own box
        overflow = await phone.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390, (path, overflow)
        await phone.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
    await context.close()


async def test_reading_works_without_javascript(browser, server: Server, staff: Staff,
                                                shots) -> None:
    context = await browser.new_context(base_url=server.url, java_script_enabled=False)
    plain = await context.new_page()
    await sign_in(plain, staff.viewer)
    await expect(plain.locator("#count-claim-errors")).to_be_visible()
    for path, marker in (("/queues/claim", "#queue"), ("/deposits", "#deposits"),
                         ("/receipts", "#receipts"), ("/aging", "h1"),
                         ("/queues/history", "#history"), ("/notifications", "#notifications"),
                         ("/claims/rejected", "#rejected"), ("/accounts", "#accounts"),
                         ("/statement-payments", "#payments"), ("/jobs", "#jobs"),
                         ("/connectors", "#connectors-list")):
        response = await plain.goto(path)
        assert response is not None and response.status == 200
        await expect(plain.locator(marker)).to_be_visible()
        name = path.strip("/").replace("/", "-")
        await plain.screenshot(path=str(shots / f"nojs-{name}.png"), full_page=True)
    await context.close()
