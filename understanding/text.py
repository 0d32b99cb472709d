"""Text preparation: folding, ids, and the driver's own words in a call transcript."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

ID_PATTERN = re.compile(r"\b(ofr|ord|inc|dep)-([a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*)", re.I)
ID_FIELDS = {"ofr": "offer_ids", "ord": "order_ids", "inc": "incentive_ids",
             "dep": "deposit_ids"}
SPEAKER = re.compile(r"^\s*\[?([A-Za-zÁÉÍÓÚáéíóúñÑ][A-Za-zÁÉÍÓÚáéíóúñÑ ]{1,19})\]?\s*:\s*(.*)$")
DRIVER_SPEAKERS = frozenset({"driver", "conductor", "repartidor", "caller", "customer",
                             "dasher", "me", "cliente", "usuario", "user", "courier"})
AGENT_SPEAKERS = frozenset({"agent", "agente", "rep", "support", "soporte", "representative",
                            "representante", "operator", "operador", "ivr", "bot"})
CONTACT_DETAILS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w-])\+?\d[\d\s().-]{7,}\d")
SHOWN_CONTACT = re.compile(rf"\(?(?:{CONTACT_DETAILS.pattern})")
LONG_NUMBER = re.compile(r"(?<![\w-])\d{6,}(?![\w-])")
MONEY = re.compile(r"[$€]\s?\d[\d,.]*|\b\d+(?:[.,]\d{2})?\s?(?:dollars|dolares|bucks|usd)\b")


SENTENCE_END = re.compile(r"(?<=[.!?¿¡])\s+|\n+")
TURN = re.compile(r"\b(?:but|however|anyway|anyways|also|then|and then|now|pero|sin embargo|"
                  r"ahora|luego|y luego|despues|después|tambien|también|aparte)\b[,:]?\s+", re.I)
ASK_MIN_WORDS = 4
LONG_WORDS = 40
DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3",
               "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
               "cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4",
               "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9"}
_DIGIT = r"(?:\d(?!\d)|" + "|".join(sorted(DIGIT_WORDS, key=len, reverse=True)) + r")"
SPOKEN_ID = re.compile(
    r"\b(o\s?f\s?r|o\s?r\s?d|i\s?n\s?c|d\s?e\s?p)"
    r"(?:\s*(?:-|dash|hyphen|guion|guión)\s*|\s+)"
    rf"({_DIGIT}(?:[\s,-]+{_DIGIT})+)\b", re.I)


CLAUSE = re.compile(
    r"(?<=[.;!?])\s+|\n+|\s+(?=(?:also|y además|y ademas|además|ademas|ignore|disregard|"
    r"forget|ignora|ignoren|olvida|olviden|you are now|ahora eres|system|"
    r"admin\s+(?:mode|override))\b)",
    re.I)
CONNECTIVE = re.compile(r"^\W*(?:also|and|y|además|ademas)\W*$", re.I)
INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|ignora|ignoren|olvida|olviden)\b.{0,30}\b(instructions?|rules|"
    r"instrucciones|reglas|prompt)\b|\b(you are now|you are authori[sz]ed|act as|ahora eres|"
    r"act[uú]a como|system override|admin(?:istrator)? (?:mode|override)|modo admin|"
    r"override)\b|\b(system|sistema|admin)\s*:|"
    r"^\W*(?:(?:also|and|y|además|ademas|please|por favor|just|now)\W+)*"
    r"(pay|credit|send|approve|p[aá]g(?:a|ue)n?me|acred[ií]t(?:a|e)n?me|transf[ií]er(?:a|e)n?me|"
    r"m[aá]nd(?:a|e)n?me|den?me)\b[^.;!?\n]{0,25}"
    r"(?:[$€]\s?\d|\d+\s?(?:cents|dollars|d[oó]lares|usd)|\bextra\b|x\s?\d)"
    r"|\b(double it|triple it)\b|\b(make it|hazlo|h[aá]ganlo|que sea|p[aá]guenme el)\W+"
    r"(double|triple|twice|doble|x\s?\d)\b", re.I)


def without_instructions(text: str) -> str:
    """The text without the clauses that instruct the system or dictate an amount ("ignore
    your rules", "pay me $100 extra"): they change nothing, so they are not read; a text that
    is nothing else stays as it is."""
    clauses = [c for c in CLAUSE.split(text) if c and c.strip()]
    kept = [c for c in clauses if not INSTRUCTION.search(c) and not CONNECTIVE.match(c)]
    return " ".join(kept) if kept and len(kept) < len(clauses) else text


def fold(text: str) -> str:
    """Lower-case, without accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _spoken_id(match: re.Match[str]) -> str:
    """An id read out letter by letter and digit by digit, written as an id."""
    prefix = re.sub(r"\s", "", match.group(1)).lower()
    digits = "".join(DIGIT_WORDS.get(part.lower(), part)
                     for part in re.split(r"[\s,-]+", match.group(2)) if part)
    return f"{prefix}-{digits}" if len(digits) >= 2 else match.group(0)


def written_ids(text: str) -> str:
    """The text with ids spoken in a call ("ord 7 0 0 1 0", "o r d dash seven zero") written
    as ids ("ord-70010"); an id already written stays as it is."""
    return SPOKEN_ID.sub(_spoken_id, text)


def extract_ids(text: str) -> dict[str, tuple[str, ...]]:
    """Offer, order, incentive and deposit ids anywhere in the text, in order, once each,
    written or spoken."""
    found: dict[str, list[str]] = {field: [] for field in ID_FIELDS.values()}
    for match in ID_PATTERN.finditer(written_ids(text)):
        ident = f"{match.group(1).lower()}-{match.group(2)}"
        bucket = found[ID_FIELDS[match.group(1).lower()]]
        if ident not in bucket:
            bucket.append(ident)
    return {field: tuple(ids) for field, ids in found.items()}


def driver_words(text: str) -> str:
    """In a call transcript, only the driver's lines; any other text as it is."""
    spoken, speakers = [], set()
    for line in text.splitlines():
        match = SPEAKER.match(line)
        if match is None:
            spoken.append(("", line))
            continue
        speaker = fold(match.group(1)).strip()
        speakers.add(speaker)
        spoken.append((speaker, match.group(2)))
    if not speakers & AGENT_SPEAKERS:
        return text
    return "\n".join(words for speaker, words in spoken if speaker not in AGENT_SPEAKERS)


def for_model(text: str) -> str:
    """The text as the intent model reads it: driver's words, folded, ids and money as tokens,
    phone numbers and emails left out (they say nothing of the ask)."""
    words = fold(CONTACT_DETAILS.sub(" ", without_instructions(driver_words(text))))
    words = ID_PATTERN.sub(lambda m: f" {m.group(1).lower()}id ", words)
    return MONEY.sub(" amountx ", words)


def ask_part(text: str) -> str | None:
    """The closing ask of a message that goes on before it: the last two sentences of a long
    one, or what follows the last turn ("but", "then", "pero") of a shorter one; None when the
    message is short and single."""
    words = without_instructions(driver_words(text)).strip()
    sentences = [part for part in SENTENCE_END.split(words) if part.strip()]
    if len(words.split()) >= LONG_WORDS and len(sentences) >= 3:
        tail = " ".join(sentences[-2:])
    elif turns := list(TURN.finditer(words)):
        tail = words[turns[-1].end():]
    else:
        return None
    return tail if len(tail.split()) >= ASK_MIN_WORDS else None


def masked(text: str, names: Sequence[str] = ()) -> str:
    """The message with phone numbers, emails, long numbers (accounts) and these names hidden,
    for people who need the words, not the details."""
    text = SHOWN_CONTACT.sub("[contact details]", text)
    text = LONG_NUMBER.sub("[number]", text)
    for name in filter(None, names):
        text = re.sub(rf"\b{re.escape(name)}\b", "[name]", text, flags=re.I)
    return text
