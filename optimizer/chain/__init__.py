"""Two-stage chains: designate first-contact and definitive-care centres by total chain time.

`solve_chain` and `evaluate_chain` are the entry points; the formulation is in
`optimizer.chain.api`.
"""

from __future__ import annotations

from optimizer.chain.api import ChainPlan, ChainProblem, ChainTimes, evaluate_chain, solve_chain

__all__ = ["ChainPlan", "ChainProblem", "ChainTimes", "evaluate_chain", "solve_chain"]
