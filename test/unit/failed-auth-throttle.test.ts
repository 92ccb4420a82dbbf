/** Failed authentications are throttled per address, and neither other addresses nor known tokens are locked out. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FailedAuthThrottle } from '../../api/auth/failed-auth-throttle';
import { RateLimiter } from '../../api/auth/rate-limiter';

describe('FailedAuthThrottle', () => {
  test('an address out of failures is refused with a wait; another address and a token seen valid still pass', () => {
    let now = 0;
    const throttle = new FailedAuthThrottle({ ratePerSecond: 1, burst: 3 }, () => now);
    throttle.succeeded('cap_good');
    for (let i = 0; i < 3; i++) {
      assert.equal(throttle.admit('10.0.0.1', 'cap_bad').allowed, true);
      throttle.failed('10.0.0.1');
    }
    assert.deepEqual(throttle.admit('10.0.0.1', 'cap_bad'), { allowed: false, retryAfterSeconds: 1 });
    assert.equal(throttle.admit('10.0.0.1', 'cap_good').allowed, true, 'a valid token from the same address');
    assert.equal(throttle.admit('10.0.0.2', 'cap_bad').allowed, true, 'another address');
    now = 1000;
    assert.equal(throttle.admit('10.0.0.1', 'cap_bad').allowed, true, 'one more failure a second');
  });
});

describe('RateLimiter', () => {
  test('keeps at most maxKeys buckets, forgetting idle ones first', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2 }, () => now, 10);
    limiter.take('busy');
    limiter.take('busy');
    for (let i = 0; i < 100; i++) limiter.check(`idle-${i}`);
    assert.equal(limiter.take('busy').allowed, false, 'the busy key kept its empty bucket');
    now = 1000;
    assert.equal(limiter.take('busy').allowed, true);
  });
});
