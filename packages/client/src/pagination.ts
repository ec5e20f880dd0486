/** One page of a list route: every list answers `{data, total, page, per_page}`. */
export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  per_page: number;
}

/**
 * Every item of a paginated list, page after page: `fetchPage(page, perPage)` is called until the
 * pages hold `total` items or one comes back short (a list that shrank while it was read).
 */
export async function* paginate<T>(
  fetchPage: (page: number, perPage: number) => Promise<Page<T>>,
  options: { perPage?: number; limit?: number } = {},
): AsyncGenerator<T, void, undefined> {
  const perPage = options.perPage ?? 100;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let seen = 0;
  for (let page = 1; ; page++) {
    const answer = await fetchPage(page, perPage);
    for (const item of answer.data) {
      if (seen >= limit) return;
      seen++;
      yield item;
    }
    if (answer.data.length < perPage || page * perPage >= answer.total) return;
  }
}

/** Every item of a paginated list, in one array (`limit` caps it). */
export async function collectAll<T>(
  fetchPage: (page: number, perPage: number) => Promise<Page<T>>,
  options: { perPage?: number; limit?: number } = {},
): Promise<T[]> {
  const items: T[] = [];
  for await (const item of paginate(fetchPage, options)) items.push(item);
  return items;
}
