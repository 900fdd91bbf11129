/** A cursor page as every list answers it: the rows, whether more follow, and where the next page starts. */
export interface Paged<T> {
  page: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * One page from a list read with `limit + 1` rows (the extra row only says that more follow);
 * `cursorOf` names the last row answered, where the next page starts. Limits are at least 1.
 */
export function pageOf<T>(rows: readonly T[], limit: number, cursorOf: (last: T) => string): Paged<T> {
  const page = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { page, has_more: hasMore, next_cursor: hasMore ? cursorOf(page[page.length - 1]!) : null };
}
