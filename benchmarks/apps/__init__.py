"""One WSGI application per (framework, scenario); each module exposes ``application``.

The modules are imported by ``benchmarks/serve.py`` inside the server process:
skiesish and the bare app with the project's virtualenv, the peers with
``benchmarks/.venv-peers``. Keep them small so they are easy to adjust.
"""
