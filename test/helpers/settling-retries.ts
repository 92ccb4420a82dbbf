/**
 * The Temporal client's gRPC retries, with a way to wait until none is scheduled. The SDK retries a
 * failed call from a timer; a timer that fires after the connection closed throws "Channel has been
 * shut down" from inside the timer, an uncaught exception that fails whichever test file was ending
 * (console-bigdag did, once, after a browser left a request behind mid-retry). Stacks wait for that
 * before they close their connection.
 */
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** A retry interceptor like the SDK's default, and `settled()`, which resolves once no retry is due (or after `maxWaitMs`). */
export function settlingRetries(): { interceptor: Interceptor; settled: (maxWaitMs: number) => Promise<void> } {
  const base = defaultGrpcRetryOptions();
  let dueUntil = 0;
  const interceptor = makeGrpcRetryInterceptor({
    ...base,
    delayFunction: (attempt, status) => {
      const delay = base.delayFunction(attempt, status);
      // The retry starts after `delay`; a little more covers the call it then makes.
      dueUntil = Math.max(dueUntil, Date.now() + delay + 100);
      return delay;
    },
  });
  const settled = async (maxWaitMs: number): Promise<void> => {
    const giveUp = Date.now() + maxWaitMs;
    while (Date.now() < Math.min(dueUntil, giveUp)) await new Promise((r) => setTimeout(r, 50));
  };
  return { interceptor, settled };
}
