"""Language of a customer message: ``ru`` | ``en`` | ``pl`` | ``other``.

Rule based and instant: the script decides Cyrillic vs Latin; Latin text is scored with
stop-word lexicons and letter/character-sequence cues for English, Polish (with or without
diacritics), Russian written in Latin letters ("privet, gde moi zakaz") and a few other
European languages that must come back as ``other``.
"""

from __future__ import annotations

import re
from collections import Counter

LANGS = ("ru", "en", "pl", "other")

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_REPEATS = re.compile(r"(\w)\1+")

_UKRAINIAN = set("іїєґўІЇЄҐЎ")
_POLISH_LETTERS = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
# letters that Polish never uses: a strong hint for another Latin-script language
_FOREIGN_LETTERS = set("äöüßéèêëàâçùûîïœñ¿¡ãõřůěťďňľĺőűğışæøå")

_LEXICON: dict[str, str] = {
    "en": (
        "the a an and or but is are was were be been am i you he she it we they me my your our "
        "this that these those what where when why how who which there here of to in on at for "
        "with from by about not no yes ok okay please thanks thank hi hello hey bye goodbye "
        "order orders my item items delivery refund money still have has had do does did can "
        "could would should will want need get got received arrived broken wrong missing help "
        "just very really again been since days week weeks today yesterday tomorrow package "
        "parcel shipping return card payment account customer service support human person "
        "agent operator manager talk speak someone anyone nothing never ever good great bad "
        "awful terrible is isnt dont didnt cant wont im ive its thats youre "
        "hey heya heyy yo yup yep yeah ya cya ttyl ty thx u ur gonna wanna lol update "
        "updates go now exist see later sure nope nah cool morning evening night there "
        "anything something status where's whats what's when's"
    ),
    "pl": (
        "i w z na do nie jest się sie że ze to ten ta co jak czy mam moje moja mój moj mnie mi "
        "już juz jeszcze jestem był byl była byla było bylo bardzo proszę prosze dziękuję "
        "dziekuje dzięki dzieki dzień dzien dobry dobrze cześć czesc witam gdzie kiedy dlaczego "
        "zamówienie zamowienie zamówienia zamowienia paczka paczki paczkę paczke przesyłka "
        "przesylka kurier dostawa zwrot pieniądze pieniadze reklamacja tak nic ale albo oraz "
        "tylko teraz dzisiaj dziś dzis wczoraj jutro tydzień tydzien dni żeby zeby bo więc wiec "
        "chcę chce muszę musze może moze można mozna który ktory która ktora sklep towar "
        "przyszła przyszla przyszło przyszlo nikt wasz wasza państwo panstwo pan pani konsultant "
        "człowiek czlowiek rozmawiać rozmawiac połączyć polaczyc super świetnie swietnie "
        "pozdrawiam dowidzenia widzenia brak braku towaru po od przez dla pod przed nad "
        "ciągle ciagle samo sama wy was wam macie ma mają maja mamy ile trwa trwało trwalo "
        "wysyłka wysylka strona stronie aplikacja apka apke apki godziny godzinę godzine "
        "żegnam zegnam idę ide konkurencji konkurencja było bylo były byly pudełko pudelko "
        "zamawiałem zamawialem zamawiałam zamawialam przyszedł przyszedl przyszła "
        "rozwalone zepsute zepsuty uszkodzony uszkodzone działa dziala nie działa "
        "kupiłem kupilem kupiłam kupilam telefon czarny różowy rozowy odpuszczam usuwam "
        "leży lezy promocje promocja pieniędzy pieniedzy zwrotu reklamację reklamacje "
        "czekam czekałem czekalem czekam tygodnia tygodniu tydzień miesiąc miesiac "
        "dostałem dostalem dostałam dostalam otrzymałem otrzymalem nadal dalej wciąż wciaz "
        "kiedy będzie bedzie będę bede mogę moge możecie mozecie jakiś jakis jakieś jakies "
        "numer nr kurierem kuriera paczkomat paczkomatu infolinia infolinii obsługa obsluga "
        "klienta rozmowa człowieka czlowieka pracownik pracownika zł zl złotych zlotych "
        "okej jasne dokładnie dokladnie zgadza zgoda oczywiście oczywiscie dziękówka "
        "fajnie dzięki spoko siema hej hejo heja hejka halo witaj botku ej elo pa papa "
        "narka nara pozdro dobra spadam dozo jutra okk mhm naklejka pasuje kończę koncze "
        "kto dobranoc paczkomat paczkomaty koszt kosztuje wysyłki wysylki niee siemka cze "
        "pomocy pomoc pomóż pomoz pomóżcie pomozcie anuluj anulować anulowac anulujcie "
        "rezygnuję rezygnuje faktura fakturę fakture faktury rabat rabatu pilne pilnie rozumiem "
        # shop words a Polish customer asks about in a word or two ("a zwroty?", "a blikiem?");
        # "a" (and, but) is Polish as much as English
        "a zwroty zwrócić zwrocic zwrócę zwroce oddać oddac wymiana wymiany wymienić wymienic "
        "dostawy dostawę dostawe płatność platnosc płatności platnosci blik blikiem pobranie "
        "pobraniem raty ratach kurtka kurtkę kurtke koszyk koszyku konto konta hasło haslo "
        "gwarancja gwarancji reklamacji odbiór odbior rabatowy kod kodu"
    ),
    "ru": (
        "privet privetik zdravstvuyte zdravstvujte zdravstvuite zdrastvuyte zdrasti dobryy "
        "dobryi dobriy dobry den' den vecher utro gde moy moi moj moya moyo moe moego zakaz "
        "zakaza zakazu zakazom zakaze spasibo spasib pozhaluysta pozhalujsta pojaluista "
        "pozhaluista poka svidaniya net da ne nu kogda chto chto-to shto kak pochemu "
        "pochemy uzhe uje eshche eshe yeshche ochen' ochen mne menya u vas vy vam ya ty on ona "
        "oni my eto etot eta tovar posylka posylku dostavka dostavku kurer kurier prishel "
        "prishla prishlo prishel dengi den'gi vernite verni khochu hochu mozhno nuzhno "
        "operator chelovek zhivoy zhivym svyazhite pozovite segodnya vchera zavtra nedelyu "
        "dney dnya vsyo vse vsё uzhas pozor kogda-nibud' kak-to tak takoy kakoy gde-to "
        "slomalsya slomano vozvrat bolshe nikogda magazin sud yurist zhalobu "
        "gde-nibud tovara zakazal zakazala zakazyval oplatil oplatila oplata deneg "
        "kurerom kurera dostavki dostavlen dostavleno otslezhivanie trek nomer "
        "pomogite pomoshch pomosch podskazhite skazhite voprosov vopros nichego "
        "nikto otvechaet otvet rabotaet slomalas slomalos prislali poluchil poluchila "
        "skolko mozhet mozhete budet bylo byla byl dolzhen dolzhna khorosho horosho "
        "otlichno ladno okey ugu aga konechno tochno verno nado nyet davay "
        "zdraste dobrogo dnya utra vechera vsego dobrogo do svidaniya blagodaryu "
        "kupil kupila sdelal sdelala zhdu zhdat' zhdat uzhasno plokho ploho "
        "naushniki lyuboy spisali raza vashi pravila vozvrata uzhasnye kakie sposoby "
        "oplaty rabotaete voskresenye spasibki pogoda kto prezident operatora dayte "
        "skazhi podskazhi gromkosti zdes' zdes tam kuda otkuda pochemu-to seychas "
        "sejchas potom srazu tozhe takzhe ili esli chtoby"
    ),
    "de": "und ich nicht ist der die das bitte danke hallo wo mein meine bestellung ein eine "
    "mit für fur auf ist sind noch schon kein keine paket wann warum guten tag",
    "fr": "je le la les est pas merci bonjour et vous mon ma commande où ou une un des avec "
    "pour sur ne qui que colis quand pourquoi",
    "es": "el la los las que de por gracias hola donde mi pedido una un es con para esta "
    "está porque cuando todavía",
    "it": "ciao grazie sono il di che non mio mia ordine dove una un è con per quando",
    "pt": "obrigado obrigada olá ola não voce você meu minha pedido onde uma um com para",
    "cs": "děkuji dekuji prosím prosim kde je moje objednávka objednavka dobrý dobry den "
    "ahoj proč proc kdy",
}
_LEXICON_SETS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _LEXICON.items()
}
# words shared by several languages count little; the unique ones decide
_WORD_COUNTS = Counter(w for words in _LEXICON_SETS.values() for w in words)

_CUES: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"th|wh|ing\b|tion\b|ou|ee|oo|\bi'm\b|'t\b|'s\b|'ll\b|'re\b|'ve\b|'d\b|ly\b"),
    "pl": re.compile(
        r"sz|cz|rz|dz|ie|ow\b|ego\b|ych\b|ami\b|ać\b|łem\b|lem\b|owa|sci|ść|nie|cj|yl|wy\b|"
        r"ow[ea]\b|[^s]ki\b|ny\b|ła\b|la\b|ko\b|cie\b|amy\b|acie\b"
    ),
    "ru": re.compile(
        r"zh|kh|shch|yy\b|iy\b|yu|ya|yo|ogo\b|aya\b|oye\b|ennyy|ets\b|'(?!(?:ll|re|ve|d|m|s|t)\b)|"
        r"tsya\b|sya\b|dosta|"
        r"\bvas\b|\bnet\b|yat\b|ete\b|nye\b|ykh\b|iye\b|\bdlya\b"
    ),
}


def _letters(text: str) -> tuple[int, int, int]:
    cyr = lat = other = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif ch.isascii() or "\u00c0" <= ch <= "\u024f":
            lat += 1
        else:
            other += 1
    return cyr, lat, other


# a currency says where the money is, not which language the customer writes: "I was double
# charged 30 zł" is English (its "ł" would count as strong Polish evidence)
_CURRENCY = re.compile(r"(?<!\w)(?:zł|zl|złotych|zlotych|złote|zlote|złoty|zloty|pln)(?!\w)")


def _latin_scores(text: str) -> dict[str, float]:
    lower = _CURRENCY.sub(" ", text.lower())
    words = _WORD.findall(lower)
    scores: dict[str, float] = dict.fromkeys(_LEXICON_SETS, 0.0)
    for word in words:
        if not any(word in vocab for vocab in _LEXICON_SETS.values()):
            word = _REPEATS.sub(r"\1", word)  # "heyyy" -> "hey", "niee" -> "nie"
        for lang, vocab in _LEXICON_SETS.items():
            if word in vocab:
                scores[lang] += 1.0 / _WORD_COUNTS[word]
    for lang, cue in _CUES.items():
        scores[lang] += 0.15 * len(cue.findall(lower))
    pl_letters = sum(ch in _POLISH_LETTERS for ch in lower)
    foreign = sum(ch in _FOREIGN_LETTERS for ch in lower)
    scores["pl"] += 2.0 * pl_letters
    for lang in ("de", "fr", "es", "it", "pt", "cs"):
        scores[lang] += 0.7 * foreign
    return scores


def unplaced_latin(text: str) -> bool:
    """Latin letters the lexicons cannot place ("zwroty?", "blik"): ``detect_lang``'s "en"
    for them is a default, not evidence."""
    return not any(score > 0 for score in _latin_scores(text).values())


# the language asked for by name: "in English please", "po polsku", "по-русски"
_LANGUAGE_NAMED = {
    "en": re.compile(r"\benglish\b|по-?\s?английски|на\s+английском|po\s+angielsku", re.I),
    "pl": re.compile(r"\bpolish\b|по-?\s?польски|на\s+польском|po\s+polsku", re.I),
    "ru": re.compile(r"\brussian\b|по-?\s?русски|на\s+русском|po\s+rosyjsku", re.I),
}
_DIGITS = re.compile(r"\S*\d\S*")


def clearly_in(text: str, lang: str) -> bool:
    """The message is plainly written in ``lang``, enough to switch a conversation to it: at
    least three words, two of them words the language's lexicon knows ("where is my order?",
    not "order 5512345", "ok, thanks" or "Samsung Galaxy Buds Pro": a few Latin-script words
    and brand names in a Russian dialogue), or the language asked for by name."""
    named = _LANGUAGE_NAMED.get(lang)
    if named is not None and named.search(text):
        return True
    vocab = _LEXICON_SETS.get(lang)
    if vocab is None:
        return False
    found = _WORD.findall(_DIGITS.sub(" ", _CURRENCY.sub(" ", text.lower())))
    known = sum(1 for w in found if w in vocab or _REPEATS.sub(r"\1", w) in vocab)
    return len(found) >= 3 and known >= 2


def detect_lang(text: str) -> str:
    """Return ``ru``, ``en``, ``pl`` or ``other`` for one message."""
    cyr, lat, other = _letters(text)
    if cyr + lat + other == 0:
        return "other"
    if other > cyr + lat:
        return "other"
    if cyr >= lat:
        return "other" if any(ch in _UKRAINIAN for ch in text) else "ru"
    scores = _latin_scores(text)
    if not any(scores.values()) and _CURRENCY.search(text.lower()):
        return "pl"  # "200 zł" alone: the currency is all there is to go on
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] <= 0.0:
        return "en" if lat >= 2 else "other"
    return best if best in LANGS else "other"
