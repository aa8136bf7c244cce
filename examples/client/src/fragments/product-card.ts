import { graphql } from '../gql/index.js';

/** What a product tile needs. Read it with `getFragmentData(ProductCardFragment, ref)`. */
export const ProductCardFragment = graphql(`
  fragment ProductCard on Product {
    id
    sku
    name
    priceCents
    stock
    version
  }
`);
