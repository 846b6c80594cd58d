"""The subscription matcher: one definition for alerts, previews and these tests."""

from __future__ import annotations

import pytest

from bot import matching
from bot.errors import UserError
from bot.matching import Keyword, PaperText, Subscription, parse_keyword
from bot.models import Paper
from bot.search import Catalog


def paper(title: str, abstract: str = "An unrelated abstract.", paper_id: int = 1) -> PaperText:
    return PaperText.of(Paper(paper_id, title, abstract))


def hit(keyword: str, title: str, abstract: str = "Nothing here.", exclude: str | None = None):
    return matching.matches(parse_keyword(keyword, exclude), paper(title, abstract))


def test_case_does_not_matter():
    assert hit("rlhf", "Fine-grained RLHF for Language Models")
    assert hit("DIFFUSION", "latent diffusion")


def test_whole_words_only():
    assert not hit("RL", "A URL shortener for papers")
    assert hit("RL", "Offline RL at scale")
    assert not hit("agent", "Reagents in chemistry")


def test_phrases_match_in_order_across_punctuation_and_hyphens():
    assert hit("chain of thought", "Automatic Chain-of-Thought Prompting")
    assert hit("text-to-video", "Multi-Scene Text to Video Generation")
    assert not hit("chain of thought", "Thought of a chain")
    assert not hit("chain of thought", "chain of many thoughts")


def test_common_inflections_match():
    assert hit("diffusion model", "Scaling diffusion models")
    assert hit("agent", "Language agents that plan")
    assert hit("agents", "An agent that plans")
    assert hit("study", "Three studies of attention")


def test_title_or_abstract_but_a_phrase_never_spans_both():
    assert hit("bottleneck", "A Title", "We use a concept bottleneck.")
    assert not hit("models concept", "Better models", "Concept learning is hard.")


def test_exclude_words_veto():
    assert hit("diffusion", "Diffusion for speech", "We synthesise speech.")
    assert not hit("diffusion", "Diffusion for speech", "We generate audio.", exclude="audio")
    assert not hit("diffusion", "Diffusion Audio", exclude="music, audio")


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("", "Give a keyword"),
        ("   ", "Give a keyword"),
        ("x" * 101, "at most 100 characters"),
        ("?!.,;", "at least one letter or digit"),
        ("🙂🙂", "at least one letter or digit"),
        ("@everyone", "cannot contain mentions"),
        ("<@123>", "cannot contain mentions"),
        ("hello <@&456>", "cannot contain mentions"),
        ("the", "would match nearly every paper"),
        ("a", "would match nearly every paper"),
        ("x", "would match nearly every paper"),
        ("of the a", "would match nearly every paper"),
        ("a b c", "would match nearly every paper"),
    ],
)
def test_bad_keywords_say_what_is_wrong(keyword, message):
    with pytest.raises(UserError, match=message):
        parse_keyword(keyword)


def test_keyword_limits_and_normalisation():
    assert parse_keyword("x" * 100).label == "x" * 100
    assert parse_keyword("RL").key == "rl"  # two letters are specific enough
    assert parse_keyword("the agent").terms == ("the", "agent")  # a stopword in a phrase
    assert parse_keyword("  Chain-of-Thought ").key == parse_keyword("chain of thoughts").key
    with pytest.raises(UserError, match="cannot include the keyword"):
        parse_keyword("diffusion", exclude="diffusion")
    with pytest.raises(UserError, match="Exclude needs"):
        parse_keyword("diffusion", exclude="!!!")


def test_day_decision_equals_the_naive_loop(seeded_papers):
    texts = [PaperText.of(p) for p in seeded_papers]
    labels = [
        "diffusion",
        "chain of thought",
        "RLHF",
        "agents",
        "concept bottleneck",
        "language model",
        "text-to-video",
        "reasoning",
        "RL",
        "large language models",
    ]
    subscriptions = [
        Subscription(
            index, 1, 100 + index % 7, parse_keyword(label, "audio" if index % 3 else None)
        )
        for index, label in enumerate(labels * 3)
    ]
    index = matching.KeywordIndex(
        (s.keyword.key, " ".join(s.keyword.exclude), s.user_id) for s in subscriptions
    )
    day = matching.DayMatch(index, texts)
    fast = {
        user: {
            texts[i].paper.id: sorted(set(k))
            for i, k in matching.papers_for(day.hits(user)).items()
        }
        for user in day.members
    }
    naive: dict[int, dict[int, list[str]]] = {}
    for s in subscriptions:
        for text in texts:
            if matching.matches(s.keyword, text):
                keys = naive.setdefault(s.user_id, {}).setdefault(text.paper.id, [])
                keys.append(s.keyword.key)
    naive = {u: {p: sorted(set(k)) for p, k in papers.items()} for u, papers in naive.items()}
    assert fast == naive
    assert sum(len(v) for v in fast.values()) > 50


def test_the_keyword_trie_finds_phrases_and_their_prefixes():
    texts = [paper("Chain of Thought Prompting", "Large language models reason.")]
    keys = [parse_keyword(k).key for k in ("chain", "chain of thought", "of thought", "LLM")]
    keys.append(parse_keyword("language models").key)
    index = matching.KeywordIndex((key, "", 7) for key in keys)
    assert set(index.occurrences(texts)) == set(keys) - {"llm"}
    thought_chain = matching.KeywordIndex([(parse_keyword("thought chain").key, "", 7)])
    assert thought_chain.occurrences(texts) == {}


def test_the_keyword_index_follows_subscribes_and_unsubscribes():
    index = matching.KeywordIndex([("diffus", "", 1), ("diffus", "audio", 2)])
    assert sorted((e, sorted(m)) for _, e, m in index.groups(["diffus"])) == [
        ("", [1]),
        ("audio", [2]),
    ]
    index.add("diffus", "", 3)
    index.remove("diffus", 1)
    index.remove("diffus", 2)
    assert [(e, sorted(m)) for _, e, m in index.groups(["diffus", "other"])] == [("", [3])]
    assert index.keywords_of(1) == {} and index.keywords_of(3) == {"diffus": ""}


@pytest.mark.parametrize(
    ("keyword", "exclude"),
    [
        ("diffusion", None),
        ("diffusion", "audio"),
        ("chain of thought", None),
        ("RLHF", None),
        ("concept bottleneck", None),
        ("text-to-image", "video"),
        ("agents", None),
        ("RL", None),
    ],
)
async def test_preview_counts_agree_with_the_matcher(seeded: Catalog, keyword, exclude):
    parsed = parse_keyword(keyword, exclude)
    count, examples = await seeded.keyword_matches(parsed)
    everything = await seeded.papers(list(range(1, 164)))
    expected = [p for p in everything if matching.matches(parsed, PaperText.of(p))]
    assert count == len(expected) > 0
    assert all(matching.matches(parsed, PaperText.of(p)) for p in examples)
    assert len(examples) == min(2, count)


@pytest.fixture
async def seeded_papers(seeded: Catalog) -> list[Paper]:
    return await seeded.papers(list(range(1, 164)))


def test_keyword_describe_shows_excludes():
    keyword = Keyword("diffusion", ("diffusion",), ("audio", "music"))
    assert keyword.describe() == "diffusion (not: audio, music)"
