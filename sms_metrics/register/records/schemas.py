"""The API shapes every kind shares, and the update and read schemas derived from a kind's create schema."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

MAX_ID = 2**31 - 1  # the largest record id either database stores
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class RecordRead(BaseModel):
    """What every record shows: its number, reference, state and when it was made and changed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    ref: str = Field(description="Prefix and number, e.g. CHG-000042")
    status: str
    created_at: datetime
    updated_at: datetime


class MoveRequest(BaseModel):
    """POST .../{id}/transitions: where to go, why, and (managers only) why a gate may be passed."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="The state to move to")
    reason: str | None = Field(None, max_length=10_000, description="Why; kept in the history")
    override: str | None = Field(
        None, max_length=10_000, description="Managers: the justification for passing a refusing gate"
    )


class HistoryRow(BaseModel):
    at: datetime
    actor: str
    field: str
    old: str | None
    new: str | None
    reason: str | None


@cache
def update_schema(create: type[BaseModel]) -> type[BaseModel]:
    """Every field of ``create``, optional and without default: PATCH changes only what it names."""
    fields: dict[str, Any] = {}
    for name, info in create.model_fields.items():
        fields[name] = (info.annotation | None, Field(None, description=info.description))
    return create_model(
        create.__name__.replace("Create", "") + "Update",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


@cache
def read_schema(create: type[BaseModel], extra: type[BaseModel] | None = None) -> type[BaseModel]:
    """RecordRead plus every field of ``create`` (and of ``extra``, read-only fields), each may be null."""
    fields: dict[str, Any] = {}
    for model in (create, extra) if extra else (create,):
        for name, info in model.model_fields.items():
            fields[name] = (info.annotation | None, Field(None, description=info.description))
    return create_model(create.__name__.replace("Create", "") + "Read", __base__=RecordRead, **fields)
