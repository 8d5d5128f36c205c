"""The cockpit as gunicorn serves it, plus a baseline route for the benchmarks only."""

from flask import jsonify

from cockpit.factory import create_app

app = create_app()
server = app.server
PREBUILT = {"response": {"bench": {"children": "ok"}}, "multi": True}


@server.route("/bench/prebuilt")
def prebuilt():  # noqa: ANN201
    """A callback-sized answer built in advance: the floor under any cached callback."""
    return jsonify(PREBUILT)
