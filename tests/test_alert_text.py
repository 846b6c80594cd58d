"""bot.alert_text: a member's alert fits one message and pings nobody else, whatever the papers."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alert_text import AlertPaper, alert_message, card_url, full_list
from bot.digest import PaperMeta
from bot.models import Paper

DAY = dt.date(2026, 3, 15)
CARD = card_url(1, 2, 3)


def item(n: int, labels: tuple[str, ...], upvotes: int | None = None) -> AlertPaper:
    meta = PaperMeta(arxiv_id=f"2603.{n:05d}", upvotes=upvotes)
    return AlertPaper(Paper(n, f"Paper {n}: A Study", "Abstract.", meta=meta), labels, CARD)


def test_groups_by_subscription_most_upvoted_first() -> None:
    papers = [
        item(1, ("diffusion",), 3),
        item(2, ("author: Yann LeCun",), 9),
        item(3, ("diffusion", "agents"), 40),
    ]
    alert = alert_message(DAY, papers, mention=7)
    lines = alert.content.splitlines()
    assert lines[0] == "<@7> 3 papers of Sunday, March 15, 2026 matching your subscriptions:"
    assert lines[1] == "**diffusion** · 2"
    assert lines[2].startswith("• [Paper 3: A Study](<https://discord.com/channels/1/2/3>)")
    assert lines[2].endswith(" · [paper](<https://arxiv.org/abs/2603.00003>) · ▲ 40 · also agents")
    assert lines[3].startswith("• [Paper 1: A Study]")
    assert lines[4] == "**author: Yann LeCun** · 1"
    assert alert.paper_ids == [1, 2, 3] and alert.unlisted == 0


def test_a_private_alert_names_the_server_and_mentions_nobody() -> None:
    alert = alert_message(DAY, [item(1, ("diffusion",))], mention=None, server="ML @everyone club")
    assert alert.content.startswith("📬 1 paper of Sunday, March 15, 2026 matching your ")
    assert "<@" not in alert.content and "@everyone" not in alert.content


def test_many_matches_are_counted_per_group_and_all_covered() -> None:
    papers = [item(n, (f"keyword {n % 25}",), n) for n in range(300)]
    alert = alert_message(DAY, papers, mention=7)
    assert len(alert.content) <= 2000
    assert alert.paper_ids == list(range(300)) and alert.unlisted > 0
    assert "more" in alert.content


labels = st.lists(st.text(min_size=1, max_size=100), min_size=1, max_size=3).map(tuple)
titles = st.text(min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(titles, labels, st.one_of(st.none(), st.integers(0, 10**6))), max_size=60),
    st.one_of(st.none(), st.integers(1, 2**63)),
)
def test_any_alert_fits_and_pings_only_its_member(papers, mention) -> None:
    items = [
        AlertPaper(Paper(n, title, "x", meta=PaperMeta(upvotes=up)), tags, CARD)
        for n, (title, tags, up) in enumerate(papers)
    ]
    alert = alert_message(DAY, items, mention=mention)
    assert len(alert.content) <= 2000
    assert alert.paper_ids == list(range(len(items)))
    other_mentions = alert.content.replace(f"<@{mention}>", "", 1) if mention else alert.content
    assert "<@" not in other_mentions and "@everyone" not in alert.content.replace(
        "@\u200beveryone", ""
    )
    assert len(full_list(DAY, items)) <= 4096
