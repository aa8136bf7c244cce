import { graphql } from '../gql/index.js';

/** Adds units of a product to the signed-in user's cart and returns the whole cart. */
export const AddToCartMutation = graphql(`
  mutation AddToCart($input: AddToCartInput!) {
    addToCart(input: $input) {
      ...CartView
    }
  }
`);
