/**
 * A key's age in whole days, from Kinde's `created_on`, so that Logs Insights can find old keys with a
 * number (it cannot parse dates). Kinde's own example ends in an hour-only offset (`+11`), which
 * `Date.parse` refuses; it is read as `+11:00`. Undefined when the date cannot be read, or lies ahead.
 */
export function keyAgeDays(createdOn: string, now: number): number | undefined {
  const normalized = /[+-]\d{2}$/.test(createdOn) ? `${createdOn}:00` : createdOn;
  const created = Date.parse(normalized);
  if (Number.isNaN(created) || created > now) return undefined;
  return Math.floor((now - created) / 86_400_000);
}
