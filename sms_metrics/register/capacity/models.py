"""CapacityPlan: one resource's forecast figures and where the plan stands (draft, approved,
active, superseded). At most one current (not superseded) plan per resource, enforced by the
database; a superseded plan keeps its figures and points to the plan that replaced it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, UTCDateTime

CURRENT_SQL = "status <> 'superseded'"


class CapacityPlan(Base):
    __tablename__ = "capacity_plans"
    __table_args__ = (
        Index(
            "uq_capacity_plans_current",
            "service",
            "resource",
            unique=True,
            sqlite_where=text(CURRENT_SQL),
            postgresql_where=text(CURRENT_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200), index=True)
    resource: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inputs_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(40))
    backtest_mase: Mapped[float | None] = mapped_column(Float, nullable=True)
    backtest_smape: Mapped[float | None] = mapped_column(Float, nullable=True)
    forecast_status: Mapped[str] = mapped_column(String(20))
    exhaustion_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exhaustion_earliest_95: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    limit_value: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(4))
    lead_time_seconds: Mapped[float] = mapped_column(Float)
    horizon_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    horizon_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_lower_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_upper_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_lower_95: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_upper_95: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[dict] = mapped_column(JSON)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("capacity_plans.id"), nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("capacity_plans.id"), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CapacityPlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service: str
    resource: str
    status: str
    created_at: datetime
    updated_at: datetime
    inputs_hash: str
    model: str
    backtest_mase: float | None
    backtest_smape: float | None
    forecast_status: str
    exhaustion_at: datetime | None
    exhaustion_earliest_95: datetime | None
    limit_value: float
    direction: str
    lead_time_seconds: float
    horizon_end: datetime | None
    horizon_value: float | None
    horizon_lower_95: float | None
    horizon_upper_95: float | None
    supersedes_id: int | None
    superseded_by_id: int | None
    approved_by: str | None
    approved_at: datetime | None


class PlanTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="approved, active, draft or superseded")
    reason: str | None = None
