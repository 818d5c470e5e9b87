"""Citizens and enterprises online (issue 13): network accounts signed in by a
one-time code, real-name details, online applications with uploads, and the
applicant's own cases ("我的办件"), on the network's host.

Cases themselves stay in `cases`: this app opens and follows them only
through `cases.services` and reads them through the scoping layer.
"""
