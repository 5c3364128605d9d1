"""Chinese name handling for the Liaoning build: name roots, pinyin, English names.

English names are Hanyu Pinyin of the name root, written as one word in title case with the
standard apostrophe before a syllable starting with a, o or e (``Zhen'an``) and ``ü`` kept
(``Lüshunkou``), followed by an English generic: ``District``, ``County``, ``City``,
``Subdistrict``, ``Town``, ``Township``. Syllables come from AreaCity (curated pinyin, right
for heteronyms such as 堡 in place names) where its short name covers the root, otherwise
from pypinyin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from pypinyin import Style, lazy_pinyin

__all__ = [
    "admin_name_en",
    "hospital_name_en",
    "name_root",
    "place_glossary",
    "romanise",
    "syllables",
    "township_kind",
    "township_name_en",
]

_ETHNIC: Final = ("满族", "蒙古族", "朝鲜族", "锡伯族", "回族")
_ROOT_SUFFIXES: Final = (
    "街道办事处",
    "管理委员会",
    "办事处",
    "管委会",
    "街道",
    "镇",
    "乡",
    *_ETHNIC,
)
_KIND_EN: Final = {
    "subdistrict": "Subdistrict",
    "town": "Town",
    "township": "Township",
}
_SPECIAL_EN: Final = (
    ("经济技术开发区", "Economic and Technological Development Zone"),
    ("高新技术产业开发区", "High-tech Industrial Development Zone"),
    ("经济开发区", "Economic Development Zone"),
    ("飞地经济区", "Enclave Economic Zone"),
    ("特别管理区", "Special Administrative Area"),
    ("沿海产业基地", "Coastal Industrial Base"),
    ("循环产业园区", "Circular Industry Park"),
    ("滨海经济区", "Coastal Economic Zone"),
    ("自贸区", "Free Trade Zone"),
    ("风景区", "Scenic Area"),
    ("开发区", "Development Zone"),
    ("果树农场", "Orchard Farm"),
    ("畜牧农场", "Livestock Farm"),
    ("国营农场", "State Farm"),
    ("农工商总公司", "Agro-Industrial Corporation"),
    ("原种场", "Seed Farm"),
    ("良种场", "Seed Farm"),
    ("种畜场", "Livestock Breeding Farm"),
    ("奶牛场", "Dairy Farm"),
    ("示范场", "Demonstration Farm"),
    ("农场", "Farm"),
    ("林场", "Forest Farm"),
    ("监狱城", "Prison Town"),
    ("监狱", "Prison"),
    ("分园", "Park"),
    ("水库", "Reservoir"),
    ("片区", "Area"),
    ("华侨", "Overseas Chinese"),
    ("国营", "State-run"),
)
_HOSPITAL_EN: Final = (
    ("附属第一医院", "Affiliated First Hospital"),
    ("附属第二医院", "Affiliated Second Hospital"),
    ("附属第三医院", "Affiliated Third Hospital"),
    ("附属第四医院", "Affiliated Fourth Hospital"),
    ("妇幼保健院", "Maternal and Child Health Hospital"),
    ("妇婴医院", "Maternity and Infant Hospital"),
    ("妇产医院", "Obstetrics and Gynecology Hospital"),
    ("儿童医院", "Children's Hospital"),
    ("肿瘤医院", "Cancer Hospital"),
    ("口腔医院", "Stomatological Hospital"),
    ("眼科医院", "Eye Hospital"),
    ("传染病医院", "Infectious Disease Hospital"),
    ("精神卫生中心", "Mental Health Center"),
    ("中医医院", "TCM Hospital"),
    ("中医院", "TCM Hospital"),
    ("人民医院", "People's Hospital"),
    ("中心医院", "Central Hospital"),
    ("总医院", "General Hospital"),
    ("中国医科大学", "China Medical University"),
    ("医科大学", "Medical University"),
    ("医学院", "Medical College"),
    ("大学", "University"),
    ("附属", "Affiliated"),
    ("医院", "Hospital"),
    ("集团", "Group"),
    ("公司", "Company"),
    ("第一", "First"),
    ("第二", "Second"),
    ("第三", "Third"),
    ("第四", "Fourth"),
    ("第五", "Fifth"),
    ("第六", "Sixth"),
    ("第七", "Seventh"),
    ("省", "Provincial"),
)
_VOWEL_START: Final = re.compile(r"^[aoe]")


def township_kind(name: str) -> str:
    """``subdistrict`` (街道), ``town`` (镇), ``township`` (乡) or ``special`` (the rest)."""
    if name.endswith("街道"):
        return "subdistrict"
    if name.endswith("镇"):
        return "town"
    if name.endswith("乡"):
        return "township"
    return "special"


def name_root(name: str) -> str:
    """Name without generic and ethnic suffixes: 沙金台蒙古族满族乡 -> 沙金台.

    Used to match the same unit across vintages and sources (街道 vs 办事处, 乡 vs 镇). The
    root is never reduced to nothing: a name that is all suffix stays as it is.
    """
    root = name.strip().replace("（", "(").replace("）", ")")
    changed = True
    while changed:
        changed = False
        for suffix in _ROOT_SUFFIXES:
            if root.endswith(suffix) and len(root) > len(suffix):
                root = root[: -len(suffix)]
                changed = True
    return root


def syllables(text: str, short_name: str = "", short_pinyin: str = "") -> list[str]:
    """Pinyin syllables of ``text``, from AreaCity when its short name covers the text.

    Parameters
    ----------
    text
        Chinese text (usually a name root).
    short_name, short_pinyin
        AreaCity short name and its space-separated pinyin (one syllable per character).
    """
    parts = short_pinyin.split()
    if short_name.startswith(text) and len(parts) == len(short_name) and text:
        return [p.replace("v", "ü") for p in parts[: len(text)]]
    return [p.lower() for p in lazy_pinyin(text, style=Style.NORMAL, v_to_u=True)]


def romanise(parts: Sequence[str]) -> str:
    """Join syllables into one title-case word with pinyin apostrophes (``Zhen'an``)."""
    word = ""
    for i, part in enumerate(parts):
        if i and _VOWEL_START.match(part):
            word += "'"
        word += part
    return word[:1].upper() + word[1:]


def admin_name_en(name: str, level: str, short_name: str = "", short_pinyin: str = "") -> str:
    """English name of the province, a city or a county-level unit.

    Examples: 辽宁省 -> ``Liaoning``, 沈阳市 -> ``Shenyang``, 铁西区 -> ``Tiexi District``,
    沈北新区 -> ``Shenbei New District``, 新宾满族自治县 -> ``Xinbin Manchu Autonomous County``.

    Parameters
    ----------
    name
        Full Chinese name.
    level
        ``province``, ``city`` or ``county``.
    short_name, short_pinyin
        AreaCity's short name and its curated pinyin, used for the syllables where the short
        name covers the name root (see `syllables`); empty to use pypinyin.
    """
    if level in ("province", "city"):
        root = name.removesuffix("省").removesuffix("市")
        return romanise(syllables(root, short_name, short_pinyin))
    for suffix, generic in (
        ("满族自治县", "Manchu Autonomous County"),
        ("蒙古族自治县", "Mongol Autonomous County"),
        ("新区", "New District"),
        ("区", "District"),
        ("县", "County"),
        ("市", "City"),
    ):
        if name.endswith(suffix) and len(name) > len(suffix):
            root = name[: -len(suffix)]
            return f"{romanise(syllables(root, short_name, short_pinyin))} {generic}"
    return romanise(syllables(name, short_name, short_pinyin))


def township_name_en(
    name: str,
    kind: str,
    short_name: str = "",
    short_pinyin: str = "",
    places: Mapping[str, str] | None = None,
) -> str:
    """English name of a township-level unit: ``Hunhewan Subdistrict``, ``Qingnian Farm``.

    Special units (farms, zones) are translated with a glossary of generic terms and the
    ``places`` names (see `hospital_name_en`); the rest of the name is romanised.

    Parameters
    ----------
    name
        Full Chinese name.
    kind
        One of `geodata.schema.TOWNSHIP_KINDS`.
    short_name, short_pinyin
        AreaCity's short name and its curated pinyin (see `admin_name_en`).
    places
        Chinese place name -> English (`place_glossary`), for special units.
    """
    if kind in _KIND_EN:
        root = name_root(name)
        return f"{romanise(syllables(root, short_name, short_pinyin))} {_KIND_EN[kind]}"
    return _translate(name, _SPECIAL_EN, places or {})


def hospital_name_en(name: str, places: Mapping[str, str]) -> str:
    """English name of a hospital from a glossary of generic terms plus place names.

    Parameters
    ----------
    name
        Chinese name, e.g. 大连市第三人民医院.
    places
        Chinese place name -> English (city, county and district names, with and without
        their 市/区/县 suffix), e.g. ``{"大连市": "Dalian"}``.
    """
    return _translate(name, _HOSPITAL_EN, places)


def place_glossary(
    names_zh: Sequence[str], names_en: Sequence[str], levels: Sequence[str]
) -> dict[str, str]:
    """Chinese -> English place names for `hospital_name_en` and special townships.

    Cities and the province also map without their 市/省 suffix (大连 -> Dalian); county-level
    names map in full only (铁西区 -> Tiexi District), since their roots repeat across cities.

    Parameters
    ----------
    names_zh, names_en, levels
        Chinese name, English name and level of each admin unit, in the same order.
    """
    places: dict[str, str] = {}
    for zh, en, level in zip(names_zh, names_en, levels, strict=True):
        places[zh] = en
        if level in ("province", "city"):
            places[zh.removesuffix("省").removesuffix("市")] = en
    return places


def _translate(name: str, glossary: Sequence[tuple[str, str]], places: Mapping[str, str]) -> str:
    """Replace known terms (longest first) by English; romanise the Chinese in between."""
    terms = sorted([*glossary, *places.items()], key=lambda kv: (-len(kv[0]), kv[0]))
    words: list[str] = []
    pending = ""
    i = 0
    clean = name.replace("（", "").replace("）", "").replace("(", "").replace(")", "")
    while i < len(clean):
        for zh, en in terms:
            if clean.startswith(zh, i):
                if pending:
                    words.append(romanise(syllables(pending)))
                    pending = ""
                words.append(en)
                i += len(zh)
                break
        else:
            pending += clean[i]
            i += 1
    if pending:
        words.append(romanise(syllables(pending)))
    return " ".join(w for w in words if w)
