"""The moderator dashboard in headless Chromium against the real service, with a
real webhook receiver on loopback for outbound actions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.moderation import Moderation
from roomwatch.service import Service

from ..conftest import SAMPLES, TOKENS
from ..moderation.support import Receiver, dashboard_service, ingest
from ..support.wait import wait_for
from .conftest import keep_screenshot

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "data"
ROOM = "county-apples-1126"
T0 = 1764115200.0
VIEW = {"width": 1440, "height": 900}


@pytest.fixture
async def receiver() -> Any:
    async with Receiver() as r:
        yield r


@pytest.fixture
async def dash(analyzer: Analyzer, tmp_path: Path, receiver: Receiver) -> Any:
    async with dashboard_service(analyzer, tmp_path, receiver) as pair:
        yield pair


async def open_page(browser: Any, svc: Service, role: str = "moderator") -> tuple[Any, list[str]]:
    page = await browser.new_page(viewport=VIEW)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{svc.url}/moderator#token={TOKENS[role]}")
    await page.locator(".status[data-state='open']").first.wait_for(timeout=10000)
    return page, errors


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


async def _count_is(locator: Any, n: int) -> bool:
    return bool(await locator.count() == n)


async def _next_frame(page: Any) -> None:
    """Return after the page has drawn a frame that its stream throttle lets through.

    The moderator page redraws the stream at most every 100 ms
    (``STREAM_EVERY_MS``); this waits for animation frames until 120 ms of
    the page's own frame time have passed, so one full render pass has run.
    """
    await page.evaluate(
        """() => new Promise((resolve) => {
            const t0 = performance.now();
            const step = (t) => (t - t0 > 120 ? resolve() : requestAnimationFrame(step));
            requestAnimationFrame(step);
        })"""
    )


async def _texts_are(locator: Any, texts: set[str]) -> bool:
    got = await locator.all_text_contents()
    return bool(got) and set(got) == texts


async def test_live_stream_colours_filters_and_review_queue(
    dash: tuple[Service, Moderation], browser: Any, tmp_path: Path
) -> None:
    svc, mod = dash
    page, errors = await open_page(browser, svc)
    assert "token" not in page.url
    await ingest(svc, read_rows(SAMPLES / "mini.jsonl"))
    await page.locator("#stream .row").nth(40).wait_for(timeout=15000)

    # every label has its colour
    colours = await page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#stream .row')].map(
            (r) => [r.dataset.label, getComputedStyle(r).borderLeftColor]))"""
    )
    assert colours["question"] == "rgb(74, 168, 255)"
    assert colours["chatter"] == "rgb(107, 119, 133)"
    want = {"abuse": "rgb(255, 84, 112)", "spam": "rgb(179, 127, 235)"}
    assert all(colours[k] == v for k, v in want.items() if k in colours)

    # the review queue holds the abuse and spam verdicts, with their reasons
    flagged = {i.id for room in mod.queue.rooms for i in mod.queue.items(room)}
    assert len(flagged) >= 3
    await page.locator("#queue .qi").nth(len(flagged) - 1).wait_for(timeout=10000)
    assert await page.locator("#queue .qi").count() == len(flagged)
    assert {
        await x.get_attribute("data-label") for x in await page.locator("#queue .qi").all()
    } <= {
        "abuse",
        "spam",
    }
    why = await page.locator("#detail .d-why").inner_text()
    # In words a 房管 reads (辱骂词「…」, 广告词「…」), not lexicon:insult:…
    assert why != "依据 why: —" and "「" in why and "lexicon:" not in why, why
    assert "lexicon:" in (await page.locator("#detail .d-why").get_attribute("title") or "")
    assert "mood-" in (await page.locator(".room-chip .r-mood").first.get_attribute("class") or "")
    assert await page.locator(".room-chip").count() == 2
    keep_screenshot(await page.screenshot(), "dashboard.png", tmp_path)

    # label filter: chatter off
    await page.locator(".filters .lbl.chatter").click()
    await wait_for(
        lambda: _count_is(page.locator("#stream .row.chatter"), 0), what="chatter rows to go"
    )
    assert await page.locator("#stream .row.chatter").count() == 0
    assert await page.locator("#stream .row.question").count() > 0
    # text/user filter
    await page.fill("#stream-q", "用户小王")
    await wait_for(
        lambda: _texts_are(page.locator("#stream .row .u"), {"用户小王"}),
        what="only 用户小王's rows",
    )
    users = await page.locator("#stream .row .u").all_text_contents()
    assert users and set(users) == {"用户小王"}
    await page.fill("#stream-q", "")
    await page.locator(".filters .lbl.chatter").click()
    # room picker narrows the stream to one room
    await page.locator(".room-chip", has_text="beauty-live-1126").click()
    await wait_for(
        lambda: _texts_are(page.locator("#stream .row .rm"), {"beauty-live-1126"}),
        what="only beauty-live-1126's rows",
    )
    rooms = await page.locator("#stream .row .rm").all_text_contents()
    assert rooms and set(rooms) == {"beauty-live-1126"}
    # pause on hover keeps the rows still while more arrive
    await page.locator("#stream").hover()
    assert await page.locator("#paused").is_visible()
    await _next_frame(page)  # the paused view is drawn on the next frame
    first = await page.locator("#stream .row").first.get_attribute("data-id")
    await ingest(
        svc,
        [{"room": "beauty-live-1126", "text": f"新评论{i}", "ts": T0 + 500 + i, "id": f"p-{i}"}
         for i in range(5)],
    )  # fmt: skip
    # The page has had the five rows and has drawn a frame since (it counts
    # them in the paused badge in the same pass that would draw them).
    await page.locator("#paused-new", has_text="5 条新评论").wait_for(timeout=5000)
    await _next_frame(page)
    assert await page.locator("#stream .row").first.get_attribute("data-id") == first
    await page.mouse.move(5, 5)
    await page.locator("#stream .row[data-id='p-4']").wait_for(timeout=5000)
    assert errors == []


ABUSE = ["你就是个傻逼", "主播是傻逼吧 滚", "滚吧你这个傻逼东西", "傻逼主播骗子"]
RAID = ["加V 123 看片", "加v456看片!!", "加V789 看片"]


def rows(texts: list[str], prefix: str, start: float) -> list[dict[str, Any]]:
    return [
        {
            "room": ROOM,
            "text": t,
            "ts": start + i,
            "id": f"{prefix}-{i}",
            "user": {"id": f"{prefix}-u{i}", "name": f"{prefix}观众{i}", "level": 3},
        }
        for i, t in enumerate(texts)
    ]


async def test_keyboard_actions_reach_everyone_the_audit_and_the_webhook(
    dash: tuple[Service, Moderation], browser: Any, receiver: Receiver, tmp_path: Path
) -> None:
    svc, _ = dash
    page, errors = await open_page(browser, svc)
    other, other_errors = await open_page(browser, svc, "admin")
    await ingest(svc, rows(ABUSE, "a", T0) + rows(RAID, "r", T0 + 10))
    await page.locator("#queue .qi").nth(6).wait_for(timeout=15000)
    await other.locator("#queue .qi").nth(6).wait_for(timeout=5000)
    assert svc.store is not None

    async def focus(item_id: str) -> None:
        await page.locator(f"#queue .qi[data-id='{item_id}'] .x").click()
        await page.locator(f"#queue .qi.cursor[data-id='{item_id}']").wait_for()

    async def gone(item_id: str) -> None:
        for p in (page, other):
            await p.locator(f"#queue .qi[data-id='{item_id}']").wait_for(
                state="detached", timeout=5000
            )

    async def audit_row(decision: str) -> Any:
        return other.locator(f"#audit .dec[data-id='{decision}']")

    # j/k move the cursor
    await focus("a-0")
    await page.keyboard.press("k")
    assert await page.locator("#queue .qi.cursor").get_attribute("data-id") == "a-1"
    await page.keyboard.press("j")
    assert await page.locator("#queue .qi.cursor").get_attribute("data-id") == "a-0"

    # c = confirm: gone everywhere, audited, a feedback row, nothing sent out
    await page.keyboard.press("c")
    await gone("a-0")
    await (await audit_row("d-1")).wait_for(timeout=5000)
    # f = false positive
    await focus("a-1")
    await page.keyboard.press("f")
    await gone("a-1")
    fb = await svc.store.feedback()
    assert [(f.comment_id, f.kind, f.label) for f in fb] == [
        ("a-0", "confirm", "abuse"),
        ("a-1", "false_positive", "chatter"),
    ]
    # h = hide: the webhook gets it, both dashboards show it sent
    await focus("a-2")
    await page.keyboard.press("h")
    await gone("a-2")
    row = await audit_row("d-3")
    await row.locator(".st-sent").wait_for(timeout=5000)
    assert [r["comment"]["id"] for r in receiver.actions("hide")] == ["a-2"]
    # 2 = mute 1 h
    await focus("a-3")
    await page.keyboard.press("2")
    await gone("a-3")
    await (await audit_row("d-4")).locator(".st-sent").wait_for(timeout=5000)
    (mute,) = receiver.actions("mute")
    assert (mute["user"]["id"], mute["duration_s"], mute["actor"]) == ("a-u3", 3600, "moderator-1")
    # u = undo my last action: unmute goes out, the item is back for everyone.
    # As a person would, wait until this page itself shows the mute: its ack
    # (which makes it "my last action") arrives before the status update.
    await page.locator("#audit .dec[data-id='d-4'] .st-sent").wait_for(timeout=5000)
    await page.keyboard.press("u")
    await other.locator("#queue .qi[data-id='a-3']").wait_for(timeout=5000)
    await (await audit_row("d-4")).locator(".st-undone").wait_for(timeout=5000)
    await wait_for(lambda: receiver.actions("unmute"))
    assert receiver.actions("unmute")[0]["reverses"] == mute["id"]

    # bulk: r selects the raid (near-identical texts), b bans all three users at once
    await focus("r-1")
    await page.keyboard.press("r")
    assert await page.locator("#queue .qi.selected").count() == 3
    assert "3" in await page.locator("#sel-count").inner_text()
    await page.keyboard.press("b")  # once: only armed (a stray key bans nobody)
    # ... a held-down b (auto-repeat) does not ban, and another key disarms it
    await page.evaluate(
        "() => document.dispatchEvent(new KeyboardEvent('keydown', {key: 'b', repeat: true}))"
    )
    await page.keyboard.press("Shift")
    await page.keyboard.press("b")
    await page.wait_for_timeout(300)
    assert await page.locator("#queue .qi.selected").count() == 3
    assert receiver.actions("ban") == []
    await page.keyboard.press("b")  # twice in a row: ban
    for i in range(3):
        await gone(f"r-{i}")
    await wait_for(lambda: len(receiver.actions("ban")) == 3)
    assert sorted(r["user"]["id"] for r in receiver.actions("ban")) == ["r-u0", "r-u1", "r-u2"]
    # x + shift-click selection, i = ignore
    await ingest(svc, rows(["傻逼一号", "傻逼二号", "傻逼三号"], "s", T0 + 30))
    await page.locator("#queue .qi[data-id='s-2']").wait_for(timeout=15000)
    await focus("s-2")
    await page.keyboard.press("x")
    await page.locator("#queue .qi[data-id='s-0'] .x").click(modifiers=["Shift"])
    assert await page.locator("#queue .qi.selected").count() == 3
    await page.keyboard.press("i")
    for i in range(3):
        await gone(f"s-{i}")

    # the SQLite audit log has every action with who/what/which comment
    audits = await svc.store.audits(room=ROOM)
    done = [(a.action, a.target_id, a.actor) for a in reversed(audits) if a.ok]
    assert done[:5] == [
        ("moderation.confirm", "a-0", "moderator-1"),
        ("moderation.false_positive", "a-1", "moderator-1"),
        ("moderation.hide", "a-2", "moderator-1"),
        ("moderation.mute", "a-3", "moderator-1"),
        ("moderation.undo", "a-3", "moderator-1"),
    ]
    assert sum(1 for a in done if a[0] == "moderation.ban") == 3
    statuses = {r.action: r.status for r in await svc.store.actions(room=ROOM)}
    assert statuses["hide"] == "sent" and statuses["mute"] == "undone"

    # ? shows the shortcuts
    await page.keyboard.press("?")
    assert await page.locator("#help").is_visible()
    assert "false positive" in await page.locator("#help").inner_text()
    await page.keyboard.press("Escape")
    keep_screenshot(await other.screenshot(), "dashboard-actions.png", tmp_path)
    assert errors == [] and other_errors == []


async def test_a_comment_the_model_let_through_is_hidden_and_its_writer_banned_from_the_stream(
    dash: tuple[Service, Moderation], browser: Any, receiver: Receiver, tmp_path: Path
) -> None:
    # The model's abuse recall on real barrage is about 0.6: the moderator
    # sees a missed insult scroll by and must be able to act on it.
    svc, mod = dash
    page, errors = await open_page(browser, svc)
    missed = rows(["今天的苹果真甜", "主播的声音真好听"], "s", T0)
    await ingest(svc, missed)
    row = page.locator("#stream li.row[data-id='s-1']")
    await row.wait_for(timeout=15000)
    assert not mod.queue.items(ROOM)
    await row.click()
    menu = page.locator(".rowmenu")
    await menu.wait_for(state="visible", timeout=5000)
    assert missed[1]["text"] in (await menu.inner_text())
    await menu.get_by_role("button", name="隐藏 hide").click()
    await wait_for(lambda: len(receiver.actions("hide")) == 1, 10)
    assert receiver.actions("hide")[0]["comment"]["id"] == "s-1"
    await page.locator("#stream li.row.acted[data-id='s-1']").wait_for(timeout=5000)
    await page.locator("#audit .dec").first.wait_for(timeout=5000)
    # Ban asks twice: one click bans nobody.
    await page.locator("#stream li.row[data-id='s-0']").click()
    # ... this one was an ad, not an insult.
    await menu.get_by_role("radio", name="广告 ad").check()
    keep_screenshot(await page.screenshot(), "dashboard-rowmenu.png", tmp_path)
    ban = menu.get_by_role("button", name="封禁 ban")
    await ban.click()
    await asyncio.sleep(0.3)
    assert receiver.actions("ban") == []
    await menu.get_by_role("button").filter(has_text="再点一次").click()
    await wait_for(lambda: len(receiver.actions("ban")) == 1, 10)
    assert receiver.actions("ban")[0]["user"]["id"] == "s-u0"
    assert await menu.is_hidden()
    assert not mod.queue.items(ROOM)  # neither went into the review queue
    # What the moderator said each was is a training example the model missed.
    assert svc.store is not None
    feedback = await svc.store.feedback(room=ROOM)
    assert [(f.comment_id, f.kind, f.predicted_label, f.label) for f in feedback] == [
        ("s-1", "missed", "chatter", "abuse"),
        ("s-0", "missed", "chatter", "spam"),
    ]
    assert errors == []
    await page.close()


async def test_failed_outbound_shows_failed(
    dash: tuple[Service, Moderation], browser: Any, receiver: Receiver
) -> None:
    svc, _ = dash
    receiver.status = 500
    page, errors = await open_page(browser, svc)
    await ingest(svc, rows(ABUSE[:1], "f", T0))
    await page.locator("#queue .qi[data-id='f-0'] .x").click()
    await page.keyboard.press("h")
    await page.locator("#audit .dec .st-failed").wait_for(timeout=10000)
    assert svc.store is not None
    (row,) = await svc.store.actions(room=ROOM)
    assert row.status == "failed" and row.last_error == "HTTP 500"
    assert errors == []


async def test_xss_payloads_stay_inert_text_and_layout_holds(
    dash: tuple[Service, Moderation], browser: Any, tmp_path: Path
) -> None:
    svc, _ = dash
    page, errors = await open_page(browser, svc)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    payload = read_rows(DATA / "xss.jsonl")
    await ingest(svc, payload)
    await page.locator("#stream .row[data-id='xss-long2']").wait_for(timeout=15000)
    await page.locator("#queue .qi").first.wait_for(timeout=10000)
    # show the long items in the detail pane too
    for item_id in ("xss-long", "xss-long2", "xss-1"):
        q = page.locator(f"#queue .qi[data-id='{item_id}'] .x")
        if await q.count():
            await q.click()
            await page.locator("#detail .d-text").wait_for(timeout=5000)
    await _next_frame(page)
    result = await page.evaluate(
        """() => ({
            pwned: window.__pwned,
            injected: document.querySelectorAll(
              '#stream img, #stream script, #stream iframe, #stream svg, #stream a, #stream b, '
              + '#queue img, #queue script, #queue iframe, #queue svg, #queue a, #queue b, '
              + '#detail img, #detail iframe, #detail svg, #detail a, #audit img').length,
            rowMax: Math.max(...[...document.querySelectorAll('#stream .row')].map(
              (r) => r.offsetHeight)),
            itemMax: Math.max(...[...document.querySelectorAll('#queue .qi')].map(
              (r) => r.offsetHeight)),
            scrollW: document.documentElement.scrollWidth, innerW: window.innerWidth,
            scrollH: document.documentElement.scrollHeight, innerH: window.innerHeight,
            texts: [...document.querySelectorAll('#stream .row .x')].map((x) => x.textContent),
        })"""
    )
    assert dialogs == []
    assert result["pwned"] is None
    assert result["injected"] == 0
    assert result["rowMax"] <= 40 and result["itemMax"] <= 80
    assert result["scrollW"] <= result["innerW"] and result["scrollH"] <= result["innerH"]
    shown = "\n".join(result["texts"])
    assert '<img src=x onerror="window.__pwned=1;alert(1)">' in shown
    assert "<script>window.__pwned=1;alert(2)</script>" in shown
    assert "&lt;b&gt;不是粗体" in shown  # entities are shown, not decoded
    assert "\u202e" in shown
    keep_screenshot(await page.screenshot(), "dashboard-xss.png", tmp_path)
    assert errors == []


async def test_comms_token_sees_alerts_but_no_comments_or_actions(
    dash: tuple[Service, Moderation], browser: Any
) -> None:
    svc, mod = dash
    page = await browser.new_page(viewport=VIEW)
    await page.goto(f"{svc.url}/moderator#token={TOKENS['comms']}")
    await ingest(svc, rows(ABUSE[:2], "c", T0))
    await wait_for(lambda: len(mod.recent) >= 2)  # published on the stream channel
    alert = {
        "id": "al-1",
        "room": ROOM,
        "detector": "grievance_topic",
        "severity": "warning",
        "state": "open",
        "started_at": T0,
        "updated_at": T0 + 5,
        "summary": "差评激增 <b>x</b>",
        "evidence": {
            "samples": [
                {"text": "苹果烂了 <i>y</i>", "user": "u1", "label": "grievance", "sentiment": -0.8,
                 "ts": T0 + 1},
            ]
        },
        "acked_by": None,
    }  # fmt: skip
    # Published to the clients connected now: wait until the page is one.
    await wait_for(lambda: svc.hub.clients("alerts"), what="the page on the alerts channel")
    assert await page.locator("#alerts-empty").is_visible()
    svc.hub.publish("alerts", ROOM, {"type": "open", "alert": alert, "ts": T0 + 5})
    await page.locator("#alerts .alert[data-id='al-1']").wait_for(timeout=5000)
    shown = await page.locator("#alerts").inner_text()
    # In the reader's words (警告 集中投诉, not "warning grievance_topic"), with
    # the comments it rests on one click away, shown as text, never as HTML.
    assert "差评激增 <b>x</b>" in shown and "警告" in shown and "集中投诉" in shown
    assert await page.locator("#alerts-empty").is_hidden()
    await page.locator("#alerts .a-evidence summary").click()
    assert "苹果烂了 <i>y</i>" in await page.locator("#alerts .a-evidence").inner_text()
    assert await page.locator("#alerts .ack").count() == 1
    assert await page.locator("#queue .qi").count() == 0
    assert await page.locator("#stream .row").count() == 0
    # The alerts it may see are live; the stream panels it can't fill are
    # hidden, not left "connecting…" (#12.9).
    assert await page.locator(".status").get_attribute("data-state") == "open"
    assert await page.locator(".stream-panel").is_hidden()
    # ... and the page is the comms desk, not the moderator's.
    assert await page.locator("h1 .sub").inner_text() == "舆情台"
    assert await page.title() == "roomwatch · 舆情台"
    # Every grievance reaches comms staff, alerted or not (a county's comms
    # saw only alerts, so appeals about wages and roads went to the 房管);
    # the insults above are the moderator's, not shown here.
    await ingest(svc, rows(["拖欠工资三个月了没人管", "村里的路坏了三年了没人修"], "g", T0 + 20))
    grievances = page.locator("#grievances .row")
    await wait_for(lambda: _count_is(grievances, 2), 15, what="two grievances on the comms page")
    # (text_content: rows below the fold are not rendered, .row's content-visibility)
    assert "拖欠工资三个月了没人管" in (await page.locator("#grievances").text_content() or "")
    assert ABUSE[0] not in (await page.locator("main").text_content() or "")
    assert await page.locator("#grievances-empty").is_hidden()


async def test_on_a_phone_the_moderator_page_scrolls_to_every_panel(
    dash: tuple[Service, Moderation], browser: Any
) -> None:
    # A walkthrough at 390 px found three squeezed columns and a page that did
    # not scroll, so the audit panel could not be reached.
    svc, _ = dash
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    await page.goto(f"{svc.url}/moderator#token={TOKENS['moderator']}")
    audit = page.locator(".audit-panel")
    await audit.wait_for(timeout=5000)
    await audit.scroll_into_view_if_needed()
    box = await audit.bounding_box()
    assert box is not None and box["width"] > 300, box
    assert 0 <= box["y"] < 844, box  # scrolled into the viewport
