"""Django's Redis cache backend with two costs of every call taken out (issue 16:
a search makes four or five cache calls; at hundreds of searches a second
each microsecond and round trip counts):

- Django builds a new redis-py client for every call (`get_client`), and
  redis-py's constructor fills a table of ~170 response callbacks each time:
  here one client per connection pool, made once (redis-py clients are
  thread-safe; the pool hands each command a connection of its own).
- `incr` asked EXISTS and then INCRBY, two round trips (django-ratelimit
  increments every search's budget this way): here one Lua script does both,
  atomically, and still refuses a key that is not there (ValueError), as
  Django's contract says, so no counter is ever made without its expiry.
"""
from __future__ import annotations

from django.core.cache.backends import redis as django_redis

_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return nil
"""


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._incr_existing = None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        if self._incr_existing is None:
            self._incr_existing = client.register_script(_INCR_EXISTING)
        value = self._incr_existing(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
