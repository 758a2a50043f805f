"""Which WorkOS profile signs in as which Django user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Optional

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from datetime import datetime


class WorkOSIdentity(models.Model):
    """A WorkOS profile linked to a Django user; one user may have several (one per profile).

    A profile id is unique across WorkOS and stays the same each time the person signs in
    through the same connection, so it is the key; the organization is kept with it, and a
    profile that comes back from another organization is refused.
    """

    user: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workos_identities"
    )
    profile_id: models.CharField[str, str] = models.CharField(max_length=255, unique=True)
    organization_id: models.CharField[Optional[str], Optional[str]] = models.CharField(
        max_length=255, null=True, blank=True
    )
    connection_id: models.CharField[str, str] = models.CharField(max_length=255)
    #: The email address the profile had at its last sign-in (for people, not for matching).
    email: models.CharField[str, str] = models.CharField(max_length=320, blank=True)
    created: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now_add=True)
    updated: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[WorkOSIdentity]] = models.Manager()

    class Meta:
        verbose_name = "WorkOS identity"
        verbose_name_plural = "WorkOS identities"

    def __str__(self) -> str:
        return f"{self.profile_id} ({self.email})"
