"""The app as `make bench-http` serves it: wsgi's app, unchanged, plus two floor pages that
show what every signed-in page pays before its own content.

    /_bench/signed-in   a signed-in JSON answer: the session cookie, the session and its
                        user (one query), the hooks; no template
    /_bench/layout      the site's layout with nothing in it (base.html): the above, plus
                        the bell's queries, the navigation, the CSRF token and Jinja

Neither exists in the application: production serves wsgi:app.
"""
from flask import jsonify, render_template
from flask_login import login_required

from wsgi import app


@app.route("/_bench/signed-in")
@login_required
def signed_in():
    return jsonify(ok=True)


@app.route("/_bench/layout")
@login_required
def layout():
    return render_template("base.html", title="Layout")
