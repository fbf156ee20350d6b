"""Pipelined SFTP reads: a fixed window of read requests in flight, so a download is fast on
a long pipe and memory stays bounded whatever the server sends."""

from __future__ import annotations

import collections
from typing import Any

import paramiko
from paramiko.sftp import CMD_DATA, CMD_READ, int64

# Read requests in flight while downloading: enough to fill a long fat pipe, few enough that
# data arriving faster than we write it cannot pile up in memory (64 x 32 KiB = 2 MiB).
PREFETCH_REQUESTS = 64
READ_BLOCK = 32768  # the largest read every SFTP server answers in full


class PipelinedReader:
    """Read a remote file front to back with up to `PREFETCH_REQUESTS` reads in flight.

    paramiko's own `prefetch(max_concurrent_requests=...)` can stop prefetching halfway (its
    "done" flag is set whenever the in-flight set drains) while its thread keeps requesting,
    so the rest of the file piles up in memory: this keeps a fixed window instead. Responses
    arrive in request order; a short read re-requests the remainder before anything later.
    """

    def __init__(self, sftp: paramiko.SFTPClient, remote: paramiko.SFTPFile) -> None:
        self.sftp = sftp
        self.handle = remote.handle
        self.offset = 0  # next offset to request
        self.pending: collections.deque[tuple[int, int, int]] = collections.deque()
        self.blocks: dict[int, bytes | BaseException] = {}
        self.eof = False

    def _async_response(self, t: int, msg: Any, num: int) -> None:  # paramiko calls this
        if t == CMD_DATA:
            self.blocks[num] = msg.get_string()
            return
        try:
            self.sftp._convert_status(msg)
            self.blocks[num] = OSError("unexpected SFTP status for a read")
        except EOFError:
            self.blocks[num] = b""
        except OSError as exc:
            self.blocks[num] = exc

    def _request(self, offset: int, length: int, front: bool = False) -> None:
        num = self.sftp._async_request(self, CMD_READ, self.handle, int64(offset), int(length))
        (self.pending.appendleft if front else self.pending.append)((num, offset, length))

    def _fill(self) -> None:
        while not self.eof and len(self.pending) < PREFETCH_REQUESTS:
            self._request(self.offset, READ_BLOCK)
            self.offset += READ_BLOCK

    def read(self, size: int = -1) -> bytes:
        self._fill()
        while self.pending:
            num, offset, length = self.pending.popleft()
            while num not in self.blocks:
                self.sftp._read_response()
            data = self.blocks.pop(num)
            if isinstance(data, BaseException):
                raise data
            if not data:  # end of file: the rest in flight is past it
                self.eof = True
                continue
            if len(data) < length:  # short read: ask for the rest before anything later
                self._request(offset + len(data), length - len(data), front=True)
            self._fill()
            return data
        return b""
