"""Words of free text (survey comments) for frequent-term counts, in any script.

`tokenize(text)` never raises and returns non-empty strings. It

1. normalises the text (NFC; full-width Latin letters and digits become ASCII) and turns every
   character that is not a letter, mark or digit into a space: punctuation, symbols (emoji
   included), spaces, line breaks and controls. The Thai marks ๆ (repeat) and ฯ (abbreviation)
   go too;
2. splits what is left into runs of one script and cuts each run its own way:
   - Thai: dictionary word segmentation, pythainlp's `newmm` with its bundled dictionary (no
     download), minus the entries `ดีมาก` / `แย่มาก` ("very good/bad") so that `ดี` and `แย่` count
     as the words they are, plus a few software words it lacks (แอป, แดชบอร์ด ...);
   - Han (Chinese): jieba's dictionary and HMM (rjieba, the Rust port of jieba); a leading
     很 / 非常 ("very") is cut off a word, so 很快 counts as 快;
   - other scripts written without spaces (Lao, Khmer, Myanmar, Japanese kana), and Thai or Han
     when their library cannot be loaded: overlapping pairs of characters (a character keeps its
     combining marks);
   - anything else (Latin, Cyrillic, Greek, Hangul, Devanagari ...): the run itself, lowercased;
3. drops tokens without a letter (digits only, stray marks), one-character tokens of every script
   but Han (Chinese has one-character words: 快, 贵), and stop words: the built-in English, Thai and
   Chinese lists below plus the caller's own.

The segmentation libraries are imported on first use, never when this module is imported, so the
command line's `--help` stays fast. `notes()` says which script fell back to character pairs.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

__all__ = ["STOP_WORDS", "format_terms", "notes", "tokenize", "top_terms"]

# Small lists of the commonest function words. Content words are kept on purpose: ง่าย (easy),
# ช้า (slow), 快 (fast) say what customers mean. Intensifiers (very, มาก, 很, 非常) and negations
# (not, ไม่, 不) go: the group of a comment (detractor, unsatisfied ...) already carries its tone.
STOP_WORDS_EN = frozenset(
    """
    a about above after again all also am an and any are aren as at be because been before being
    below both but by can could couldn did didn do does doesn doing don down during each even ever
    few for from further get got had hadn has hasn have haven having he her here hers him his how
    i if im in into is isn it its itself just ll me more most much must my no nor not now of off
    on once one only or other our ours out over own please re same she should shouldn so some
    still such than that the their theirs them then there these they this those through to too
    under until up us ve very was wasn we were weren what when where which while who whom why will
    with won would wouldn yet you your yours every
    """.split()
)
STOP_WORDS_TH = frozenset(
    """
    ที่ และ การ ความ ของ ใน มี เป็น ได้ ให้ ไม่ มาก ก็ จะ แต่ กับ แล้ว ว่า นี้ นั้น ซึ่ง อยู่ หรือ จาก
    ด้วย โดย ไป มา ถ้า เพราะ เมื่อ กว่า ยัง อีก ต้อง คือ ทุก บาง ทั้ง เลย อย่าง ค่อนข้าง ครับ ค่ะ คะ นะ
    จ้า ผม ฉัน ดิฉัน เรา คุณ เขา มัน พวกเรา เคย กัน ไว้ ออก ขึ้น ลง ถึง ต่อ ตาม ส่วน ค่อย สุด
    ที่สุด จริง เกินไป ไหม หน่อย แค่ นัก มากกว่า
    """.split()
)
STOP_WORDS_ZH = frozenset(
    """
    的 了 是 很 我 在 也 和 就 都 而 及 与 着 或 一个 没有 我们 你 你们 您 他 她 它 他们 这 那 这个 那个
    这些 那些 有 不 没 非常 太 还 吧 吗 呢 啊 把 被 让 给 从 到 说 要 会 能 可以 就是 但是 但 因为 所以
    如果 之 其 又 再 才 比较 挺 真 得 地 过 啦 呀 哦 嗯 已经 一直 一下 一些 有点 什么 怎么 特别 十分 更 最
    """.split()
)
STOP_WORDS = STOP_WORDS_EN | STOP_WORDS_TH | STOP_WORDS_ZH

# Dictionary entries that are a word + "very": split so that the word counts.
_THAI_NOT_WORDS = frozenset({"ดีมาก", "แย่มาก"})
# Software words customers use that the general dictionary lacks (without them แอป comes out as แอ).
_THAI_MORE_WORDS = frozenset(
    "แอป แดชบอร์ด ออนบอร์ดดิ้ง อินทิเกรชัน ซับสคริปชัน ยูไอ แอคเคาท์ เทรนนิ่ง ทิกเก็ต แล็ก แอดออน".split()
)
_HAN_INTENSIFIERS = ("非常", "很")

_THAI = "\u0e00-\u0e7f"
_HAN = "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
# Lao, Myanmar, Khmer (+ symbols), hiragana, katakana (+ extensions, half-width).
_UNSPACED = "\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_RUNS = re.compile(
    rf"(?P<thai>[{_THAI}]+)|(?P<han>[{_HAN}]+)|(?P<unspaced>[{_UNSPACED}]+)|(?P<word>[^\s{_THAI}{_HAN}{_UNSPACED}]+)"
)
_LETTER = re.compile(r"[^\W\d_]")  # a letter (or a letter-like numeral such as ½)
_THAI_MARKS = {"\u0e46", "\u0e2f"}  # ๆ ฯ


class _Separators(dict):
    """str.translate table: non-word characters -> space, full-width ASCII -> ASCII; filled lazily."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if 0xFF01 <= code <= 0xFF5E and ch.isalnum():
            out = chr(code - 0xFEE0)
        elif unicodedata.category(ch)[0] in "PSZC" or ch in _THAI_MARKS:
            out = " "
        else:
            out = ch
        self[code] = out
        return out


_SEPARATORS = _Separators()
_NOTES: dict[str, str] = {}


def notes() -> list[str]:
    """Why a script was cut into character pairs instead of words (empty when all went well)."""
    from cs_metrics.i18n import T

    return [T("{script} text was cut into character pairs: {why}", script=script, why=why) for script, why in sorted(_NOTES.items())]


def _load_failed(script: str, error: BaseException) -> None:
    _NOTES[script] = f"{type(error).__name__}: {error}".strip()


def _word_set_class(trie_class):
    """A pythainlp Trie kept as a frozenset of the words and the same words sorted.

    newmm asks its dictionary only `prefixes(text, start)`; answering from the set (is it a word?)
    and a binary search of the sorted list (does a longer word start with it?) gives the same words
    in the same order, and builds in a tenth of the time of pythainlp's node-per-character Trie
    (62,000 words: 0.05 s against 0.5 s for a set of every prefix and 2.0 s for the Trie). Only the
    Trie methods newmm uses are answered (prefixes, in, len, iter); add/remove are not."""

    class WordSet(trie_class):
        def __init__(self, words: Iterable[str]) -> None:  # no nodes: Trie.__init__ is skipped on purpose
            self.words = frozenset(w.strip() for w in words if w.strip())
            self.ordered = sorted(self.words)

        def _is_stem(self, piece: str) -> bool:
            """Whether some longer word starts with `piece`: the first word after it does, if any."""
            i = bisect_right(self.ordered, piece)
            return i < len(self.ordered) and self.ordered[i].startswith(piece)

        def prefixes(self, text: str, start: int = 0) -> list[str]:
            found = []
            for end in range(start + 1, len(text) + 1):
                piece = text[start:end]
                if piece in self.words:
                    found.append(piece)
                if not self._is_stem(piece):
                    break
            return found

        def __contains__(self, word: object) -> bool:
            return word in self.words

        def __len__(self) -> int:
            return len(self.words)

        def __iter__(self):
            return iter(self.words)

    return WordSet


@lru_cache(maxsize=1)
def _thai_segmenter():
    """pythainlp newmm over the bundled dictionary, or None when pythainlp cannot be loaded."""
    import os
    import warnings

    # Read-only mode: pythainlp neither creates ~/pythainlp-data nor downloads anything.
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pythainlp.corpus import thai_words
            from pythainlp.tokenize import word_tokenize
            from pythainlp.util import Trie

            words = _word_set_class(Trie)((thai_words() - _THAI_NOT_WORDS) | _THAI_MORE_WORDS)
    except Exception as e:  # missing or broken install: fall back to pairs, and say so
        _load_failed("Thai", e)
        return None
    return lambda run: word_tokenize(run, custom_dict=words, engine="newmm-safe", keep_whitespace=False)


@lru_cache(maxsize=1)
def _han_segmenter():
    """jieba (rjieba, the Rust port, with the dictionary built in), or None when it cannot be loaded."""
    try:
        import rjieba
    except Exception as e:
        _load_failed("Chinese", e)
        return None
    return lambda run: rjieba.cut(run, True)  # hmm=True: unknown words found by the HMM, as in jieba


def _clusters(run: str) -> list[str]:
    """Characters with their combining marks attached."""
    out: list[str] = []
    for ch in run:
        if out and unicodedata.category(ch)[0] == "M":
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _pairs(run: str) -> list[str]:
    """Overlapping character bigrams; a one-character run is its own token."""
    c = _clusters(run)
    return c if len(c) < 2 else [a + b for a, b in pairwise(c)]


def _cut(script: str, segmenter, run: str) -> list[str] | None:
    """The segmenter's words, or None (then pairs) when there is none or it fails on this text."""
    if segmenter is None:
        return None
    try:
        return segmenter(run)
    except Exception as e:  # a library bug on odd text must not stop a report
        _load_failed(script, e)
        return None


def _thai(run: str) -> list[str]:
    words = _cut("Thai", _thai_segmenter(), run)
    return _pairs(run) if words is None else words


def _han(run: str) -> list[str]:
    cut = _cut("Chinese", _han_segmenter(), run)
    if cut is None:
        return _pairs(run)
    words = []
    for w in cut:
        for very in _HAN_INTENSIFIERS:
            if w.startswith(very) and len(w) > len(very):
                w = w[len(very) :]
                break
        words.append(w)
    return words


def _normal(word: str) -> str:
    return unicodedata.normalize("NFC", word).strip().lower()


def tokenize(text: str, stop_words: Iterable[str] = ()) -> list[str]:
    """The words of `text` in order, without punctuation, numbers, emoji and stop words.

    `stop_words` are added to the built-in English, Thai and Chinese lists (any case).

    >>> tokenize("UI 很好用 👍 but the app is SLOW!")
    ['ui', '好用', 'app', 'slow']
    """
    if not isinstance(text, str) or not text:
        return []
    stop = STOP_WORDS | {_normal(w) for w in stop_words} if stop_words else STOP_WORDS
    clean = unicodedata.normalize("NFC", text).translate(_SEPARATORS)
    tokens: list[str] = []
    for m in _RUNS.finditer(clean):
        run, script = m.group(), m.lastgroup
        if script == "thai":
            words = [w for w in _thai(run) if len(w) > 1]
        elif script == "han":
            words = _han(run)
        elif script == "unspaced":
            words = _pairs(run)
        else:
            words = [run.lower()] if len(run) > 1 else []
        tokens += [w for w in words if w and _LETTER.search(w) and w not in stop]
    return tokens


def top_terms(text: str, n: int, stop_words: Iterable[str] = ()) -> list[tuple[str, int]]:
    """The n most frequent tokens of `text` with their counts; ties by the term itself."""
    counts = Counter(tokenize(text, stop_words))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def format_terms(terms: list[tuple[str, int]]) -> str:
    """One flat cell: 'slow (4), price (2)'."""
    return ", ".join(f"{term} ({count})" for term, count in terms)
