"""moto_server, with DynamoDB requests applied one at a time.

DynamoDB isolates every request: a transaction's conditions and writes happen together, and a
transaction that is cancelled changes nothing. moto serves each request on its own thread and
rolls a cancelled TransactWriteItems back by putting back a copy of the whole table taken when it
began, so a write another thread made meanwhile disappears (an upload session's new version, a
tag). Running DynamoDB requests (and Streams reads) one after another restores what DynamoDB
guarantees; S3 and SQS requests stay concurrent, as moto_server serves them.

Usage: python3 moto-server.py -H 127.0.0.1 -p PORT
"""

import argparse
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    moto = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def app(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            with dynamodb:
                # The whole response is built while the lock is held.
                result = moto(environ, start_response)
                try:
                    return list(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
        return moto(environ, start_response)

    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
