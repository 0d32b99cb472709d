"""The help articles (`onetouch/data/help/<topic>.<en|es>.md`) and an offline TF-IDF search."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ARTICLES_DIR = Path(__file__).resolve().parent.parent / "data" / "help"
TOKEN = re.compile(r"[a-z0-9]{2,}")
STOP = frozenset("""a an and are as at be by can de del did do el en es for from has have how i if
in is it la las los me mi my no not of on or para por que se the this to tu un una was what when
where why with y you your""".split())
TITLE_WEIGHT = 3
TOPIC_BONUS = 0.15


def tokens(text: str) -> list[str]:
    """Lower-cased, accent-free words without stop words."""
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return [t for t in TOKEN.findall(plain) if t not in STOP]


@dataclass(frozen=True)
class Article:
    """One help article in one language."""

    topic: str
    locale: str
    title: str
    body: str

    @property
    def summary(self) -> str:
        """The article's first paragraph."""
        return self.body.split("\n\n", 1)[0].strip()


@dataclass(frozen=True)
class Hit:
    """A search result: the article and its score."""

    article: Article
    score: float


@dataclass
class KnowledgeBase:
    """Every article of one language, with TF-IDF vectors for search."""

    articles: list[Article]
    vectors: list[dict[str, float]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        docs = [Counter(tokens(a.title) * TITLE_WEIGHT + tokens(a.body)) for a in self.articles]
        df = Counter(term for doc in docs for term in doc)
        n = len(docs)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self.vectors = [_unit({t: (1 + math.log(c)) * self.idf[t] for t, c in doc.items()})
                        for doc in docs]

    def topic(self, topic: str) -> Article | None:
        """The article of a topic."""
        return next((a for a in self.articles if a.topic == topic), None)

    def search(self, query: str, topic: str | None = None) -> list[Hit]:
        """Articles by cosine similarity to the query, the asked topic nudged up; best first."""
        counts = Counter(t for t in tokens(query) if t in self.idf)
        vector = _unit({t: (1 + math.log(c)) * self.idf[t] for t, c in counts.items()})
        hits = []
        for article, doc in zip(self.articles, self.vectors, strict=True):
            score = sum(w * doc.get(t, 0.0) for t, w in vector.items())
            if topic is not None and article.topic == topic:
                score += TOPIC_BONUS
            hits.append(Hit(article, round(score, 4)))
        return sorted(hits, key=lambda h: (-h.score, h.article.topic))

    def best(self, query: str, topic: str | None = None) -> Article | None:
        """The best article for a question; the topic's own when the question says nothing."""
        hits = self.search(query, topic) if query.strip() else []
        if hits and hits[0].score > (TOPIC_BONUS if topic else 0.0):
            return hits[0].article
        return self.topic(topic) if topic else (hits[0].article if hits else None)


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def read_article(path: Path) -> Article:
    """An article file: `# Title`, then the body."""
    topic, locale = path.name.removesuffix(".md").rsplit(".", 1)
    text = path.read_text(encoding="utf-8").strip()
    first, _, rest = text.partition("\n")
    if not first.startswith("# "):
        raise ValueError(f"help article {path.name}: the first line must be '# Title'")
    return Article(topic=topic, locale=locale, title=first[2:].strip(), body=rest.strip())


@lru_cache(maxsize=4)
def knowledge_base(locale: str, directory: Path = ARTICLES_DIR) -> KnowledgeBase:
    """The articles of one language, read once."""
    paths = sorted(directory.glob(f"*.{locale}.md"))
    return KnowledgeBase([read_article(p) for p in paths])
