"""Transitional alias of the old module path ``optimizer.solve``; delete with its import below.

The classic models' entry point is `optimizer.classic.api`; `DEFAULT_MIP_GAP` lives in
`optimizer.result`. Kept only until planning/networks/_chain.py and designation.py import
``DEFAULT_MIP_GAP`` from `optimizer.result`; `optimizer/__init__.py` imports this module
before binding ``optimizer.solve`` to the function, so the name stays the function.
"""

from __future__ import annotations

from optimizer.classic.api import OBJECTIVES, solve
from optimizer.result import DEFAULT_MIP_GAP

__all__ = ["DEFAULT_MIP_GAP", "OBJECTIVES", "solve"]
