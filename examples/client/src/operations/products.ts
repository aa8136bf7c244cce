import { graphql } from '../gql/index.js';

/** A page of the catalog, in creation order. Each node is a masked `ProductCard`. */
export const ProductsQuery = graphql(`
  query Products($first: Int, $after: String) {
    products(first: $first, after: $after) {
      edges {
        cursor
        node {
          ...ProductCard
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
