"""The database router: the data's reads where tradeapi.db.replicas says, all else on the
primary (settings.DATABASE_ROUTERS)."""

from __future__ import annotations

from typing import Any

from django.db import models

from tradeapi.db.replicas import PRIMARY, REPLICATED_APPS, read_alias, wrote


class ReplicaRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        if model._meta.app_label in REPLICATED_APPS:
            return read_alias()
        return PRIMARY

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        if model._meta.app_label in REPLICATED_APPS:
            # The rest of the request reads from the primary, where its write is.
            wrote()
        return PRIMARY

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        # Every alias holds the same data: the replicas are copies of the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # Replicas get the schema by replication, and are read-only anyway.
        return db == PRIMARY
