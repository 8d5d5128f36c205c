"""Entry point: `python app.py` for a local run, `gunicorn app:server` in production."""

import sys

from cockpit.factory import create_app
from cockpit.settings import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # One line per problem, as `python -m cockpit check-config` prints them: no traceback.
    print("配置错误 (configuration errors):", *exc.problems, sep="\n  ", file=sys.stderr)
    raise SystemExit(2) from None
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug=False)
