"""The authentication backend: a completed WorkOS sign-in in, a Django user out."""

from __future__ import annotations

import logging
from typing import Any, Optional

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from workos_sso import Profile, SignInResult

from .conf import sso_settings
from .models import WorkOSIdentity

logger: logging.Logger = logging.getLogger("workos_sso.integrations.django")

#: The username of a user this backend creates: the prefix, then the profile id.
USERNAME_PREFIX = "workos:"


class WorkOSBackend(BaseBackend):
    """Signs in the Django user linked to a WorkOS profile, creating one the first time.

    ``django.contrib.auth.authenticate(request, sso_result=result)`` with the ``SignInResult``
    of a checked callback (the callback view does this, after the ``ON_SIGN_IN`` hook). The
    link is the profile id, kept with its organization in ``WorkOSIdentity``:

    * a known profile signs in as its user again (the same row, updated);
    * a known profile that comes back from another organization is refused;
    * a new profile gets a new user, whose username is ``workos:<profile id>``, even when
      another user has the same email address: an identity provider's admin can mint any
      address. With ``WORKOS_SSO["LINK_BY_EMAIL"] = True`` a new profile of an allowed
      organization is linked to the one existing user with its email address instead, unless
      that user is staff, a superuser or already linked to a WorkOS profile (``can_link``).

    The user's email, first and last name follow the profile at each sign-in. An inactive user
    is refused, as by Django's ``ModelBackend``. A database error in linking that is not a
    second sign-in of the same new profile racing this one (a username taken, a custom user
    model's own constraint) refuses the sign-in with a log line; the view shows the refusal.
    """

    def authenticate(  # type: ignore[override]
        self, request: Optional[HttpRequest], *, sso_result: Optional[SignInResult] = None
    ) -> Optional[AbstractBaseUser]:
        """The user for ``sso_result`` (None for other credentials, or when refused)."""
        if not isinstance(sso_result, SignInResult):
            return None
        profile = sso_result.profile
        with transaction.atomic():
            identity = self._identity(profile)
            if identity is None:
                return None
            user: AbstractBaseUser = identity.user
            self._update_user(user, profile)
        return user if self.user_can_authenticate(user) else None

    def get_user(self, user_id: Any) -> Optional[AbstractBaseUser]:
        """The active user with this primary key, for the session's ``request.user``."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user: AbstractBaseUser) -> bool:
        """Refuse a user whose ``is_active`` is False (custom models without it may sign in)."""
        return getattr(user, "is_active", True) is not False

    # --- linking ---------------------------------------------------------------------------

    @staticmethod
    def _linked(profile: Profile) -> Optional[WorkOSIdentity]:
        identity: Optional[WorkOSIdentity] = (
            WorkOSIdentity.objects.select_related("user").filter(profile_id=profile.id).first()
        )
        return identity

    def _identity(self, profile: Profile) -> Optional[WorkOSIdentity]:
        identity = self._linked(profile)
        if identity is None:
            try:
                # A savepoint: a second sign-in of the same new profile may win the race.
                with transaction.atomic():
                    return self._link_new_profile(profile)
            except IntegrityError as error:
                identity = self._linked(profile)
                if identity is None:
                    # Not the race: something else of the new user is taken.
                    logger.warning(
                        "WorkOS profile %s could not be linked to a new user: %s; refused.",
                        profile.id,
                        error,
                    )
                    return None
        if identity.organization_id != profile.organization_id:
            logger.warning(
                "WorkOS profile %s was linked for organization %s and came back from %s: refused.",
                profile.id,
                identity.organization_id,
                profile.organization_id,
            )
            return None
        identity.email = profile.email
        identity.connection_id = profile.connection_id
        identity.save(update_fields=["email", "connection_id", "updated"])
        return identity

    def _link_new_profile(self, profile: Profile) -> WorkOSIdentity:
        user = self._user_with_email(profile) if sso_settings().link_by_email else None
        if user is not None and not self.can_link(user, profile):
            user = None
        if user is None:
            user = self.create_user(profile)
        identity: WorkOSIdentity = WorkOSIdentity.objects.create(
            user=user,
            profile_id=profile.id,
            organization_id=profile.organization_id,
            connection_id=profile.connection_id,
            email=profile.email,
        )
        return identity

    def _user_with_email(self, profile: Profile) -> Optional[AbstractBaseUser]:
        """The one existing user with the profile's email address (LINK_BY_EMAIL only)."""
        user_model = get_user_model()
        email_field = user_model.get_email_field_name()
        if not profile.email:
            return None
        matches = list(
            user_model._default_manager.filter(**{f"{email_field}__iexact": profile.email})[:2]
        )
        return matches[0] if len(matches) == 1 else None

    def can_link(self, user: AbstractBaseUser, profile: Profile) -> bool:
        """Whether ``LINK_BY_EMAIL`` may link this new profile to this existing user.

        Never a staff user or a superuser (an identity provider's admin could mint their
        address), never a user already linked to a WorkOS profile, and only a profile of an
        organization ``ALLOWED_ORGANIZATIONS`` admits (the callback has refused the others
        already; a social sign-in, which has no organization, is never linked). Override to be
        stricter; a user this refuses gets a new user of its own.
        """
        if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
            why = "the user with its email is staff or a superuser"
        elif WorkOSIdentity.objects.filter(user_id=user.pk).exists():
            why = "the user with its email is linked to another WorkOS profile"
        elif not sso_settings().policy().allows_organization(profile.organization_id):
            why = "its organization is not allowed"
        else:
            return True
        logger.warning("WorkOS profile %s not linked by email (%s): a new user.", profile.id, why)
        return False

    def create_user(self, profile: Profile) -> AbstractBaseUser:
        """A new user for a profile seen for the first time; override to fill in more fields."""
        user_model = get_user_model()
        # getattr: django-stubs releases disagree on whether the model class declares it.
        username_field = str(getattr(user_model, "USERNAME_FIELD"))  # noqa: B009
        user: AbstractBaseUser = user_model(**{username_field: USERNAME_PREFIX + profile.id})
        user.set_unusable_password()
        self._copy_profile(user, profile)
        user.save()
        return user

    def _update_user(self, user: AbstractBaseUser, profile: Profile) -> None:
        changed = self._copy_profile(user, profile)
        if changed:
            user.save(update_fields=changed)

    @staticmethod
    def _copy_profile(user: AbstractBaseUser, profile: Profile) -> list[str]:
        """Copy the email and names onto the user's fields that exist; return those changed."""
        values = {
            user.get_email_field_name(): profile.email or "",
            "first_name": profile.first_name or "",
            "last_name": profile.last_name or "",
        }
        field_names = {field.name for field in user._meta.get_fields()}
        changed = []
        for field, value in values.items():
            if field in field_names and field != getattr(user, "USERNAME_FIELD", None):
                limit = getattr(user._meta.get_field(field), "max_length", None)
                value = value[:limit] if limit else value
                if getattr(user, field) != value:
                    setattr(user, field, value)
                    changed.append(field)
        return changed
