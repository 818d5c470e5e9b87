"""Powers delegated to industrial parks (赋权强园): grants from county departments
to park points, their scope and legal basis, and what routing reads of them (issue 15)."""
