"""What people write around a recruiter's name, in the five languages of the bot (English, Nepali,
Bengali, Indonesian, Tagalog), in their own script and typed in Latin letters.

``is_help``: the whole message is a greeting, thanks, a request for help or the menu, or a word that
names no recruiter ("agent"): the answer is the help text, never a card and never "not listed".

``strip_frames``: the name inside a question ("is X safe?", "apakah X resmi?", "ligtas ba ang X?",
"X ठिक छ?", "X কি নিরাপদ?", "namaste, X ok?"): the greeting and question words before and after the
name are dropped. Words that are part of agency names ("agency", "company", "manpower") are never
dropped: "Agency X" is not X.

Every list of such words is here and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Whole messages that ask for no recruiter: greetings, thanks, help, menu, small talk.


def _p(text: str) -> tuple[str, ...]:
    """Phrases written "a | b | c"."""
    return tuple(p.strip() for p in text.split("|") if p.strip())


HELP_PHRASES: dict[str, tuple[str, ...]] = {
    "en": _p(
        "hi | hello | hey | hallo | helo | hii | hiya | good morning | good afternoon | "
        "good evening | good night | morning | thanks | thank you | thank you very much | thx | "
        "ty | help | help me | menu | main menu | start | options | ok | okay | yes | no | agent | "
        "agents | agency | recruiter | recruiters | manpower | company | test | bye | goodbye | "
        "how are you | what is this | who are you | please help | please"
    ),
    "ne": _p(
        "नमस्ते | नमस्कार | धन्यवाद | मद्दत | सहायता | मेनु | हजुर | ठिक छ | ठीक छ | namaste | "
        "namaskar | namaskaar | dhanyabad | dhanyawad | dhanyavad | maddat | sahayata | hajur | "
        "thik cha | thik chha"
    ),
    "bn": _p(
        "নমস্কার | হ্যালো | আসসালামু আলাইকুম | সালাম | ধন্যবাদ | সাহায্য | মেনু | শুভ সকাল | "
        "assalamualaikum | assalamu alaikum | asalamualaikum | salam | salaam | dhonnobad | "
        "dhonnobaad | dhanyabad | shahajjo | sahajjo | nomoskar"
    ),
    "id": _p(
        "halo | hai | selamat pagi | selamat siang | selamat sore | selamat malam | terima kasih | "
        "terimakasih | makasih | trims | tolong | bantuan | bantu | tolong bantu | tolong saya | "
        "menu | mulai | apa kabar | permisi | assalamualaikum wr wb"
    ),
    "tl": _p(
        "kumusta | kamusta | musta | magandang umaga | magandang hapon | magandang gabi | salamat | "
        "salamat po | maraming salamat | maraming salamat po | tulong | tulungan | "
        "tulungan mo ako | paki tulong | menu | po | opo | hello po | hi po | kumusta po"
    ),
}

# Question words around a name, per language: before it and after it (longest first when used).
QUESTION_BEFORE: dict[str, tuple[str, ...]] = {
    "en": _p(
        "is | are | was | check | verify | please check | can you check | can i trust | "
        "should i trust | do you know | what about | how about | tell me about | info on | "
        "information about | about | the | hi | hello | hey | dear sir | sir | madam"
    ),
    "ne": _p("कृपया | के | ke | kripaya | नमस्ते | नमस्कार | namaste | namaskar | dai | हजुर"),
    "bn": _p("দয়া করে | কি | ki | হ্যালো | নমস্কার | আসসালামু আলাইকুম | assalamualaikum | salam | bhai | ভাই"),
    "id": _p(
        "apakah | apa | apa benar | cek | tolong cek | mohon cek | periksa | gimana | bagaimana | "
        "halo | hai | permisi | pak | bu | kak"
    ),
    "tl": _p(
        "ligtas ba ang | legit ba ang | totoo ba ang | ok ba ang | okay ba ang | lehitimo ba ang | "
        "rehistrado ba ang | maaasahan ba ang | paki check ang | pakicheck ang | paki-check ang | "
        "check ang | tungkol sa | ang | kumusta | kamusta | hello po | hi po | po"
    ),
}
QUESTION_AFTER: dict[str, tuple[str, ...]] = {
    "en": _p(
        "safe | ok | okay | legit | legal | real | genuine | fake | a scam | scam | trustworthy | "
        "trusted | good | licensed | licenced | registered | accredited | reliable | safe or not | "
        "legit or not | real or not | ok or not | or not | please | pls"
    ),
    "ne": _p(
        "ठिक छ | ठीक छ | सुरक्षित छ | राम्रो छ | वैध छ | दर्ता छ | नक्कली हो | सही हो | छ | हो | "
        "हो कि होइन | के हो | thik cha | thik chha | ramro cha | ramro chha | surakshit cha | "
        "sahi ho | ho ki hoina | cha | chha | ho"
    ),
    "bn": _p(
        "কি নিরাপদ | নিরাপদ | কি ভালো | ভালো | ঠিক আছে | কি ঠিক আছে | বৈধ | কি বৈধ | আসল | কি আসল | "
        "ভুয়া | কি | ki nirapod | nirapod | ki valo | valo | bhalo | thik ache | ki thik ache | "
        "asol"
    ),
    "id": _p(
        "resmi | resmi gak | resmi nggak | resmi tidak | resmi ga | resmi atau tidak | aman | "
        "aman gak | aman nggak | aman tidak | terdaftar | legal | asli | asli gak | bagus | "
        "terpercaya | penipu | ya | kah | dong | gak | nggak | tidak"
    ),
    "tl": _p(
        "ba | po | ba po | ligtas ba | legit ba | totoo ba | ok ba | okay ba | lehitimo ba | "
        "ligtas | legit | lehitimo | rehistrado | ba ito | ba yan | ba siya"
    ),
}

_PUNCT = re.compile(r"[?？!！।॥,，.。:;'\"“”‘’¿¡()]+")


def clean(text: str) -> str:
    """NFKC, case-folded, sentence punctuation dropped, single spaces."""
    t = unicodedata.normalize("NFKC", text or "").casefold()
    t = t.replace("-", " ")
    return " ".join(_PUNCT.sub(" ", t).split())


def _words(phrases: tuple[str, ...]) -> list[str]:
    return sorted({clean(p) for p in phrases if clean(p)}, key=len, reverse=True)


_HELP = frozenset(clean(p) for ps in HELP_PHRASES.values() for p in ps)
_BEFORE = _words(tuple(p for ps in QUESTION_BEFORE.values() for p in ps))
_AFTER = _words(tuple(p for ps in QUESTION_AFTER.values() for p in ps))


def is_help(text: str) -> bool:
    """The message is only a greeting, thanks, help, menu or the like (one or two of them)."""
    t = clean(text)
    if not t:
        return True
    if t in _HELP:
        return True
    # "hi, thanks", "hello help", "namaste hajur": each part a help phrase
    words = t.split()
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            if " ".join(words[i:j]) in _HELP:
                i = j
                break
        else:
            return False
    return True


@lru_cache(maxsize=4096)  # a lookup asks for the same text twice (registry.services.lookup)
def strip_frames(text: str) -> str:
    """The name inside a question: the question words before and after it removed (repeatedly), or
    the text cleaned when nothing is left without them."""
    t = clean(text)
    changed = True
    while changed:
        changed = False
        for p in _BEFORE:
            if t.startswith(p + " ") and len(t) > len(p) + 1:
                t, changed = t[len(p) + 1 :], True
                break
        for p in _AFTER:
            if t.endswith(" " + p) and len(t) > len(p) + 1:
                t, changed = t[: -len(p) - 1], True
                break
    return t
