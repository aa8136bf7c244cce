/** The catalog: search, sort, pages of products (cursor pagination), add to cart. */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { ProductSort } from '../gql/graphql.js';
import { AddToCartButton } from '../components/AddToCartButton.js';
import { ErrorMessage, Loading, Money } from '../ui.js';

/** Products a page. */
export const PAGE_SIZE = 12;

const CatalogQuery = graphql(`
  query Catalog($search: String, $sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {
    products(search: $search, sort: $sort, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges {
        cursor
        node {
          ...ProductFields
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

const SORTS: { value: ProductSort; label: string }[] = [
  { value: 'CREATED', label: 'Oldest first' },
  { value: 'NEWEST', label: 'Newest first' },
  { value: 'PRICE', label: 'Price: low to high' },
  { value: 'PRICE_DESC', label: 'Price: high to low' },
  { value: 'NAME', label: 'Name: A to Z' },
];

const isSort = (value: string | null): value is ProductSort => SORTS.some((sort) => sort.value === value);

/**
 * The catalog page. Its state is in the address (`?q=tea&sort=PRICE&after=<cursor>&page=2`),
 * so a reload, a link or the back button shows the same page. A forward page's
 * `hasPreviousPage` (and a backward page's `hasNextPage`) may be false where the server does
 * not compute it (Relay allows that): the page number and the direction say it instead.
 */
export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const sortParam = params.get('sort');
  const sort: ProductSort = isSort(sortParam) ? sortParam : 'CREATED';
  const after = params.get('after');
  const before = params.get('before');
  // Without a cursor this is the first page, whatever the address says.
  const page = after || before ? Math.max(1, Number(params.get('page')) || 1) : 1;

  const [{ data, fetching, error }] = useQuery({
    query: CatalogQuery,
    variables: before ? { search, sort, last: PAGE_SIZE, before } : { search, sort, first: PAGE_SIZE, after },
  });
  const products = data?.products;

  /** A new search or sort starts again at page 1. */
  const show = (next: { q?: string; sort?: ProductSort; after?: string; before?: string; page?: number }) => {
    const query = new URLSearchParams();
    const q = next.q ?? search;
    const s = next.sort ?? sort;
    if (q) query.set('q', q);
    if (s !== 'CREATED') query.set('sort', s);
    if (next.after) query.set('after', next.after);
    if (next.before) query.set('before', next.before);
    if (next.page && next.page > 1) query.set('page', String(next.page));
    setParams(query);
    if (next.after || next.before) window.scrollTo({ top: 0 }); // a new page starts at its top
  };

  return (
    <section>
      <h1>Catalog</h1>
      <div className="toolbar">
        {/* Keyed by the search in the address: back and forward put the box back to it. */}
        <SearchBox key={search} search={search} onSearch={(q) => show({ q })} />
        <label className="sort">
          Sort by{' '}
          <select value={sort} onChange={(e) => show({ sort: e.target.value as ProductSort })}>
            {SORTS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorMessage error={error} />
      {!products && fetching && <Loading />}
      {products && (
        <>
          <p className="muted" data-testid="total-count">
            {products.totalCount === 1 ? '1 product' : `${products.totalCount} products`}
            {search && ` matching “${search}”`}
            {products.totalCount > PAGE_SIZE && ` · page ${page} of ${Math.ceil(products.totalCount / PAGE_SIZE)}`}
          </p>
          <ul className="grid" aria-label="Products">
            {products.edges.map(({ node }) => (
              <li key={node.id} className="card" data-testid="product-card">
                <Link to={`/products/${encodeURIComponent(node.id)}`} className="name">
                  {node.name}
                </Link>
                <p className="description">{node.description}</p>
                <div className="row">
                  <Money cents={node.priceCents} />
                  <span className="muted">{node.stock > 0 ? `${node.stock} in stock` : 'Out of stock'}</span>
                </div>
                <AddToCartButton productId={node.id} productName={node.name} disabled={node.stock === 0} />
              </li>
            ))}
          </ul>
          {products.edges.length === 0 && <p>No products{search && ` match “${search}”`}.</p>}
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              disabled={!(products.pageInfo.hasPreviousPage || page > 1) || !products.pageInfo.startCursor}
              onClick={() => show({ before: products.pageInfo.startCursor!, page: page - 1 })}
            >
              ← Previous
            </button>
            <button
              type="button"
              disabled={!(products.pageInfo.hasNextPage || before) || !products.pageInfo.endCursor}
              onClick={() => show({ after: products.pageInfo.endCursor!, page: page + 1 })}
            >
              Next →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

/** The search box: the words are sent on Enter or "Search", not on every key. */
function SearchBox({ search, onSearch }: { search: string; onSearch: (words: string) => void }) {
  const [draft, setDraft] = useState(search);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(draft.trim());
  };
  return (
    <form role="search" onSubmit={submit} className="search">
      <label htmlFor="search">Search</label>
      <input id="search" type="search" value={draft} placeholder="Name, description or SKU" onChange={(e) => setDraft(e.target.value)} />
      <button type="submit">Search</button>
    </form>
  );
}
