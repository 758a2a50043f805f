"""The hook where a project maps a completed sign-in to its own tenant, or refuses it."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent by the callback view after the backend has found or created the user, and before the
#: user is signed in: ``sender`` is ``WorkOSBackend``; the arguments are ``request``, ``user``
#: (the Django user) and ``result`` (the ``workos_sso.SignInResult``: ``result.profile`` has
#: the organization, connection and role). A receiver refuses the sign-in by raising
#: ``django.core.exceptions.PermissionDenied("a short message for the user")``: nothing is
#: saved (a user created for this sign-in is rolled back) and the user lands on the sign-in page
#: with the message.
sign_in_completed: Signal = Signal()
