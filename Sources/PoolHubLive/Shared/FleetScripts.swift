// The Lua scripts that claim and free slots atomically in Redis.

import RESP

/// The Lua scripts that make slot claims atomic across hub instances. Redis runs a script without
/// interleaving any other command, so "count the live reservations, then add one" cannot race.
///
/// Keys (`NS` is the namespace): `NS:slots:ADDRESS` a sorted set of reservation ids by expiry,
/// `NS:res:ID` the reservation's record (address, created, expires, job — job last, it may hold
/// newlines), `NS:job:JOB` the id a job holds. Times are the hub clock's epoch seconds, passed in
/// (so every instance and the tests' manual clock agree); Redis expiry only collects garbage.
enum FleetScripts {
    /// ARGV: namespace, origin, now, expires, new id, job ('' for none), the epoch this instance knows, then
    /// (address, slots, reported load) triples in rank order. Returns {'stale'} when Redis's epoch is not the
    /// one given (Redis lost its data, or another instance noticed first: write back, then claim again),
    /// {'recovering', ms} while the instances write back their reservations, {'held', id, record} when the
    /// job already holds a live slot, {'claimed', id, record} for the first miner whose reservations and
    /// reported load both leave a slot free, else {'full'}.
    static let claim = RedisScript(
        """
        local ns, origin, now, expires, id, job = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
        if redis.call('GET', ns .. ':epoch') ~= ARGV[7] then return {'stale'} end
        local recovering = redis.call('PTTL', ns .. ':recovering')
        if recovering > 0 then return {'recovering', tostring(recovering)} end
        local ttl = math.max(1000, math.ceil((tonumber(expires) - now) * 1000))
        if job ~= '' then
          local held = redis.call('GET', ns .. ':job:' .. job)
          if held then
            local record = redis.call('GET', ns .. ':res:' .. held)
            if record then
              local _, _, exp = string.match(record, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n')
              if tonumber(exp) > now then return {'held', held, record} end
            end
          end
        end
        for i = 8, #ARGV, 3 do
          local address, slots, load = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
          local key = ns .. ':slots:' .. address
          redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
          if math.max(redis.call('ZCARD', key), load) < slots then
            local record = address .. '\\n' .. ARGV[3] .. '\\n' .. expires .. '\\n' .. job
            redis.call('ZADD', key, expires, id)
            redis.call('PEXPIRE', key, ttl)
            redis.call('SET', ns .. ':res:' .. id, record, 'PX', ttl)
            if job ~= '' then redis.call('SET', ns .. ':job:' .. job, id, 'PX', ttl) end
            redis.call('PUBLISH', ns .. ':events', origin .. '\\nreserved\\n' .. id .. '\\n' .. record)
            return {'claimed', id, record}
          end
        end
        return {'full'}
        """)

    /// ARGV: namespace, origin, now, id, job, address. Frees reservation `id`, or (id '') the one `job` holds
    /// on `address`. Returns the record when a live reservation was freed, else nil.
    static let release = RedisScript(
        """
        local ns, origin, now, id, job, address = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
        if id == '' then
          id = redis.call('GET', ns .. ':job:' .. job)
          if not id then return false end
        end
        local record = redis.call('GET', ns .. ':res:' .. id)
        if not record then return false end
        local owner, _, exp, held = string.match(record, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$')
        if address ~= '' and owner ~= address then return false end
        redis.call('DEL', ns .. ':res:' .. id)
        redis.call('ZREM', ns .. ':slots:' .. owner, id)
        if held ~= '' and redis.call('GET', ns .. ':job:' .. held) == id then redis.call('DEL', ns .. ':job:' .. held) end
        redis.call('PUBLISH', ns .. ':events', origin .. '\\nreleased\\n' .. id .. '\\n' .. owner)
        if tonumber(exp) <= now then return false end
        return record
        """)

    /// ARGV: namespace, the epoch this instance knows ('' for none yet), a new epoch, the recovery window (ms), now,
    /// origin, then (id, record, ms to live) of every live reservation this instance holds. When Redis has no epoch
    /// (it lost its data, or never had any) this call declares the new one and opens the recovery window, in
    /// which claims are refused; when Redis's epoch is not the one known, the reservations are written back
    /// (idempotently: they carry their ids) and announced, so that an instance whose view came from the empty Redis
    /// mirrors them. Returns the epoch now in force.
    static let restore = RedisScript(
        """
        local ns, known, fresh, window, now, origin = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
        local current = redis.call('GET', ns .. ':epoch')
        if not current then
          current = fresh
          redis.call('SET', ns .. ':epoch', current)
          if window > 0 then redis.call('SET', ns .. ':recovering', now, 'PX', window) end
        end
        if current == known then return current end
        for i = 7, #ARGV, 3 do
          local id, record, ttl = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
          local address, _, exp, job = string.match(record, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$')
          local key = ns .. ':slots:' .. address
          redis.call('ZADD', key, exp, id)
          if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
          redis.call('SET', ns .. ':res:' .. id, record, 'PX', ttl)
          if job ~= '' then redis.call('SET', ns .. ':job:' .. job, id, 'PX', ttl, 'NX') end
          redis.call('PUBLISH', ns .. ':events', origin .. '\\nreserved\\n' .. id .. '\\n' .. record)
        end
        return current
        """)
}
