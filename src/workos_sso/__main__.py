"""``python -m workos_sso``: the same command line as the ``workos-sso`` script."""

from __future__ import annotations

from ._cli import main

raise SystemExit(main())
