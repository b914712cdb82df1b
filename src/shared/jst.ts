/**
 * Japan time, as the bank shows every date (DESIGN §8). One formatter for the process: constructing an
 * Intl.DateTimeFormat costs about 250 µs, formatting with one about 20 µs.
 */
const JST = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/** year, month, day, hour, minute, second of an instant in JST, zero-padded. */
export function jstParts(date: Date): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  return Object.fromEntries(JST.formatToParts(date).map((p) => [p.type, p.value])) as never;
}

/** The calendar date in Japan (YYYY-MM-DD): the bank's business day, whatever the server's zone. */
export function jstDate(date: Date = new Date()): string {
  const p = jstParts(date);
  return `${p.year}-${p.month}-${p.day}`;
}
