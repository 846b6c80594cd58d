"""Synthetic digest archives shaped like the seeds, deterministic and cached.

The archive's days are Hub JSON days, as a live deployment keeps them: each paper with
an arXiv id, 1-12 authors (names Zipf-drawn, so some authors have many papers),
upvotes, a one-sentence summary and its code repository when the abstract names one.
Later days come both as text digests (`new/`) and as Hub days (`new-json/`).

Words come from a ranked list of "units" drawn with Zipf weights: the seeds' own
words, their frequent two- and three-word phrases (so keywords like "language models"
occur adjacent, as in real abstracts), then generated pronounceable words. The
vocabulary grows with the archive (Heaps' law, at least 50,000 terms), so the
typo-correction and memory figures see a realistic number of distinct terms.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import text
from bot.digest import parse_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CACHE = Path(__file__).resolve().parent / ".cache"
VERSION = 4  # bump when the generator changes, so stale caches are not reused

LAST_DAY = dt.date(2026, 3, 14)  # the archive's newest day; new days follow it
HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n\n"
)
TITLE_CHARS = (23, 126, 75)  # min, max, mode, as in the seeds
ABSTRACT_CHARS = (1400, 1900, 1600)
PAPERS_PER_DAY = (80, 100)
ZIPF_EXPONENT = 1.05
MIN_VOCABULARY = 50_000
TOKENS_PER_PAPER = 260
LINK_SHARE = 0.25  # a quarter of the seeds' abstracts name a URL
FIRST_NAMES, LAST_NAMES = 3_000, 30_000  # author name pools, each drawn with Zipf weights
MEAN_AUTHORS, MAX_AUTHORS = 5, 12

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"`]")
_ONSETS = ("b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_ONSETS += ("br", "ch", "cl", "dr", "gr", "pl", "sh", "st", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou")
_CODAS = ("", "", "", "n", "r", "l", "s", "t", "m", "x", "nd", "rk")


@dataclass(frozen=True)
class Lexicon:
    """Ranked units (a word or a short phrase), with cumulative Zipf weights for drawing."""

    units: tuple[str, ...]
    cumulative: tuple[float, ...]
    content: tuple[str, ...]  # units with no stopword at either end: titles, keywords
    content_cumulative: tuple[float, ...]

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.units, cum_weights=self.cumulative, k=count)

    def draw_content(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.content, cum_weights=self.content_cumulative, k=count)


def vocabulary_size(papers: int) -> int:
    """Distinct generated terms for an archive of `papers`: Heaps' law, at least 50,000."""
    return max(MIN_VOCABULARY, int(30 * math.sqrt(papers * TOKENS_PER_PAPER)))


def zipf_cumulative(count: int) -> tuple[float, ...]:
    """Cumulative Zipf–Mandelbrot weights for ranks 1..count."""
    return tuple(itertools.accumulate(1.0 / (rank + 2.7) ** ZIPF_EXPONENT for rank in range(count)))


def seed_units() -> list[str]:
    """The seeds' words and frequent 2-3 word phrases, most frequent first."""
    counts: Counter[str] = Counter()
    for path in sorted(SEEDS.iterdir()):
        for paper in parse_file(path, LAST_DAY).papers:
            for clause in _CLAUSE.split(f"{paper.title}. {_strip_urls(paper.abstract)}"):
                words = [_normal_case(word) for word in _TOKEN.findall(clause)]
                counts.update(words)
                for size in (2, 3):
                    counts.update(
                        " ".join(words[i : i + size]) for i in range(len(words) - size + 1)
                    )
    return [unit for unit, n in counts.most_common() if " " not in unit or n >= 3]


def _strip_urls(abstract: str) -> str:
    return re.sub(r"https?://\S+", " ", abstract)


def _normal_case(word: str) -> str:
    """Lowercase, except acronyms and mixed case such as `LLMs`, `T2V`, `GPT-4`."""
    return word if any(char.isupper() for char in word[1:]) else word.lower()


def generated_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """`count` distinct pronounceable words not in `taken`."""
    words: list[str] = []
    seen = set(taken)
    while len(words) < count:
        syllables = rng.choices((1, 2, 3, 4), weights=(1, 4, 4, 2))[0]
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if word not in seen and len(word) >= 3:
            seen.add(word)
            words.append(word)
    return words


def build_lexicon(papers: int, seed: int) -> Lexicon:
    """The ranked units for an archive of `papers`: seed units, then generated words."""
    rng = random.Random(f"lexicon-{seed}")
    units = seed_units()
    seed_terms = {term for unit in units for term in text.terms(unit)}
    missing = max(0, vocabulary_size(papers) - len(seed_terms))
    units += generated_words(rng, missing, {word.lower() for word in units})
    content = [unit for unit in units if _is_content(unit)]
    return Lexicon(
        tuple(units), zipf_cumulative(len(units)), tuple(content), zipf_cumulative(len(content))
    )


def _is_content(unit: str) -> bool:
    words = text.words(unit)
    return bool(words) and words[0] not in text.STOPWORDS and words[-1] not in text.STOPWORDS


# -- papers and days -----------------------------------------------------------------


def make_title(rng: random.Random, lexicon: Lexicon) -> str:
    """A title of 23-126 characters; about half start with a `Name:` like the seeds."""
    target = int(rng.triangular(*TITLE_CHARS))
    parts: list[str] = []
    if rng.random() < 0.5:
        parts.append(_acronym(rng, lexicon) + ":")
    for unit in lexicon.draw_content(rng, 40):
        if len(" ".join(parts)) >= target:
            break
        parts.extend(_title_case(word) for word in unit.split())
    title = " ".join(parts)
    return title[: TITLE_CHARS[1]].rsplit(" ", 1)[0] if len(title) > TITLE_CHARS[1] else title


def _acronym(rng: random.Random, lexicon: Lexicon) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choices("ABCDEFGHIJKLMNOPRSTVW", k=rng.randint(3, 6)))
    first, second = (word.split()[0] for word in lexicon.draw_content(rng, 2))
    return first[:1].upper() + first[1:6] + second[:1].upper() + second[1:6]


def _title_case(word: str) -> str:
    if word in text.STOPWORDS:
        return word
    return word[:1].upper() + word[1:]


def make_abstract(rng: random.Random, lexicon: Lexicon) -> str:
    """1400-1900 characters of sentences of Zipf-drawn units, sometimes naming a URL."""
    target = int(rng.triangular(*ABSTRACT_CHARS))
    sentences: list[str] = []
    length = 0
    while length < target - 40:
        words = " ".join(lexicon.draw(rng, rng.randint(8, 22)))
        sentence = words[:1].upper() + words[1:] + "."
        sentences.append(sentence)
        length += len(sentence) + 1
    if rng.random() < LINK_SHARE:
        sentences.append(_link_sentence(rng, lexicon))
    return " ".join(sentences)


def _link_sentence(rng: random.Random, lexicon: Lexicon) -> str:
    owner, repo = (word.split()[0].lower() for word in lexicon.draw_content(rng, 2))
    if rng.random() < 0.6:
        return f"Code is available at https://github.com/{owner}/{repo}."
    return f"The project page is https://{owner}-{repo}.github.io/."


def day_sizes(papers: int, rng: random.Random) -> list[int]:
    """Papers per day, 80-100 each, summing to `papers` (the oldest day takes the rest)."""
    sizes: list[int] = []
    left = papers
    while left > 0:
        size = min(left, rng.randint(*PAPERS_PER_DAY))
        sizes.append(size)
        left -= size
    return sizes


@dataclass(frozen=True)
class Names:
    """Author name pools with cumulative Zipf weights."""

    first: tuple[str, ...]
    last: tuple[str, ...]
    first_cumulative: tuple[float, ...]
    last_cumulative: tuple[float, ...]

    def draw(self, rng: random.Random) -> list[str]:
        count = min(MAX_AUTHORS, 1 + int(rng.expovariate(1 / (MEAN_AUTHORS - 1))))
        firsts = rng.choices(self.first, cum_weights=self.first_cumulative, k=count)
        lasts = rng.choices(self.last, cum_weights=self.last_cumulative, k=count)
        return [f"{first} {last}" for first, last in zip(firsts, lasts, strict=True)]


def build_names(seed: int) -> Names:
    rng = random.Random(f"names-{seed}")
    words = [word.title() for word in generated_words(rng, FIRST_NAMES + LAST_NAMES, set())]
    first, last = words[:FIRST_NAMES], words[FIRST_NAMES:]
    return Names(tuple(first), tuple(last), zipf_cumulative(len(first)), zipf_cumulative(len(last)))


def arxiv_id(number: int) -> str:
    """A valid new-style arXiv id for the `number`-th paper (from 0), from 1501 on."""
    month, index = divmod(number, 90_000)
    return f"{15 + month // 12:02d}{1 + month % 12:02d}.{index + 1:05d}"


def hub_item(
    rng: random.Random, names: Names, number: int, title: str, abstract: str
) -> dict[str, object]:
    """An API item for a generated paper, with invented metadata."""
    code = re.search(r"https://github\.com/[\w.-]+/[\w.-]+[\w-]", abstract)
    paper: dict[str, object] = {
        "id": arxiv_id(number),
        "title": title,
        "summary": abstract,
        "authors": [{"name": name, "hidden": False} for name in names.draw(rng)],
        "upvotes": int(rng.paretovariate(1.2)) - 1,
        "ai_summary": abstract.split(". ", 1)[0][:300] + ".",
        "ai_keywords": sorted({word for word in title.split() if len(word) > 6})[:5],
    }
    if code:
        paper["githubRepo"] = code.group()
    return {"paper": paper, "title": title, "summary": abstract, "numComments": rng.randint(0, 9)}


def render_hub_day(day: dt.date, items: Sequence[dict[str, object]]) -> str:
    """One Hub day file, as bot.hub_files writes it."""
    head = {"day": day.isoformat(), "source": "benchmark", "fetched_at": f"{day}T02:00:00Z"}
    return json.dumps({**head, "items": list(items)}, ensure_ascii=False)


def render_day(day: dt.date, papers: Sequence[tuple[str, str]]) -> str:
    """One digest file in the real format: header lines, the ISO date, title/abstract blocks."""
    blocks = "\n\n".join(f"{title}\n\n{abstract}" for title, abstract in papers)
    return f"{HEADER}{day.isoformat()}\n\n{blocks}\n"


def generate_papers(
    rng: random.Random, lexicon: Lexicon, count: int, titles: set[str]
) -> Iterator[tuple[str, str]]:
    """`count` papers whose titles are new to `titles` (which is updated)."""
    made = 0
    while made < count:
        title = make_title(rng, lexicon)
        key = text.title_key(title)
        if len(title) < TITLE_CHARS[0] or key in titles:
            continue
        titles.add(key)
        made += 1
        yield title, make_abstract(rng, lexicon)


# -- the cache -----------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A generated archive on disk: `archive/` (one file per day) and `new/` (later days)."""

    folder: Path
    papers: int
    days: int
    lexicon: Lexicon

    @property
    def archive(self) -> Path:
        return self.folder / "archive"

    @property
    def new_days(self) -> list[Path]:
        return sorted((self.folder / "new").iterdir())

    @property
    def new_hub_days(self) -> list[Path]:
        return sorted((self.folder / "new-json").iterdir())


def corpus(papers: int, seed: int, new_days: int = 21) -> Corpus:
    """The archive of `papers` for `seed`, generated on first use and cached."""
    folder = CACHE / f"corpus-v{VERSION}-seed{seed}-{papers}"
    lexicon = build_lexicon(papers, seed)
    marker = folder / "complete"
    if not marker.exists():
        _generate(folder, papers, seed, lexicon, new_days)
        marker.write_text("ok\n")
    days = sum(1 for _ in (folder / "archive").iterdir())
    return Corpus(folder, papers, days, lexicon)


def _generate(folder: Path, papers: int, seed: int, lexicon: Lexicon, new_days: int) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    for name in ("archive", "new", "new-json"):
        (folder / name).mkdir(parents=True)
    rng = random.Random(f"corpus-{seed}-{papers}")
    names = build_names(seed)
    titles: set[str] = set()
    sizes = day_sizes(papers, rng)
    first_day = LAST_DAY - dt.timedelta(days=len(sizes) - 1)
    number = 0
    for offset, size in enumerate(reversed(sizes)):
        day = first_day + dt.timedelta(days=offset)
        items = []
        for title, abstract in generate_papers(rng, lexicon, size, titles):
            items.append(hub_item(rng, names, number, title, abstract))
            number += 1
        _write(folder / "archive" / f"hf-{day}.json", render_hub_day(day, items))
    for offset in range(1, new_days + 1):
        day = LAST_DAY + dt.timedelta(days=offset)
        text_papers = list(generate_papers(rng, lexicon, 100, titles))
        _write(folder / "new" / f"{day}.txt", render_day(day, text_papers))
        items = []
        for title, abstract in generate_papers(rng, lexicon, 100, titles):
            items.append(hub_item(rng, names, number, title, abstract))
            number += 1
        _write(folder / "new-json" / f"hf-{day}.json", render_hub_day(day, items))


def _write(path: Path, content: str) -> None:
    path.write_text(content, encoding="utf-8")
