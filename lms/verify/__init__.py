"""Public verification: lookup pages, the JSON API (OpenAPI 3.1), Open Badges 3.0."""
