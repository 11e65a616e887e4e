// Mattermost's page and per_page query parameters.
import { invalidParam } from '../errors.js';

/** per_page 1–200 (Mattermost's PerPageMaximum), default `defaultPerPage`; page 0 or more. */
export function paging(query: URLSearchParams, defaultPerPage: number): { page: number; perPage: number } {
  const read = (name: string, fallback: number, min: number, max: number): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^\d{1,9}$/.test(raw)) throw invalidParam(name);
    return Math.min(Math.max(Number(raw), min), max);
  };
  return { page: read('page', 0, 0, 1_000_000), perPage: read('per_page', defaultPerPage, 1, 200) };
}
