"""The ``workos-sso`` command line: connections, sign-in helpers, ``doctor`` and ``verify``.

Run as ``workos-sso ...`` or ``python -m workos_sso ...``. Standard library only (argparse), so
installing the package adds no dependency. Settings come from flags, then the environment, then a
``.env`` file in the working directory, in that order of precedence; a base URL from ``.env`` is
used only together with an API key from the same file.

Exit codes: 0 success, 1 the API or the network failed (or a deletion was cancelled), 2 a usage
error (bad flags, missing or malformed settings), 141 standard output closed early (``| head``).
``doctor`` and ``verify`` exit 1 when any check fails.

One module per job: ``settings`` (flags, environment, ``.env``), ``output`` (tables, JSON, check
lines), ``doctor``, ``browser`` and the four ``verify*`` modules (the sign-in probe), and
``commands`` (argparse and the command functions). Nothing here is imported by ``workos_sso``
itself, so the library's import time does not pay for argparse and friends.
"""

from __future__ import annotations

from .commands import main

__all__ = ["main"]
