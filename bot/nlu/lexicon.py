"""High-recall keyword rules for the legal threat (lawyer, court, regulator, police, media).

A message that names one of these is an "activist" complaint whatever the model says, so
the rule overrides the threat head. Patterns are stems with word boundaries ("суд" must not
fire on "посуда"), Polish without diacritics included.
"""

from __future__ import annotations

import re

_LEGAL_PATTERNS = [
    # Russian
    r"\bсуд(?:а|у|ом|е|ы|ов|ами|ах)?\b",
    r"\bсудеб\w*",
    r"\bсудить\w*|\bзасуж\w*|\bотсуж\w*",
    r"\bиск(?:а|ом|у|ов|и)?\b|\bисков\w*",
    r"\bюрист\w*|\bюридич\w*|\bадвокат\w*",
    r"\bроспотребнадзор\w*|\bпотребнадзор\w*|\bрпн\b|\bозпп\b",
    r"\bзащит\w*\s+прав\s+потребител\w*|\bобществ\w*\s+защиты\s+прав",
    r"\bпрокуратур\w*|\bпрокурор\w*",
    r"\bполици\w*|\bзаявлени\w*\s+в\s+полицию|\bмвд\b",
    r"\bжурналист\w*|\bсми\b|\bтелевидени\w*|\bна\s+тв\b|\bпресс[аеуы]\b",
    r"\bфас\b|\bцентробанк\w*|\bцб\s+рф\b|\bфинансов\w*\s+омбудсмен\w*|\bомбудсмен\w*",
    r"\bзакон\w*\s+о\s+защите\s+прав|\bзозпп\b",
    r"\bдосудебн\w*",
    r"\bсудиться\b|\bсужусь\b",
    # English
    r"\blawyers?\b|\blawyer'?s\b|\battorneys?\b|\bsolicitors?\b|\blegal\s+(?:action|team|advice|steps|proceedings)\b",
    r"\bcourts?\b|\bsmall\s+claims\b|\blawsuits?\b|\bsu(?:e|ing|ed)\b",
    r"\bconsumer\s+(?:protection|rights|ombudsman|council|agency|affairs|watchdog)\b",
    r"\btrading\s+standards\b|\bbbb\b|\bbetter\s+business\s+bureau\b|\bftc\b|\bregulators?\b",
    r"\bombudsman\b|\bpolice\b|\bjournalists?\b|\breporters?\b|\bthe\s+press\b|\bnewspapers?\b",
    r"\bcitizens\s+advice\b|\bcma\b|\bprosecutor\w*",
    # Polish
    r"\bprawni(?:k|ka|kowi|kiem|cy|ków)\b|\badwokat\w*|\bkancelari\w*|\bradc\w*\s+prawn\w*",
    r"\bs[aą]d(?:u|zie|em|y|ów|owy|owa|owe|owej)?\b|\be-s[aą]d\w*|\bpozew\b|\bpozw\w*",
    r"\buokik\w*|\brzeczni\w*\s+(?:praw\s+)?konsument\w*|\brzeczni\w*\s+finansow\w*",
    r"\binspekcj\w*\s+handlow\w*|\buodo\b|\bprokuratur\w*",
    r"\bpolicj\w*|\bpolicji\b|\bdziennikar\w*|\bmedi(?:ów|ow|ach|a)\b|\btelewizj\w*",
    r"\bsprawy\s+dla\s+reportera\b|\bdrog[aąeę]\s+s[aą]dow\w*",
]
_LEGAL = re.compile("|".join(f"(?:{p})" for p in _LEGAL_PATTERNS), re.IGNORECASE)

# "не буду подавать в суд", "not going to sue": negated mentions do not count
_NEGATED = re.compile(
    r"(?:\bне\s+(?:буду|собираюсь|хочу|стану)|\bnot\s+(?:going\s+to|gonna)|\bwon'?t|"
    r"\bnie\s+(?:będę|bede|chcę|chce|zamierzam))\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)


def legal_threat(text: str) -> bool:
    """True when the message names a lawyer, court, regulator, police or the media."""
    for match in _LEGAL.finditer(text):
        if not _NEGATED.search(text[max(0, match.start() - 40) : match.start()]):
            return True
    return False


# Churn and public threats are left to the model; these clear phrases only fill in when the
# model says "none" for a complaint (the model misses them more often than legal threats).
_PUBLIC = re.compile(
    r"\b(?:1|one|одн[уа]|jedn[aą])\s*(?:star|звезд\w*|gwiazdk\w*)|\btrustpilot\b|\bopineo\b|"
    r"\bgoogle\s+(?:reviews?|maps)\b|\bapp\s*store\b|\bgoogle\s+play\b|\bsocial\s+media\b|"
    r"\bfollowers\b|\b(?:bad|negative|honest)\s+review|\breview\w*\s+(?:this\s+)?everywhere\b|"
    r"\btell\s+everyone\b|\bотзов\w*|\bотзыв\w*\s+(?:везде|на\s+вс\w+)|\b(?:разгромн\w*|негативн\w*)\s+отзыв|"
    r"\bнапишу\s+отзыв|\bоставлю\s+отзыв|\bвсем\s+(?:расскажу|друзьям)|\bрасскажу\s+всем|"
    r"\bсоцсет\w*|\bинст[аyу]\w*|\btik\s?tok\w*|\bтикток\w*|\btwitter\w*|\bтвиттер\w*|"
    r"\bfacebook\w*|\bфейсбук\w*|\bвыложу\s+в\s+сеть|\bnegatywn\w*\s+opini\w*|"
    r"\bwystawi\w*\s+(?:negatywn\w*\s+)?opini\w*|\bwszystkim\s+(?:powiem|opowiem)",
    re.IGNORECASE,
)
_CHURN = re.compile(
    r"\bnever\s+(?:again\s+)?(?:buy|order|shop|use)\w*|\blast\s+(?:time|order)\b|"
    r"\b(?:going|shop\w*|tak\w+\s+my\s+business)\s+elsewhere\b|\bnot\s+coming\s+back\b|"
    r"\b(?:delet|clos|cancel)\w*\s+my\s+(?:account|membership|loyalty)|\bdone\s+with\s+(?:you|this)|"
    r"\bникогда\s+(?:больше\s+)?не\s+(?:куплю|закажу|буду)|\bбольше\s+не\s+(?:куплю|закажу|буду\s+(?:заказывать|покупать))|"
    r"\bбольше\s+(?:я\s+)?не\s+ваш\s+клиент|\bухожу\s+(?:к|на|в)\b|\bпоследний\s+(?:раз|заказ)\b|"
    r"\bудаляю\s+(?:аккаунт|приложение|профиль)|\bк\s+конкурентам\b|"
    r"\bnigdy\s+więcej\b|\bnigdy\s+wiecej\b|\bostatni\s+raz\b|\bdo\s+konkurencji\b|"
    r"\bkończę\s+z\s+wami|\bkoncze\s+z\s+wami|\busuwam\s+(?:konto|apk\w*|aplikacj\w*)|"
    r"\bzamykam\s+konto\b",
    re.IGNORECASE,
)


def other_threat(text: str) -> str | None:
    """``churn`` or ``public`` when the message says so in a clear phrase, else None."""
    if _CHURN.search(text):
        return "churn"
    if _PUBLIC.search(text):
        return "public"
    return None
