/** How long a task attempt may take in Temporal's eyes, beside the command's own timeout (zod-free: workflows load it). */

/** Extra time past the command timeout before Temporal itself gives up on an attempt. */
export const START_TO_CLOSE_GRACE_SECONDS = 60;

/**
 * The longest an attempt waits on its worker for resources or a free slot before its command starts. Temporal's
 * attempt timer runs during that wait, so it is part of the attempt's start-to-close limit; a worker that dies while
 * waiting is still found at once by its missing heartbeats.
 */
export const RESOURCE_WAIT_LIMIT_SECONDS = 24 * 60 * 60;
