"""The API's OpenAPI 3.1 document, served at /api/openapi.json (checked by openapi-spec-validator)."""

from __future__ import annotations

from typing import Any

_LEVELS = ("author", "l1", "l2", "l3", "l4", "l5", "l6", "total")  # l4..l6: under a deeper schedule only


def _money(*names: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for n in names:
        props[f"{n}_kopecks"] = {"type": "integer", "description": "kopecks"}
        props[f"{n}_text"] = {"type": "string", "description": "formatted for the reader's language (JSON only)"}
    return props


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def _param(name: str, where: str, schema: dict[str, Any], text: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema, "description": text}


TRACKER = _param("tracker_id", "path", {"type": "integer"}, "a tracker the person is in (GET /api/v1/me)")
CURSOR = _param("cursor", "query", {"type": "string", "maxLength": 64}, "next_cursor of the previous page")
LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "items per page")
FORMAT = _param("format", "query", {"type": "string", "enum": ["json", "csv"], "default": "json"},
                "csv: the same items as CSV, the next cursor in the X-Next-Cursor header")
LANG = _param("lang", "query", {"type": "string", "enum": ["ru", "en"]}, "language of *_text and error messages")

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": {"type": "string"}, "message": {"type": "string"}}),
    "Levels": _obj(_money(*_LEVELS)),
    "Link": _obj({
        "id": {"type": "integer"}, "tracker_id": {"type": "integer"}, "code": {"type": "string"},
        "label": {"type": "string"}, "url": {"type": "string"},
        "kind": {"type": "string", "enum": ["client", "partner"]},
        "archived": {"type": "boolean"}, "created_at": {"type": ["string", "null"], "format": "date-time"},
        "clicks": {"type": "integer"}, "starts": {"type": "integer"}, "paying": {"type": "integer"},
        "conversion": {"type": "number", "description": "paying / clicks"},
        "conversion_text": {"type": "string"}, **_money("revenue", "earned"),
    }),  # fmt: skip
    "Statement": _obj({"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                       "month_text": {"type": "string"}, **_money(*_LEVELS)}),
    "Period": _obj({"id": {"type": "integer", "description": "the accrual's ledger entry"},
                    "period_id": {"type": ["integer", "null"]},
                    "client": {"type": "string",
                               "description": "the subscriber's first name (author's and level-1 shares)"},
                    "branch": {"type": "string", "description": "levels 2 and 3: the first name of the person "
                               "of the partner's own first level the client came through"},
                    "role": {"type": "string", "enum": ["author", "l1", "l2", "l3"]},
                    "period_start": {"type": ["string", "null"], "format": "date-time"},
                    "period_end": {"type": ["string", "null"], "format": "date-time"},
                    "accrued_at": {"type": "string", "format": "date-time"}, "accrued_text": {"type": "string"},
                    **_money("revenue", "margin", "share")}),
    "Accrual": _obj({"id": {"type": "integer"}, "tracker_id": {"type": ["integer", "null"]},
                     "role": {"type": "string"}, "source": {"type": "string"}, "source_id": {"type": "integer"},
                     "created_at": {"type": "string", "format": "date-time"}, **_money("amount")}),
    "Payout": _obj({"id": {"type": "integer"}, "status": {"type": "string"}, "status_text": {"type": "string"},
                    "method": {"type": "string"},
                    "destination": {"type": "string", "description": "masked"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "tracker_id": {"type": ["integer", "null"]}, "created_text": {"type": "string"},
                    **_money("amount")}),
    "NetworkLevel": _obj({"level": {"type": "integer"}, "people": {"type": "integer"}, "paying": {"type": "integer"}}),
    "Me": _obj({
        "user_id": {"type": "integer"}, "first_name": {"type": "string"},
        "scope_tracker_id": {"type": ["integer", "null"]},
        "trackers": {"type": "array", "items": _obj({
            "id": {"type": "integer"}, "name": {"type": "string"}, "username": {"type": "string"},
            "is_author": {"type": "boolean"}, "can_invite": {"type": "boolean"}})},
        "balance": _obj(_money("accrued", "reserved", "paid", "available")),
    }),  # fmt: skip
    "DashboardMonth": _obj({
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "month_text": {"type": "string"},
        "new": {"type": "integer"}, "new_text": {"type": "string"},
        "churned": {"type": "integer"}, "churned_text": {"type": "string"},
        **_money("revenue", "token_cost", "margin"),
    }),
    "Dashboard": _obj({
        "tracker_id": {"type": "integer"}, "name": {"type": "string"}, "username": {"type": "string"},
        "active": {"type": "integer"}, "active_text": {"type": "string"},
        "clients_with_cost": {"type": "integer"}, "clients_with_cost_text": {"type": "string"},
        **_money("median_cost", "p90_cost", "settled", "forecast"),
        "estimate_kopecks": {"type": ["integer", "null"], "description": "the test chat's monthly cost per client"},
        "estimate_text": {"type": "string"},
        "top": {"type": "array", "items": _obj({"name": {"type": "string"}, **_money("cost")})},
        "months": {"type": "array", "description": "this month first",
                   "items": {"$ref": "#/components/schemas/DashboardMonth"}},
    }),
    "Program": _obj({
        "tracker_id": {"type": "integer"}, "name": {"type": "string"}, "username": {"type": "string"},
        "status": {"type": "string"}, "is_author": {"type": "boolean"}, "links": {"type": "integer"},
        "links_text": {"type": "string"}, "cabinet_url": {"type": "string"},
        **_money(*(f"{kind}_{level}" for kind in ("settled", "forecast") for level in _LEVELS)),
    }),
    "Earnings": _obj({"tracker_id": {"type": "integer"}, "settled": {"$ref": "#/components/schemas/Levels"},
                      "forecast": {"$ref": "#/components/schemas/Levels"}}),
}


def _err(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


ERRORS = {
    "400": _err("a query parameter is malformed, unknown or too long"),
    "401": _err("no token, or a revoked, unknown or expired one"),
    "404": _err("no such tracker or link for this person (the same answer whether it exists or not)"),
    "429": {**_err("over the token's request budget"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}},
}


def _list(schema: str) -> dict[str, Any]:
    return {
        "description": "one page",
        "content": {
            "application/json": {"schema": _obj({
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
                "next_cursor": {"type": ["string", "null"]}})},
            "text/csv": {"schema": {"type": "string"}},
        },
    }  # fmt: skip


def _get(summary: str, params: list[dict[str, Any]], ok: dict[str, Any], op_id: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "operationId": op_id, "parameters": [*params, LANG],
                    "responses": {"200": ok, **ERRORS}}}


def _one(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": "OK", "content": {"application/json": {"schema": ref}}}


def document(server_url: str | None = None) -> dict[str, Any]:
    paths = {
        "/api/v1/me": _get("The person, their trackers and balance", [], _one("Me"), "me"),
        "/api/v1/trackers/{tracker_id}/links": _get(
            "Invite links with their funnel, newest first",
            [TRACKER, CURSOR, LIMIT, FORMAT,
             _param("archived", "query", {"type": "string", "enum": ["0", "1", "true", "false"]}, "include archived")],
            _list("Link"), "links"),
        "/api/v1/trackers/{tracker_id}/links/{link_id}": _get(
            "One link's funnel", [TRACKER, _param("link_id", "path", {"type": "integer"}, "a link of the person's")],
            _one("Link"), "link"),
        "/api/v1/trackers/{tracker_id}/earnings": _get(
            "Settled and forecast earnings by level", [TRACKER], _one("Earnings"), "earnings"),
        "/api/v1/trackers/{tracker_id}/statements": _get(
            "Settled earnings per month and level, newest first",
            [TRACKER, CURSOR, LIMIT, FORMAT,
             _param("months", "query", {"type": "integer", "minimum": 1, "maximum": 36, "default": 12}, "the period"),
             _param("nonzero", "query", {"type": "string", "enum": ["0", "1", "true", "false"]}, "skip empty months")],
            _list("Statement"), "statements"),
        "/api/v1/trackers/{tracker_id}/periods": _get(
            "Settled periods the person took a share of, newest first (the chat cabinet's statement)",
            [TRACKER, CURSOR, LIMIT, FORMAT,
             _param("period", "query", {"type": "string", "enum": ["month", "last_month", "all"], "default": "all"},
                    "by the month the share was credited, in the platform's time zone")],
            _list("Period"), "periods"),
        "/api/v1/trackers/{tracker_id}/network": _get(
            "People at each level and how many pay", [TRACKER, FORMAT], _list("NetworkLevel"), "network"),
        "/api/v1/trackers/{tracker_id}/links/{link_id}/qr": _get(
            "One link's QR code (PNG)",
            [TRACKER, _param("link_id", "path", {"type": "integer"}, "a link of the person's")],
            {"description": "PNG", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
            "link_qr"),
        "/api/v1/trackers/{tracker_id}/dashboard": _get(
            "The author's dashboard of their own tracker (404 for anyone else)",
            [TRACKER, _param("months", "query", {"type": "integer", "minimum": 2, "maximum": 36, "default": 12},
                             "the period: months in `months`, this one first")],
            _one("Dashboard"), "dashboard"),
        "/api/v1/programs": _get("Every tracker the person promotes, with their earnings there", [FORMAT],
                                 _list("Program"), "programs"),
        "/api/v1/accruals": _get(
            "Ledger accruals, newest first",
            [CURSOR, LIMIT, FORMAT, _param("tracker_id", "query", {"type": "integer"}, "one tracker only")],
            _list("Accrual"), "accruals"),
        "/api/v1/payouts": _get("Payout requests, newest first (the person's: a balance is not per tracker)",
                                [CURSOR, LIMIT, FORMAT], _list("Payout"), "payouts"),
    }  # fmt: skip
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "GPTitor partner API", "version": "1.0.0",
                 "description": "Read-only. A personal token from the partner cabinet (/partner → API tokens), "
                                "sent as `Authorization: Bearer <token>`."},
        "paths": paths,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
    }  # fmt: skip
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
