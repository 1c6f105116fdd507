"""Topics over customer speech, stable across nightly runs (docs/topics.md).

A run's *pool* of documents (one per call: the customer's words) is clustered
by BERTopic (precomputed offline embeddings, UMAP, HDBSCAN, c-TF-IDF keywords).
A cluster whose centroid is less than
`new_topic_similarity` (cosine) from every existing topic's becomes a new topic
with the next unused id. Every other document (in a cluster of a known theme,
or left out by HDBSCAN) goes to the topic with the most similar centroid when
the cosine reaches `outlier_threshold` (BERTopic's `reduce_outliers` embeddings
strategy, over old and new topics alike) and is an outlier (-1) otherwise. On
the first run every cluster is new. Ids are never reused or renumbered; a
topic's label, keywords, quote and centroid are fixed when it is created. The
model state is one JSON file (OUT/topics/topics.json). Topic words go through
the redactor before they are kept (`redact_topic`), whatever the documents were.
"""

from __future__ import annotations

import base64
import json
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from callscope.config import TopicSettings
from callscope.errors import CallscopeError
from callscope.files import atomic_write_text
from callscope.nlp.embeddings import unit, unit_embeddings
from callscope.redact import redact_text

STATE_FILE = "topics.json"
ASSIGNMENTS_FILE = "assignments.json"   # call_id -> topic_id, so a rebuilt store gets its calls' topics back
STATE_FORMAT = 1
OUTLIER = -1
LABEL_WORDS = 3          # keywords shown in a topic's label
QUOTE_DOCS = 3           # documents nearest a centroid searched for its representative quote
QUOTE_MIN_WORDS = 4
QUOTE_MAX_CHARS = 240
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")   # redaction placeholders such as [CARD]
# Spoken fillers and contraction stubs ("hasn't" -> "hasn") kept out of English keywords.
FILLERS = frozenset("""hi hello hey um uh er erm yeah yes yep okay ok right sorry please thanks thank cheers
    just like really basically actually gonna wanna got hasn don didn doesn isn wasn aren haven won wouldn couldn
    shouldn ve ll re""".split())


@dataclass(frozen=True)
class Document:
    """One call's customer speech: its utterances in order, and its language when known."""

    key: str
    utterances: tuple[str, ...]
    language: str | None = None

    @property
    def text(self) -> str:
        return clean(" ".join(self.utterances))


@dataclass
class Topic:
    """A topic as persisted: fixed at creation, never renumbered."""

    topic_id: int
    label: str
    keywords: list[str]
    representative: str
    centroid: np.ndarray            # L2-normalised mean embedding of its founding documents
    first_seen_run: str | None = None


@dataclass
class Assignment:
    """What one update did to its pool of documents."""

    topic_ids: list[int]                       # per document, -1 for an outlier
    assigned: int = 0                          # documents placed in topics that existed before
    new_topics: list[int] = field(default_factory=list)
    outliers: int = 0


def clean(text: str) -> str:
    """Text without redaction placeholders and extra spaces."""
    return " ".join(_PLACEHOLDER.sub(" ", text).split())


def choose_embedder(documents: Sequence[Document], settings: TopicSettings) -> str:
    """`settings.embedder`, or for "auto": MiniLM when at least `english_share` of the documents
    are English (language given, else detected), else the multilingual USE."""
    if settings.embedder != "auto":
        return settings.embedder
    if not documents:
        return "minilm"
    from callscope.nlp.reasons import detect_language

    english = sum((doc.language or detect_language(doc.text) or "").lower().startswith("en") for doc in documents)
    return "minilm" if english >= settings.english_share * len(documents) else "use"


def _vectorizer(english: bool):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop_words = sorted(ENGLISH_STOP_WORDS | FILLERS) if english else None
    return CountVectorizer(ngram_range=(1, 2), stop_words=stop_words)


def term_sets(texts: Sequence[str], english: bool) -> list[set[str]]:
    """The keyword terms (words and word pairs) each text contains, analysed as `discover` does."""
    analyse = _vectorizer(english).build_analyzer()
    return [set(analyse(text)) for text in texts]


def discover(texts: Sequence[str], embeddings: np.ndarray, settings: TopicSettings,
             english: bool) -> tuple[np.ndarray, dict[int, list[str]]]:
    """BERTopic clusters of `texts`: labels (0..k-1 by size, -1 outliers) and keywords per cluster.

    Keywords are c-TF-IDF terms (words and word pairs; frequent words damped; for English, stop
    words and call fillers removed). Deterministic for the same input: UMAP has a fixed
    random_state (and runs single-threaded); HDBSCAN and c-TF-IDF involve no randomness.
    """
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from umap import UMAP

    n = len(texts)
    umap = UMAP(n_neighbors=min(settings.umap_neighbors, n - 1), n_components=min(settings.umap_components, n - 2),
                min_dist=0.0, metric="cosine", random_state=settings.seed, n_jobs=1)
    hdbscan = HDBSCAN(min_cluster_size=settings.min_topic_size, metric="euclidean",
                      cluster_selection_method=settings.cluster_selection, prediction_data=False)
    # "multilingual" keeps accents and apostrophes (BERTopic strips them for "english"); the embeddings are ours.
    model = BERTopic(language="multilingual", umap_model=umap, hdbscan_model=hdbscan,
                     vectorizer_model=_vectorizer(english),
                     ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
                     top_n_words=settings.keywords, calculate_probabilities=False, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = np.asarray(model.fit_transform(list(texts), embeddings)[0])
    keywords = {int(t): [w for w, _ in model.get_topic(int(t)) if w.strip()]
                for t in sorted(set(labels.tolist())) if t != OUTLIER}
    return labels, keywords


def label_of(keywords: Sequence[str], words: int = LABEL_WORDS) -> str:
    """The first keywords that add a word to the label, e.g. "pin, card pin, change"."""
    chosen, seen = [], set()
    for keyword in keywords:
        tokens = set(keyword.split())
        if not tokens <= seen:
            chosen.append(keyword)
            seen |= tokens
        if len(chosen) == words:
            break
    return ", ".join(chosen)


def redact_topic(topic: Topic) -> Topic:
    """`topic` with no personal data in its words: a keyword the redactor would change is dropped
    (and the label made again from the others), the quote is redacted."""
    keywords = [keyword for keyword in topic.keywords if redact_text(keyword) == keyword]
    label = topic.label if keywords == topic.keywords and redact_text(topic.label) == topic.label \
        else label_of(keywords) or f"topic {topic.topic_id}"
    return replace(topic, label=label, keywords=keywords, representative=redact_text(topic.representative))


class TopicModel:
    """The persisted topics of one output folder, in one embedding space."""

    def __init__(self, embedder: str, topics: list[Topic] | None = None, next_topic_id: int = 0):
        self.embedder = embedder
        self.topics = topics or []
        self.next_topic_id = next_topic_id

    @property
    def ids(self) -> np.ndarray:
        return np.array([t.topic_id for t in self.topics], dtype=np.int64)

    @property
    def centroids(self) -> np.ndarray:
        return np.stack([t.centroid for t in self.topics]) if self.topics else np.zeros((0, 0), np.float32)

    def nearest(self, embeddings: np.ndarray, threshold: float) -> np.ndarray:
        """Per embedding, the most similar topic's id when the cosine reaches `threshold`, else -1."""
        if not self.topics or not len(embeddings):
            return np.full(len(embeddings), OUTLIER, np.int64)
        sims = unit(embeddings) @ self.centroids.T
        best = sims.argmax(1)
        return np.where(sims[np.arange(len(best)), best] >= threshold, self.ids[best], OUTLIER)

    def update(self, documents: Sequence[Document], embeddings: np.ndarray, settings: TopicSettings,
               embedder, run_id: str | None = None) -> Assignment:
        """Assign `documents` to existing topics and create new ones (module docstring).

        With fewer than `settings.min_documents` documents nothing new is looked for:
        each document only goes to its nearest existing topic (or stays an outlier).
        """
        embeddings = unit(np.asarray(embeddings, np.float32))
        known = {t.topic_id for t in self.topics}
        result = np.full(len(documents), OUTLIER, np.int64)
        if len(documents) >= settings.min_documents:
            texts = [doc.text for doc in documents]
            labels, keywords = discover(texts, embeddings, settings, english=self.embedder == "minilm")
            existing = self.centroids
            new = []                # (cluster, its members, its centroid) of the clusters that are new topics
            for cluster in sorted(keywords):
                members = np.flatnonzero(labels == cluster)
                centroid = unit(embeddings[members].mean(0))
                if len(existing) and (existing @ centroid).max() >= settings.new_topic_similarity:
                    continue        # a known theme: its documents go to their nearest topics below
                new.append((cluster, members, centroid))
            nearest = [members[np.argsort(-(embeddings[members] @ centroid), kind="stable")[:QUOTE_DOCS]]
                       for _, members, centroid in new]
            quotes = _quotes([[documents[i] for i in found] for found in nearest], [c for *_, c in new], embedder)
            for (cluster, members, centroid), quote in zip(new, quotes):
                result[members] = self._new_topic(keywords[cluster], centroid, quote, run_id).topic_id
        rest = np.flatnonzero(result == OUTLIER)
        result[rest] = self.nearest(embeddings[rest], settings.outlier_threshold)
        return Assignment(topic_ids=result.tolist(), assigned=int(np.isin(result, list(known)).sum()),
                          new_topics=[t.topic_id for t in self.topics if t.topic_id not in known],
                          outliers=int((result == OUTLIER).sum()))

    def _new_topic(self, keywords: list[str], centroid: np.ndarray, quote: str, run_id: str | None) -> Topic:
        topic = redact_topic(Topic(
            topic_id=self.next_topic_id, label=label_of(keywords) or f"topic {self.next_topic_id}",
            keywords=keywords, representative=quote, centroid=centroid, first_seen_run=run_id))
        self.topics.append(topic)
        self.next_topic_id += 1
        return topic

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> str:
        """The state as JSON: deterministic bytes for the same state (centroids base64 float32)."""
        topics = [{"topic_id": t.topic_id, "label": t.label, "keywords": t.keywords,
                   "representative": t.representative, "first_seen_run": t.first_seen_run,
                   "centroid": base64.b64encode(t.centroid.astype("<f4").tobytes()).decode("ascii")}
                  for t in self.topics]
        return json.dumps({"format": STATE_FORMAT, "embedder": self.embedder,
                           "next_topic_id": self.next_topic_id, "topics": topics},
                          ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def save(self, folder: Path) -> None:
        """Write `folder`/topics.json atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / STATE_FILE, self.to_json())

    @classmethod
    def load(cls, folder: Path) -> "TopicModel | None":
        """The state saved in `folder`, or None when there is none yet."""
        path = folder / STATE_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"unsupported format {data.get('format')!r}")
            topics = [redact_topic(Topic(  # a state written before topic words were redacted is cleaned
                topic_id=int(t["topic_id"]), label=t["label"], keywords=list(t["keywords"]),
                representative=t["representative"], first_seen_run=t["first_seen_run"],
                centroid=np.frombuffer(base64.b64decode(t["centroid"]), "<f4").astype(np.float32)))
                for t in data["topics"]]
            if len({t.centroid.shape for t in topics}) > 1:
                raise ValueError("centroids of different sizes")
            return cls(data["embedder"], topics, int(data["next_topic_id"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CallscopeError(f"{path}: not a valid topic state ({exc})") from None


def _quote_candidates(documents: Sequence[Document]) -> list[str]:
    """The utterances of `documents` a quote may be: those of at least QUOTE_MIN_WORDS words when any is."""
    candidates = [u for doc in documents for u in map(clean, doc.utterances) if u]
    return [u for u in candidates if len(u.split()) >= QUOTE_MIN_WORDS] or candidates


def _quotes(groups: Sequence[Sequence[Document]], centroids: Sequence[np.ndarray], embedder) -> list[str]:
    """Per group of documents, its utterance most similar to the group's centroid (`_quote_candidates`),
    shortened to QUOTE_MAX_CHARS; "" for a group without words. The utterances of all groups are
    embedded in one batch."""
    candidates = [_quote_candidates(documents) for documents in groups]
    texts = list(dict.fromkeys(u for found in candidates for u in found))
    vectors = dict(zip(texts, unit_embeddings(embedder, texts))) if texts else {}
    quotes = []
    for found, centroid in zip(candidates, centroids):
        best = found[int(np.argmax(np.stack([vectors[u] for u in found]) @ centroid))] if found else ""
        quotes.append(best if len(best) <= QUOTE_MAX_CHARS else best[:QUOTE_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…")
    return quotes


def fit_topics(texts: Sequence[str], settings: TopicSettings, embedder=None,
               embeddings: np.ndarray | None = None) -> tuple[TopicModel, Assignment]:
    """Topics of a plain list of texts (used by `callscope eval topics` and the benchmark).

    `embedder` defaults to the one `choose_embedder` picks; `embeddings` may be given precomputed.
    """
    from callscope.nlp.embeddings import get_embedder

    documents = [Document(str(i), (text,)) for i, text in enumerate(texts)]
    if embedder is None:
        embedder = get_embedder(choose_embedder(documents, settings))
    if embeddings is None:
        embeddings = embedder.encode([doc.text for doc in documents])
    model = TopicModel(embedder.name)
    return model, model.update(documents, embeddings, settings, embedder)


# ---------------------------------------------------------------------- the store


@dataclass(frozen=True)
class TopicUpdate:
    """What `update_topics` did: documents looked at, where they went, and a note when nothing could be done."""

    documents: int                  # calls with customer speech in the pool (new calls and past outliers)
    assigned: int                   # of them placed in topics that existed before
    new_topics: list[int]
    outliers: int                   # of them left in topic -1
    topics: int                     # topics in the model after the update
    embedder: str | None
    note: str | None = None


POOL_QUERY = """
    WITH pool AS (
        SELECT call_id, language, redacted FROM conversations WHERE topic_id IS NULL
        UNION ALL
        (SELECT call_id, language, redacted FROM conversations WHERE topic_id = -1
         ORDER BY call_time DESC NULLS LAST, call_id LIMIT ?))
    SELECT p.call_id, p.language, p.redacted, u.role, u.text
    FROM pool p LEFT JOIN utterances u USING (call_id)
    ORDER BY p.call_id, u.idx
"""


def pool_documents(con, max_outliers: int) -> tuple[list[Document], list[str]]:
    """Calls to model: those with topic_id NULL plus the `max_outliers` most recent outliers.

    Returns documents (the customer's utterances; every non-agent utterance when no speaker is
    known to be the customer) and the ids of pooled calls with no customer speech at all. Calls
    stored unredacted (--keep-pii) are redacted here, so no keyword or quote carries PII.
    """
    calls: dict[str, tuple[str | None, list[tuple[str, str]]]] = {}
    for call_id, language, redacted, role, text in con.execute(POOL_QUERY, [max_outliers]).fetchall():
        entry = calls.setdefault(call_id, (language, []))
        if text and text.strip():
            entry[1].append((role, text if redacted is not False else redact_text(text)))
    documents, empty = [], []
    for call_id, (language, said) in calls.items():
        customer = [t for r, t in said if r == "customer"] or [t for r, t in said if r != "agent"]
        if any(clean(t) for t in customer):
            documents.append(Document(call_id, tuple(customer), language))
        else:
            empty.append(call_id)
    return documents, empty


def update_topics(con, model_dir: Path, settings: TopicSettings, run_id: str | None = None) -> TopicUpdate:
    """Model the store's new calls: assign them to existing topics, create new topics, write the
    `topics` table and `conversations.topic_id` (in one transaction), keep the state in `model_dir`.

    Calls with topic_id NULL are new; outliers (-1) are looked at again, so a theme too small to
    be a topic one night can become one later. The state file is written before the store, so a
    killed update leaves calls NULL (redone next time), never ids the state does not know.
    `run_id` (default: the latest run in the store) is recorded as a new topic's first_seen_run.
    """
    from callscope.nlp.embeddings import get_embedder

    model_dir = Path(model_dir)
    model = TopicModel.load(model_dir)
    stored = con.execute("SELECT count(*), max(topic_id) FROM topics").fetchall()[0]
    if model is None and stored[0]:
        raise CallscopeError(f"{model_dir / STATE_FILE}: missing, but the store already has {stored[0]} topics; "
                             f"restore that file (topic ids must not be renumbered)")
    documents, empty = pool_documents(con, settings.max_outlier_pool)
    embedder_name = model.embedder if model else choose_embedder(documents, settings)
    if settings.embedder not in ("auto", embedder_name):
        raise CallscopeError(f"{model_dir / STATE_FILE}: topics were built on {embedder_name} embeddings, "
                             f"topics.embedder is {settings.embedder}; keep it, or move the folder away and "
                             f"reset conversations.topic_id to rebuild")
    if model is None and len(documents) < settings.min_documents:
        note = (f"{len(documents)} calls with customer speech: too few to find topics (topics.min_documents "
                f"is {settings.min_documents}); they are modelled once enough calls have arrived")
        return TopicUpdate(len(documents), 0, [], 0, 0, None, note)
    if run_id is None:
        latest = con.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC NULLS LAST, run_id DESC LIMIT 1").fetchall()
        run_id = latest[0][0] if latest else None
    model = model or TopicModel(embedder_name)
    model.next_topic_id = max(model.next_topic_id, (stored[1] if stored[1] is not None else -1) + 1)
    embedder = get_embedder(embedder_name)
    result = model.update(documents, embedder.encode([d.text for d in documents]), settings, embedder, run_id)
    model.save(model_dir)
    _write_store(con, model, {d.key: t for d, t in zip(documents, result.topic_ids)} | dict.fromkeys(empty, OUTLIER))
    save_assignments(con, model_dir)
    note = None if model.topics else f"no topic found among {len(documents)} calls"
    return TopicUpdate(len(documents), result.assigned, result.new_topics, result.outliers, len(model.topics),
                       embedder_name, note)


def save_assignments(con, model_dir: Path) -> None:
    """Every stored call's topic id into `model_dir`/assignments.json (written after the store)."""
    rows = con.execute("SELECT call_id, topic_id FROM conversations WHERE topic_id IS NOT NULL ORDER BY call_id")
    atomic_write_text(Path(model_dir) / ASSIGNMENTS_FILE, json.dumps(dict(rows.fetchall()), ensure_ascii=False) + "\n")


def restore_topics(con, model_dir: Path) -> int:
    """Give the store's calls the topic ids saved in `model_dir` and rewrite the topics table from
    the saved state (a rebuilt store); returns the calls given a topic id. Calls without a saved id
    stay NULL: the next run models them."""
    model = TopicModel.load(Path(model_dir))
    path = Path(model_dir) / ASSIGNMENTS_FILE
    if model is None or not path.is_file():
        return 0
    try:
        saved = {str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (ValueError, AttributeError) as exc:
        raise CallscopeError(f"{path}: not a valid topic assignment file ({exc})") from None
    stored = {row[0] for row in con.execute("SELECT call_id FROM conversations").fetchall()}
    assignment = {call_id: topic for call_id, topic in saved.items() if call_id in stored}
    _write_store(con, model, assignment)
    return len(assignment)


def _write_store(con, model: TopicModel, assignment: dict[str, int]) -> None:
    """Set conversations.topic_id and rewrite the topics table with sizes counted in the store."""
    import pandas as pd

    frame = pd.DataFrame({"call_id": pd.Series(list(assignment), dtype=object),
                          "topic_id": pd.Series(list(assignment.values()), dtype="int64")})
    topics = pd.DataFrame({
        "topic_id": pd.Series([t.topic_id for t in model.topics], dtype="int64"),
        "label": pd.Series([t.label for t in model.topics], dtype=object),
        "keywords": pd.Series([", ".join(t.keywords) for t in model.topics], dtype=object),
        "representative": pd.Series([t.representative for t in model.topics], dtype=object),
        "first_seen_run": pd.Series([t.first_seen_run for t in model.topics], dtype=object)})
    con.register("_topic_assignment", frame)
    con.register("_topic_rows", topics)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE conversations SET topic_id = a.topic_id FROM _topic_assignment a "
                    "WHERE conversations.call_id = a.call_id")
        con.execute("DELETE FROM topics")
        con.execute("""INSERT INTO topics (topic_id, label, keywords, representative, size, first_seen_run)
                       SELECT t.topic_id, t.label, t.keywords, t.representative,
                              (SELECT count(*) FROM conversations c WHERE c.topic_id = t.topic_id),
                              t.first_seen_run
                       FROM _topic_rows t ORDER BY t.topic_id""")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_topic_assignment")
        con.unregister("_topic_rows")
