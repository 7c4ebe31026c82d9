"""The physical limit: a bare Flask route, served by gunicorn with the app's own settings
(and a bare JSON route, the yardstick issue 13 names for the verification API).

    gunicorn -w 2 bench.bare:app      (started by `make bench-http`)
"""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def bare() -> str:
    return "ok"


@app.route("/json")
def bare_json() -> dict:
    return {"ok": True}
