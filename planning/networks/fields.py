"""Specialty fields: what a field is, who may hold it, and the two default lists.

A field is eligible at a hospital that gives general care (``general_care``: general and TCM
hospitals), or at a specialty hospital whose Chinese name contains one of the field's
``hospital_keywords`` (儿童 children's hospitals for paediatrics, 口腔 for stomatology, …).
Specialty hospitals whose names say nothing (抚顺市第五医院, 鞍山市千山医院, 鞍山市第四医院 in the
shipped table) hold no field unless a field lists their name as a keyword; a specialty hospital
whose field is not in the list (the stomatology and dermatology hospitals under the 20 default
key fields) holds none either.

Sources
-------
* Key clinical specialty fields (`KEY_SPECIALTY_FIELDS`, 20): the nine fields the National
  Health Commission names for priority support in the 14th Five-Year "百千万工程" (cardiac
  surgery, obstetrics, orthopaedics, anaesthesiology, paediatrics, psychiatry, pathology,
  clinical laboratory, medical imaging; NHC, 2022-02-17, reported by 央视网:
  http://www.sta.gd.cn/keji/20220217/24835.html), plus eleven department fields of the
  national key clinical specialty construction projects (国家临床重点专科建设项目, Ministry of
  Health rounds from 2010) that carry the largest and the most time-critical patient loads
  (cardiology, respiratory, gastroenterology, neurology, oncology, infectious diseases,
  geriatrics, general surgery, neurosurgery, critical care, emergency). The selection of the
  eleven is an ASSUMPTION (the programme also covers e.g. nephrology, ophthalmology,
  stomatology, nursing, pharmacy and TCM fields); pass your own tuple to change it.
* Regional centre categories (`REGIONAL_CENTRE_FIELDS`, 8): the categories of 国家医学中心和
  国家区域医疗中心设置规划 (国卫医发〔2017〕3号): comprehensive, oncology, cardiovascular,
  obstetrics and gynaecology, paediatrics, infectious diseases, stomatology, psychiatry.
* Demand weights: children (``pop_0_14``) for paediatrics, women 15-49 (``pop_female_15_49``)
  for obstetrics, 65+ (``pop_65plus``) for geriatrics; everyone else ``population`` (2020
  census bands of the shipped dataset). Gynaecology serves women of every age, for which the
  dataset has no band: it uses ``population`` (ASSUMPTION).
* Keywords of named specialty hospitals: 大连市第六人民医院 and 沈阳市第六人民医院 are their
  cities' infectious-disease hospitals, 大连市第七人民医院 Dalian's mental-health hospital
  (ASSUMPTION from their public descriptions; not in the shipped hospital table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "KEY_SPECIALTY_FIELDS",
    "REGIONAL_CENTRE_FIELDS",
    "SpecialtyField",
    "eligible_facilities",
    "general_care",
]


@dataclass(frozen=True)
class SpecialtyField:
    """One specialty field.

    Attributes
    ----------
    code
        Identifier used in tables, e.g. ``"cardiology"``.
    name_zh, name_en
        Names for reports.
    demand_weight
        Demand column that weighs people for this field (``population`` or an age band).
    hospital_keywords
        Specialty hospitals whose ``name_zh`` contains one of these may hold the field.
    general_care
        Hospitals that give general care may hold the field.
    weight
        Weight of the field's reach in the allocation objective.
    """

    code: str
    name_zh: str
    name_en: str
    demand_weight: str = "population"
    hospital_keywords: tuple[str, ...] = ()
    general_care: bool = True
    weight: float = 1.0


def general_care(facilities: pd.DataFrame) -> NDArray[np.bool_]:
    """Return the ``general_care`` flag as booleans (the CSV stores text)."""
    if "general_care" not in facilities.columns:
        return np.ones(len(facilities), dtype=np.bool_)
    flag = facilities["general_care"].astype(str).str.strip().str.lower()
    return flag.isin(["true", "1"]).to_numpy()


def eligible_facilities(facilities: pd.DataFrame, field: SpecialtyField) -> NDArray[np.bool_]:
    """Which rows of `facilities` may hold `field` (see the module docstring)."""
    out = general_care(facilities) & field.general_care
    names = facilities["name_zh"].astype(str)
    for keyword in field.hospital_keywords:
        out |= names.str.contains(keyword, regex=False).to_numpy()
    return np.asarray(out, dtype=np.bool_)


_MATERNAL = ("妇幼", "妇婴", "妇产", "妇儿")
_CHILD = ("儿童", "妇幼", "妇婴", "妇儿")
_MENTAL = ("精神", "安宁", "康宁", "脑科", "大连市第七人民医院")
_INFECTIOUS = ("传染病", "结核", "大连市第六人民医院", "沈阳市第六人民医院")

#: 20 key clinical specialty fields (see the module docstring for the sources).
KEY_SPECIALTY_FIELDS: Final[tuple[SpecialtyField, ...]] = (
    SpecialtyField("cardiology", "心血管内科", "Cardiology"),
    SpecialtyField("respiratory", "呼吸内科", "Respiratory medicine", hospital_keywords=("胸科",)),
    SpecialtyField("gastroenterology", "消化内科", "Gastroenterology"),
    SpecialtyField("neurology", "神经内科", "Neurology", hospital_keywords=("脑科",)),
    SpecialtyField("oncology", "肿瘤科", "Oncology", hospital_keywords=("肿瘤",)),
    SpecialtyField(
        "infectious_diseases", "感染病科", "Infectious diseases", hospital_keywords=_INFECTIOUS
    ),
    SpecialtyField("geriatrics", "老年医学科", "Geriatrics", "pop_65plus"),
    SpecialtyField("general_surgery", "普通外科", "General surgery"),
    SpecialtyField("orthopaedics", "骨科", "Orthopaedics", hospital_keywords=("骨科",)),
    SpecialtyField("neurosurgery", "神经外科", "Neurosurgery", hospital_keywords=("脑科",)),
    SpecialtyField("cardiac_surgery", "心血管外科", "Cardiac surgery"),
    SpecialtyField("obstetrics", "产科", "Obstetrics", "pop_female_15_49", _MATERNAL),
    SpecialtyField("paediatrics", "儿科", "Paediatrics", "pop_0_14", _CHILD),
    SpecialtyField("psychiatry", "精神科", "Psychiatry", hospital_keywords=_MENTAL),
    SpecialtyField("critical_care", "重症医学科", "Critical care medicine"),
    SpecialtyField("emergency", "急诊医学科", "Emergency medicine"),
    SpecialtyField("anaesthesiology", "麻醉科", "Anaesthesiology"),
    SpecialtyField("pathology", "病理科", "Pathology"),
    SpecialtyField("laboratory", "检验科", "Clinical laboratory"),
    SpecialtyField("medical_imaging", "医学影像科", "Medical imaging"),
)

#: The eight categories of national and regional medical centres (国卫医发〔2017〕3号).
REGIONAL_CENTRE_FIELDS: Final[tuple[SpecialtyField, ...]] = (
    SpecialtyField("comprehensive", "综合", "Comprehensive"),
    SpecialtyField("oncology", "肿瘤", "Oncology", hospital_keywords=("肿瘤",)),
    SpecialtyField("cardiovascular", "心血管", "Cardiovascular"),
    SpecialtyField(
        "obstetrics_gynaecology",
        "妇产",
        "Obstetrics and gynaecology",
        "pop_female_15_49",
        _MATERNAL,
    ),
    SpecialtyField("paediatrics", "儿科", "Paediatrics", "pop_0_14", _CHILD),
    SpecialtyField(
        "infectious_diseases", "传染病", "Infectious diseases", "population", _INFECTIOUS
    ),
    SpecialtyField("stomatology", "口腔", "Stomatology", hospital_keywords=("口腔",)),
    SpecialtyField("psychiatry", "精神", "Psychiatry", hospital_keywords=_MENTAL),
)
