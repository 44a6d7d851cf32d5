"""An SMTP server that keeps what it is sent: every accepted message becomes one file in a
Maildir (written to tmp/, renamed into new/), byte for byte as it came over DATA, after two
trace lines a delivering server adds (RFC 5321 section 4.4): `Return-Path: <MAIL FROM>` and
`Delivered-To: <RCPT TO>` (one per recipient).

Run through scripts/smtp-sink, which provides the pinned aiosmtpd. Used by mizan-notify's tests
(scripts/test starts it); not a mail server for anything else.
"""

import argparse
import asyncio
import itertools
import os
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult

_counter = itertools.count()


class Maildir:
    def __init__(self, root):
        self.root = root
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        trace = b"Return-Path: <" + envelope.mail_from.encode() + b">\r\n"
        for rcpt in envelope.rcpt_tos:
            trace += b"Delivered-To: " + rcpt.encode() + b"\r\n"
        name = f"{time.time_ns()}.{os.getpid()}_{next(_counter)}.mizan-sink"
        tmp = os.path.join(self.root, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(trace + envelope.original_content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.root, "new", name))
        return "250 OK stored as " + name


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return check


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--auth", metavar="USER:PASSWORD", default="mizan:mizan-sink")
    args = parser.parse_args()

    handler = Maildir(args.maildir)
    user, _, password = args.auth.partition(":")
    options = {"authenticator": authenticator(user, password), "auth_require_tls": False}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="mizan-sink.localhost", **options), args.host, args.port
    )
    print(f"listening on {args.host}:{args.port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
