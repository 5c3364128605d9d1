"""Specialised networks designated on top of the facility data (issue 7).

Each network is a designation problem built with the optimizer core and reported with the
same metrics as the upgrade plan: time-critical centres (`critical`, with the two-stage chain
in `_chain` on `optimizer.chain`), public-health laboratories (`labs`), regional specialty
centres (`regional`, regions in `regions`) and the "3223" key clinical specialties
(`specialties`, on `optimizer.allocation`). A new tier is configuration: a `levels.NetworkLevel`
spec solved by `designation.designate`, reported as a `report.NetworkResult`.
"""
