#!/usr/bin/env python3
"""Load on two mail hosts sharing one mail root, and the count of what it
did to the mail (tests/gluster.bats, the GlusterFS scenario of make bench).

  gluster-load.py [options] STORE
      STORE: the USERS directory as the file system really holds it (the
      brick of a one-brick volume), read once the load is over.

Options:
  --smtp PORT,PORT     SMTP of host A and host B (127.0.0.1)
  --pop3 PORT,PORT     POP3 of host A and host B (only with --delete or
                       --in-use)
  --users U,U,...      mailboxes, each with password "pw"
  --deliveries N       messages, message i to user i % len(users), through
                       host i % 2, over --clients connections at once
  --delete             meanwhile a POP3 client on host A retrieves and
                       deletes all of the first user's mail, again and again
  --tag TAG            the messages' subjects are TAG-<i> (default: load);
                       a mailbox's other messages are left out of the count
  --in-use N           meanwhile N times: log in as the last user on both
                       hosts at once; exactly one must get in, the other
                       -ERR [IN-USE]

Prints one line of counts, "name=value" separated by spaces:
  acked       deliveries answered 250
  lost        acked, but neither in a mailbox nor deleted by a POP3
              session whose QUIT got +OK
  duplicated  in the mailboxes (or retrieved) more than once, never deleted
  resurrected deleted by a QUIT answered +OK, then seen again
  stray       in a mailbox though never acked (a 4xx that stored anyway)
  unparsable  mailboxes that are not a sequence of complete messages
  deleted     messages removed by the POP3 sessions
  in_use_ok, in_use_bad   simultaneous login pairs with exactly one
              winner and the other [IN-USE], and pairs without
  retries     4xx answers retried
  seconds, rate   the delivery phase and its deliveries per second
Exit status 0 whatever the counts (the caller judges), 1 on a failure to
run at all."""
import argparse
import os
import poplib
import re
import smtplib
import sys
import threading
import time



def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--smtp", required=True)
    p.add_argument("--pop3", default="")
    p.add_argument("--users", required=True)
    p.add_argument("--deliveries", type=int, default=1000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--delete", action="store_true")
    p.add_argument("--in-use", type=int, default=0)
    p.add_argument("--tag", default="load")
    p.add_argument("store")
    return p.parse_args()


class Load:
    def __init__(self, args):
        self.args = args
        self.smtp = [int(p) for p in args.smtp.split(",")]
        self.pop3 = [int(p) for p in args.pop3.split(",")] if args.pop3 else []
        self.users = args.users.split(",")
        self.token = re.compile(
            rb"^Subject: (" + re.escape(args.tag.encode()) + rb"-\d+)$", re.M)
        self.lock = threading.Lock()
        self.acked = set()
        self.retries = 0
        self.failed = []
        self.deleted = []           # tokens removed by a committed QUIT
        self.errors = []
        self.in_use_ok = 0
        self.in_use_bad = 0
        self.next = 0
        self.delivering = True

    # ---- SMTP ----
    def deliver(self, i):
        user = self.users[i % len(self.users)]
        token = f"{self.args.tag}-{i}"
        text = (f"From: <load@client.example>\r\nTo: <{user}@test.example>\r\n"
                f"Subject: {token}\r\n\r\nbody of {token}\r\n")
        for attempt in range(100):
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp[i % 2], timeout=60,
                                  local_hostname="client.example") as s:
                    s.sendmail("load@client.example", [f"{user}@test.example"],
                               text)
                with self.lock:
                    self.acked.add(token)
                return
            except smtplib.SMTPResponseException as e:
                if not 400 <= e.smtp_code < 500:
                    break
            except smtplib.SMTPRecipientsRefused as e:
                codes = [c for c, _ in e.recipients.values()]
                if not all(400 <= c < 500 for c in codes):
                    break
            except (OSError, smtplib.SMTPException):
                pass
            with self.lock:
                self.retries += 1
            time.sleep(0.02)
        with self.lock:
            self.failed.append(token)

    def sender(self):
        while True:
            with self.lock:
                i = self.next
                self.next += 1
            if i >= self.args.deliveries:
                return
            self.deliver(i)

    # ---- POP3 ----
    def login(self, host, user):
        c = poplib.POP3("127.0.0.1", self.pop3[host], timeout=60)
        try:
            c.user(user)
            c.pass_("pw")
        except poplib.error_proto as e:
            try:
                c.quit()
            except (OSError, poplib.error_proto):
                pass
            return None, e.args[0] if e.args else b""
        return c, b""

    def deleter(self):
        user = self.users[0]
        while self.delivering:
            try:
                c, err = self.login(0, user)
                if c is None:
                    if b"[IN-USE]" not in err:
                        self.errors.append(f"POP3 login: {err!r}")
                    time.sleep(0.05)
                    continue
                seen = []
                count = len(c.list()[1])
                for n in range(1, count + 1):
                    body = b"\n".join(c.retr(n)[1])
                    seen += self.token.findall(body)
                    c.dele(n)
                if c.quit().startswith(b"+OK"):
                    with self.lock:
                        self.deleted += [t.decode() for t in seen]
            except (OSError, poplib.error_proto) as e:
                self.errors.append(f"POP3 session: {e!r}")
            time.sleep(0.1)

    def in_use(self):
        user = self.users[-1]
        for _ in range(self.args.in_use):
            results = [None, None]
            start = threading.Barrier(2)
            hold = threading.Barrier(2)

            def one(host):
                start.wait()
                try:
                    results[host] = self.login(host, user)
                except (OSError, poplib.error_proto) as e:
                    results[host] = (None, repr(e).encode())
                hold.wait()
                if results[host][0] is not None:
                    try:
                        results[host][0].quit()
                    except (OSError, poplib.error_proto):
                        pass

            pair = [threading.Thread(target=one, args=(h,)) for h in (0, 1)]
            for t in pair:
                t.start()
            for t in pair:
                t.join()
            winners = [r for r in results if r[0] is not None]
            losers = [r for r in results if r[0] is None and b"[IN-USE]" in r[1]]
            if len(winners) == 1 and len(losers) == 1:
                self.in_use_ok += 1
            else:
                self.in_use_bad += 1
                self.errors.append(f"login pair: {[r[1] for r in results]!r}")
            time.sleep(0.05)

    # ---- the count ----
    def mailbox_tokens(self, user):
        path = os.path.join(self.args.store, user, "my_mailbox.txt")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return [], True
        if not data:
            return [], True
        ok = data.endswith(b"\n.\n")
        tokens = []
        for msg in re.split(rb"(?m)^\.\n", data)[:-1]:
            if not msg.startswith(b"Return-Path: <"):
                ok = False
            if len(re.findall(rb"(?m)^Subject: ", msg)) != 1:
                ok = False
            tokens += self.token.findall(msg)
        return [t.decode() for t in tokens], ok

    def run(self):
        workers = [threading.Thread(target=self.sender)
                   for _ in range(self.args.clients)]
        extra = []
        if self.args.delete:
            extra.append(threading.Thread(target=self.deleter))
        if self.args.in_use:
            extra.append(threading.Thread(target=self.in_use))
        t0 = time.monotonic()
        for t in workers + extra:
            t.start()
        for t in workers:
            t.join()
        seconds = time.monotonic() - t0
        self.delivering = False
        for t in extra:
            t.join()

        present = {}
        unparsable = 0
        for user in self.users:
            tokens, ok = self.mailbox_tokens(user)
            unparsable += not ok
            for t in tokens:
                present[t] = present.get(t, 0) + 1
        deleted = {}
        for t in self.deleted:
            deleted[t] = deleted.get(t, 0) + 1
        lost = [t for t in self.acked if t not in present and t not in deleted]
        resurrected = [t for t in deleted
                       if deleted[t] + present.get(t, 0) > 1]
        duplicated = [t for t in present
                      if t not in deleted and present[t] > 1]
        stray = [t for t in set(present) | set(deleted) if t not in self.acked]
        for name, tokens in (("lost", lost), ("duplicated", duplicated),
                             ("resurrected", resurrected), ("stray", stray),
                             ("not delivered", self.failed)):
            if tokens:
                print(f"{name}: {' '.join(sorted(tokens)[:20])}", file=sys.stderr)
        for e in self.errors[:10]:
            print(e, file=sys.stderr)
        print(f"acked={len(self.acked)} lost={len(lost)} "
              f"duplicated={len(duplicated)} resurrected={len(resurrected)} "
              f"stray={len(stray)} unparsable={unparsable} "
              f"deleted={len(self.deleted)} in_use_ok={self.in_use_ok} "
              f"in_use_bad={self.in_use_bad} retries={self.retries} "
              f"undelivered={len(self.failed)} "
              f"seconds={seconds:.2f} rate={len(self.acked) / seconds:.1f}")


if __name__ == "__main__":
    Load(parse_args()).run()
