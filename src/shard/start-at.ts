/**
 * `--start-at <RFC 3339 time>`: every shard of a run starts at one wall-clock instant given on its command line. The
 * time must carry its zone (Z or an offset): shards in different pods, CI runners or countries read a zoneless time in
 * their own local zone, and would start hours apart while each believed it was on time.
 */
import { WsherdError } from '../errors.js';

/** Farther ahead than this is almost surely a wrong date or zone (a run waiting a day is not what anyone meant). */
export const START_AT_MAX_AHEAD_MS = 24 * 3_600_000;

// RFC 3339 §5.6 date-time, with the ISO 8601 liberties people type: a space for T (RFC 3339 §5.6 NOTE), seconds
// left out, and offsets written +0100 or +01.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * Parses `--start-at` into epoch milliseconds. Refuses (WSH_ERR_INVALID_INPUT, exit 2) text that is not an RFC 3339
 * time, a time without a zone, and a time more than 24 h after `now`. A time already past is returned as is: whether
 * to start at once or refuse is the caller's decision.
 */
export function parseStartAt(text: string, now: number): number {
  const s = text.trim();
  const m = DATE_TIME.exec(s);
  if (m === null) {
    throw invalid(`--start-at "${text}" is not an RFC 3339 time.`, `Write the date, the time and its zone, e.g. --start-at ${example(now)}.`);
  }
  const [, y, mo, d, h, mi, sec, frac, zulu, sign, oh, om] = m;
  if (zulu === undefined && sign === undefined) {
    throw invalid(
      `--start-at "${text}" has no time zone: shards on hosts in different zones would read it as different instants.`,
      `Add Z (UTC) or the offset, e.g. --start-at ${example(now)} or ${example(now, 60)}.`,
    );
  }
  const fields = { year: num(y), month: num(mo), day: num(d), hour: num(h), minute: num(mi), second: num(sec) };
  const offsetMin = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (num(oh) * 60 + num(om));
  const bad = outOfRange(fields, num(oh), num(om));
  if (bad !== undefined) {
    throw invalid(`--start-at "${text}" is not a valid time: ${bad}.`, `e.g. --start-at ${example(now)}`);
  }
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const local = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second, ms);
  const at = local - offsetMin * 60_000;
  if (at - now > START_AT_MAX_AHEAD_MS) {
    throw invalid(
      `--start-at "${text}" is ${formatAhead(at - now)} from now (${new Date(now).toISOString()} on this host), more than the 24 h allowed.`,
      `Check the date and the zone; a start soon after every shard is up looks like --start-at ${example(now)}.`,
    );
  }
  return at;
}

/**
 * An example a user can paste: the next whole minute at least a minute ahead, in UTC, or shown in the zone
 * `offsetMin` east of UTC (e.g. 60 → +01:00) to show the offset form.
 */
export function example(now: number, offsetMin = 0): string {
  const at = Math.ceil(now / 60_000) * 60_000 + 60_000;
  const shifted = new Date(at + offsetMin * 60_000).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${shifted}Z`;
  const abs = Math.abs(offsetMin);
  return `${shifted}${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function outOfRange(f: Fields, offsetHours: number, offsetMinutes: number): string | undefined {
  if (f.month < 1 || f.month > 12) return `month ${f.month} is not 01-12`;
  const days = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
  if (f.day < 1 || f.day > days) return `day ${f.day} is not in ${f.year}-${pad(f.month)} (01-${days})`;
  if (f.hour > 23) return `hour ${f.hour} is not 00-23`;
  if (f.minute > 59) return `minute ${f.minute} is not 00-59`;
  // A leap second (60) cannot be scheduled on a POSIX clock, which has no such second.
  if (f.second > 59) return `second ${f.second} is not 00-59`;
  if (offsetHours > 23 || offsetMinutes > 59) return `offset ${pad(offsetHours)}:${pad(offsetMinutes)} is not a time zone offset`;
  return undefined;
}

function formatAhead(ms: number): string {
  const min = Math.round(ms / 60_000);
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
const pad = (n: number): string => String(n).padStart(2, '0');

function invalid(message: string, hint: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', message, { hint });
}
