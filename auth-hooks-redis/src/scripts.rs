//! The Lua scripts that make [`RedisStore`](super::RedisStore)'s read-then-write
//! operations atomic. Each is sent once and then called by its SHA (`EVALSHA`, loaded
//! again by the `redis` crate after a Redis restart).
//!
//! Instants travel as decimal nanoseconds since the epoch; `lt` compares two of them
//! exactly (Lua's numbers are doubles and would round them). `at_ms` turns one into the
//! `PEXPIREAT` millisecond at or just after it.

use ::redis::Script;

const PRELUDE: &str = r#"
local function lt(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function min(a, b)
  if lt(b, a) then return b end
  return a
end
local function at_ms(ns)
  if #ns <= 6 then return '1' end
  return string.format('%d', tonumber(string.sub(ns, 1, #ns - 6)) + 1)
end
local function expire_at_least(key, ns)
  local want = tonumber(at_ms(ns))
  local current = redis.call('PEXPIRETIME', key)
  if current < 0 or current < want then redis.call('PEXPIREAT', key, want) end
end
local function get_field(flat, name)
  for i = 1, #flat, 2 do
    if flat[i] == name then return flat[i + 1] end
  end
  return nil
end
local function write_session(key, set, id, user, created, seen, expires, idle, data)
  redis.call('HSET', key, 'user', user, 'created', created, 'seen', seen,
             'expires', expires, 'idle', idle, 'data', data)
  local ends = min(expires, idle)
  redis.call('PEXPIREAT', key, at_ms(ends))
  redis.call('SADD', set, id)
  expire_at_least(set, ends)
end
"#;

/// KEYS: session, user set. ARGV: id, user, created, seen, expires, idle, data.
/// 1 if stored, 0 if the id was taken.
const SESSION_INSERT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
write_session(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
"#;

/// KEYS: session. ARGV: seen, idle end, user-set prefix. 1 if the session exists.
const SESSION_TOUCH: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'user', 'expires')
if not f[1] or not f[2] then return 0 end
local idle = min(ARGV[2], f[2])
redis.call('HSET', KEYS[1], 'seen', ARGV[1], 'idle', idle)
redis.call('PEXPIREAT', KEYS[1], at_ms(idle))
expire_at_least(ARGV[3] .. f[1], idle)
return 1
"#;

/// KEYS: session. ARGV: id, user-set prefix. The removed record's fields, or none.
const SESSION_REMOVE: &str = r#"
local f = redis.call('HGETALL', KEYS[1])
if #f == 0 then return f end
redis.call('DEL', KEYS[1])
local user = get_field(f, 'user')
if user then redis.call('SREM', ARGV[2] .. user, ARGV[1]) end
return f
"#;

/// KEYS: old session, new session, new user set. ARGV: old id, user-set prefix, new id,
/// user, created, seen, expires, idle. `{'taken'}`, or `{'ok', <old fields>...}`.
const SESSION_ROTATE: &str = r#"
if KEYS[1] ~= KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return {'taken'} end
local f = redis.call('HGETALL', KEYS[1])
if #f > 0 then
  redis.call('DEL', KEYS[1])
  local user = get_field(f, 'user')
  if user then redis.call('SREM', ARGV[2] .. user, ARGV[1]) end
end
write_session(KEYS[2], KEYS[3], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
local out = {'ok'}
for i = 1, #f do out[#out + 1] = f[i] end
return out
"#;

/// KEYS: user set. ARGV: session prefix, [id to keep]. How many sessions went.
const SESSION_REMOVE_ALL: &str = r#"
local n = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    n = n + redis.call('DEL', ARGV[1] .. id)
    redis.call('SREM', KEYS[1], id)
  end
end
return n
"#;

/// KEYS: user set. ARGV: session prefix. `{{id, <fields>...}, ...}`; ids whose session
/// Redis already expired leave the set.
const SESSION_LIST: &str = r#"
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HGETALL', ARGV[1] .. id)
  if #f == 0 then
    redis.call('SREM', KEYS[1], id)
  else
    local entry = {id}
    for i = 1, #f do entry[#entry + 1] = f[i] end
    out[#out + 1] = entry
  end
end
return out
"#;

/// KEYS: sessions. ARGV: now, session prefix, user-set prefix. How many ended and went.
const SESSION_SWEEP: &str = r#"
local n = 0
for _, k in ipairs(KEYS) do
  local f = redis.call('HMGET', k, 'user', 'expires', 'idle')
  if f[1] and f[2] and f[3] and not lt(ARGV[1], min(f[2], f[3])) then
    redis.call('DEL', k)
    redis.call('SREM', ARGV[3] .. f[1], string.sub(k, #ARGV[2] + 1))
    n = n + 1
  end
end
return n
"#;

/// KEYS: an end (string). ARGV: new end. Keeps the later end; 1 if the key was new.
const EXTEND_END: &str = r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', at_ms(ARGV[1])) then return 1 end
local current = redis.call('GET', KEYS[1])
if current and lt(current, ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', at_ms(ARGV[1]))
end
return 0
"#;

/// KEYS: failure window (hash: count, end). ARGV: now, end of a new window.
/// The failures in the current window.
const RECORD_FAILURE: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'count', 'end')
if f[1] and f[2] and lt(ARGV[1], f[2]) then
  return redis.call('HINCRBY', KEYS[1], 'count', 1)
end
redis.call('HSET', KEYS[1], 'count', 1, 'end', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], at_ms(ARGV[2]))
return 1
"#;

/// KEYS: failure window (hash: count, end). ARGV: now.
/// Takes one back from a live, positive count; the count left (0 if none).
const RELEASE_ATTEMPT: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'count', 'end')
if f[1] and f[2] and lt(ARGV[1], f[2]) and tonumber(f[1]) > 0 then
  return redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
"#;

/// KEYS: ends (strings) or failure windows (hashes with `end`). ARGV: now.
/// How many had ended and went.
const SWEEP_ENDS: &str = r#"
local n = 0
for _, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k)['ok']
  local ends = nil
  if t == 'string' then ends = redis.call('GET', k)
  elseif t == 'hash' then ends = redis.call('HGET', k, 'end') end
  if ends and not lt(ARGV[1], ends) then
    redis.call('DEL', k)
    n = n + 1
  end
end
return n
"#;

/// KEYS: user, login. ARGV: id, login, hash, disabled, login prefix, suspended.
const USER_PUT: &str = r#"
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[1] then return redis.error_reply('login already used by another user') end
local old = redis.call('HGET', KEYS[1], 'login')
if old and old ~= ARGV[2] then redis.call('DEL', ARGV[5] .. old) end
redis.call('HSET', KEYS[1], 'login', ARGV[2], 'hash', ARGV[3], 'disabled', ARGV[4],
           'suspended', ARGV[6])
redis.call('SET', KEYS[2], ARGV[1])
return 1
"#;

/// KEYS: user, login. ARGV: id, login, hash, disabled, suspended, user prefix. `{}`
/// when the user was stored; `{owner id, <owner's fields>...}` when the login is taken.
/// The login key is claimed with `SET NX`, so one of any racing creates wins.
const USER_CREATE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('a user with this id exists already') end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX') then
  local owner = redis.call('GET', KEYS[2])
  local out = {owner}
  local f = redis.call('HGETALL', ARGV[6] .. owner)
  for i = 1, #f do out[#out + 1] = f[i] end
  return out
end
redis.call('HSET', KEYS[1], 'login', ARGV[2], 'hash', ARGV[3], 'disabled', ARGV[4],
           'suspended', ARGV[5])
return {}
"#;

/// KEYS: login. ARGV: user prefix. `{id, <fields>...}` or `{}`.
const USER_BY_LOGIN: &str = r#"
local id = redis.call('GET', KEYS[1])
if not id then return {} end
local f = redis.call('HGETALL', ARGV[1] .. id)
if #f == 0 then return {} end
local out = {id}
for i = 1, #f do out[#out + 1] = f[i] end
return out
"#;

/// KEYS: a hash. ARGV: field, value. Sets it only if the hash exists; 1 if it did.
const SET_FIELD_IF_EXISTS: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"#;

/// KEYS: TOTP enrollment. ARGV: secret, confirmed, [last step]. Replaces it whole.
const TOTP_SET: &str = r#"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'confirmed', ARGV[2])
if ARGV[3] then redis.call('HSET', KEYS[1], 'step', ARGV[3]) end
return 1
"#;

/// KEYS: TOTP enrollment. ARGV: step. 1 if the step is later than the last accepted
/// one (it is the last now), 0 if it was spent or there is no secret.
const TOTP_ACCEPT_STEP: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'secret', 'step')
if not f[1] then return 0 end
if f[2] and not lt(f[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'step', ARGV[1])
return 1
"#;

/// KEYS: continuation. ARGV: record (JSON), end. Replaces any; Redis forgets it at
/// its end.
const CONTINUATION_PUT: &str = r#"
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'end', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], at_ms(ARGV[2]))
return 1
"#;

/// KEYS: continuation. Removes it and answers its record, or nil.
const CONTINUATION_TAKE: &str = r#"
local record = redis.call('HGET', KEYS[1], 'record')
if not record then return false end
redis.call('DEL', KEYS[1])
return record
"#;

/// The compiled scripts (each keeps its SHA).
pub(super) struct Scripts {
    pub(super) session_insert: Script,
    pub(super) session_touch: Script,
    pub(super) session_remove: Script,
    pub(super) session_rotate: Script,
    pub(super) session_remove_all: Script,
    pub(super) session_list: Script,
    pub(super) session_sweep: Script,
    pub(super) extend_end: Script,
    pub(super) record_failure: Script,
    pub(super) release_attempt: Script,
    pub(super) sweep_ends: Script,
    pub(super) user_put: Script,
    pub(super) user_create: Script,
    pub(super) user_by_login: Script,
    pub(super) set_field_if_exists: Script,
    pub(super) totp_set: Script,
    pub(super) totp_accept_step: Script,
    pub(super) continuation_put: Script,
    pub(super) continuation_take: Script,
}

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

impl Scripts {
    pub(super) fn new() -> Self {
        Scripts {
            session_insert: script(SESSION_INSERT),
            session_touch: script(SESSION_TOUCH),
            session_remove: script(SESSION_REMOVE),
            session_rotate: script(SESSION_ROTATE),
            session_remove_all: script(SESSION_REMOVE_ALL),
            session_list: script(SESSION_LIST),
            session_sweep: script(SESSION_SWEEP),
            extend_end: script(EXTEND_END),
            record_failure: script(RECORD_FAILURE),
            release_attempt: script(RELEASE_ATTEMPT),
            sweep_ends: script(SWEEP_ENDS),
            user_put: script(USER_PUT),
            user_create: script(USER_CREATE),
            user_by_login: script(USER_BY_LOGIN),
            set_field_if_exists: script(SET_FIELD_IF_EXISTS),
            totp_set: script(TOTP_SET),
            totp_accept_step: script(TOTP_ACCEPT_STEP),
            continuation_put: script(CONTINUATION_PUT),
            continuation_take: script(CONTINUATION_TAKE),
        }
    }
}
