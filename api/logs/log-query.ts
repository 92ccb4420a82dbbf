/** The query of every log route: which attempt, which stream, which lines, and whether to follow. */
import { z } from 'zod';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** `?attempt=&stream=&lines=&tail=&follow=&timestamps=` of the log routes. */
export const LogQuerySchema = z
  .strictObject({
    attempt: z
      .string()
      .regex(/^[1-9][0-9]{0,5}$/, 'must be an attempt number from 1')
      .transform(Number)
      .optional()
      .describe('Which attempt (default: the latest).'),
    stream: z.enum(['stdout', 'stderr']).optional().describe('Only the lines of this stream.'),
    lines: z
      .string()
      .regex(/^([1-9][0-9]{0,14})?-([1-9][0-9]{0,14})?$/, 'must be a line range FROM-TO, FROM- or -TO (from 1)')
      .refine((r) => r !== '-', 'must name at least one end, e.g. 100-200')
      .transform((r) => {
        const [from, to] = r.split('-');
        return { from: from ? Number(from) : 1, to: to ? Number(to) : Number.MAX_SAFE_INTEGER };
      })
      .refine((r) => r.from <= r.to, 'FROM must not be after TO')
      .optional()
      .describe('Only lines FROM to TO, numbered from 1 in everything the attempt printed.'),
    tail: z
      .string()
      .regex(/^[1-9][0-9]{0,4}$/, 'must be a number of lines from 1 to 99999')
      .transform(Number)
      .optional()
      .describe('Only the last N lines (of the stream, when one is named).'),
    follow: flag.optional().describe('Stream the log as server-sent events while the attempt runs.'),
    timestamps: flag.optional().describe('Prefix each line with its time and stream.'),
  })
  .refine((q) => q.lines === undefined || q.tail === undefined, {
    message: 'give lines or tail, not both',
    path: ['tail'],
  });

/** A parsed log query. */
export type LogQuery = z.output<typeof LogQuerySchema>;

/** `Last-Event-ID` of a resumed log stream: the chunk last sent, and the line and byte that come next. */
export const LastEventIdSchema = z
  .string()
  .regex(/^[0-9]{1,10}-[0-9]{1,15}-[0-9]{1,15}$/, 'must be an id this stream sent (SEQ-LINE-BYTE)')
  .transform((id) => {
    const [seq, line, byte] = id.split('-').map(Number);
    return { seq: seq!, nextLine: line!, nextByte: byte! };
  });
