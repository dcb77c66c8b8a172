"""spaCy's NER weights, decoded here instead of in spaCy's own parser loop; same entities.

spaCy 3.8's compiled transition parser takes and drops the GIL for every validity check of
every action at every token (~200 times a token for the 74 actions of en_core_web_sm's
`ner`): 6-7 s of 20 s on 145 long web pages, and worse when another thread runs Python (the
embedding worker), since each of those takes waits its turn. The pipe's own tok2vec and
precomputed "lower" layer still run through thinc; the greedy BILUO decoding that follows
(add three precomputed feature rows, maxout, one linear layer, best valid action) is done
here with numpy, for all documents of a batch at once, one token position per step.

It applies to a `ner` pipe of the shape it knows (`BiluoDecoder.unsupported` says why not,
and the caller then keeps spaCy's own `pipe`) and to documents without preset entities (the
freshly tokenised pieces the entity engine makes). A test holds its output to spaCy's own on
real texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MOVES = ("B", "I", "L", "U", "O", "M")  # spaCy's BILUO moves, plus M(issing)
_MAX_TOKENS = 8_000  # tokens per forward pass: ~150 MB at the peak, as fast as larger passes


class BiluoDecoder:
    """Greedy decoding of a spaCy `EntityRecognizer` pipe (`nlp.get_pipe("ner")`)."""

    def __init__(self, ner: Any) -> None:
        reason = self.unsupported(ner)
        if reason:
            raise ValueError(reason)
        model = ner.model
        self._tok2vec = model.get_ref("tok2vec")
        self._lower = model.get_ref("lower")
        upper = model.get_ref("upper")
        self._nO = self._lower.get_dim("nO")
        self._nP = self._lower.get_dim("nP")
        # Columns piece-major ((pieces, hidden) instead of (hidden, pieces)), so maxout is an
        # elementwise maximum of contiguous blocks: numpy's max over a last axis of 2 is ~30x
        # slower. The sums are the same numbers, permuted.
        self._lower_bias = self._piece_major(self._lower.get_param("b").reshape(1, -1))[0]
        self._upper_w = np.ascontiguousarray(upper.get_param("W").T)
        self._upper_b = upper.get_param("b")
        moves, labels = [], []
        names: dict[str, int] = {}
        for i in range(ner.moves.n_moves):
            move, _, label = ner.moves.get_class_name(i).partition("-")
            moves.append(move)
            labels.append(names.setdefault(label, len(names) + 1) if label else 0)
        self._names = {number: name for name, number in names.items()}
        move = np.array(moves)
        self._label = np.array(labels, dtype=np.int64)
        named = self._label != 0  # a move with no label (U-, B-) is never valid for new text
        self._begin = (move == "B") & named
        self._inside = (move == "I") & named
        self._last = (move == "L") & named
        self._unit = (move == "U") & named
        self._out = move == "O"

    @staticmethod
    def unsupported(ner: Any) -> str | None:
        """Why this pipe is not one the decoder reproduces exactly, or None when it is."""
        model = getattr(ner, "model", None)
        if type(getattr(ner, "moves", None)).__name__ != "BiluoPushDown" or model is None:
            return "not a BILUO entity recogniser"
        if ner.cfg.get("beam_width", 1) != 1:
            return "beam search"
        if not model.attrs.get("has_upper") or model.attrs.get("unseen_classes"):
            return "no upper layer, or classes unseen in training"
        if not all(model.has_ref(name) for name in ("tok2vec", "lower", "upper")):
            return "not a TransitionModel"
        if model.get_ref("lower").get_dim("nF") != 3:
            return "state features other than the NER three"
        for i in range(ner.moves.n_moves):
            if ner.moves.get_class_name(i).partition("-")[0] not in MOVES:
                return f"unknown action {ner.moves.get_class_name(i)!r}"
        return None

    def __call__(self, docs: Sequence[Any]) -> list[list[tuple[int, int, str]]]:
        """(start token, end token, label) of each document's entities, as `doc.ents` would
        hold them after the pipe."""
        # Documents of like length share a pass: a pass takes one step per token position of
        # its longest document, so mixing a long one with short ones wastes steps. Each
        # document's entities depend on it alone (the tok2vec window stops at its edges).
        order = sorted(range(len(docs)), key=lambda n: len(docs[n]))
        out: list[list[tuple[int, int, str]]] = [[] for _ in docs]
        part: list[int] = []
        tokens = 0
        for n in [*order, None]:
            if part and (n is None or tokens + len(docs[n]) > _MAX_TOKENS):
                for m, ents in zip(part, self._decode([docs[m] for m in part]), strict=True):
                    out[m] = ents
                part, tokens = [], 0
            if n is not None:
                part.append(n)
                tokens += len(docs[n])
        return out

    def _piece_major(self, rows: np.ndarray) -> np.ndarray:
        """(n, hidden * pieces) rows in thinc's order -> (n, pieces * hidden), contiguous."""
        n = rows.shape[0]
        by_piece = rows.reshape(n, self._nO, self._nP).transpose(0, 2, 1)
        return np.ascontiguousarray(by_piece).reshape(n, self._nP * self._nO)

    def _maxout(self, hidden: np.ndarray) -> np.ndarray:
        """The best piece of each hidden unit, from piece-major rows."""
        width = self._nO
        best = hidden[:, :width]
        for piece in range(1, self._nP):
            best = np.maximum(best, hidden[:, piece * width : (piece + 1) * width])
        return best

    def _decode(self, docs: list[Any]) -> list[list[tuple[int, int, str]]]:
        from spacy.attrs import ENT_IOB, IS_SPACE, SENT_START

        ents: list[list[tuple[int, int, str]]] = [[] for _ in docs]
        lengths = np.array([len(doc) for doc in docs], dtype=np.int64)
        if not lengths.any():
            return ents
        present = [doc for doc in docs if len(doc)]
        attrs = np.concatenate([doc.to_array([IS_SPACE, SENT_START, ENT_IOB]) for doc in present])
        if attrs[:, 2].any():
            raise ValueError("documents with preset entities")
        # One extra row: a look-ahead past the last token reads "not a space, no sentence start".
        space = np.append(attrs[:, 0] != 0, False)
        sent_start = np.append(attrs[:, 1] == 1, False)
        # (tokens + 1, 3 features, hidden * pieces); row 0 is the padding for an absent token.
        rows = self._lower.predict(self._tok2vec.predict(present))
        feats = rows.reshape(rows.shape[0], 3, self._nO * self._nP)
        first, second, third = (self._piece_major(feats[:, f]) for f in range(3))

        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        doc_of = np.nonzero(lengths)[0]  # the active states: one per non-empty document
        pos = offsets[doc_of].copy()  # B(0), as a row of the concatenated batch
        end = pos + lengths[doc_of]
        is_open = np.zeros(len(doc_of), dtype=bool)
        open_label = np.zeros(len(doc_of), dtype=np.int64)
        open_start = np.zeros(len(doc_of), dtype=np.int64)
        label = self._label
        while len(doc_of):
            n = len(doc_of)
            # spaCy's NER state features: B(0), the open entity's first token, B(0) - 1.
            hidden = first[pos + 1] + second[np.where(is_open, open_start + 1, 0)]
            hidden += third[np.where(is_open, pos, 0)]
            hidden += self._lower_bias
            scores = self._maxout(hidden) @ self._upper_w
            scores += self._upper_b
            two_left = end - pos >= 2
            may_go_on = two_left & ~sent_start[pos + 1]
            closed = ~is_open
            not_space = ~space[pos]
            valid = self._out[None, :] & closed[:, None]
            valid |= self._begin[None, :] & (closed & may_go_on & not_space)[:, None]
            valid |= self._unit[None, :] & (closed & not_space)[:, None]
            same = is_open[:, None] & (label[None, :] == open_label[:, None])
            valid |= self._last[None, :] & same
            valid |= self._inside[None, :] & same & may_go_on[:, None]
            scores[~valid] = -np.inf
            guess = scores.argmax(axis=1)
            moved = valid[np.arange(n), guess]  # no valid action: spaCy ends the document
            opens = (self._begin[guess] | self._unit[guess]) & moved
            closes = (self._last[guess] | self._unit[guess]) & moved
            open_start = np.where(opens, pos, open_start)
            open_label = np.where(opens, label[guess], open_label)
            for i in np.nonzero(closes)[0]:
                d = doc_of[i]
                start, stop = open_start[i] - offsets[d], pos[i] + 1 - offsets[d]
                ents[d].append((int(start), int(stop), self._names[int(open_label[i])]))
            is_open = (is_open | opens) & ~closes
            pos = pos + 1
            alive = moved & (pos < end)
            if not alive.all():
                doc_of, pos, end = doc_of[alive], pos[alive], end[alive]
                is_open, open_label = is_open[alive], open_label[alive]
                open_start = open_start[alive]
        return ents
