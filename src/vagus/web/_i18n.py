"""The web app's own UI strings (``messages.toml`` beside this file), and the language chosen.

The strings are read with the program's strict loader (:func:`vagus.program.i18n.load_messages`),
so a key without both ``nb`` and ``en`` is an error naming the key. :func:`tr` looks a key up in
the web's strings first and then in the program's (``vagus.program.i18n.t``), so a page can use
both.

>>> tr("nav.today", "nb")
'I dag'
>>> tr("purpose.not_a_doctor", "en")
'vagus does not replace a doctor.'
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Final

from vagus.program import Lang, t
from vagus.program.i18n import LANGS, Messages, load_messages

#: The file of the web's strings, inside the ``vagus.web`` package.
MESSAGES_FILE: Final = "messages.toml"


@functools.cache
def web_messages() -> Messages:
    """The web's UI strings, validated (both languages, the same ``{fields}``) on first use."""
    return load_messages(files("vagus.web") / MESSAGES_FILE)


def tr(key: str, lang: Lang, **fields: object) -> str:
    """The UI string ``key`` in ``lang``: the web's own first, then the program's.

    Raises
    ------
    KeyError
        When neither file has the key (a programming error: the tests render every page).
    """
    messages = web_messages()
    if key in messages.texts:
        return messages.get(key, lang, **fields)
    return t(key, lang, **fields)


def parse_lang(value: str | None) -> Lang | None:
    """``"nb"`` or ``"en"`` when ``value`` is one of them, else None.

    >>> parse_lang("nb"), parse_lang("de"), parse_lang(None)
    ('nb', None, None)
    """
    for lang in LANGS:
        if value == lang:
            return lang
    return None
