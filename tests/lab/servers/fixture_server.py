#!/usr/bin/env python3
"""Hostile and simple mail-server fixtures for the prober's tests: one process, many listeners.

  fixture_server.py --bind ADDR --cert CERT --key KEY --chain CHAIN [--delay S]
                    MODE:[ADDR:]PORT ...

Modes (each listens on ADDR:PORT):
  pop3-plain    POP3 greeting + CAPA (USER, no STLS), QUIT
  pop3-stls     POP3 with STLS over TLS (CERT/KEY), CAPA again inside TLS
  slow          POP3 greeting sent one byte per second
  delayed       pop3-plain whose greeting comes after --delay seconds (default 5)
  trickle       pop3-plain whose short greeting ("+OK hi") comes one byte per second (8 s)
  endless       SMTP "220-" banner lines forever
  silent        accepts, never says anything
  midclose      POP3 greeting, then half a CAPA reply and a close
  rst-handshake POP3 with STLS; answers +OK, then resets the connection on the ClientHello
  garbage-tls   implicit-TLS port that answers the ClientHello with junk
  huge-chain    implicit TLS (POP3 inside) presenting CHAIN, a very long certificate chain
  inject        POP3 with STLS that executes plaintext pipelined after STLS inside TLS
  sni           implicit TLS (POP3 inside) whose greeting names the TLS server name the client
                sent: "+OK sni=NAME ready." ("sni=-" without one)
Runs until killed. Written for tests only: no limits on anything except time.
"""
import argparse
import asyncio
import socket
import ssl
import struct


def ssl_ctx(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def readline(reader):
    try:
        return await reader.readline()
    except (ConnectionError, asyncio.IncompleteReadError):
        return b""


async def pop3_commands(reader, writer, caps):
    while True:
        line = await readline(reader)
        if not line:
            return None
        cmd = line.strip().upper()
        if cmd == b"CAPA":
            writer.write(b"+OK\r\n" + b"".join(c + b"\r\n" for c in caps) + b".\r\n")
        elif cmd == b"QUIT":
            writer.write(b"+OK bye\r\n")
            await writer.drain()
            return None
        elif cmd == b"STLS":
            return "stls"
        else:
            writer.write(b"-ERR unknown\r\n")
        await writer.drain()


def make_handler(mode, args):
    async def handler(reader, writer):
        try:
            await serve(mode, args, reader, writer)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass
    return handler


async def serve(mode, args, reader, writer):
    if mode == "pop3-plain":
        writer.write(b"+OK fixture ready.\r\n")
        await writer.drain()
        await pop3_commands(reader, writer, [b"USER", b"UIDL"])
    elif mode in ("delayed", "trickle"):
        if mode == "delayed":
            await asyncio.sleep(args.delay)
            writer.write(b"+OK delayed fixture ready.\r\n")
        else:
            for b in b"+OK hi\r\n":
                await asyncio.sleep(1.0)
                writer.write(bytes([b]))
                await writer.drain()
        await writer.drain()
        await pop3_commands(reader, writer, [b"USER", b"UIDL"])
    elif mode in ("pop3-stls", "inject", "rst-handshake"):
        writer.write(b"+OK fixture ready.\r\n")
        await writer.drain()
        r = await pop3_commands(reader, writer, [b"USER", b"STLS"])
        if r != "stls":
            return
        if mode == "rst-handshake":
            writer.write(b"+OK Begin TLS\r\n")
            await writer.drain()
            await reader.read(1)  # the ClientHello starts
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        if mode == "pop3-stls":
            reader._buffer.clear()  # noqa: a correct server drops what was pipelined after STLS
        # "inject" keeps it: asyncio's start_tls leaves buffered plaintext in the reader, so the
        # command pipelined after STLS is executed inside TLS (the command injection flaw).
        writer.write(b"+OK Begin TLS\r\n")
        await writer.drain()
        await writer.start_tls(ssl_ctx(args.cert, args.key))
        await pop3_commands(reader, writer, [b"USER"])
    elif mode == "slow":
        for b in b"+OK slow fixture says hello.\r\n":
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(1.0)
    elif mode == "endless":
        for _ in range(1000000):
            writer.write(b"220-spam spam spam spam spam spam spam spam spam spam\r\n")
            await writer.drain()
    elif mode == "silent":
        await asyncio.sleep(3600)
    elif mode == "midclose":
        writer.write(b"+OK fixture ready.\r\n")
        await writer.drain()
        await readline(reader)
        writer.write(b"+OK\r\nUSER\r\nUI")
        await writer.drain()
    elif mode == "garbage-tls":
        await reader.read(1)
        writer.write(b"+OK this is not a ServerHello\r\n" * 4)
        await writer.drain()
        await asyncio.sleep(1)
    elif mode == "huge-chain":
        pass  # served by the TLS listener below


def implicit_tls_pop3(greeting):
    """A handler for a TLS listener: the greeting (greeting(writer) -> bytes), then POP3."""
    async def handler(reader, writer):
        try:
            writer.write(greeting(writer))
            await writer.drain()
            await pop3_commands(reader, writer, [b"USER"])
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            writer.close()
    return handler


SNI_SEEN = {}  # id(SSLObject) -> server name the client sent


def remember_sni(ssl_object, server_name, _ctx):
    SNI_SEEN[id(ssl_object)] = server_name


def sni_greeting(writer):
    name = SNI_SEEN.pop(id(writer.get_extra_info("ssl_object")), None) or "-"
    return b"+OK sni=" + name.encode() + b" ready.\r\n"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--chain")
    p.add_argument("--pidfile")
    p.add_argument("--delay", type=float, default=5.0, help="the delayed greeting's delay (s)")
    p.add_argument("listeners", nargs="+")
    args = p.parse_args()
    servers = []
    for spec in args.listeners:
        parts = spec.split(":")
        mode, port = parts[0], parts[-1]
        bind = parts[1] if len(parts) == 3 else args.bind
        if mode == "sni":
            ctx = ssl_ctx(args.cert, args.key)
            ctx.sni_callback = remember_sni
            servers.append(await asyncio.start_server(implicit_tls_pop3(sni_greeting), bind,
                                                      int(port), ssl=ctx, reuse_address=True,
                                                      backlog=1024))
        elif mode == "huge-chain":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.chain, args.key)
            greeting = implicit_tls_pop3(lambda _w: b"+OK huge chain fixture.\r\n")
            servers.append(await asyncio.start_server(greeting, bind, int(port), ssl=ctx,
                                                      reuse_address=True, backlog=1024))
        else:
            servers.append(await asyncio.start_server(make_handler(mode, args), bind,
                                                      int(port), reuse_address=True,
                                                      backlog=1024))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
