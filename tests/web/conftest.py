"""A real gateway (uvicorn, `gateway serve`) on 127.0.0.1 and a real headless Chromium
(Debian's, driven by Playwright) for the page tests.

One server and one database serve the whole module run; each test makes its own practice
with its own users, so tests never see each other's data. Every page a test visits can be
saved as a PNG under the run's temporary folder (`shot`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.practices import create_location, create_practice
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.web.accounts import add_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery"
_names = count(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db_url: str
    process: subprocess.Popen[str]
    log: Path


@pytest.fixture(scope="session")
def web_db(migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("web") / "web.db"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def server(web_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`gateway serve` on a free port; ready when uvicorn says it is running (read from its
    log, no polling)."""
    port = _free_port()
    env = {**os.environ, "GATEWAY_DATABASE_URL": web_db}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-scheduler"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        cwd=tmp_path_factory.mktemp("serve"))
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "Uvicorn running on" in line:
            break
    else:
        raise AssertionError("the server did not start:\n" + "".join(seen))
    log_path = tmp_path_factory.mktemp("serve-log") / "server.log"

    stderr = proc.stderr

    def drain() -> None:  # keep reading so the server never blocks on a full pipe
        with log_path.open("w") as log:
            log.writelines(seen)
            for rest in stderr:
                log.write(rest)
                log.flush()

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield Server(url=f"http://127.0.0.1:{port}", db_url=web_db, process=proc, log=log_path)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
async def web_engine(web_db: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(web_db)
    yield eng
    await eng.dispose()


@pytest.fixture
async def db(web_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on the server's database, for arranging and checking; commit to publish."""
    async with make_sessionmaker(web_engine)() as s:
        yield s


@dataclass
class Staff:
    practice_id: int
    location_id: int
    admin: str
    biller: str
    viewer: str


async def make_staff(db: AsyncSession, locations: int = 1) -> Staff:
    """A new practice with one user of each role, all with PASSWORD."""
    n = next(_names)
    pid = await create_practice(db, f"Web Practice {n}")
    lid = await create_location(db, pid, f"Main {n}")
    for extra in range(1, locations):
        await create_location(db, pid, f"Branch {n}.{extra}")
    emails = {}
    for role in ("admin", "biller", "viewer"):
        emails[role] = f"{role}{n}@web.test"
        await add_user(db, pid, emails[role], role, PASSWORD)
    await db.commit()
    return Staff(pid, lid, **emails)


@pytest.fixture
async def staff(db: AsyncSession) -> Staff:
    return await make_staff(db)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def page(browser: Browser, server: Server) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=server.url, viewport={"width": 1280,
                                                                       "height": 900})
    pg = await context.new_page()
    yield pg
    await context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def shot(page: Page, shots: Path,
         request: pytest.FixtureRequest) -> Callable[[str], Awaitable[Path]]:
    """`await shot("name")`: the current page as a full-page PNG under the run's tmp folder."""

    async def take(name: str) -> Path:
        path = shots / f"{request.node.name}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    async with page.expect_navigation():
        await page.click("#sign-in")


async def post_as(page: Page, server: Server, path: str,
                  data: dict[str, str]) -> httpx.Response:
    """A POST outside the page with the signed-in user's own session and CSRF token (a forged
    form, as a role check sees it)."""
    csrf = await page.locator("body").get_attribute("hx-headers") or ""
    token = csrf.split('"X-CSRF-Token": "', 1)[-1].split('"', 1)[0]
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as client:
        return await client.post(path, data={"csrf_token": token, **data})
