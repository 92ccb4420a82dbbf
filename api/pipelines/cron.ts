/**
 * Cron expressions of `on.schedule`, as GitHub Actions reads them: five fields (minute, hour, day of
 * month, month, day of week; UTC), each `*`, a number, a range `a-b`, a step `…/n`, or a list of those.
 * Pure: validation with a message that names the field, and the Temporal cron strings of one.
 */

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

/** What is wrong with a cron expression, or undefined when it is valid. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return `"${cron}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron has five: minute hour day-of-month month day-of-week (e.g. "30 5 * * 1-5")`;
  for (const [i, field] of fields.entries()) {
    const problem = fieldProblem(field, FIELDS[i]!);
    if (problem) return `"${cron}": ${problem}`;
  }
  return undefined;
}

function fieldProblem(field: string, spec: (typeof FIELDS)[number]): string | undefined {
  for (const part of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match)
      return `${spec.name} "${part}" is not *, a number, a range a-b or a step …/n (numbers only: days of week 0-6 with Sunday 0, months 1-12)`;
    const [, , from, to, step] = match;
    for (const value of [from, to]) {
      if (value !== undefined && (Number(value) < spec.min || Number(value) > spec.max))
        return `${spec.name} ${value} is out of range ${spec.min}-${spec.max}`;
    }
    if (from !== undefined && to !== undefined && Number(from) > Number(to))
      return `${spec.name} range ${from}-${to} runs backwards`;
    if (step !== undefined && Number(step) === 0) return `${spec.name} step /0 never advances`;
  }
  return undefined;
}

/**
 * Temporal's cron strings for one valid expression. When both day fields are restricted, cron runs
 * on either (the 1st of the month, and every Monday); a Temporal calendar needs both to match, so such
 * an expression becomes two calendars, one per day field.
 */
export function temporalCrons(cron: string): string[] {
  const [minute, hour, dayOfMonth, month, dayOfWeek] = cron.trim().split(/\s+/) as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (dayOfMonth === '*' || dayOfWeek === '*') return [[minute, hour, dayOfMonth, month, dayOfWeek].join(' ')];
  return [`${minute} ${hour} ${dayOfMonth} ${month} *`, `${minute} ${hour} * ${month} ${dayOfWeek}`];
}
