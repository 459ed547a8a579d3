"""What a record kind declares: columns (its SQLAlchemy model), schemas, lifecycle, links, filters,
who may do what, and its hooks (gates before a move, effects during and after one)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sms_metrics.errors import IllegalTransition, UnknownState

if TYPE_CHECKING:
    from sms_metrics.register.records.context import Gatekeeping, MoveContext, WriteContext


@dataclass(frozen=True)
class Lifecycle:
    """States and the moves between them, as data. ``closed`` states are not "open"."""

    initial: str
    moves: Mapping[str, tuple[str, ...]]
    closed: frozenset[str]
    aliases: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def states(self) -> list[str]:
        return list(self.moves)

    @property
    def open(self) -> frozenset[str]:
        return frozenset(s for s in self.moves if s not in self.closed)

    def closed_sql(self) -> str:
        """``status NOT IN (...)``: the open records, for partial indexes."""
        return "status NOT IN (" + ", ".join(f"'{s}'" for s in sorted(self.closed)) + ")"

    def allowed(self, state: str) -> list[str]:
        return sorted(self.moves.get(state, ()))

    def check(self, title: str, current: str, target: str) -> None:
        """Raise unless ``current -> target`` is a move of this lifecycle."""
        if target not in self.moves:
            raise UnknownState(f"unknown {title} state {target!r}; states: {', '.join(self.moves)}", self.states)
        allowed = self.allowed(current)
        if target not in allowed:
            moves = ", ".join(allowed) or "none (final state)"
            article = "an" if title[0] in "aeiou" else "a"
            raise IllegalTransition(
                f"{article} {title} cannot go from {current} to {target}; allowed from {current}: {moves}", allowed
            )

    def statuses(self, text: str, title: str = "record") -> frozenset[str]:
        """A list filter: ``open``, an alias, a state, or several of them separated by commas."""
        out: set[str] = set()
        for part in (p.strip() for p in text.split(",") if p.strip()):
            if part == "open":
                out |= self.open
            elif part in self.aliases:
                out |= self.aliases[part]
            elif part in self.moves:
                out.add(part)
            else:
                names = ["open", *self.aliases, *self.moves]
                raise UnknownState(f"unknown {title} status {part!r}: use {', '.join(names)}", self.states)
        return frozenset(out)


@dataclass(frozen=True)
class Gate:
    """A check before a move. ``check`` returns why the move is refused, or None to let it pass.
    ``overridable`` gates may be passed by a manager with a written justification."""

    name: str
    check: Callable[[Gatekeeping], str | None]
    overridable: bool = True


@dataclass(frozen=True)
class LinkField:
    """A many-valued field kept in the links table: services by name, or records of kind ``to`` by id."""

    to: str
    filter: str | None = None  # the list filter that selects records linking to a value


@dataclass(frozen=True)
class RecordKind:
    name: str  # history and links key, e.g. "change"
    path: str  # URL and CLI name, e.g. "changes"
    prefix: str  # reference prefix, e.g. "CHG"
    title: str  # how a person names one, e.g. "change"
    model: type  # the SQLAlchemy model (with RecordColumns)
    create: type[BaseModel]
    lifecycle: Lifecycle
    update: type[BaseModel] | None = None  # default: every create field, optional
    read: type[BaseModel] | None = None  # default: the record columns and every create field
    links: Mapping[str, LinkField] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)  # list filter -> column (equality)
    search: tuple[str, ...] = ("title",)
    table: tuple[str, ...] = ("title", "service")  # columns of `<path> list` in a terminal
    write_role: str = "manager"
    move_roles: Mapping[str, str] = field(default_factory=dict)  # target state -> role needed
    restricted: bool = False  # only tokens with `restricted` see it (others get 404)
    gates: Mapping[str, tuple[Gate, ...]] = field(default_factory=dict)  # target state -> gates
    move_body: type[BaseModel] | None = None  # extra fields of a move (default: to, reason, override)
    verbs: Mapping[str, str] = field(default_factory=dict)  # CLI verb -> target state
    frozen: frozenset[str] = frozenset()  # states in which fields can no longer change
    example: Mapping[str, Any] = field(default_factory=dict)  # a valid create body (docs and tests)
    move_examples: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # extra body per target state
    initial_state: Callable[[dict], str] | None = None  # the first state from the new record's values
    before_create: Callable[[WriteContext, dict], None] | None = None  # derive fields, check references
    on_move: Callable[[MoveContext], None] | None = None  # field changes that come with a move
    on_update: Callable[[WriteContext, Any, dict], None] | None = None  # derived fields after a PATCH
    after_move: Callable[[MoveContext], None] | None = None  # effects on other records, same transaction
    routes: Callable[..., None] | None = None  # extra routes: routes(router, records, principal_dependency)
    cli: Callable[..., None] | None = None  # extra CLI commands: cli(group, system_factory)
    creatable: bool = True
    history_fields: tuple[str, ...] = ()  # columns whose changes are written to history (default: all)
    evidence: Any = None  # what the auditor's evidence pack takes (evidence.spec.Evidence); None: the default
    description: str = ""

    def ref(self, record_id: int) -> str:
        return f"{self.prefix}-{record_id:06d}"

    def state_of(self, values: dict) -> str:
        return self.initial_state(values) if self.initial_state else self.lifecycle.initial
