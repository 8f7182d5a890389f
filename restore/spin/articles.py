"""The indefinite article a word takes (``a massive`` -> ``an enormous``)."""

from __future__ import annotations

# Words spelt with a vowel but said with a consonant sound, and the reverse (silent h).
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "ute", "eu", "ewe", "one", "once", "ubiq", "ura", "uro", "ure")
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")


def article_for(word: str) -> str:
    """``"an"`` if ``word`` starts with a vowel sound, else ``"a"`` (lower case)."""
    w = word.lower()
    if w.startswith(_VOWEL_SOUND):
        return "an"
    if w.startswith(_CONSONANT_SOUND):
        return "a"
    return "an" if w[:1] in "aeiou" and w[:1] != "" else "a"


def agree(article: str, next_word: str) -> str:
    """``article`` (``a``/``an`` in any case) corrected for ``next_word``, case kept."""
    wanted = article_for(next_word)
    if article.lower() == wanted:
        return article
    if article.isupper() and len(article) > 1:
        return wanted.upper()
    return wanted.capitalize() if article[0].isupper() else wanted
