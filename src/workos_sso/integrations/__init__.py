"""Drop-in sign-in for web frameworks: ``flask``, ``django`` and ``starlette`` (FastAPI too).

Each module imports its framework, so import only the one your app uses; ``import workos_sso``
imports none of them. Install the framework with the matching extra, for example
``pip install 'workos-sso[flask]'``.
"""
