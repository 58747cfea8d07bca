"""Countries named in a question or an answer (ru / en / pl, any case form).

A shop's delivery answers name the countries it serves ("Courier delivery in Russia ... In
Poland ..."). A question about another one ("How much is shipping to Germany?", "Сколько идёт
посылка в Беларусь?") is not answered by them: the tariff of the countries served is no answer
for one that is not (the customer would take it for the price to Germany).
"""

from __future__ import annotations

import re

# country -> the stems it is written with (Russian and Polish forms by their common stem)
_STEMS: dict[str, str] = {
    "russia": r"росси\w*|\bрф\b|russia\w*|rosj\w*",
    "poland": r"польш\w*|poland|polsk[aąęi](?!\w)|polsce",
    "germany": r"германи\w*|germany|niemc\w*|niemiec",
    "ukraine": r"украин\w*|ukrain\w*",
    "belarus": r"беларус\w*|белорус\w*|belarus\w*|bia[łl]oru\w*",
    "kazakhstan": r"казахстан\w*|kazakhstan|kazachstan\w*",
    "usa": r"\bсша\b|америк\w*|\busa\b|\bu\.s\.a?\b|united\s+states|america|stan(?:y|ach|ów)\s+"
    r"zjednoczon\w*|\bstany\b|ameryk\w*",
    "uk": r"великобритани\w*|англи(?:я|и|ю|ей)(?!\w)|\buk\b|united\s+kingdom|britain|england|"
    r"wielk\w+\s+brytani\w*|angli\w*",
    "france": r"франци\w*|france|francj\w*",
    "italy": r"итали\w*|italy|w[łl]osz\w*|w[łl]och\w*",
    "spain": r"испани\w*|spain|hiszpani\w*",
    "czechia": r"чехи\w*|czech\w*|czechy|czechach|czech",
    "slovakia": r"словаки\w*|slovakia|s[łl]owacj\w*",
    "lithuania": r"литв\w*|lithuania|litw\w*",
    "latvia": r"латви\w*|latvia|[łl]otw\w*",
    "estonia": r"эстони\w*|estonia|estoni\w*",
    "finland": r"финлянди\w*|finland|finlandi\w*",
    "sweden": r"швеци\w*|sweden|szwecj\w*",
    "norway": r"норвеги\w*|norway|norwegi\w*",
    "netherlands": r"нидерланд\w*|голланди\w*|netherlands|holland|holandi\w*",
    "belgium": r"бельги\w*|belgium|belgi\w*",
    "austria": r"австри\w*|austria|austri\w*",
    "switzerland": r"швейцари\w*|switzerland|szwajcari\w*",
    "georgia": r"грузи[яюи]\w*|gruzj\w*",
    "armenia": r"армени\w*|armenia|armeni\w*",
    "azerbaijan": r"азербайджан\w*|azerbaijan|azerbejd[żz]an\w*",
    "uzbekistan": r"узбекистан\w*|uzbekistan",
    "kyrgyzstan": r"киргиз\w*|кыргыз\w*|kyrgyz\w*|kirgist\w*",
    "moldova": r"молдав\w*|молдов\w*|moldova|mo[łl]dawi\w*",
    "israel": r"израил\w*|israel|izrael\w*",
    "turkey": r"турци\w*|turcj\w*",
    "china": r"кита[йея]\w*|chin(?:y|ach)(?!\w)",
    "japan": r"япони\w*|japan|japoni\w*",
    "canada": r"канад\w*|canada|kanad\w*",
    "serbia": r"серби\w*|serbia|serbi\w*",
    "romania": r"румыни\w*|romania|rumuni\w*",
    "hungary": r"венгри\w*|hungary|w[ęe]gr\w*",
    "bulgaria": r"болгари\w*|bulgaria|bu[łl]gari\w*",
    "greece": r"греци\w*|greece|grecj\w*",
    "portugal": r"португали\w*|portugal\w*|portugali\w*",
    "ireland": r"ирланди\w*|ireland|irlandi\w*",
    "denmark": r"дани[яюи](?!\w)|denmark",
    "cyprus": r"кипр\w*|cyprus|cypr\w*",
}
_COUNTRY = {
    name: re.compile(rf"(?<!\w)(?:{stems})", re.IGNORECASE) for name, stems in _STEMS.items()
}
# an answer about the other countries as such: "other countries aren't available yet", "в
# другие страны мы пока не отправляем", "do innych krajów", "за границу", "abroad"
_OTHER_COUNTRIES = re.compile(
    r"(?:other|any\s+other|foreign)\s+countr|abroad|international\w*|overseas|worldwide|"
    r"(?:друг\w+|ин\w+|остальн\w+)\s+стран|за\s*границ|за\s*рубеж|"
    r"(?:inn\w+|pozosta[łl]\w+)\s+kraj|zagranic|za\s+granic",
    re.IGNORECASE,
)


# the big cities of a country whose delivery answers speak of the country only ("a do
# Krakowa?" after the delivery price asks the price to Poland), ru / en / pl forms by stem
_CITY_STEMS: dict[str, str] = {
    "poland": r"краков\w*|krak[oó]w\w*|cracow|варшав\w*|warsaw|warszaw\w*|вроцлав\w*|"
    r"wroc[lł]aw\w*|гданьск\w*|gda[nń]sk\w*|познан\w*|pozna[nń]\w*|лодз\w*|[lł][oó]d[zź]\w*|"
    r"щецин\w*|szczecin\w*|люблин\w*|lublin\w*|катовиц\w*|katowic\w*|гдын\w*|gdyni?\w*",
}
_CITY = {
    name: re.compile(rf"(?<!\w)(?:{stems})", re.IGNORECASE) for name, stems in _CITY_STEMS.items()
}


def country_of_city(text: str) -> str | None:
    """The country of a big city ``text`` names ("poland" of "a do Krakowa?"), or None."""
    return next((name for name, rx in _CITY.items() if rx.search(text)), None)


def countries(text: str) -> set[str]:
    """The countries ``text`` names."""
    return {name for name, rx in _COUNTRY.items() if rx.search(text)}


def speaks_of_other_countries(text: str) -> bool:
    """The text is about the countries outside those served ("other countries aren't
    available yet")."""
    return bool(_OTHER_COUNTRIES.search(text))


def other_country_asked(question: str, answer_texts: list[str], known: set[str]) -> set[str]:
    """The countries the question names that an answer naming countries leaves out and that
    no answer of the knowledge base names (``known``) ("How much is shipping to Germany?"
    against "Courier delivery in Russia ... In Poland ..."); empty when the answer names none
    (it is not about countries), or speaks of the other countries as such. A country some
    answer names is one the shop speaks of ("How long to Russia?" against the times given by
    its cities)."""
    asked = countries(question) - known
    if not asked:
        return set()
    said = " ".join(answer_texts)
    if not countries(said) or speaks_of_other_countries(said):
        return set()
    return asked
