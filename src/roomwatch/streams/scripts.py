"""The Lua scripts that make a worker's steps atomic and fenced by its lease.

Redis runs a script as one command, so a shard's output, its "last
processed" mark and the acknowledgement of its input entries are written
together or not at all, and only while the writer still holds the shard's
lease: a worker that lost its lease (paused, partitioned) writes nothing.
"""

from __future__ import annotations

from typing import Final

__all__ = ["APPEND", "COMMIT", "RELEASE", "RENEW"]

#: KEYS: lease, done, input, output, dead letters.
#: ARGV: owner, group, last id, (unused: was the output's approximate MAXLEN;
#: the gateway trims the output and the dead letters now, never past what it
#: has not read, :func:`roomwatch.streams.trim.trim_output`), output payload ("" for
#: none), n dead letters, the n dead-letter payloads, then the ids to acknowledge.
#: Returns the number acknowledged, or -1 if the lease is not the owner's.
COMMIT: Final = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[4], '*', 'd', ARGV[5])
end
local n = tonumber(ARGV[6])
for i = 1, n do
  redis.call('XADD', KEYS[5], '*', 'd', ARGV[6 + i])
end
redis.call('SET', KEYS[2], ARGV[3])
local acked = 0
local first = 7 + n
local chunk = {}
for i = first, #ARGV do
  chunk[#chunk + 1] = ARGV[i]
  if #chunk == 1000 or i == #ARGV then
    acked = acked + redis.call('XACK', KEYS[3], ARGV[2], unpack(chunk))
    chunk = {}
  end
end
return acked
"""

#: KEYS: lease, output. ARGV: owner, payload. The ticker's append (quiet rooms'
#: alerts, views, stats): 1 if appended, -1 if the lease is not the owner's, so
#: a worker that stalled past its lease adds nothing after the new owner's views.
APPEND: Final = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('XADD', KEYS[2], '*', 'd', ARGV[2])
return 1
"""

#: KEYS: lease. ARGV: owner, ttl ms. 1 if renewed, 0 if the lease is not the owner's.
RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

#: KEYS: lease. ARGV: owner. Deletes the lease only if it is the owner's.
RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
