"""Entry point: `python app.py` for a local run, `gunicorn app:server` in production."""

from cockpit.factory import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug=False)
