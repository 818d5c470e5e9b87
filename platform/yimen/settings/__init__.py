"""Settings in layers: `base` (read from the environment, embedded defaults),
`test` (the suite's servers) and `production` (refuses to start without secrets)."""
