"""Agent or customer, from the words of one sentence.

A logistic head over multilingual sentence embeddings (USE: English, French and
more), learnt from the role examples (callscope/configs/role_examples.yaml) and from the
taxonomy's reason examples, which are what customers say. The reason examples
together weigh as much as TAXONOMY_SHARE of the file's customer examples, so a
taxonomy's size and languages barely move the head. It is used where the voices
cannot tell the parties apart (pipeline/one_voice.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from callscope.config import Settings, read_yaml
from callscope.errors import ConfigError
from callscope.nlp.embeddings import get_embedder, unit_embeddings
from callscope.nlp.fixed_vectors import fixed_unit_embeddings
from callscope.nlp.taxonomy import load_taxonomy
from callscope.threads import one_blas_thread

EMBEDDER = "use"
# Chosen among 0, 0.25, 0.5, 1 and unweighted (docs/diarization.md): with none, refund_request's customer
# falls under the split's evidence guard; with more, French reason examples pull agent sentences to the customer.
TAXONOMY_SHARE = 0.25


def load_role_examples(path: Path) -> tuple[list[str], list[str]]:
    """The agent and customer example sentences of a role examples file."""
    data = read_yaml(path, "role examples file")
    lists = [data.get(role) if isinstance(data, dict) else None for role in ("agent", "customer")]
    if not all(isinstance(found, list) and found and all(isinstance(t, str) for t in found) for found in lists):
        raise ConfigError(f"{path}: needs non-empty lists of sentences under 'agent' and 'customer'")
    return lists[0], lists[1]


def role_examples(settings: Settings) -> tuple[list[str], list[str], list[str]]:
    """Training sentences: the role examples file's agent and customer ones, and the taxonomy's reason
    examples (said by customers)."""
    agent, customer = load_role_examples(settings.roles.examples_path())
    taxonomy = load_taxonomy(settings.enrich.taxonomy_path())
    return agent, customer, [text for reason in taxonomy.reasons for text in reason.examples]


class RoleByWords:
    """P(agent) of sentences, from a head learnt on example sentences of each party (`reasons`: the
    taxonomy's, on the customer side, weighted as the module doc says)."""

    def __init__(self, agent: list[str], customer: list[str], reasons: Sequence[str] = ()):
        self._embedder = get_embedder(EMBEDDER)
        texts = agent + customer + list(reasons)
        labels = np.array([1] * len(agent) + [0] * (len(customer) + len(reasons)))
        weights = np.array([1.0] * (len(agent) + len(customer))
                           + [TAXONOMY_SHARE * len(customer) / max(len(reasons), 1)] * len(reasons))
        with one_blas_thread():
            self._head = LogisticRegression(class_weight="balanced", max_iter=2000).fit(
                fixed_unit_embeddings(self._embedder, texts), labels, sample_weight=weights)

    def agent_probability(self, texts: Sequence[str]) -> np.ndarray:
        """P(the agent said it) for each text."""
        if not texts:
            return np.zeros(0)
        with one_blas_thread():
            return self._head.predict_proba(unit_embeddings(self._embedder, texts))[:, 1]
