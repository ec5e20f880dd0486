export interface PageRequest {
  page: number;
  perPage: number;
}

export interface PageResult<T> {
  data: T[];
  total: number;
  page: number;
  perPage: number;
}

export const offsetOf = (p: PageRequest) => (p.page - 1) * p.perPage;
