"""Powers delegated to industrial parks (赋权强园): PowerGrant and its effects.

Not built yet (issue "Powers delegated to industrial parks"). Its place in the
import contract is fixed already: above standards, below cases (routing of
cases reads grants). See docs/architecture.md.
"""
