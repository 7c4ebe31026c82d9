"""The OpenAPI 3.1 description of the verification API (served at ``/api/v1/openapi.json``).

One document, written out here; the API's own tests check it against the OpenAPI 3.1 schema
and run schemathesis against the app with it, so the description and the code cannot drift.
"""
from __future__ import annotations

from functools import cache
from typing import Any

STATUSES = ["active", "grace", "expired", "suspended", "revoked"]
ID_EXAMPLE = "JCAP-2026-000123-K"


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(description: str, ref: str, etag: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    if etag:
        response["headers"] = {"ETag": {"$ref": "#/components/headers/ETag"},
                               "Cache-Control": {"$ref": "#/components/headers/CacheControl"}}
    return response


_NOT_MODIFIED = {"description": "Not modified (the If-None-Match ETag still matches)."}
_RATE = _problem("Too many requests from this client; wait and retry (Retry-After).")
_JWT = {"type": "string", "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"},
                       "max_ids": {"type": "integer"}},
    },
    "Credential": {
        "type": "object", "additionalProperties": False,
        "required": ["credential_id", "holder_name", "credential", "status", "status_label",
                     "status_reason", "issued_on", "valid_until", "verify_url"],
        "properties": {
            "credential_id": {"type": "string", "examples": [ID_EXAMPLE]},
            "holder_name": {"type": "string", "description": "The name on the certificate."},
            "credential": {"type": "string", "description": "The credential's name."},
            "status": {"type": "string", "enum": STATUSES,
                       "description": "active; grace (CE cycle ended, may still renew); "
                                      "expired; suspended; revoked. Today's status."},
            "status_label": {"type": "string"},
            "status_reason": {"type": ["string", "null"],
                              "description": "The public reason of a suspension or revocation."},
            "issued_on": {"type": "string", "format": "date",
                          "description": "First issued."},
            "valid_until": {"type": ["string", "null"], "format": "date",
                            "description": "Last day of the current CE cycle."},
            "verify_url": {"type": "string", "format": "uri"},
        },
    },
    "BatchRequest": {
        "type": "object", "required": ["ids"], "additionalProperties": False,
        "properties": {"ids": {
            "type": "array", "maxItems": 500,
            "items": {"type": "string", "maxLength": 100, "examples": [ID_EXAMPLE]},
            "description": "Up to 500 IDs. Duplicates are answered again (with duplicate_of); "
                           "an item that is not a string gets an error result, not a refusal."}},
    },
    "BatchResult": {
        "type": "object", "required": ["index", "input", "found"],
        "properties": {
            "index": {"type": "integer", "minimum": 0},
            "input": {"type": ["string", "null"], "description": "The item (first 100 "
                                                                 "characters); null if not text."},
            "found": {"type": "boolean"},
            "credential": {"$ref": "#/components/schemas/Credential"},
            "error": {"type": "string"},
            "duplicate_of": {"type": "integer", "minimum": 0,
                             "description": "Position of the first occurrence of this ID."},
        },
    },
    "BatchResponse": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array",
                                   "items": {"$ref": "#/components/schemas/BatchResult"}}},
    },
    "PdfCheck": {
        "type": "object",
        "required": ["is_pdf", "signed", "signature_valid", "trusted", "modified_after_signing",
                     "credential_id", "status", "credential", "message"],
        "properties": {
            "is_pdf": {"type": "boolean"},
            "signed": {"type": "boolean"},
            "signature_valid": {"type": "boolean",
                                "description": "Intact and signed with this programme's key."},
            "trusted": {"type": "boolean"},
            "modified_after_signing": {"type": "boolean"},
            "credential_id": {"type": ["string", "null"]},
            "status": {"type": ["string", "null"], "enum": [*STATUSES, None],
                       "description": "The named credential's status TODAY (a validly signed "
                                      "certificate of a revoked credential says revoked)."},
            "credential": {"oneOf": [{"$ref": "#/components/schemas/Credential"},
                                     {"type": "null"}]},
            "message": {"type": "string"},
        },
    },
    "BadgeCheck": {
        "type": "object",
        "required": ["signature_valid", "issuer_matches", "json_ld_valid", "credential_id",
                     "status", "credential", "problems"],
        "properties": {
            "signature_valid": {"type": "boolean"},
            "issuer_matches": {"type": "boolean"},
            "json_ld_valid": {"type": "boolean"},
            "credential_id": {"type": ["string", "null"]},
            "status": {"type": ["string", "null"], "enum": [*STATUSES, None]},
            "credential": {"oneOf": [{"$ref": "#/components/schemas/Credential"},
                                     {"type": "null"}]},
            "problems": {"type": "array", "items": {"type": "string"}},
        },
    },
    "JsonLd": {"type": "object", "required": ["@context"],
               "properties": {"@context": {"type": "array"}}},
    "Jwks": {"type": "object", "required": ["keys"],
             "properties": {"keys": {"type": "array", "items": {"type": "object"}}}},
}


def _get(summary: str, ok: dict[str, Any], tag: str, **extra: Any) -> dict[str, Any]:
    responses = {"200": ok, "304": _NOT_MODIFIED, "429": _RATE}
    responses.update(extra.pop("responses", {}))
    return {"get": {"summary": summary, "tags": [tag], "responses": responses, **extra}}


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Just Communities AP verification API",
            "version": "1.0.0",
            "description": (
                "Check an Accredited Practitioner's credential from your own systems: by ID, "
                "by a batch of up to 500 IDs, by the certificate PDF, or by an Open Badges 3.0 "
                "credential. No account is needed. Requests are rate limited per client; "
                "errors are RFC 9457 problem+json; GET answers carry an ETag and may be "
                "cached briefly. An unknown ID and a malformed one get the same 404."),
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": "verification"}, {"name": "open badges"}, {"name": "description"}],
        "paths": {
            "/verify/{credential_id}": _get(
                "A credential's public status, by ID",
                _json("The credential and its status today.", "Credential", etag=True),
                "verification",
                operationId="verifyCredential",
                parameters=[{"name": "credential_id", "in": "path", "required": True,
                             "schema": {"type": "string", "examples": [ID_EXAMPLE]}}],
                responses={"404": _problem("No credential has this ID (malformed or unknown: "
                                           "the same answer).")}),
            "/verify/batch": {"post": {
                "summary": "Many IDs at once (up to 500), one result per ID in order",
                "tags": ["verification"], "operationId": "verifyBatch",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/BatchRequest"}}}},
                "responses": {"200": _json("One result per item.", "BatchResponse"),
                              "400": _problem("The body is not {\"ids\": [...]}."),
                              "413": _problem("More than 500 IDs."), "429": _RATE}}},
            "/verify/pdf": {"post": {
                "summary": "Check a certificate PDF's signature and its credential's status",
                "tags": ["verification"], "operationId": "verifyPdf",
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary",
                                 "contentMediaType": "application/pdf"}}}}}},
                "responses": {"200": _json("What the file is, and today's status of the "
                                           "credential it names.", "PdfCheck"),
                              "400": _problem("No file, or an empty one."),
                              "413": _problem("The file is too large."), "429": _RATE}}},
            "/ob/issuer": _get("The Open Badges issuer profile",
                               _json("Issuer Profile (JSON-LD).", "JsonLd", etag=True),
                               "open badges", operationId="obIssuer"),
            "/ob/jwks.json": _get("The issuer's public keys (JWKS) that sign badges and "
                                  "status lists", _json("JWKS.", "Jwks", etag=True),
                                  "open badges", operationId="obJwks"),
            "/ob/achievement": _get("The Achievement every badge names",
                                    _json("Achievement (JSON-LD).", "JsonLd", etag=True),
                                    "open badges", operationId="obAchievement"),
            "/ob/status/{list_id}/{purpose}": _get(
                "A W3C Bitstring Status List credential (VC-JWT)",
                {"description": "BitstringStatusListCredential signed as a VC-JWT.",
                 "content": {"application/vc+jwt": {"schema": _JWT}}},
                "open badges", operationId="obStatusList",
                parameters=[
                    {"name": "list_id", "in": "path", "required": True,
                     "schema": {"type": "string", "examples": ["JCAP-2026"]}},
                    {"name": "purpose", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["revocation", "suspension"]}}],
                responses={"404": _problem("No such list.")}),
            "/ob/verify": {"post": {
                "summary": "Verify an Open Badges 3.0 credential (VC-JWT) issued here",
                "tags": ["open badges"], "operationId": "obVerify",
                "requestBody": {"required": True, "content": {
                    "application/vc+jwt": {"schema": {"type": "string"}},
                    "application/json": {"schema": {
                        "type": "object", "required": ["credential"],
                        "properties": {"credential": {"type": "string"}}}}}},
                "responses": {"200": _json("The signature, issuer, JSON-LD and the named "
                                           "credential's status today.", "BadgeCheck"),
                              "400": _problem("No credential in the body."), "429": _RATE}}},
            "/openapi.json": _get("This document",
                                  {"description": "OpenAPI 3.1.",
                                   "content": {"application/json": {
                                       "schema": {"type": "object"}}}},
                                  "description", operationId="openapi"),
        },
        "components": {
            "schemas": SCHEMAS,
            "headers": {
                "ETag": {"description": "Entity tag; send it back as If-None-Match.",
                         "schema": {"type": "string"}},
                "CacheControl": {"description": "How long shared caches may keep it.",
                                 "schema": {"type": "string"}},
            },
        },
    }
