"""电子监察: warning rules, the monitor that raises and clears warnings, supervisors' dashboards (issue 14)."""
