"""Round trips counted on the wire: a TCP proxy in front of Postgres or Redis that counts, per connection,
each time the client speaks again after the server answered (or speaks first). A multi-statement query or a
Redis pipeline is one round trip; a statement per ``execute`` is one each. Counting is what the bench
reports as "SQL / Redis round trips per POST / per charge": the processes of a counting pass are pointed at
the proxy, so everything they send is counted (background threads included), and nothing else is.
"""

import selectors
import socket
import threading
import urllib.parse


class Counter:
    """A proxy to ``target`` (``host, port``) on a free local port, in a thread of its own.

    ``url(original)`` is ``original`` pointed at the proxy. ``round_trips`` counts since the start or the
    last ``reset()``.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.round_trips = 0
        self.lock = threading.Lock()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.done = False
        self.thread = threading.Thread(target=self._run, name="roundtrips", daemon=True)
        self.thread.start()

    @classmethod
    def for_url(cls, url: str) -> "Counter":
        parsed = urllib.parse.urlparse(url)
        return cls((parsed.hostname or "127.0.0.1", parsed.port or {"redis": 6379}.get(parsed.scheme, 5432)))

    def url(self, original: str) -> str:
        parsed = urllib.parse.urlparse(original)
        netloc = parsed.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        return parsed._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host).geturl()

    def reset(self) -> int:
        """The count so far, and start again from 0."""
        with self.lock:
            count, self.round_trips = self.round_trips, 0
        return count

    def close(self) -> None:
        self.done = True
        self.thread.join(2)

    def _run(self) -> None:
        # per socket: (its peer, True for the client side, the connection's state [client spoke last])
        while not self.done:
            for key, _ in self.selector.select(0.2):
                if key.data is None:
                    self._accept()
                elif key.fileobj.fileno() != -1:  # type: ignore[union-attr]  # not closed by its peer's event
                    self._forward(key.fileobj, *key.data)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]  # every one registered is a socket

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except BlockingIOError:
            return
        client.setblocking(True)
        server = socket.create_connection(self.target)
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        state = [False]
        self.selector.register(client, selectors.EVENT_READ, (server, True, state))
        self.selector.register(server, selectors.EVENT_READ, (client, False, state))

    def _forward(self, sock, peer, from_client, state) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            for s in (sock, peer):
                if s.fileno() != -1:
                    self.selector.unregister(s)
                    s.close()
            return
        if from_client and not state[0]:
            with self.lock:
                self.round_trips += 1
        state[0] = from_client
        try:
            peer.sendall(data)
        except OSError:  # the peer is gone: so is this connection
            self.selector.unregister(sock)
            sock.close()
