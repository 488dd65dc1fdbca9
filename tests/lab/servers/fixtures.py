#!/usr/bin/env python3
"""The lab's load profiles (tests/lab/lab_model.h): one asyncio process serving every address of
profiles 4 slow, 5 busy and 6 down, as the real servers serve profiles 0-3.

  fixtures.py [--backlog N] [--verbose] PROFILE...      PROFILE: slow, busy, down

Runs inside the lab's internet namespace. For each PROFILE k and each mail port M it serves, it
listens on 20000 + 1000*k + M (lab_model.h's ServerPort), where the lab's nftables `redirect`
sends the profile's addresses; the address the client dialled comes back through
getsockopt(SOL_IP, SO_ORIGINAL_DST). Behaviour, the same on every run (the ground truth is exact):
  slow  trickles a short greeting at one byte per second, then answers CAPA / CAPABILITY / EHLO
        at once with plaintext-only capabilities (POP3 USER, IMAP AUTH=PLAIN, SMTP AUTH PLAIN
        LOGIN; no STLS/STARTTLS) and QUIT / LOGOUT. A prober with a 10 s read timeout re-armed by
        each byte records plaintext_only.
  busy  SMTP (25, 587) that answers 421 to the first connection to each (dialled address, port),
        then behaves: 220, EHLO -> 250 with AUTH PLAIN LOGIN, no STARTTLS. Odd addresses get the
        421 as the greeting, even ones a 220 and a 421 in reply to EHLO (Postfix's timeout text).
        One retry makes it plaintext_only.
  down  always refuses: POP3 "-ERR [SYS/TEMP]", IMAP "* BYE", SMTP 220 then 421 to EHLO.
After the last reply a fixture half-closes and waits (bounded) for the client to close, so unread
input never turns its close into a reset. SIGHUP forgets busy's first connections (a new scan of
the same lab meets them again) and prints "reset N: ..." with the connections counted since the
last one; the lab waits for that line. Prints "ready" once every listener is up. Nothing is
printed per connection unless --verbose. Standard library only.
"""
import argparse
import asyncio
import ipaddress
import resource
import signal
import socket
import struct
import sys

PROFILES = {"slow": 4, "busy": 5, "down": 6}
PORTS = {"slow": (25, 110, 143, 587), "busy": (25, 587), "down": (25, 110, 143, 587)}
PROTOCOL = {25: "smtp", 587: "smtp", 110: "pop3", 143: "imap"}
SO_ORIGINAL_DST = 80
LINE_LIMIT = 4096  # a command longer than this ends the conversation
IDLE_S = 60  # a client silent this long is dropped
LINGER_S = 5  # after the last reply, how long to wait for the client's close

SLOW_GREETING = {"pop3": b"+OK slow\r\n", "imap": b"* OK slow\r\n", "smtp": b"220 slow ESMTP\r\n"}
TIMEOUT_421 = b"421 4.4.2 Error: timeout exceeded\r\n"
UNAVAILABLE_421 = b"421 4.3.2 Service not available\r\n"


class Done(Exception):
    """The conversation is over (the client quit, went silent or sent too long a line)."""


def original_destination(writer):
    """(address, port) the client dialled, before the lab's redirect; the socket's own without
    a redirect (a fixture reached directly)."""
    sock = writer.get_extra_info("socket")
    try:
        raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port, addr = struct.unpack_from("!H4s", raw, 2)
        return socket.inet_ntoa(addr), port
    except OSError:
        return writer.get_extra_info("sockname")[:2]


async def read_command(reader):
    try:
        line = await asyncio.wait_for(reader.readline(), IDLE_S)
    except (asyncio.TimeoutError, ValueError, ConnectionError, asyncio.LimitOverrunError):
        raise Done()
    if not line:
        raise Done()
    return line.rstrip(b"\r\n")


async def send(writer, data):
    writer.write(data)
    await writer.drain()


async def plaintext_server(proto, name, reader, writer):
    """A plaintext-only server of `proto` after its greeting: capabilities without TLS, a polite
    goodbye; unknown commands get an error."""
    while True:
        line = await read_command(reader)
        words = line.split()
        if proto == "imap":
            tag = words[0] if words else b"*"
            cmd = words[1].upper() if len(words) > 1 else b""
            if cmd == b"CAPABILITY":
                await send(writer, b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag +
                           b" OK CAPABILITY completed\r\n")
            elif cmd == b"LOGOUT":
                await send(writer, b"* BYE logging out\r\n" + tag + b" OK LOGOUT completed\r\n")
                return
            else:
                await send(writer, tag + b" BAD unknown command\r\n")
            continue
        cmd = words[0].upper() if words else b""
        if proto == "pop3":
            if cmd == b"CAPA":
                await send(writer, b"+OK\r\nUSER\r\n.\r\n")
            elif cmd == b"QUIT":
                await send(writer, b"+OK bye\r\n")
                return
            else:
                await send(writer, b"-ERR unknown command\r\n")
        else:
            if cmd == b"EHLO":
                await send(writer, b"250-" + name + b".lab.example\r\n250 AUTH PLAIN LOGIN\r\n")
            elif cmd == b"HELO":
                await send(writer, b"250 " + name + b".lab.example\r\n")
            elif cmd == b"QUIT":
                await send(writer, b"221 2.0.0 Bye\r\n")
                return
            else:
                await send(writer, b"502 5.5.2 unknown command\r\n")


class Fixtures:
    def __init__(self, verbose):
        self.verbose = verbose
        self.busy_seen = set()  # (address, port) that had their first connection
        self.counts = {p: 0 for p in PROFILES}
        self.resets = 0

    def reset(self):
        self.resets += 1
        counts = " ".join(f"{p} {n}" for p, n in self.counts.items())
        print(f"reset {self.resets}: connections since the last: {counts}; "
              f"busy first connections {len(self.busy_seen)}", flush=True)
        self.busy_seen.clear()
        self.counts = {p: 0 for p in PROFILES}

    def handler(self, profile, port):
        proto = PROTOCOL[port]

        async def handle(reader, writer):
            self.counts[profile] += 1
            try:
                await self.serve(profile, proto, reader, writer)
                # Half-close, then let the client close first: closing with its QUIT unread would
                # send a reset.
                writer.write_eof()
                await asyncio.wait_for(reader.read(), LINGER_S)
            except (Done, ConnectionError, OSError, asyncio.TimeoutError):
                pass
            finally:
                writer.close()

        return handle

    async def serve(self, profile, proto, reader, writer):
        address, port = original_destination(writer)
        if self.verbose:
            print(f"{profile} {address}:{port}", flush=True)
        if profile == "slow":
            greeting = SLOW_GREETING[proto]
            for i in range(len(greeting)):
                if i:
                    await asyncio.sleep(1.0)
                await send(writer, greeting[i:i + 1])
            await plaintext_server(proto, b"slow", reader, writer)
        elif profile == "busy":
            first = (address, port) not in self.busy_seen
            self.busy_seen.add((address, port))
            if first and int(ipaddress.IPv4Address(address)) & 1:
                await send(writer, UNAVAILABLE_421)
                return
            await send(writer, b"220 busy ESMTP\r\n")
            if first:
                await read_command(reader)
                await send(writer, TIMEOUT_421)
                return
            await plaintext_server(proto, b"busy", reader, writer)
        elif profile == "down":
            if proto == "pop3":
                await send(writer, b"-ERR [SYS/TEMP] busy\r\n")
            elif proto == "imap":
                await send(writer, b"* BYE shutting down\r\n")
            else:
                await send(writer, b"220 down ESMTP\r\n")
                await read_command(reader)
                await send(writer, TIMEOUT_421)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backlog", type=int, default=4096,
                    help="listen backlog (the namespace's net.core.somaxconn caps it)")
    ap.add_argument("--verbose", action="store_true", help="one line per connection")
    ap.add_argument("profiles", nargs="+", choices=sorted(PROFILES))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fixtures = Fixtures(args.verbose)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, fixtures.reset)
    stop = loop.create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(None))
    servers = []
    for profile in dict.fromkeys(args.profiles):
        for port in PORTS[profile]:
            listen_port = 20000 + 1000 * PROFILES[profile] + port
            servers.append(await asyncio.start_server(
                fixtures.handler(profile, port), "0.0.0.0", listen_port, backlog=args.backlog,
                reuse_address=True, limit=LINE_LIMIT))
    print(f"ready: {len(servers)} listeners, backlog {args.backlog}", flush=True)
    await stop
    for s in servers:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
