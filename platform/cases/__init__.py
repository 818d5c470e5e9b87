"""Cases (办件): intake, cross-tier handoff, working-day clock, supervision.

Not built yet (issue "Cases that travel up the tiers…"). Its place in the
import contract is fixed already: above powers, below cms (guides and search
show cases' effects). See docs/architecture.md.
"""
