"""Write a pack's `i18n/<lang>.yaml` from a flat `key: translation` file, recording beside each
translation the hash of the English it translates (so `rules lint --lang` can say when the
English changed since).

    python dev/pack_translations.py rules fr translations-fr.yaml [more.yaml ...]

Keys not in the pack are refused; the pack's keys missing from the input are reported."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from threatmodel.pack.i18n import entries, text_hash
from threatmodel.pack.load import load_packs

HEADER = {
    "fr": "# Traduction française du pack {name}. Assistée par machine, non relue par un juriste\n"
    "# de langue maternelle française : à faire relire avant de s'y fier.\n",
    "de": "# Deutsche Übersetzung des Pakets {name}. Maschinell unterstützt, nicht von einem\n"
    "# muttersprachlichen Juristen geprüft: vor Verwendung prüfen lassen.\n",
}


def main(argv: list[str]) -> int:
    folder, lang, *sources = argv
    pack = load_packs([Path(folder)]) if Path(folder).resolve() != _builtin() else load_packs()
    name = pack.packs[-1].name
    english = entries(pack, name)
    given: dict[str, str] = {}
    for source in sources:
        given.update(yaml.safe_load(Path(source).read_text(encoding="utf-8")))
    unknown = sorted(set(given) - set(english))
    if unknown:
        print(f"not keys of the pack: {unknown[:5]}")
        return 1
    missing = [k for k in english if k not in given]
    body = {
        "lang": lang,
        "entries": {
            k: {"en": text_hash(english[k]), "text": given[k]} for k in english if k in given
        },
    }
    text = HEADER[lang].format(name=name) + yaml.safe_dump(
        body, allow_unicode=True, sort_keys=False, width=100
    )
    target = Path(folder) / "i18n" / f"{lang}.yaml"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}: {len(body['entries'])} entries, {len(missing)} missing")
    return 0


def _builtin() -> Path:
    from threatmodel.pack.load import builtin_rules

    return builtin_rules().resolve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
