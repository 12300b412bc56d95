"""Message catalogs: Fluent files in `locales/<lang>/*.ftl`, Russian first.

A user's language comes from their Telegram `language_code`; anything that is not English falls
back to Russian, and a key missing in English falls back to the Russian text.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANG = "ru"
LANGS = ("ru", "en")


def pick_lang(language_code: str | None) -> str:
    if language_code and language_code.split("-")[0].lower() == "en":
        return "en"
    return DEFAULT_LANG


class Translator:
    """One language's catalog with the Russian one behind it."""

    def __init__(self, lang: str, bundles: list[FluentBundle]) -> None:
        self.lang = lang
        self._bundles = bundles

    def __call__(self, key: str, **kwargs: Any) -> str:
        for bundle in self._bundles:
            if bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    continue
                text, errors = bundle.format_pattern(message.value, kwargs)
                if errors:
                    log.warning("locale %s key %s: %s", self.lang, key, errors)
                return str(text)  # a message's pattern formats to text; FluentNone only for a bare reference
        log.error("missing locale key %s", key)
        return key

    def has(self, key: str) -> bool:
        return any(b.has_message(key) for b in self._bundles)


@cache
def _bundle(lang: str) -> FluentBundle:
    # use_isolating=False: Unicode isolation marks show up as garbage in Telegram clients.
    bundle = FluentBundle([lang], use_isolating=False)
    for path in sorted((LOCALES_DIR / lang).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


@cache
def translator(lang: str) -> Translator:
    lang = lang if lang in LANGS else DEFAULT_LANG
    chain = [_bundle(lang)] if lang == DEFAULT_LANG else [_bundle(lang), _bundle(DEFAULT_LANG)]
    return Translator(lang, chain)


def for_user(language_code: str | None) -> Translator:
    return translator(pick_lang(language_code))


def catalog_keys(lang: str) -> set[str]:
    keys = set()
    for path in (LOCALES_DIR / lang).glob("*.ftl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line[0].isspace() and not line.startswith("#") and "=" in line:
                keys.add(line.split("=", 1)[0].strip())
    return keys
