"""A small TCP proxy in front of a PostgreSQL server, on 127.0.0.1: it delays what passes
(a server that is not on loopback) and counts what a client sends.

Counted from the client's bytes, read as the PostgreSQL wire protocol (v3):
- ``statements``: each Execute of the extended protocol and each simple Query message;
- ``round_trips``: each time the client sends after the server has answered since the
  client last sent: the number of times it had to wait for the server (the startup
  exchange included). With a delay, bytes sent together cannot be mistaken for two trips.

Each chunk is delayed from the moment it arrived, independently of the chunks queued before
it (one heap per direction, ordered by due time): five chunks sent 2 ms apart arrive 2 ms
apart one delay later, not one delay after another (checked at 20 ms: 42.1 to 48.7 ms for
the echo of five chunks sent at 0 to 8.4 ms). Not simulated: TCP's own handshake (the
client's connect completes on loopback), one more round trip on a real link.

Used by the tests (``tests/test_round_trips.py``) and by ``bench/pg_bench.py``.
"""

from __future__ import annotations

import heapq
import socket
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Counts:
    round_trips: int = 0
    statements: int = 0
    messages: list[str] = field(default_factory=list)  # the client's message types, in order
    commits: int = 0  # COMMITs sent (a simple query, or a statement parsed in a pipeline)

    def reset(self) -> None:
        self.round_trips = 0
        self.statements = 0
        self.messages.clear()
        self.commits = 0


class _Frontend:
    """Splits the client's byte stream into messages (the first one has no type byte)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.started = False
        self.commits = 0  # COMMITs seen in the messages split so far

    def feed(self, data: bytes) -> list[str]:
        self.buffer += data
        found: list[str] = []
        while True:
            if not self.started:
                if len(self.buffer) < 8:
                    return found
                length, code = struct.unpack("!ii", self.buffer[:8])
                if len(self.buffer) < length:
                    return found
                self.buffer = self.buffer[length:]
                if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: a startup still follows
                    found.append("ssl")
                else:
                    found.append("startup")
                    self.started = True
                continue
            if len(self.buffer) < 5:
                return found
            kind = chr(self.buffer[0])
            (length,) = struct.unpack("!i", self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return found
            body = self.buffer[5 : 1 + length]
            self.buffer = self.buffer[1 + length :]
            found.append(kind)
            if kind in ("Q", "P"):  # a simple query's text; a Parse's: its name, then its text
                sql = body.split(b"\0")[0 if kind == "Q" else 1]
                self.commits += sql.strip().rstrip(b";").upper() == b"COMMIT"


class LatencyProxy:
    """Listens on 127.0.0.1 (``port``) and forwards to ``upstream``, each chunk ``delay``
    seconds late in both directions (in order; a delay, not a bandwidth limit)."""

    def __init__(self, upstream: tuple[str, int], *, delay: float = 0.0) -> None:
        self.upstream = upstream
        self.delay = delay
        self.counts = Counts()
        self._lock = threading.Lock()
        self._answered = True  # the server has spoken since the client last did
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, url: str) -> str:
        """``url`` (a postgresql URL with a 127.0.0.1 or localhost host) pointed at this proxy."""
        host_port = f"{self.upstream[0]}:{self.upstream[1]}"
        if host_port not in url:
            raise ValueError(f"{url} does not name {host_port}")
        return url.replace(host_port, f"127.0.0.1:{self.port}", 1)

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    # ------------------------------------------------------------------ plumbing

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            parser = _Frontend()
            threading.Thread(target=self._pump, args=(client, server, parser), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, parser: _Frontend | None) -> None:
        """Read from ``source``; deliver each chunk to ``sink`` when its time comes."""
        queue: list[tuple[float, int, bytes]] = []
        ready = threading.Condition()
        done = threading.Event()

        def deliver() -> None:
            while True:
                with ready:
                    while not queue and not done.is_set():
                        ready.wait()
                    if not queue:
                        break
                    due, _, chunk = queue[0]
                    wait = due - time.monotonic()
                    if wait > 0:
                        ready.wait(wait)
                        continue
                    heapq.heappop(queue)
                try:
                    sink.sendall(chunk)
                except OSError:
                    break
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        writer = threading.Thread(target=deliver, daemon=True)
        writer.start()
        sequence = 0
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            self._count(chunk, parser)
            sequence += 1
            with ready:
                heapq.heappush(queue, (time.monotonic() + self.delay, sequence, chunk))
                ready.notify()
        done.set()
        with ready:
            ready.notify()
        writer.join()
        source.close()

    def _count(self, chunk: bytes, parser: _Frontend | None) -> None:
        with self._lock:
            if parser is None:  # the server speaks
                self._answered = True
                return
            before = parser.commits
            kinds = parser.feed(chunk)
            self.counts.commits += parser.commits - before
            if self._answered and kinds and kinds != ["X"]:  # a Terminate is not waited for
                self.counts.round_trips += 1
                self._answered = False
            self.counts.statements += sum(1 for k in kinds if k in ("E", "Q"))
            self.counts.messages.extend(kinds)
