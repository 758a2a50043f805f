"""What the session remembers about the WorkOS sign-in behind ``request.user``."""

from __future__ import annotations

from typing import Optional

from django.http import HttpRequest

from workos_sso import SessionUser, WorkOSError

#: The session key that holds ``SessionUser.to_dict()`` of the signed-in profile.
SESSION_USER_KEY = "workos_sso_user"
#: The session key that holds the state of the sign-in in progress (popped by the callback).
SESSION_STATE_KEY = "workos_sso_state"


def current_sso_user(request: HttpRequest) -> Optional[SessionUser]:
    """The WorkOS profile (as a ``SessionUser``) the current session signed in with, or None.

    ``request.user`` is the Django user; this adds what only the sign-in knows, such as the
    organization id and the role. None when nobody is signed in, or the user signed in another
    way (the admin's password form, for example).
    """
    user = getattr(request, "user", None)
    data = request.session.get(SESSION_USER_KEY)
    if user is None or not user.is_authenticated or not isinstance(data, dict):
        return None
    try:
        return SessionUser.from_dict(data)
    except WorkOSError:
        return None
