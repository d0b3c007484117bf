#!/usr/bin/env python3
"""Clients for the HAProxy tests, each bound to a chosen source address so a
test can tell the client's address from the proxy's.

  proxy-clients.py send HOST PORT SOURCE CLIENTS MESSAGES TAG
      CLIENTS parallel SMTP clients each deliver MESSAGES messages to alice,
      one connection per message, with the subjects TAG-<client>-<n>.
  proxy-clients.py fetch HOST PORT SOURCE LIMIT
      One POP3 session as alice: retrieve and delete up to LIMIT messages,
      printing each one's subject; QUIT.
"""
import poplib
import smtplib
import socket
import sys
import threading


def send(host, port, source, clients, messages, tag):
    errors = []

    def client(c):
        for n in range(messages):
            subject = f"{tag}-{c}-{n}"
            text = (f"From: <load@{tag}.example>\r\nTo: <alice@test.example>\r\n"
                    f"Subject: {subject}\r\n\r\nbody of {subject}\r\n")
            try:
                with smtplib.SMTP(host, port, timeout=60,
                                  local_hostname="client.example",
                                  source_address=(source, 0)) as smtp:
                    smtp.sendmail(f"load@{tag}.example",
                                  ["alice@test.example"], text)
            except (OSError, smtplib.SMTPException) as e:
                errors.append(f"{subject}: {e!r}")

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


class BoundPOP3(poplib.POP3):
    """poplib cannot choose the source address; this does."""

    def __init__(self, host, port, source):
        self.source = source
        super().__init__(host, port, timeout=60)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.source, 0))


def fetch(host, port, source, limit):
    pop = BoundPOP3(host, port, source)
    pop.user("alice")
    pop.pass_("pwalice")
    count, _ = pop.stat()
    for n in range(1, min(count, limit) + 1):
        _, lines, _ = pop.retr(n)
        subjects = [l[9:].decode() for l in lines if l.startswith(b"Subject: ")]
        print(subjects[0] if subjects else "(no subject)")
        pop.dele(n)
    pop.quit()
    return 0


if __name__ == "__main__":
    command, host, port, source, *rest = sys.argv[1:]
    if command == "send":
        sys.exit(send(host, int(port), source, int(rest[0]), int(rest[1]), rest[2]))
    sys.exit(fetch(host, int(port), source, int(rest[0])))
