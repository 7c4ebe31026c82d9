"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`, `celery -A wsgi.celery ...`."""
from lms import create_app

app = create_app()
celery = app.extensions["celery"]
