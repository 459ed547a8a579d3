"""``GET /api/v1/evidence?service=&period=``: the evidence pack as a zip download (any reading role;
restricted records only for restricted tokens)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from sms_metrics.evidence.pack import build_pack


def evidence_router(system, principal) -> APIRouter:
    router = APIRouter(tags=["evidence"])

    @router.get(
        "/api/v1/evidence",
        summary="The auditor's evidence pack of a service and a period (a zip)",
        response_class=Response,
        responses={200: {"content": {"application/zip": {}}}},
    )
    def evidence(
        service: str = Query(..., max_length=200, description="A catalogue service"),
        period: str = Query(..., max_length=100, description="2026-10 (a month), 2026-10-01..2026-10-15, or 30d"),
        who=Depends(principal),
    ) -> Response:
        pack = build_pack(system, who, service, period)
        headers = {
            "Content-Disposition": f'attachment; filename="{pack.name}.zip"',
            "X-SMS-Warnings": "; ".join(pack.warnings)[:1000],
        }
        return Response(pack.zip_bytes(), media_type="application/zip", headers=headers)

    return router
