import { graphql } from '../gql/index.js';

/** The signed-in user's cart (`me` is null without a valid token). */
export const MyCartQuery = graphql(`
  query MyCart {
    me {
      id
      cart {
        ...CartView
      }
    }
  }
`);
