// The Lua scripts that claim and free slots atomically in Redis.

import RESP

/// The Lua scripts that make slot claims atomic across hub instances. Redis runs a script without
/// interleaving any other command, so "count the live reservations, then add one" cannot race, and a gang's
/// slots are claimed all at once or not at all.
///
/// Keys (`NS` is the namespace): `NS:slots:ADDRESS` a sorted set of reservation ids by expiry,
/// `NS:res:ID` the reservation's record (address, created, expires, job — job last, it may hold
/// newlines), `NS:held:JOB` a hash of the job's reservation ids by miner address (one, or a gang's). Times are the
/// hub clock's epoch seconds, passed in (so every instance and the tests' manual clock agree); Redis expiry only
/// collects garbage.
enum FleetScripts {
    /// ARGV: namespace, origin, now, expires, job ('' for none), the epoch this instance knows, count, then `count`
    /// new ids, then (address, slots, reported load) triples in rank order. Returns {'stale'} when Redis's epoch is
    /// not the one given (Redis lost its data, or another instance noticed first: write back, then claim again),
    /// {'recovering', ms} while the instances write back their reservations, {'held', id, record, …} when the job
    /// already holds live slots, {'claimed', id, record, …} for the first `count` miners whose reservations and
    /// reported load both leave a slot free, else {'full', address, …} naming the candidates found full (and
    /// claiming none: a gang is all or nothing).
    static let claim = RedisScript(
        """
        local ns, origin, now, expires, job, count = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[7])
        if redis.call('GET', ns .. ':epoch') ~= ARGV[6] then return {'stale'} end
        local recovering = redis.call('PTTL', ns .. ':recovering')
        if recovering > 0 then return {'recovering', tostring(recovering)} end
        local ttl = math.max(1000, math.ceil((tonumber(expires) - now) * 1000))
        if job ~= '' then
          local held = redis.call('HVALS', ns .. ':held:' .. job)
          local answer = {'held'}
          for _, id in ipairs(held) do
            local record = redis.call('GET', ns .. ':res:' .. id)
            if record then
              local _, _, exp = string.match(record, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n')
              if tonumber(exp) > now then
                table.insert(answer, id)
                table.insert(answer, record)
              end
            end
          end
          if #answer > 1 then return answer end
        end
        local chosen, full = {}, {'full'}
        for i = 8 + count, #ARGV, 3 do
          local address, slots, load = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
          local key = ns .. ':slots:' .. address
          redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
          if math.max(redis.call('ZCARD', key), load) < slots then
            table.insert(chosen, address)
            if #chosen == count then break end
          else
            table.insert(full, address)
          end
        end
        if #chosen < count then return full end
        local answer = {'claimed'}
        for k, address in ipairs(chosen) do
          local id = ARGV[7 + k]
          local key = ns .. ':slots:' .. address
          local record = address .. '\\n' .. ARGV[3] .. '\\n' .. expires .. '\\n' .. job
          redis.call('ZADD', key, expires, id)
          redis.call('PEXPIRE', key, ttl)
          redis.call('SET', ns .. ':res:' .. id, record, 'PX', ttl)
          if job ~= '' then
            redis.call('HSET', ns .. ':held:' .. job, address, id)
            redis.call('PEXPIRE', ns .. ':held:' .. job, ttl)
          end
          redis.call('PUBLISH', ns .. ':events', origin .. '\\nreserved\\n' .. id .. '\\n' .. record)
          table.insert(answer, id)
          table.insert(answer, record)
        end
        return answer
        """)

    /// ARGV: namespace, origin, now, id, job, address. Frees reservation `id` and every other reservation of its
    /// job (a gang is released whole), or (id '') only the one `job` holds on `address` (that miner's result).
    /// Returns the record of `id` (or of the job's reservation on `address`) when it was live, else nil.
    static let release = RedisScript(
        """
        local ns, origin, now, id, job, address = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
        local ids = {}
        if id == '' then
          id = redis.call('HGET', ns .. ':held:' .. job, address)
          if not id then return false end
          ids = {id}
        else
          local record = redis.call('GET', ns .. ':res:' .. id)
          if not record then return false end
          local _, _, _, held = string.match(record, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$')
          ids = {id}
          if held ~= '' then
            for _, other in ipairs(redis.call('HVALS', ns .. ':held:' .. held)) do
              if other ~= id then table.insert(ids, other) end
            end
          end
        end
        local answer = false
        for k, rid in ipairs(ids) do
          local record = redis.call('GET', ns .. ':res:' .. rid)
          if record then
            local owner, _, exp, held = string.match(record, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$')
            redis.call('DEL', ns .. ':res:' .. rid)
            redis.call('ZREM', ns .. ':slots:' .. owner, rid)
            if held ~= '' and redis.call('HGET', ns .. ':held:' .. held, owner) == rid then
              redis.call('HDEL', ns .. ':held:' .. held, owner)
            end
            redis.call('PUBLISH', ns .. ':events', origin .. '\\nreleased\\n' .. rid .. '\\n' .. owner)
            if k == 1 and tonumber(exp) > now then answer = record end
          end
        end
        return answer
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
          if job ~= '' then
            local held = ns .. ':held:' .. job
            redis.call('HSETNX', held, address, id)
            if redis.call('PTTL', held) < ttl then redis.call('PEXPIRE', held, ttl) end
          end
          redis.call('PUBLISH', ns .. ':events', origin .. '\\nreserved\\n' .. id .. '\\n' .. record)
        end
        return current
        """)
}
