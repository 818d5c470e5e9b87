"""Service points (the tenants), their domains, hierarchy, roles and onboarding."""
